"""Typing indicators and sneak peeks: pushed to whoever is connected, never stored."""

from __future__ import annotations

import time
from typing import Annotated, Literal

from msgspec import Meta, Struct

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.domain import changes, chats
from chatplane.domain.access import CONVERSATION_WRITE
from chatplane.domain.chats import MAX_TEXT_BYTES
from chatplane.errors import validation

actions = Actions()


class SendTypingIndicator(Struct, kw_only=True):
    chat_id: Annotated[str, Meta(min_length=1, max_length=64)]
    is_typing: bool
    recipients: Literal["all", "agents"] = "all"


class SendSneakPeek(Struct, kw_only=True):
    chat_id: Annotated[str, Meta(min_length=1, max_length=64)]
    sneak_peek_text: str


@actions("agent", "send_typing_indicator", SendTypingIndicator, scopes=CONVERSATION_WRITE)
async def send_typing_indicator(ctx: Context, p: SendTypingIndicator) -> None:
    caller = ctx.caller
    indicator = await ctx.services.read(
        lambda tx: chats.typing_indicator(tx, caller, p.chat_id, p.recipients, p.is_typing)
    )
    await ctx.publish([indicator])


@actions("customer", "send_sneak_peek", SendSneakPeek)
async def send_sneak_peek(ctx: Context, p: SendSneakPeek) -> None:
    caller = ctx.caller
    if len(p.sneak_peek_text.encode()) > MAX_TEXT_BYTES:
        raise validation(f"sneak_peek_text is over the {MAX_TEXT_BYTES}-byte limit")
    chat = await ctx.services.read(
        lambda tx: chats.get_chat(tx, caller, p.chat_id, conv="rw", lock=False)
    )
    if not chat.active_thread_id:
        # Nobody reads a sneak peek of a chat that is not going on.
        return None
    await ctx.publish(
        [
            changes.SneakPeekSent(
                chat.license_id,
                chat,
                chat.active_thread_id,
                caller.user_id,
                p.sneak_peek_text,
                int(time.time()),
            )
        ]
    )
