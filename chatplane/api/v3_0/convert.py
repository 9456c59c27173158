"""Request structs into domain requests."""

from __future__ import annotations

from typing import Any

import msgspec

from chatplane.api.v3_0 import structs as st
from chatplane.domain.chats import ChatRequest, NewEvent, NewThread

_COMMON = {"type", "custom_id", "recipients", "properties", "text"}


def new_event(e: st.EventIn) -> NewEvent:
    data = msgspec.to_builtins(e)
    body = {k: v for k, v in data.items() if k not in _COMMON and v is not None}
    if isinstance(e, st.CustomIn):
        body["content"] = e.content
    return NewEvent(
        type=data["type"],
        text=getattr(e, "text", None),
        recipients=e.recipients,
        custom_id=e.custom_id,
        body=body,
        properties=e.properties,
    )


def chat_request(chat: st.StartChatChat | None, chat_id: str | None = None) -> ChatRequest:
    if chat is None:
        return ChatRequest(id=chat_id)
    thread = None
    if chat.thread is not None:
        thread = NewThread(
            events=[new_event(e) for e in chat.thread.events], properties=chat.thread.properties
        )
    access: dict[str, Any] | None = None
    if chat.access is not None:
        access = {"group_ids": list(chat.access.group_ids)}
    return ChatRequest(
        id=chat_id,
        access=access,
        properties=chat.properties,
        users=[(u.id, u.type) for u in chat.users] if chat.users else None,
        thread=thread,
    )
