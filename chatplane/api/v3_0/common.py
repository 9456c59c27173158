"""Handlers both APIs share: the same rules, shaped for the caller's user type."""

from __future__ import annotations

from typing import Any

from chatplane.api.dispatch import Context
from chatplane.api.v3_0 import convert
from chatplane.api.v3_0 import serialize as ser
from chatplane.api.v3_0 import structs as st
from chatplane.api.viewers import agent_groups, reader_view, view
from chatplane.domain import chats, views


async def start_chat(ctx: Context, p: st.StartChat) -> dict[str, Any]:
    caller = ctx.caller
    req = convert.chat_request(p.chat)
    if req.users and caller.is_agent:
        ctx.require_wider()
    chat, thread = await ctx.commit(lambda tx: chats.start_chat(tx, caller, req))
    return {"chat": ser.chat_with_thread(view(ctx), chat, thread)}


async def activate_chat(ctx: Context, p: st.ActivateChat) -> dict[str, Any]:
    caller = ctx.caller
    req = convert.chat_request(p.chat, p.chat.id)
    if req.users and caller.is_agent:
        ctx.require_wider()
    chat, thread = await ctx.commit(lambda tx: chats.activate_chat(tx, caller, req))
    # activate_chat answers with `threads`: only the newly created one.
    return {"chat": ser.chat_with_threads(view(ctx), chat, [thread])}


async def send_event(ctx: Context, p: st.SendEvent) -> dict[str, Any]:
    caller = ctx.caller
    new = convert.new_event(p.event)
    thread_id, event = await ctx.commit(
        lambda tx: chats.send_event(
            tx,
            caller,
            p.chat_id,
            new,
            attach_to_last_thread=p.attach_to_last_thread,
            require_active_thread=p.require_active_thread,
        )
    )
    return {"thread_id": thread_id, "event": ser.event(view(ctx), event)}


async def close_thread(ctx: Context, p: st.ChatOnly) -> None:
    caller = ctx.caller
    await ctx.commit(lambda tx: chats.close_thread(tx, caller, p.chat_id))
    return None


async def update_last_seen_timestamp(ctx: Context, p: st.LastSeen) -> dict[str, Any]:
    caller = ctx.caller
    ts = await ctx.commit(
        lambda tx: chats.update_last_seen_timestamp(tx, caller, p.chat_id, p.timestamp)
    )
    return {"timestamp": ts}


async def get_chat_threads(ctx: Context, p: st.GetChatThreads | st.CustomerGetChatThreads) -> dict:
    caller = ctx.caller
    (chat, threads, summaries), groups = await ctx.services.read(
        lambda tx: (
            views.chat_threads(tx, caller, p.chat_id, p.thread_ids),
            agent_groups(tx, caller),
        )
    )
    v = reader_view(ctx, groups)
    out: dict[str, Any] = {"id": chat.id, "users": ser.users(v, chat)}
    out["threads"] = [ser.thread(v, t, restricted=v.restricted(chat)) for t in threads]
    if caller.is_agent:
        out["threads_summary"] = [{"thread_id": t.id, "order": t.order} for t in summaries]
    out["properties"] = ser.properties(v, "chat", chat.properties)
    out["access"] = dict(chat.access)
    return {"chat": out}
