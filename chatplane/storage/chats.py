"""Chats, threads, events and chat users: reads and writes in SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chatplane.domain.models import AGENT, CUSTOMER, Chat, ChatUser, Event, Thread
from chatplane.storage import schema as s
from chatplane.storage.rows import to_chat, to_customer, to_event, to_thread, values_of


def load_chat(
    conn: Connection, license_id: int, chat_id: str, *, for_update: bool = False
) -> Chat | None:
    """A chat with its users. `for_update` locks the row (PostgreSQL) so that concurrent
    writers to one chat (two events starting a thread) are serialised."""
    q = sa.select(s.chats).where(s.chats.c.id == chat_id, s.chats.c.license_id == license_id)
    if for_update:
        q = q.with_for_update()
    row = conn.execute(q).first()
    if row is None:
        return None
    chat = to_chat(row)
    chat.users = load_users(conn, license_id, [chat.id]).get(chat.id, [])
    return chat


def load_chats(conn: Connection, license_id: int, chat_ids: Sequence[str]) -> list[Chat]:
    """Chats in the order of `chat_ids`, with their users."""
    if not chat_ids:
        return []
    rows = conn.execute(
        sa.select(s.chats).where(s.chats.c.id.in_(chat_ids), s.chats.c.license_id == license_id)
    ).all()
    by_id = {r.id: to_chat(r) for r in rows}
    users = load_users(conn, license_id, list(by_id))
    out = []
    for cid in chat_ids:
        chat = by_id.get(cid)
        if chat is not None:
            chat.users = users.get(cid, [])
            out.append(chat)
    return out


def load_users(conn: Connection, license_id: int, chat_ids: list[str]) -> dict[str, list[ChatUser]]:
    if not chat_ids:
        return {}
    rows = conn.execute(
        sa.select(s.chat_users)
        .where(s.chat_users.c.chat_id.in_(chat_ids))
        .order_by(s.chat_users.c.joined_at)
    ).all()
    agent_ids = {r.user_id for r in rows if r.user_type == AGENT}
    customer_ids = {r.user_id for r in rows if r.user_type == CUSTOMER}
    agents = {}
    if agent_ids:
        agents = {
            a.id: a
            for a in conn.execute(
                sa.select(
                    s.agents.c.id,
                    s.agents.c.name,
                    s.agents.c.email,
                    s.agents.c.avatar,
                    s.agents.c.routing_status,
                ).where(s.agents.c.license_id == license_id, s.agents.c.id.in_(agent_ids))
            )
        }
    customers = {}
    if customer_ids:
        customers = {
            c.id: to_customer(c)
            for c in conn.execute(sa.select(s.customers).where(s.customers.c.id.in_(customer_ids)))
        }
    out: dict[str, list[ChatUser]] = {}
    for r in rows:
        user = ChatUser(
            id=r.user_id,
            type=r.user_type,
            present=bool(r.present),
            last_seen_timestamp=r.last_seen_timestamp,
            joined_at=r.joined_at,
        )
        if r.user_type == AGENT and r.user_id in agents:
            a = agents[r.user_id]
            user.name, user.email, user.avatar = a.name, a.email, a.avatar
            user.routing_status = a.routing_status
        elif r.user_type == CUSTOMER and r.user_id in customers:
            c = customers[r.user_id]
            user.name, user.email, user.avatar, user.customer = c.name, c.email, c.avatar, c
        out.setdefault(r.chat_id, []).append(user)
    return out


def insert_chat(conn: Connection, chat: Chat) -> None:
    conn.execute(s.chats.insert().values(values_of(s.chats, chat)))
    set_chat_access(conn, chat.license_id, chat.id, chat.access.get("group_ids", [0]))


def update_chat(conn: Connection, chat_id: str, **values: Any) -> None:
    conn.execute(s.chats.update().where(s.chats.c.id == chat_id).values(**values))
    if "access" in values:
        row = conn.execute(sa.select(s.chats.c.license_id).where(s.chats.c.id == chat_id)).one()
        set_chat_access(conn, row.license_id, chat_id, values["access"].get("group_ids", [0]))


def set_chat_access(conn: Connection, license_id: int, chat_id: str, group_ids: Any) -> None:
    conn.execute(s.chat_access.delete().where(s.chat_access.c.chat_id == chat_id))
    rows = [
        {"chat_id": chat_id, "group_id": int(g), "license_id": license_id} for g in set(group_ids)
    ]
    if rows:
        conn.execute(s.chat_access.insert(), rows)


def next_orders(conn: Connection, chat_id: str, count: int) -> int:
    """Reserve `count` orders for a chat; returns the first. The row lock (PostgreSQL) or
    the single writer (SQLite) keeps orders strictly increasing under concurrency."""
    last = conn.execute(
        s.chats.update()
        .where(s.chats.c.id == chat_id)
        .values(last_order=s.chats.c.last_order + count)
        .returning(s.chats.c.last_order)
    ).scalar_one()
    return int(last) - count + 1


def upsert_chat_user(
    conn: Connection, chat_id: str, user_id: str, user_type: str, present: bool, now: float
) -> None:
    updated = conn.execute(
        s.chat_users.update()
        .where(s.chat_users.c.chat_id == chat_id, s.chat_users.c.user_id == user_id)
        .values(present=present)
    ).rowcount
    if not updated:
        conn.execute(
            s.chat_users.insert().values(
                chat_id=chat_id,
                user_id=user_id,
                user_type=user_type,
                present=present,
                last_seen_timestamp=None,
                joined_at=now,
            )
        )


def set_last_seen(conn: Connection, chat_id: str, user_id: str, timestamp: int) -> None:
    conn.execute(
        s.chat_users.update()
        .where(s.chat_users.c.chat_id == chat_id, s.chat_users.c.user_id == user_id)
        .values(last_seen_timestamp=timestamp)
    )


def insert_thread(conn: Connection, license_id: int, thread: Thread) -> None:
    conn.execute(s.threads.insert().values(values_of(s.threads, thread, license_id=license_id)))


def update_thread(conn: Connection, thread_id: str, **values: Any) -> None:
    conn.execute(s.threads.update().where(s.threads.c.id == thread_id).values(**values))


def add_thread_agent(conn: Connection, license_id: int, thread_id: str, agent_id: str) -> None:
    exists = conn.execute(
        sa.select(s.thread_agents.c.agent_id).where(
            s.thread_agents.c.thread_id == thread_id, s.thread_agents.c.agent_id == agent_id
        )
    ).first()
    if exists is None:
        conn.execute(
            s.thread_agents.insert().values(
                thread_id=thread_id, agent_id=agent_id, license_id=license_id
            )
        )


def load_thread(conn: Connection, chat_id: str, thread_id: str) -> Thread | None:
    row = conn.execute(
        sa.select(s.threads).where(s.threads.c.id == thread_id, s.threads.c.chat_id == chat_id)
    ).first()
    return to_thread(row) if row is not None else None


def load_threads(conn: Connection, thread_ids: Iterable[str]) -> dict[str, Thread]:
    ids = list(thread_ids)
    if not ids:
        return {}
    rows = conn.execute(sa.select(s.threads).where(s.threads.c.id.in_(ids))).all()
    return {r.id: to_thread(r) for r in rows}


def thread_summaries(
    conn: Connection, chat_id: str, offset: int = 0, limit: int | None = None
) -> tuple[list[Thread], int]:
    total = conn.execute(
        sa.select(sa.func.count()).select_from(s.threads).where(s.threads.c.chat_id == chat_id)
    ).scalar_one()
    q = (
        sa.select(s.threads)
        .where(s.threads.c.chat_id == chat_id)
        .order_by(s.threads.c.order)
        .offset(offset)
    )
    if limit is not None:
        q = q.limit(limit)
    return [to_thread(r) for r in conn.execute(q)], int(total)


def insert_event(conn: Connection, license_id: int, event: Event) -> None:
    conn.execute(s.events.insert().values(values_of(s.events, event, license_id=license_id)))


def load_event(conn: Connection, chat_id: str, thread_id: str, event_id: str) -> Event | None:
    row = conn.execute(
        sa.select(s.events).where(
            s.events.c.id == event_id,
            s.events.c.chat_id == chat_id,
            s.events.c.thread_id == thread_id,
        )
    ).first()
    return to_event(row) if row is not None else None


def update_event(conn: Connection, event_id: str, **values: Any) -> None:
    conn.execute(s.events.update().where(s.events.c.id == event_id).values(**values))


def load_events(
    conn: Connection, thread_ids: Sequence[str], agents_view: bool
) -> dict[str, list[Event]]:
    """Events of the threads in `order`; a customer's view leaves out `recipients: agents`."""
    if not thread_ids:
        return {}
    q = sa.select(s.events).where(s.events.c.thread_id.in_(thread_ids))
    if not agents_view:
        q = q.where(s.events.c.recipients == "all")
    out: dict[str, list[Event]] = {tid: [] for tid in thread_ids}
    for r in conn.execute(q.order_by(s.events.c.order)):
        out[r.thread_id].append(to_event(r))
    return out


def last_event_per_type(
    conn: Connection, chat_ids: Sequence[str], agents_view: bool
) -> dict[str, dict[str, Event]]:
    """For each chat, the last event of each type (chats summaries)."""
    if not chat_ids:
        return {}
    e = s.events
    cond: list[Any] = [e.c.chat_id.in_(chat_ids)]
    if not agents_view:
        cond.append(e.c.recipients == "all")
    last = (
        sa.select(e.c.chat_id, e.c.type, sa.func.max(e.c.order).label("mo"))
        .where(*cond)
        .group_by(e.c.chat_id, e.c.type)
        .subquery()
    )
    rows = conn.execute(
        sa.select(e).join(
            last,
            sa.and_(e.c.chat_id == last.c.chat_id, e.c.order == last.c.mo, e.c.type == last.c.type),
        )
    ).all()
    out: dict[str, dict[str, Event]] = {cid: {} for cid in chat_ids}
    for r in rows:
        out[r.chat_id][r.type] = to_event(r)
    return out
