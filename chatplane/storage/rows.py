"""Row <-> domain object conversion shared by the repositories."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from chatplane.domain.models import Agent, Chat, Customer, Event, Thread


def values_of(table: sa.Table, obj: Any, **extra: Any) -> dict[str, Any]:
    """The column values of `table` taken from the same-named attributes of a domain
    object, plus `extra` (columns the object does not carry)."""
    out = {c.name: getattr(obj, c.name) for c in table.columns if hasattr(obj, c.name)}
    out.update(extra)
    return out


def to_agent(r: Any) -> Agent:
    return Agent(
        license_id=r.license_id,
        id=r.id,
        name=r.name,
        email=r.email,
        role=r.role,
        is_bot=bool(r.is_bot),
        client_id=r.client_id,
        avatar=r.avatar,
        job_title=r.job_title,
        max_chats_count=r.max_chats_count,
        routing_status=r.routing_status,
        webhooks=r.webhooks,
        created_at=r.created_at,
        suspended=bool(r.suspended),
        awaiting_approval=bool(r.awaiting_approval),
        login_status=r.login_status,
        last_logout_at=r.last_logout_at,
        default_group_priority=r.default_group_priority,
        secret_hash=r.secret_hash,
        template_id=r.template_id,
        profile=dict(r.profile or {}),
    )


def to_customer(r: Any) -> Customer:
    return Customer(
        id=r.id,
        license_id=r.license_id,
        name=r.name,
        email=r.email,
        avatar=r.avatar,
        fields=dict(r.fields or {}),
        last_visit=r.last_visit,
        chats_count=r.chats_count,
        threads_count=r.threads_count,
        visits_count=r.visits_count,
        agent_last_event_created_at=r.agent_last_event_created_at,
        customer_last_event_created_at=r.customer_last_event_created_at,
        banned_until=r.banned_until,
        created_at=r.created_at,
    )


def to_chat(r: Any) -> Chat:
    return Chat(
        id=r.id,
        license_id=r.license_id,
        customer_id=r.customer_id,
        access=dict(r.access or {"group_ids": [0]}),
        properties=dict(r.properties or {}),
        last_order=r.last_order,
        last_thread_id=r.last_thread_id,
        active_thread_id=r.active_thread_id,
        created_at=r.created_at,
        updated_at=r.updated_at,
        follower_ids=list(r.follower_ids or []),
    )


def to_thread(r: Any) -> Thread:
    return Thread(
        id=r.id,
        chat_id=r.chat_id,
        order=r.order,
        active=bool(r.active),
        user_ids=list(r.user_ids or []),
        properties=dict(r.properties or {}),
        access=dict(r.access or {}),
        total_events=r.total_events,
        created_at=r.created_at,
        closed_at=r.closed_at,
        tags=list(r.tags or []),
    )


def to_event(r: Any) -> Event:
    return Event(
        id=r.id,
        chat_id=r.chat_id,
        thread_id=r.thread_id,
        order=r.order,
        type=r.type,
        author_id=r.author_id,
        recipients=r.recipients,
        custom_id=r.custom_id,
        text=r.text,
        body=dict(r.body or {}),
        properties=dict(r.properties or {}),
        created_at=r.created_at,
        deleted_at=r.deleted_at,
    )
