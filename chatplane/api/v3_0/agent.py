"""Agent Chat API v3.0 handlers."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from chatplane.api.agent_sessions import login_agent
from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_0 import common
from chatplane.api.v3_0 import serialize as ser
from chatplane.api.v3_0 import structs as st
from chatplane.domain import agent_status, chats, property_filters, views
from chatplane.domain.access import (
    CHATS_READ,
    CHATS_READ_WIDE,
    CHATS_WRITE,
    CONVERSATION_WRITE,
    Wider,
)
from chatplane.domain.models import Principal
from chatplane.errors import validation
from chatplane.storage import accounts as accounts_repo
from chatplane.storage.archives import ArchiveFilters

actions = Actions()

AGENT = "agent"


# A chat's users (its customer) are the chat's meta data: setting them takes `chats-*:rw`.
SETTING_USERS = Wider("setting chat.users", CHATS_WRITE)
actions(AGENT, "start_chat", st.StartChat, scopes=CONVERSATION_WRITE, wider=SETTING_USERS)(
    common.start_chat
)
actions(
    AGENT,
    "activate_chat",
    st.ActivateChat,
    scopes=CONVERSATION_WRITE + CHATS_WRITE,
    wider=SETTING_USERS,
)(common.activate_chat)
actions(AGENT, "send_event", st.SendEvent, scopes=CONVERSATION_WRITE)(common.send_event)
actions(AGENT, "close_thread", st.ChatOnly, scopes=CHATS_WRITE)(common.close_thread)
actions(AGENT, "update_last_seen_timestamp", st.LastSeen, scopes=CHATS_READ_WIDE)(
    common.update_last_seen_timestamp
)
actions(AGENT, "get_chat_threads", st.GetChatThreads, scopes=CHATS_READ_WIDE)(
    common.get_chat_threads
)


@actions(AGENT, "login", st.AgentLogin, web=False, needs_login=False)
async def login(ctx: Context, p: st.AgentLogin) -> dict[str, Any]:
    services = ctx.services

    async def keep_push_device(principal: Principal) -> None:
        device = p.push_notifications
        if device is None or not device.firebase_token:
            return
        token = device.firebase_token
        await services.commit(
            lambda tx: accounts_repo.set_push_device(
                tx.conn, principal.license_id, principal.user_id, token, device.platform, True
            )
        )

    done = await login_agent(
        ctx,
        p.token,
        reconnect=p.reconnect,
        extra=views.thread_orders,
        before_register=keep_push_device,
    )
    agent, lic = done.agent, done.license
    v = common.reader_view(ctx, done.group_ids)
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
            "routing_status": done.routing_status,
            "permission": agent.role,
        },
        "chats_summary": [ser.agent_chat_summary(v, s, done.extra) for s in done.summaries],
    }


@actions(AGENT, "logout", st.Empty, web=False)
async def logout(ctx: Context, _p: st.Empty) -> None:
    # The transport closes this connection after the response, and every other
    # connection of the agent hears `agent_disconnected` (agent_logged_out_remotely).
    ctx.extra["logout"] = True
    caller = ctx.caller
    # Logging out is deliberate: offline at once, no grace period.
    await ctx.commit(
        lambda tx: agent_status.set_status(
            tx, caller.license_id, caller.user_id, agent_status.OFFLINE, chosen=False
        )
    )
    return None


@actions(AGENT, "add_user_to_chat", st.ChatUserChange, scopes=CHATS_WRITE)
async def add_user_to_chat(ctx: Context, p: st.ChatUserChange) -> None:
    caller = ctx.caller
    await ctx.commit(
        lambda tx: chats.add_user_to_chat(tx, caller, p.chat_id, p.user_id, p.user_type)
    )
    return None


@actions(AGENT, "remove_user_from_chat", st.ChatUserChange, scopes=CHATS_WRITE)
async def remove_user_from_chat(ctx: Context, p: st.ChatUserChange) -> None:
    caller = ctx.caller
    await ctx.commit(
        lambda tx: chats.remove_user_from_chat(tx, caller, p.chat_id, p.user_id, p.user_type)
    )
    return None


@actions(AGENT, "get_archives", st.GetArchives, scopes=CHATS_READ)
async def get_archives(ctx: Context, p: st.GetArchives) -> dict[str, Any]:
    caller = ctx.caller
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
        return views.archive(tx, caller, filters, page.page, page.limit), common.agent_groups(
            tx, caller
        )

    (found, total), groups = await ctx.services.read(run)
    v = common.reader_view(ctx, groups)
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


@actions(AGENT, "get_filtered_chats", st.GetFilteredChats, scopes=CHATS_READ_WIDE)
async def get_filtered_chats(ctx: Context, p: st.GetFilteredChats) -> dict[str, Any]:
    caller = ctx.caller
    f = p.filters or st.FilteredChatsFilters()

    def run(tx: Any) -> Any:
        extra: list[Any] = []
        if f.properties:
            extra = property_filters.chat_clauses(tx, caller, f.properties)
        summaries = views.filtered_chats(tx, caller, f.include_active, extra)
        return summaries, views.thread_orders(tx, summaries), common.agent_groups(tx, caller)

    summaries, orders, groups = await ctx.services.read(run)
    v = common.reader_view(ctx, groups)
    return {"chats_summary": [ser.agent_chat_summary(v, s, orders) for s in summaries]}


class ChangePushNotifications(Struct, kw_only=True):
    firebase_token: Annotated[str, Meta(min_length=1, max_length=512)]
    platform: Literal["ios", "android"]
    enabled: bool


@actions(AGENT, "change_push_notifications", ChangePushNotifications, web=False)
async def change_push_notifications(ctx: Context, p: ChangePushNotifications) -> None:
    # Stored for a push service to read; no external service is called from here.
    caller = ctx.caller
    await ctx.commit(
        lambda tx: accounts_repo.set_push_device(
            tx.conn, caller.license_id, caller.user_id, p.firebase_token, p.platform, p.enabled
        )
    )
    return None
