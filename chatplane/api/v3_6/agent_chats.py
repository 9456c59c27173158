"""Agent Chat API v3.6, changing chats and their users: start_chat, resume_chat,
deactivate_chat, transfer_chat, add_user_to_chat, remove_user_from_chat,
list_agents_for_transfer, follow_chat, unfollow_chat, tag_thread, untag_thread.

Each answers with ids, or nothing. What v3.x asks of the requester (to be a user of the
chat unless `ignore_requester_presence`; an active chat) is checked in the same unit of
work as the change.
"""

from __future__ import annotations

import time
from typing import Any

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_6 import structs as st
from chatplane.api.v3_6.convert import chat_request
from chatplane.domain import chats, following, tags, transfer
from chatplane.domain.access import CHATS_READ_WIDE, CHATS_WRITE, CONVERSATION_WRITE, Wider
from chatplane.domain.models import Chat, Principal, Thread
from chatplane.errors import validation
from chatplane.storage import Tx

actions = Actions()

AGENT = "agent"
# v3.4 moved starting and writing to `chats--all:rw` / `chats--access:rw`; the
# conversation scopes that granted them before (a normal agent's) still do.
CONVERSATION = ("chats--all:rw", "chats--access:rw", *CONVERSATION_WRITE)
# A chat's users (its customer) are its meta data: setting them takes `chats-*:rw`.
SETTING_USERS = Wider("setting chat.users", CHATS_WRITE)


def _opened(
    tx: Tx, caller: Principal, opened: tuple[Chat, Thread], active: bool
) -> tuple[Chat, Thread]:
    """After a thread opened: closed at once unless `active`, and seen by its opener."""
    chat, _thread = opened
    if not active:
        chats.close_thread(tx, caller, chat.id, by_router=True)
    chats.mark_seen_now(tx, caller, chat, time.time())
    return opened


def _started(chat: Chat, thread: Thread) -> dict[str, Any]:
    """`event_ids` of the events the requester sent (not the server's own)."""
    ids = [e.id for e in thread.events or [] if e.type != "system_message"]
    return {"event_ids": ids} if ids else {}


@actions(AGENT, "start_chat", st.StartChat, scopes=CONVERSATION, wider=SETTING_USERS)
async def start_chat(ctx: Context, p: st.StartChat) -> dict[str, Any]:
    caller = ctx.caller
    if p.chat is not None and p.chat.users:
        ctx.require_wider()
    req = await chat_request(ctx, p.chat)

    chat, thread = await ctx.commit(
        lambda tx: _opened(tx, caller, chats.start_chat(tx, caller, req), p.active)
    )
    return {"chat_id": chat.id, "thread_id": thread.id, **_started(chat, thread)}


@actions(AGENT, "resume_chat", st.ResumeChat, scopes=CONVERSATION, wider=SETTING_USERS)
async def resume_chat(ctx: Context, p: st.ResumeChat) -> dict[str, Any]:
    caller = ctx.caller
    if p.chat.users:
        ctx.require_wider()
    req = await chat_request(ctx, p.chat, p.chat.id)

    chat, thread = await ctx.commit(
        lambda tx: _opened(tx, caller, chats.activate_chat(tx, caller, req), p.active)
    )
    return {"thread_id": thread.id, **_started(chat, thread)}


@actions(AGENT, "deactivate_chat", st.DeactivateChat, scopes=CHATS_WRITE)
async def deactivate_chat(ctx: Context, p: st.DeactivateChat) -> None:
    caller = ctx.caller

    def run(tx: Tx) -> None:
        chats.check_requester(tx, caller, p.id, present=not p.ignore_requester_presence)
        chats.close_thread(tx, caller, p.id)

    await ctx.commit(run)


@actions(AGENT, "transfer_chat", st.TransferChat, scopes=CHATS_WRITE)
async def transfer_chat(ctx: Context, p: st.TransferChat) -> None:
    caller = ctx.caller
    target_type = p.target.type if p.target else None
    ids = list(p.target.ids) if p.target else None

    def run(tx: Tx) -> None:
        chats.check_requester(
            tx, caller, p.id, present=not p.ignore_requester_presence, active=True
        )
        transfer.transfer_chat(tx, caller, p.id, target_type, ids, p.ignore_agents_availability)

    await ctx.commit(run)


@actions(AGENT, "add_user_to_chat", st.AddUserToChat, scopes=CHATS_WRITE)
async def add_user_to_chat(ctx: Context, p: st.AddUserToChat) -> None:
    caller = ctx.caller
    if p.visibility != "all":
        raise validation(
            "visibility 'agents' is not supported: Chatplane shows every user of a chat to "
            "its customer; add the user with visibility 'all'"
        )

    def run(tx: Tx) -> None:
        chats.check_requester(
            tx, caller, p.chat_id, present=not p.ignore_requester_presence, active=True
        )
        chats.add_user_to_chat(tx, caller, p.chat_id, p.user_id, p.user_type)

    await ctx.commit(run)


@actions(AGENT, "remove_user_from_chat", st.RemoveUserFromChat, scopes=CHATS_WRITE)
async def remove_user_from_chat(ctx: Context, p: st.RemoveUserFromChat) -> None:
    caller = ctx.caller

    def run(tx: Tx) -> None:
        chats.check_requester(tx, caller, p.chat_id, present=not p.ignore_requester_presence)
        chats.remove_user_from_chat(tx, caller, p.chat_id, p.user_id, p.user_type)

    await ctx.commit(run)


@actions(AGENT, "list_agents_for_transfer", st.ChatIdOnly)
async def list_agents_for_transfer(ctx: Context, p: st.ChatIdOnly) -> list[dict[str, Any]]:
    caller = ctx.caller
    found = await ctx.services.read(lambda tx: transfer.agents_for_transfer(tx, caller, p.chat_id))
    return [{"agent_id": agent_id, "total_active_chats": n} for agent_id, n in found]


@actions(AGENT, "follow_chat", st.ChatById, scopes=CHATS_READ_WIDE)
async def follow_chat(ctx: Context, p: st.ChatById) -> None:
    caller = ctx.caller
    await ctx.commit(lambda tx: following.follow_chat(tx, caller, p.id))


@actions(AGENT, "unfollow_chat", st.ChatById)
async def unfollow_chat(ctx: Context, p: st.ChatById) -> None:
    caller = ctx.caller
    await ctx.commit(lambda tx: following.unfollow_chat(tx, caller, p.id))


@actions(AGENT, "tag_thread", st.TagThread, scopes=CHATS_WRITE)
async def tag_thread(ctx: Context, p: st.TagThread) -> None:
    caller = ctx.caller
    await ctx.commit(lambda tx: tags.tag_thread(tx, caller, p.chat_id, p.thread_id, p.tag))


@actions(AGENT, "untag_thread", st.TagThread, scopes=CHATS_WRITE)
async def untag_thread(ctx: Context, p: st.TagThread) -> None:
    caller = ctx.caller
    await ctx.commit(lambda tx: tags.untag_thread(tx, caller, p.chat_id, p.thread_id, p.tag))
