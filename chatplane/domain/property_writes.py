"""update_*_properties and delete_*_properties: units of work on chats, threads, events.

Each request is all or nothing: every property is checked (configured, allowed at the
location, writable by the caller's user type, of the right type, inside domain or range)
before the object changes. The change carries what the request set or removed (named,
even where that changes nothing); pushes show it to each user type as far as it may read
it.

`index_changes` is the transaction hook that keeps the filter index of chat and thread
properties (storage/properties.py) in step with every change that sets them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chatplane.domain import changes, chats, properties
from chatplane.domain.models import Chat, Principal
from chatplane.errors import not_found, validation
from chatplane.storage import Tx
from chatplane.storage import chats as chats_repo
from chatplane.storage import properties as repo


@dataclass(frozen=True)
class Target:
    """The chat, thread or event whose properties a request changes."""

    chat_id: str
    thread_id: str | None = None
    event_id: str | None = None

    @property
    def location(self) -> str:
        if self.event_id is not None:
            return "event"
        return "thread" if self.thread_id is not None else "chat"


def update_properties(tx: Tx, caller: Principal, target: Target, values: Any) -> None:
    chat = chats.get_chat(tx, caller, target.chat_id, conv="rw")
    location = target.location
    checked = properties.validate_write(tx, chat.license_id, caller.user_type, location, values)
    if not checked:
        raise validation("properties must set at least one property")
    object_id, agents_only = _object(tx, caller, chat, target)
    stored = repo.current(tx.conn, location, object_id)
    repo.store(tx.conn, location, object_id, properties.merge(stored, checked))
    tx.emit(
        changes.PropertiesUpdated(
            chat.license_id,
            chat,
            location,
            target.thread_id,
            target.event_id,
            checked,
            for_agents_only=agents_only,
        )
    )


def delete_properties(
    tx: Tx, caller: Principal, target: Target, names: dict[str, list[str]]
) -> None:
    """Remove properties. Names that are configured but not set are no error (the
    result is the same), and are announced like the others, as an update that changes
    nothing is: a v3.0 client (LiveChat's customer SDK) takes the `*_deleted` push that
    carries its request_id as the answer, and would wait for it forever."""
    chat = chats.get_chat(tx, caller, target.chat_id, conv="rw")
    location = target.location
    configs = properties.load_configs(tx, chat.license_id)
    checked = properties.validate_delete(configs, caller.user_type, location, names)
    if not checked:
        raise validation("properties must name at least one property")
    object_id, agents_only = _object(tx, caller, chat, target)
    kept, removed = properties.without(repo.current(tx.conn, location, object_id), checked)
    if removed:
        repo.store(tx.conn, location, object_id, kept)
    tx.emit(
        changes.PropertiesDeleted(
            chat.license_id,
            chat,
            location,
            target.thread_id,
            target.event_id,
            checked,
            for_agents_only=agents_only,
        )
    )


def _object(tx: Tx, caller: Principal, chat: Chat, target: Target) -> tuple[str, bool]:
    """The id of the chat, thread or event, checked to belong to the chat; and whether it
    is an event for agents only."""
    if target.thread_id is None:
        return chat.id, False
    thread = chats_repo.load_thread(tx.conn, chat.id, target.thread_id)
    if thread is None:
        raise not_found("Thread", target.thread_id)
    if target.event_id is None:
        return thread.id, False
    event = chats_repo.load_event(tx.conn, chat.id, thread.id, target.event_id)
    # A customer does not see `recipients: agents` events, so for them it does not exist;
    # a deleted event takes no more writes from anyone.
    if event is None or event.deleted or (caller.is_customer and event.for_agents_only):
        raise not_found("Event", target.event_id)
    if event.type == "system_message":
        raise validation(f"Event {event.id!r} is a system message, which has no properties")
    return event.id, event.for_agents_only


# -- the filter index ------------------------------------------------------------------


def index_changes(tx: Tx) -> None:
    """Transaction hook: index the chat and thread properties the changes set or removed."""
    tokenized_by_license: dict[int, set[tuple[str, str]]] = {}
    for change in tx.events:
        if not isinstance(
            change, changes.ThreadStarted | changes.PropertiesUpdated | changes.PropertiesDeleted
        ):
            continue
        lic, chat_id = change.license_id, change.chat.id
        if lic not in tokenized_by_license:
            configs = properties.load_configs(tx, lic)
            tokenized_by_license[lic] = properties.tokenized_keys(configs)
        tokenized = tokenized_by_license[lic]
        if isinstance(change, changes.ThreadStarted):
            # The chat may have been created or re-activated with new properties.
            repo.sync(tx.conn, lic, chat_id, "", properties.flat(change.chat.properties), tokenized)
            repo.set_values(
                tx.conn,
                lic,
                chat_id,
                change.thread.id,
                properties.flat(change.thread.properties),
                tokenized,
            )
            continue
        if change.location == "event":
            continue  # event properties do not take part in filters
        thread_id = (change.thread_id or "") if change.location == "thread" else ""
        if isinstance(change, changes.PropertiesUpdated):
            repo.set_values(
                tx.conn, lic, chat_id, thread_id, properties.flat(change.properties), tokenized
            )
        else:
            keys = [(ns, name) for ns, names in change.properties.items() for name in names]
            repo.remove(tx.conn, chat_id, thread_id, keys)
