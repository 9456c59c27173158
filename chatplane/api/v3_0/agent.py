"""Agent Chat API v3.0 handlers."""

from __future__ import annotations

import time
from typing import Any

from chatplane.api.dispatch import Context, action
from chatplane.api.v3_0 import common
from chatplane.api.v3_0 import serialize as ser
from chatplane.api.v3_0 import structs as st
from chatplane.domain import chats, property_filters, views
from chatplane.domain.models import Principal
from chatplane.errors import authentication, authorization, validation
from chatplane.storage import accounts as accounts_repo
from chatplane.storage.archives import ArchiveFilters

AGENT = "agent"

action(AGENT, "start_chat", st.StartChat)(common.start_chat)
action(AGENT, "activate_chat", st.ActivateChat)(common.activate_chat)
action(AGENT, "send_event", st.SendEvent)(common.send_event)
action(AGENT, "close_thread", st.ChatOnly)(common.close_thread)
action(AGENT, "update_last_seen_timestamp", st.LastSeen)(common.update_last_seen_timestamp)
action(AGENT, "get_chat_threads", st.GetChatThreads)(common.get_chat_threads)


@action(AGENT, "login", st.AgentLogin, web=False, needs_login=False)
async def login(ctx: Context, p: st.AgentLogin) -> dict[str, Any]:
    services = ctx.services
    principal = await services.authenticate(p.token)
    if not principal.is_agent:
        raise authentication("This is not an agent's access token")
    if principal.is_bot:
        raise authorization("A bot agent cannot log in; it acts with its application's token")
    session = ctx.session
    assert session is not None
    if session.principal is not None:
        raise validation("This connection is logged in already")

    def load(tx: Any) -> tuple[Any, Any, list[int], list[views.ChatSummary], dict[str, int]]:
        agent = accounts_repo.get_agent(tx.conn, principal.license_id, principal.user_id)
        lic = accounts_repo.get_license(tx.conn, principal.license_id)
        groups = accounts_repo.agent_group_ids(tx.conn, principal.license_id, principal.user_id)
        summaries = views.agent_login_chats(tx, principal)
        return agent, lic, groups, summaries, views.thread_orders(tx, summaries)

    agent, lic, groups, summaries, orders = await services.read(load)
    if agent is None:
        raise authentication("The agent of this token no longer exists")
    session.principal = ctx.principal = principal
    session.agent_group_ids = tuple(groups)
    services.hub.register(session)
    v = common.view(ctx)
    return {
        "license": {
            "id": str(lic.id),
            "plan": lic.plan,
            "expiration_timestamp": int(lic.created_at + 10 * 365 * 86400),
            "creation_timestamp": int(lic.created_at),
            "in_trial": False,
        },
        "my_profile": {
            "id": agent.id,
            "type": "agent",
            "name": agent.name,
            "email": agent.email,
            "present": True,
            "avatar": agent.avatar,
            "routing_status": agent.routing_status,
            "permission": agent.role,
        },
        "chats_summary": [ser.agent_chat_summary(v, s, orders) for s in summaries],
    }


@action(AGENT, "logout", st.Empty, web=False)
async def logout(ctx: Context, _p: st.Empty) -> None:
    # The transport closes this connection after the response, and every other
    # connection of the agent hears `agent_disconnected` (agent_logged_out_remotely).
    ctx.extra["logout"] = True
    return None


@action(AGENT, "add_user_to_chat", st.ChatUserChange)
async def add_user_to_chat(ctx: Context, p: st.ChatUserChange) -> None:
    caller = ctx.caller
    await ctx.commit(
        lambda tx: chats.add_user_to_chat(tx, caller, p.chat_id, p.user_id, p.user_type)
    )
    return None


@action(AGENT, "remove_user_from_chat", st.ChatUserChange)
async def remove_user_from_chat(ctx: Context, p: st.ChatUserChange) -> None:
    caller = ctx.caller
    await ctx.commit(
        lambda tx: chats.remove_user_from_chat(tx, caller, p.chat_id, p.user_id, p.user_type)
    )
    return None


def _require_chats_read(caller: Principal) -> None:
    if not any(s.startswith(("chats--", "chats.conversation--")) for s in caller.scopes):
        raise authorization("This action needs one of the scopes chats--all:ro, chats--access:ro")


@action(AGENT, "get_archives", st.GetArchives)
async def get_archives(ctx: Context, p: st.GetArchives) -> dict[str, Any]:
    caller = ctx.caller
    _require_chats_read(caller)
    f = p.filters or st.ArchivesFilters()
    page = p.pagination or st.Pagination()
    filters = ArchiveFilters(
        query=f.query,
        date_from=f.date_from,
        date_to=f.date_to,
        agent_ids=f.agent_ids,
        group_ids=f.group_ids,
    )
    _check_dates(f.date_from, f.date_to)

    def run(tx: Any) -> Any:
        if f.properties:
            filters.extra.extend(property_filters.thread_clauses(tx, caller, f.properties))
        return views.archive(tx, caller, filters, page.page, page.limit)

    found, total = await ctx.services.read(run)
    v = common.view(ctx)
    return {
        "chats": [{"chat": ser.chat_with_thread(v, chat, thread)} for chat, thread in found],
        "pagination": {"page": page.page, "total": total},
    }


def _check_dates(date_from: str | None, date_to: str | None) -> None:
    for name, value in (("filters.date_from", date_from), ("filters.date_to", date_to)):
        if value is None:
            continue
        try:
            time.strptime(value, "%Y-%m-%d")
        except ValueError:
            raise validation(f"{name} {value!r} is not a date in YYYY-MM-DD format") from None
    if date_from and date_to and date_from > date_to:
        raise validation("filters.date_from is after filters.date_to")


@action(AGENT, "get_filtered_chats", st.GetFilteredChats)
async def get_filtered_chats(ctx: Context, p: st.GetFilteredChats) -> dict[str, Any]:
    caller = ctx.caller
    _require_chats_read(caller)
    f = p.filters or st.FilteredChatsFilters()

    def run(tx: Any) -> Any:
        extra: list[Any] = []
        if f.properties:
            extra = property_filters.chat_clauses(tx, caller, f.properties)
        summaries = views.filtered_chats(tx, caller, f.include_active, extra)
        return summaries, views.thread_orders(tx, summaries)

    summaries, orders = await ctx.services.read(run)
    v = common.view(ctx)
    return {"chats_summary": [ser.agent_chat_summary(v, s, orders) for s in summaries]}
