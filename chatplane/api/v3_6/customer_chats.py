"""Customer Chat API v3.6, chats: list_chats, list_threads, get_chat, start_chat,
resume_chat, deactivate_chat.

A customer reads and changes only its own chats (the domain's rule); the answers are the
customer reference's shapes (api/v3_6/customer_shapes.py), the paging v3.x's signed page
ids (api/v3_6/common.py). v3.5 serves the same.
"""

from __future__ import annotations

from typing import Any

from chatplane.api.customer_sessions import login_group
from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_6 import customer_structs as cst
from chatplane.api.v3_6 import structs as st
from chatplane.api.v3_6.agent_chats import _opened, _started
from chatplane.api.v3_6.common import open_page, page_ids
from chatplane.api.v3_6.convert import chat_request
from chatplane.api.v3_6.customer_shapes import CUSTOMER_SHAPES as SHAPES
from chatplane.api.viewers import view
from chatplane.domain import chats, views
from chatplane.errors import validation
from chatplane.storage import Tx

actions = Actions()

CUSTOMER = "customer"


@actions(CUSTOMER, "list_chats", cst.ListChats)
async def list_chats(ctx: Context, p: cst.ListChats) -> dict[str, Any]:
    caller = ctx.caller
    first = {"sort_order": p.sort_order or "desc", "limit": p.limit or 10}
    given = {"limit": p.limit, "sort_order": p.sort_order}
    page = await open_page(ctx, "list_chats", p.page_id, first, given)

    def run(tx: Tx) -> Any:
        found = views.customer_list_chats(
            tx,
            caller,
            ascending=page.query["sort_order"] == "asc",
            offset=page.offset,
            limit=page.limit,
        )
        return found, views.thread_created(tx, found.summaries)

    found, created = await ctx.services.read(run)
    v = view(ctx)
    out: dict[str, Any] = {
        "chats_summary": [SHAPES.chat_summary(v, s, created) for s in found.summaries],
        "total_chats": found.total,
    }
    out.update(await page_ids(ctx, "list_chats", page, found.total, len(found.summaries)))
    return out


@actions(CUSTOMER, "list_threads", cst.ListThreads)
async def list_threads(ctx: Context, p: cst.ListThreads) -> dict[str, Any]:
    caller = ctx.caller
    if p.min_events_count is not None and p.limit is not None:
        raise validation("min_events_count cannot be sent with limit")
    first = {
        "chat_id": p.chat_id,
        "sort_order": p.sort_order or "desc",
        "limit": p.limit or 3,
        "min_events_count": p.min_events_count,
    }
    given = {
        "limit": p.limit,
        "sort_order": p.sort_order,
        "min_events_count": p.min_events_count,
    }
    page = await open_page(ctx, "list_threads", p.page_id, first, given)
    q = page.query
    if q["chat_id"] != p.chat_id:
        raise validation("page_id belongs to another chat_id")
    found = await ctx.services.read(
        lambda tx: views.list_threads(
            tx,
            caller,
            p.chat_id,
            ascending=q["sort_order"] == "asc",
            created_from=None,
            created_to=None,
            offset=page.offset,
            limit=q["limit"],
            min_events=q["min_events_count"],
        )
    )
    v = view(ctx)
    out: dict[str, Any] = {
        "threads": [SHAPES.thread(v, t, thread_ids=found.thread_ids) for t in found.threads],
        "found_threads": found.total,
    }
    out.update(await page_ids(ctx, "list_threads", page, found.total, len(found.threads)))
    return out


@actions(CUSTOMER, "get_chat", cst.GetChat)
async def get_chat(ctx: Context, p: cst.GetChat) -> dict[str, Any]:
    caller = ctx.caller
    wanted = [p.thread_id] if p.thread_id is not None else None
    chat, threads, summaries = await ctx.services.read(
        lambda tx: views.chat_threads(tx, caller, p.chat_id, wanted)
    )
    thread_ids = [t.id for t in summaries]
    return SHAPES.chat(view(ctx), chat, threads[0] if threads else None, thread_ids=thread_ids)


def _no_users(chat: st.StartChatChat | None) -> None:
    if chat is not None and chat.users is not None:
        raise validation("chat.users: a customer's chat has the customer as its user")


@actions(CUSTOMER, "start_chat", st.StartChat)
async def start_chat(ctx: Context, p: st.StartChat) -> dict[str, Any]:
    caller = ctx.caller
    _no_users(p.chat)
    req = await chat_request(ctx, p.chat)
    group = login_group(ctx)
    if req.access is None and group is not None:
        # The group the customer's connection logged in to is the chat's group.
        req.access = {"group_ids": [group]}
    chat, thread = await ctx.commit(
        lambda tx: _opened(tx, caller, chats.start_chat(tx, caller, req), p.active)
    )
    return {"chat_id": chat.id, "thread_id": thread.id, **_started(chat, thread)}


@actions(CUSTOMER, "resume_chat", st.ResumeChat)
async def resume_chat(ctx: Context, p: st.ResumeChat) -> dict[str, Any]:
    caller = ctx.caller
    _no_users(p.chat)
    req = await chat_request(ctx, p.chat, p.chat.id)
    chat, thread = await ctx.commit(
        lambda tx: _opened(tx, caller, chats.activate_chat(tx, caller, req), p.active)
    )
    return {"thread_id": thread.id, **_started(chat, thread)}


@actions(CUSTOMER, "deactivate_chat", cst.DeactivateChat)
async def deactivate_chat(ctx: Context, p: cst.DeactivateChat) -> None:
    caller = ctx.caller
    await ctx.commit(lambda tx: chats.close_thread(tx, caller, p.id))
