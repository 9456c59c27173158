"""update_*_properties and delete_*_properties, in both the Agent and the Customer Chat API.

Requests take flat values (`{"ns": {"name": 1}}`) and names (`{"ns": ["name"]}`);
the pushes they cause (`chat_properties_updated`, ...) show `{"ns": {"name": {"value": 1}}}`
as far as each receiver may read. An agent needs `chats.conversation--*:rw` (or
`chats--*:rw`) on the chat; a customer may change only their own chats.
"""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta, Struct

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_0.structs import ChatId, Properties
from chatplane.domain import property_writes
from chatplane.domain.access import CONVERSATION_WRITE
from chatplane.domain.property_writes import Target

actions = Actions()

BOTH_APIS = ("agent", "customer")
ObjectId = Annotated[str, Meta(min_length=1, max_length=64)]
Names = dict[str, list[str]]


class UpdateChatProperties(Struct, kw_only=True):
    chat_id: ChatId
    properties: Properties


class UpdateChatThreadProperties(Struct, kw_only=True):
    chat_id: ChatId
    thread_id: ObjectId
    properties: Properties


class UpdateEventProperties(Struct, kw_only=True):
    chat_id: ChatId
    thread_id: ObjectId
    event_id: ObjectId
    properties: Properties


class DeleteChatProperties(Struct, kw_only=True):
    chat_id: ChatId
    properties: Names


class DeleteChatThreadProperties(Struct, kw_only=True):
    chat_id: ChatId
    thread_id: ObjectId
    properties: Names


class DeleteEventProperties(Struct, kw_only=True):
    chat_id: ChatId
    thread_id: ObjectId
    event_id: ObjectId
    properties: Names


def _target(p: Any) -> Target:
    return Target(p.chat_id, getattr(p, "thread_id", None), getattr(p, "event_id", None))


async def _update(ctx: Context, p: Any) -> None:
    caller = ctx.caller
    target = _target(p)
    await ctx.commit(lambda tx: property_writes.update_properties(tx, caller, target, p.properties))


async def _delete(ctx: Context, p: Any) -> None:
    caller = ctx.caller
    target = _target(p)
    await ctx.commit(lambda tx: property_writes.delete_properties(tx, caller, target, p.properties))


actions(BOTH_APIS, "update_chat_properties", UpdateChatProperties, scopes=CONVERSATION_WRITE)(
    _update
)
actions(
    BOTH_APIS,
    "update_chat_thread_properties",
    UpdateChatThreadProperties,
    scopes=CONVERSATION_WRITE,
)(_update)
actions(BOTH_APIS, "update_event_properties", UpdateEventProperties, scopes=CONVERSATION_WRITE)(
    _update
)
actions(BOTH_APIS, "delete_chat_properties", DeleteChatProperties, scopes=CONVERSATION_WRITE)(
    _delete
)
actions(
    BOTH_APIS,
    "delete_chat_thread_properties",
    DeleteChatThreadProperties,
    scopes=CONVERSATION_WRITE,
)(_delete)
actions(BOTH_APIS, "delete_event_properties", DeleteEventProperties, scopes=CONVERSATION_WRITE)(
    _delete
)
