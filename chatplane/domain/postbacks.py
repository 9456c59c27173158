"""Rich message postbacks: a user toggles a button of a rich message.

Every button with the postback's id (in any element) gets the user added to or removed
from its `user_ids`; the event is stored changed (`event_updated`) and the postback itself
is announced while the thread is active.
"""

from __future__ import annotations

import copy
from typing import Any

from chatplane.domain import changes, chats
from chatplane.domain.models import Principal
from chatplane.errors import not_found, validation
from chatplane.storage import Tx
from chatplane.storage import chats as repo


def send_postback(
    tx: Tx,
    caller: Principal,
    chat_id: str,
    thread_id: str,
    event_id: str,
    postback_id: str,
    toggled: bool,
    details: dict[str, Any] | None = None,
) -> None:
    """`details`: what a v3.6 postback says of the button besides its id (button_type,
    button_value, ecommerce), passed on in the push."""
    chat = chats.get_chat(tx, caller, chat_id, conv="rw")
    thread = repo.load_thread(tx.conn, chat.id, thread_id)
    if thread is None:
        raise not_found("Thread", thread_id)
    event = repo.load_event(tx.conn, chat.id, thread.id, event_id)
    if event is None or event.deleted or (caller.is_customer and event.recipients != "all"):
        raise not_found("Event", event_id)
    if event.type != "rich_message":
        raise validation(f"Event {event_id!r} is a {event.type}, not a rich_message")
    body = copy.deepcopy(event.body)
    matched = 0
    for element in body.get("elements") or []:
        for button in element.get("buttons") or []:
            if button.get("postback_id") != postback_id:
                continue
            matched += 1
            users = [u for u in button.get("user_ids", []) if u != caller.user_id]
            if toggled:
                users.append(caller.user_id)
            button["user_ids"] = users
    if not matched:
        raise validation(f"Event {event_id!r} has no button with postback_id {postback_id!r}")
    repo.update_event(tx.conn, event.id, body=body)
    event.body = body
    tx.emit(changes.EventUpdated(chat.license_id, chat, thread.id, event))
    tx.emit(
        changes.RichMessagePostback(
            chat.license_id,
            chat,
            thread.id,
            event.id,
            caller.user_id,
            postback_id,
            toggled,
            thread.active,
            dict(details or {}),
        )
    )
