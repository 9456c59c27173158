"""v3.6 requests into domain requests: events and the `chat` of start_chat/resume_chat."""

from __future__ import annotations

from typing import Any

import msgspec

from chatplane.api.dispatch import Context
from chatplane.api.uploads import uploaded_file
from chatplane.api.v3_6 import structs as st
from chatplane.domain.chats import ChatRequest, NewEvent, NewThread
from chatplane.errors import validation

# What every event has; the rest of an event is its type's own fields (its body).
_COMMON = {"type", "custom_id", "visibility", "properties", "text"}


async def new_event(ctx: Context, e: st.EventIn, *, initial: bool = False) -> NewEvent:
    """The event a request sends. A `file` event names a file upload_file kept; the
    server fills in its name, type, size (and an image's dimensions)."""
    data: dict[str, Any] = msgspec.to_builtins(e)
    body = {k: v for k, v in data.items() if k not in _COMMON}
    kind = str(data["type"])
    if isinstance(e, st.FileIn):
        if initial:
            raise validation(
                "chat.thread.events cannot hold a file: send it with send_event once the "
                "chat has started"
            )
        body = await uploaded_file(ctx, e.url)
        if e.alternative_text is not None:
            body["alternative_text"] = e.alternative_text
    elif isinstance(e, st.CustomIn):
        body["content"] = e.content
    elif isinstance(e, st.RichMessageIn):
        # Every button lists who toggled it (none yet), as the response shows.
        for element in body.get("elements", []):
            for button in element.get("buttons", []):
                button.setdefault("user_ids", [])
    return NewEvent(
        type=kind,
        text=getattr(e, "text", None),
        recipients=e.visibility,
        custom_id=e.custom_id,
        body=body,
        properties=e.properties,
    )


async def chat_request(
    ctx: Context, chat: st.StartChatChat | None, chat_id: str | None = None
) -> ChatRequest:
    if chat is None:
        return ChatRequest(id=chat_id)
    thread = None
    if chat.thread is not None:
        events = [await new_event(ctx, e, initial=True) for e in chat.thread.events]
        thread = NewThread(events=events, properties=chat.thread.properties)
    given: dict[str, Any] = msgspec.to_builtins(chat)  # what the request set, nothing more
    users = [(u["id"], u["type"]) for u in given.get("users", [])]
    return ChatRequest(
        id=chat_id,
        access=given.get("access"),
        properties=given.get("properties"),
        users=users or None,
        thread=thread,
    )
