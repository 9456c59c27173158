"""Signals an agent sends to a chat that are never stored (v3.6): the thinking indicator
and the event preview.

Each function checks the rules in a read (no write, no lock) and returns the change; the
handler publishes it (`ctx.publish`), as typing indicators are (api/v3_0/indicators.py).
Both need the caller to be a user of the chat and the chat to be going on: nobody waits
for the answer of an agent in a chat that is not.
"""

from __future__ import annotations

import time

from chatplane.domain import changes
from chatplane.domain.chats import MAX_TEXT_BYTES, NewEvent, get_chat
from chatplane.domain.models import Chat, Event, Principal
from chatplane.errors import ApiError, authorization, validation
from chatplane.storage import Tx

MAX_TITLE_LENGTH = 255
MAX_CUSTOM_ID_LENGTH = 255  # events.custom_id


def _chat_to_signal(tx: Tx, caller: Principal, chat_id: str, what: str) -> tuple[Chat, str]:
    """The chat (write access: `chats--all:rw` or `chats--access:rw`, or `chats--my:rw`
    in one's own chat) and its active thread; the caller must be one of its users."""
    if not caller.is_agent:
        raise authorization(f"Only agents send {what}")
    chat = get_chat(tx, caller, chat_id, meta="rw", lock=False)
    if not chat.is_present(caller.user_id):
        raise validation(
            f"You are not a user of chat {chat.id!r}: join it (add_user_to_chat) before "
            f"sending {what}"
        )
    if not chat.active_thread_id:
        raise ApiError("chat_inactive", f"Chat {chat.id!r} is not active")
    return chat, chat.active_thread_id


def _check_custom_id(custom_id: str | None) -> None:
    if custom_id is not None and len(custom_id) > MAX_CUSTOM_ID_LENGTH:
        raise validation(f"custom_id is over {MAX_CUSTOM_ID_LENGTH} characters")


def send_thinking_indicator(
    tx: Tx,
    caller: Principal,
    chat_id: str,
    *,
    title: str | None = None,
    description: str | None = None,
    visibility: str = "all",
    custom_id: str | None = None,
) -> changes.ThinkingIndicatorSent:
    if visibility not in ("all", "agents"):
        raise validation("visibility must be 'all' or 'agents'")
    if title is not None and len(title) > MAX_TITLE_LENGTH:
        raise validation(f"title is {len(title)} characters; the limit is {MAX_TITLE_LENGTH}")
    if description is not None and len(description.encode("utf-8")) > MAX_TEXT_BYTES:
        raise validation(f"description is over the {MAX_TEXT_BYTES}-byte limit")
    _check_custom_id(custom_id)
    chat, thread_id = _chat_to_signal(tx, caller, chat_id, "a thinking indicator")
    return changes.ThinkingIndicatorSent(
        chat.license_id,
        chat,
        thread_id,
        caller.user_id,
        title,
        description,
        visibility=visibility,
        custom_id=custom_id,
        sent_at=time.time(),
    )


def send_event_preview(
    tx: Tx, caller: Principal, chat_id: str, new: NewEvent
) -> changes.EventPreviewSent:
    """A message to show the chat's customer before the real one. Only a `message`, to
    everyone (`visibility: all`), with text; it has no id, order or properties, since it
    is not stored."""
    if new.type != "message":
        raise validation(f"An event preview must be a message, not {new.type!r}")
    if new.recipients != "all":
        raise validation("An event preview is for everyone: visibility must be 'all'")
    if not new.text:
        raise validation("An event preview needs its text")
    if len(new.text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise validation(f"event.text is over the {MAX_TEXT_BYTES}-byte limit")
    if new.properties:
        raise validation("An event preview is not stored, so it cannot carry properties")
    _check_custom_id(new.custom_id)
    chat, thread_id = _chat_to_signal(tx, caller, chat_id, "an event preview")
    event = Event(
        id="",
        chat_id=chat.id,
        thread_id=thread_id,
        order=0,
        type="message",
        author_id=caller.user_id,
        recipients="all",
        custom_id=new.custom_id,
        text=new.text,
        body=dict(new.body),
        properties={},
        created_at=time.time(),
    )
    return changes.EventPreviewSent(chat.license_id, chat, thread_id, event)
