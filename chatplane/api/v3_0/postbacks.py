"""send_rich_message_postback, in both APIs."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.domain import postbacks

actions = Actions()

Id = Annotated[str, Meta(min_length=1, max_length=255)]


class Postback(Struct, kw_only=True):
    id: Id
    toggled: bool


class SendRichMessagePostback(Struct, kw_only=True):
    chat_id: Id
    thread_id: Id
    event_id: Id
    postback: Postback


@actions(
    ("agent", "customer"),
    "send_rich_message_postback",
    SendRichMessagePostback,
    scopes=("chats.conversation--all:rw", "chats.conversation--my:rw"),
)
async def send_rich_message_postback(ctx: Context, p: SendRichMessagePostback) -> None:
    caller = ctx.caller
    await ctx.commit(
        lambda tx: postbacks.send_postback(
            tx, caller, p.chat_id, p.thread_id, p.event_id, p.postback.id, p.postback.toggled
        )
    )
    return None
