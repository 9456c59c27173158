"""Chats, threads and events: the rules of `core-info.md`.

Every function here is a unit of work (or part of one) that runs inside a transaction.
Rules that hold:
- one active thread per chat; events go to it; with none, an event starts a new thread,
  except an annotation, which goes to the last thread and never starts one;
- `order` strictly increases within a chat (threads and events share the counter);
- a chat has at most one customer, and a customer sees only their own chats;
- an event with `recipients: agents` never reaches a customer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from chatplane.domain import auto_access, changes, properties
from chatplane.domain.access import agent_has_group_access, chat_rights
from chatplane.domain.ids import new_chat_id, new_event_id, new_thread_id
from chatplane.domain.models import AGENT, CUSTOMER, Chat, Event, Principal, Thread
from chatplane.errors import (
    ApiError,
    authorization,
    chat_inactive,
    missing_access,
    not_found,
    validation,
)
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo
from chatplane.storage import chats as repo

MAX_TEXT_BYTES = 16 * 1024
# `form` is a v3.x type (v3.0's structs have no such event).
CLIENT_EVENT_TYPES = ("message", "annotation", "filled_form", "form", "custom", "rich_message")


@dataclass
class NewEvent:
    """An event as a client asked for it, before the server gives it id and order."""

    type: str
    text: str | None = None
    recipients: str = "all"
    custom_id: str | None = None
    body: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, dict[str, Any]] | None = None


@dataclass
class NewThread:
    events: list[NewEvent] = field(default_factory=list)
    properties: dict[str, dict[str, Any]] | None = None


@dataclass
class ChatRequest:
    """`chat` of start_chat and activate_chat."""

    id: str | None = None
    access: dict[str, Any] | None = None
    properties: dict[str, dict[str, Any]] | None = None
    users: list[tuple[str, str]] | None = None  # (id, type)
    thread: NewThread | None = None


# -- access ----------------------------------------------------------------------------


def rights(tx: Tx, caller: Principal, chat: Chat) -> tuple[str, str]:
    """(meta, conversation) rights of the caller on a chat: '', 'ro' or 'rw'."""
    if caller.is_customer:
        own = chat.customer_id == caller.user_id
        return ("rw", "rw") if own else ("", "")
    present = chat.is_present(caller.user_id)
    has_access = False
    if not present:
        groups = accounts_repo.agent_group_ids(tx.conn, caller.license_id, caller.user_id)
        has_access = agent_has_group_access(chat.group_ids, groups)
    return chat_rights(caller.scopes, present, has_access)


def get_chat(
    tx: Tx,
    caller: Principal,
    chat_id: str,
    *,
    meta: str = "",
    conv: str = "",
    lock: bool | None = None,
) -> Chat:
    """Load a chat the caller may use as asked (`meta`/`conv`: '', 'ro' or 'rw').
    Writes lock the chat's row unless `lock=False` (checks made outside a write)."""
    writing = "rw" in (meta, conv) if lock is None else lock
    chat = repo.load_chat(tx.conn, caller.license_id, chat_id, for_update=writing)
    if chat is None:
        raise not_found("Chat", chat_id)
    if caller.is_customer and chat.customer_id != caller.user_id:
        raise authorization(f"Chat {chat_id!r} is not one of your chats")
    have_meta, have_conv = rights(tx, caller, chat)
    if (meta and not _enough(have_meta, meta)) or (conv and not _enough(have_conv, conv)):
        what = "conversation data" if conv and not _enough(have_conv, conv) else "chat data"
        mode = "write" if "rw" in (meta, conv) else "read"
        raise missing_access(f"You may not {mode} {what} of chat {chat_id!r}")
    return chat


def _enough(have: str, need: str) -> bool:
    return have == "rw" or (have == "ro" and need == "ro")


# -- writes ----------------------------------------------------------------------------


def start_chat(tx: Tx, caller: Principal, req: ChatRequest) -> tuple[Chat, Thread]:
    now = time.time()
    lic = caller.license_id
    if caller.is_customer:
        customer_id: str | None = caller.user_id
        _refuse_banned(tx, caller)
    else:
        customer_id = _requested_customer(tx, caller, req)
    chat_props = properties.validate_write(tx, lic, caller.user_type, "chat", req.properties)
    access = req.access
    if access is None and caller.is_customer:
        # The first auto access rule the customer's page matches gives the groups.
        customer = accounts_repo.get_customer(tx.conn, lic, caller.user_id)
        matched = auto_access.groups_for(tx, lic, customer)
        if matched:
            access = {"group_ids": matched}
    chat = Chat(
        id=new_chat_id(),
        license_id=lic,
        customer_id=customer_id,
        access=_access(access),
        properties=chat_props,
        last_order=0,
        last_thread_id=None,
        active_thread_id=None,
        created_at=now,
        updated_at=now,
    )
    repo.insert_chat(tx.conn, chat)
    if customer_id:
        repo.upsert_chat_user(tx.conn, chat.id, customer_id, CUSTOMER, True, now)
        accounts_repo.bump_customer_counters(tx.conn, customer_id, chats_count=1)
    if caller.is_agent:
        repo.upsert_chat_user(tx.conn, chat.id, caller.user_id, AGENT, True, now)
    thread = _open_thread(tx, caller, chat, req.thread or NewThread(), now)
    return _reload(tx, chat), thread


def activate_chat(tx: Tx, caller: Principal, req: ChatRequest) -> tuple[Chat, Thread]:
    assert req.id is not None
    now = time.time()
    if caller.is_customer:
        _refuse_banned(tx, caller)
    chat = get_chat(tx, caller, req.id, conv="rw")
    if chat.active_thread_id:
        raise validation(f"Chat {chat.id!r} is already active")
    if caller.is_agent and req.users:
        _requested_customer(tx, caller, req, chat)
    values: dict[str, Any] = {}
    if req.access is not None:
        values["access"] = chat.access = _access(req.access)
    if req.properties:
        upd = properties.validate_write(
            tx, chat.license_id, caller.user_type, "chat", req.properties
        )
        values["properties"] = chat.properties = properties.merge(chat.properties, upd)
    if values:
        repo.update_chat(tx.conn, chat.id, **values)
    if caller.is_agent and not chat.is_present(caller.user_id):
        repo.upsert_chat_user(tx.conn, chat.id, caller.user_id, AGENT, True, now)
        chat = _reload(tx, chat)
    thread = _open_thread(tx, caller, chat, req.thread or NewThread(), now)
    return _reload(tx, chat), thread


def send_event(
    tx: Tx,
    caller: Principal,
    chat_id: str,
    new: NewEvent,
    *,
    attach_to_last_thread: bool = False,
    require_active_thread: bool = False,
    server_made: bool = False,
    require_present: bool = False,
    mark_seen: bool = False,
    system_messages: bool = False,
) -> tuple[str, Event]:
    """Add an event. `server_made` is for events the server builds (a `file` event from
    an upload); clients cannot send those types themselves. `require_present`: an agent
    must be a user of the chat already (it does not join by writing); `mark_seen`: the
    caller has seen the chat up to this event; `system_messages`: an agent may send a
    system message (all three as v3.x asks)."""
    now = time.time()
    if caller.is_customer:
        _refuse_banned(tx, caller)
    chat = get_chat(tx, caller, chat_id, conv="rw")
    if require_present and caller.is_agent:
        _require_present(caller, chat)
    if not server_made:
        _check_new_event(caller, new, initial=system_messages and caller.is_agent)
    event_props = properties.validate_write(
        tx, chat.license_id, caller.user_type, "event", new.properties
    )
    joined = _join_if_absent(tx, caller, chat, now)

    if new.type == "annotation" or (attach_to_last_thread and not chat.active_thread_id):
        # An annotation goes to the last thread and never starts one.
        if chat.last_thread_id is None:
            raise chat_inactive(f"Chat {chat.id!r} has no thread to attach the event to")
        thread_id = chat.last_thread_id
    elif chat.active_thread_id:
        thread_id = chat.active_thread_id
    elif require_active_thread:
        raise chat_inactive(f"Chat {chat.id!r} has no active thread")
    else:
        thread = _open_thread(
            tx, caller, chat, NewThread(events=[new]), now, first_event_props=event_props
        )
        assert thread.events
        if mark_seen:
            mark_seen_now(tx, caller, chat, now)
        return thread.id, thread.events[0]

    order = repo.next_orders(tx.conn, chat.id, 1, updated_at=now)
    event = _make_event(chat, thread_id, order, caller, new, event_props, now)
    repo.insert_event(tx.conn, chat.license_id, event)
    repo.count_thread_event(tx.conn, thread_id)
    if joined:
        _add_thread_user(tx, chat, thread_id, caller.user_id)
    _touch_customer(tx, chat, caller, now)
    chat = _reload(tx, chat) if joined else chat
    if mark_seen:
        mark_seen_now(tx, caller, chat, now)
    tx.emit(changes.EventAppended(chat.license_id, chat, thread_id, event))
    return thread_id, event


def close_thread(tx: Tx, caller: Principal, chat_id: str, *, by_router: bool = False) -> str:
    now = time.time()
    chat = (
        get_chat(tx, caller, chat_id, meta="rw")
        if not by_router
        else _must_load(tx, caller, chat_id)
    )
    if not chat.active_thread_id:
        raise chat_inactive(f"Chat {chat.id!r} has no active thread to close")
    thread_id = chat.active_thread_id
    if not by_router:
        name = _display_name(tx, caller)
        system_message(
            tx,
            chat,
            thread_id,
            "manual_archived",
            f"{name} archived the chat",
            text_vars={"agent" if caller.is_agent else "customer": name},
            now=now,
        )
    repo.update_thread(tx.conn, thread_id, active=False, closed_at=now)
    repo.update_chat(tx.conn, chat.id, active_thread_id=None, updated_at=now)
    chat.active_thread_id = None
    tx.emit(
        changes.ThreadClosed(
            chat.license_id, chat, thread_id, None if by_router else caller.user_id
        )
    )
    return thread_id


def add_user_to_chat(tx: Tx, caller: Principal, chat_id: str, user_id: str, user_type: str) -> None:
    now = time.time()
    chat = get_chat(tx, caller, chat_id, meta="rw")
    if user_type == CUSTOMER:
        if accounts_repo.get_customer(tx.conn, chat.license_id, user_id) is None:
            raise not_found("Customer", user_id)
        if chat.customer_id and chat.customer_id != user_id:
            raise validation(f"Chat {chat.id!r} already has a customer; a chat has at most one")
        if chat.customer_id != user_id:
            repo.update_chat(tx.conn, chat.id, customer_id=user_id)
            chat.customer_id = user_id
    else:
        agent = accounts_repo.get_agent(tx.conn, chat.license_id, user_id)
        if agent is None:
            raise not_found("Agent", user_id)
    if chat.is_present(user_id):
        return
    repo.upsert_chat_user(tx.conn, chat.id, user_id, user_type, True, now)
    thread_id = chat.active_thread_id or chat.last_thread_id
    if user_type == AGENT and chat.active_thread_id:
        _add_thread_user(tx, chat, chat.active_thread_id, user_id)
    chat = _reload(tx, chat)
    user = chat.user(user_id)
    assert user is not None
    tx.emit(changes.UserAdded(chat.license_id, chat, thread_id, user, caller.user_id))
    if user_type == AGENT and chat.active_thread_id:
        system_message(
            tx,
            chat,
            chat.active_thread_id,
            "agent_joined",
            f"{user.name} joined the chat",
            text_vars={"agent": user.name or user_id},
            now=now,
        )


def remove_user_from_chat(
    tx: Tx, caller: Principal, chat_id: str, user_id: str, user_type: str
) -> None:
    now = time.time()
    if user_type == CUSTOMER:
        raise validation("A customer cannot be removed from a chat")
    if user_id == caller.user_id:
        # Removing oneself is always allowed.
        chat = _must_load(tx, caller, chat_id)
    else:
        chat = get_chat(tx, caller, chat_id, meta="rw")
    user = chat.user(user_id)
    if user is None or not user.present or user.type != user_type:
        raise validation(f"{user_type.capitalize()} {user_id!r} is not in chat {chat.id!r}")
    repo.upsert_chat_user(tx.conn, chat.id, user_id, user_type, False, now)
    thread_id = chat.active_thread_id or chat.last_thread_id
    if chat.active_thread_id:
        system_message(
            tx,
            chat,
            chat.active_thread_id,
            "agent_left",
            f"{user.name} left the chat",
            text_vars={"agent": user.name or user_id},
            now=now,
        )
    chat = _reload(tx, chat)
    tx.emit(
        changes.UserRemoved(chat.license_id, chat, thread_id, user_id, user_type, caller.user_id)
    )


def update_last_seen_timestamp(
    tx: Tx, caller: Principal, chat_id: str, timestamp: int | None
) -> int:
    ts = int(timestamp if timestamp is not None else time.time())
    mark_events_as_seen(tx, caller, chat_id, ts)
    return ts


def mark_events_as_seen(tx: Tx, caller: Principal, chat_id: str, seen_up_to: float) -> None:
    """The caller has seen the chat's events up to `seen_up_to` (UNIX seconds, to the
    microsecond); everyone in the chat hears of it."""
    chat = get_chat(tx, caller, chat_id, meta="ro")
    user = chat.user(caller.user_id)
    if user is None:
        raise validation(f"You are not a user of chat {chat.id!r}")
    repo.set_last_seen(tx.conn, chat.id, caller.user_id, seen_up_to)
    user.last_seen_timestamp = int(seen_up_to)
    user.events_seen_up_to = seen_up_to
    tx.emit(
        changes.LastSeenUpdated(
            chat.license_id,
            chat,
            chat.active_thread_id or chat.last_thread_id,
            caller.user_id,
            int(seen_up_to),
            seen_up_to,
        )
    )


def check_requester(
    tx: Tx, caller: Principal, chat_id: str, *, present: bool = True, active: bool = False
) -> None:
    """What the v3.x methods ask before they change a chat: the caller is a present user
    of it (unless told `ignore_requester_presence`), and (`active`) it has an active
    thread. The rest (access, scopes) the method checks itself."""
    chat = _must_load(tx, caller, chat_id)
    if active and not chat.active_thread_id:
        raise chat_inactive(f"Chat {chat.id!r} has no active thread")
    if present:
        _require_present(caller, chat)


def _require_present(caller: Principal, chat: Chat) -> None:
    if not chat.is_present(caller.user_id):
        raise validation(
            f"You are not a user of chat {chat.id!r}: join it first, or set "
            "ignore_requester_presence where the method takes it"
        )


def mark_seen_now(tx: Tx, caller: Principal, chat: Chat, at: float) -> None:
    """The caller has seen every event of the chat so far (a v3.x method that writes to a
    chat counts as seeing it); nobody is told, as no push names this."""
    if chat.user(caller.user_id) is not None:
        repo.set_last_seen(tx.conn, chat.id, caller.user_id, at)


def typing_indicator(
    tx: Tx, caller: Principal, chat_id: str, recipients: str, is_typing: bool
) -> changes.TypingIndicatorSent:
    """A typing indicator for the chat's users (never stored: the caller publishes it)."""
    chat = get_chat(tx, caller, chat_id, conv="rw", lock=False)
    return changes.TypingIndicatorSent(
        chat.license_id,
        chat,
        chat.active_thread_id or chat.last_thread_id,
        caller.user_id,
        caller.user_type,
        recipients,
        is_typing,
        int(time.time()),
    )


def delete_event(tx: Tx, caller: Principal, chat_id: str, thread_id: str, event_id: str) -> None:
    """Delete an event (v3.6 `delete_event`). The row stays, marked deleted: customers and
    v3.0 readers no longer see it, v3.6 agents see it marked (a normal agent without its
    content), and the archives' full-text search no longer finds it.

    A customer deletes its own events in its own chats; an agent, with conversation write
    access to the chat, any event a user sent. System messages are the server's and stay;
    an event deleted already is not found again."""
    now = time.time()
    chat = get_chat(tx, caller, chat_id, conv="rw")
    thread = repo.load_thread(tx.conn, chat.id, thread_id)
    if thread is None:
        raise not_found("Thread", thread_id)
    event = repo.load_event(tx.conn, chat.id, thread.id, event_id)
    # A customer does not see `recipients: agents` events: for them these do not exist.
    if event is None or event.deleted or (caller.is_customer and event.for_agents_only):
        raise not_found("Event", event_id)
    if event.type == "system_message" or event.author_id is None:
        raise validation(f"Event {event.id!r} is a system message, which cannot be deleted")
    if caller.is_customer and event.author_id != caller.user_id:
        raise authorization(f"Event {event.id!r} is not yours: a customer deletes only its own")
    repo.mark_event_deleted(tx.conn, event.id, now)
    tx.emit(
        changes.EventDeleted(
            chat.license_id, chat, thread.id, event.id, for_agents_only=event.for_agents_only
        )
    )


def system_message(
    tx: Tx,
    chat: Chat,
    thread_id: str,
    system_message_type: str,
    text: str,
    *,
    text_vars: dict[str, str] | None = None,
    recipients: str = "all",
    now: float | None = None,
) -> Event:
    """Append a server-made system message to a thread and announce it."""
    now = now or time.time()
    order = repo.next_orders(tx.conn, chat.id, 1)
    body: dict[str, Any] = {"system_message_type": system_message_type}
    if text_vars:
        body["text_vars"] = text_vars
    event = Event(
        id=new_event_id(),
        chat_id=chat.id,
        thread_id=thread_id,
        order=order,
        type="system_message",
        author_id=None,
        recipients=recipients,
        custom_id=None,
        text=text,
        body=body,
        properties={},
        created_at=now,
    )
    repo.insert_event(tx.conn, chat.license_id, event)
    repo.count_thread_event(tx.conn, thread_id)
    tx.emit(changes.EventAppended(chat.license_id, chat, thread_id, event))
    return event


# -- helpers ---------------------------------------------------------------------------


def _must_load(tx: Tx, caller: Principal, chat_id: str) -> Chat:
    chat = repo.load_chat(tx.conn, caller.license_id, chat_id, for_update=True)
    if chat is None:
        raise not_found("Chat", chat_id)
    return chat


def _reload(tx: Tx, chat: Chat) -> Chat:
    fresh = repo.load_chat(tx.conn, chat.license_id, chat.id)
    assert fresh is not None
    return fresh


def _access(access: dict[str, Any] | None) -> dict[str, Any]:
    if not access:
        return {"group_ids": [0]}
    return {"group_ids": sorted({int(g) for g in access.get("group_ids", [0])})}


def _refuse_banned(tx: Tx, caller: Principal) -> None:
    customer = accounts_repo.get_customer(tx.conn, caller.license_id, caller.user_id)
    if customer is None:
        raise ApiError("authentication", "The customer of this token no longer exists")
    if customer.banned_until and customer.banned_until > time.time():
        raise ApiError("customer_banned", "Customer is banned")


def _requested_customer(
    tx: Tx, caller: Principal, req: ChatRequest, chat: Chat | None = None
) -> str | None:
    if not req.users:
        return chat.customer_id if chat else None
    customers = [uid for uid, utype in req.users if utype == CUSTOMER]
    if len(req.users) != 1 or len(customers) != 1:
        raise validation("chat.users may hold exactly one user, of type customer")
    customer_id = customers[0]
    if accounts_repo.get_customer(tx.conn, caller.license_id, customer_id) is None:
        raise not_found("Customer", customer_id)
    if chat is not None and chat.customer_id and chat.customer_id != customer_id:
        raise validation(f"Chat {chat.id!r} already has a customer; a chat has at most one")
    if chat is not None and chat.customer_id != customer_id:
        now = time.time()
        repo.update_chat(tx.conn, chat.id, customer_id=customer_id)
        repo.upsert_chat_user(tx.conn, chat.id, customer_id, CUSTOMER, True, now)
    return customer_id


def _check_new_event(caller: Principal, new: NewEvent, *, initial: bool) -> None:
    if new.type == "system_message":
        # Users do not send system messages; an agent (or bot) may seed one in the
        # initial events of start_chat/activate_chat, as the spec's samples do.
        if not initial or caller.is_customer:
            raise validation("event.type 'system_message' cannot be sent by a user")
    elif new.type == "file":
        raise validation("event.type 'file' is made by the server only: use send_file")
    elif new.type not in CLIENT_EVENT_TYPES:
        raise validation(f"event.type {new.type!r} is not a known event type")
    if new.recipients not in ("all", "agents"):
        raise validation("event.recipients must be 'all' or 'agents'")
    if caller.is_customer and new.recipients != "all":
        raise validation("A customer cannot send an event to agents only")
    if new.text is not None and len(new.text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise validation(
            f"event.text is {len(new.text.encode('utf-8'))} bytes; the limit is "
            f"{MAX_TEXT_BYTES} bytes: split it into more messages"
        )


def _make_event(
    chat: Chat,
    thread_id: str,
    order: int,
    caller: Principal,
    new: NewEvent,
    props: dict[str, dict[str, Any]],
    now: float,
) -> Event:
    return Event(
        id=new_event_id(),
        chat_id=chat.id,
        thread_id=thread_id,
        order=order,
        type=new.type,
        author_id=None if new.type == "system_message" else caller.user_id,
        recipients=new.recipients,
        custom_id=new.custom_id,
        text=new.text,
        body=dict(new.body),
        properties=props,
        created_at=now,
    )


def _open_thread(
    tx: Tx,
    caller: Principal,
    chat: Chat,
    spec: NewThread,
    now: float,
    first_event_props: dict[str, dict[str, Any]] | None = None,
) -> Thread:
    """Start a new thread (the chat's active one) with its initial events."""
    events_in = spec.events
    for new in events_in:
        if first_event_props is None:  # initial events of start_chat / activate_chat
            _check_new_event(caller, new, initial=True)
        if new.type == "annotation":
            raise validation("An annotation cannot start a thread")
    thread_props = properties.validate_write(
        tx, chat.license_id, caller.user_type, "thread", spec.properties
    )
    per_event_props = [
        first_event_props
        if first_event_props is not None
        else properties.validate_write(tx, chat.license_id, caller.user_type, "event", e.properties)
        for e in events_in
    ]
    first = repo.next_orders(tx.conn, chat.id, 1 + len(events_in))
    if caller.is_agent:
        _join_if_absent(tx, caller, chat, now)
    chat = _reload(tx, chat)
    user_ids = [u.id for u in chat.users if u.present]
    thread = Thread(
        id=new_thread_id(),
        chat_id=chat.id,
        order=first,
        active=True,
        user_ids=user_ids,
        properties=thread_props,
        access=dict(chat.access),
        total_events=len(events_in),
        created_at=now,
        closed_at=None,
        events=[],
    )
    repo.insert_thread(tx.conn, chat.license_id, thread)
    for uid in chat.present_agent_ids():
        repo.add_thread_agent(tx.conn, chat.license_id, thread.id, uid)
    assert thread.events is not None
    for i, new in enumerate(events_in):
        event = _make_event(chat, thread.id, first + 1 + i, caller, new, per_event_props[i], now)
        repo.insert_event(tx.conn, chat.license_id, event)
        thread.events.append(event)
    values: dict[str, Any] = {}
    if chat.follower_ids:
        # Following lasts until the chat is reactivated (follow_chat): a new thread ends it.
        values["follower_ids"] = chat.follower_ids = []
    repo.update_chat(
        tx.conn,
        chat.id,
        last_thread_id=thread.id,
        active_thread_id=thread.id,
        updated_at=now,
        **values,
    )
    chat.last_thread_id = chat.active_thread_id = thread.id
    if chat.customer_id:
        accounts_repo.bump_customer_counters(tx.conn, chat.customer_id, threads_count=1)
    if events_in:
        _touch_customer(tx, chat, caller, now)
    # Routing reacts to this in the same unit of work (timers.on_thread_started,
    # routing.on_thread_started), so the assignment commits with the chat.
    tx.emit(changes.ThreadStarted(chat.license_id, chat, thread, caller.user_id, caller.user_type))
    return thread


def _join_if_absent(tx: Tx, caller: Principal, chat: Chat, now: float) -> bool:
    """An agent writing to a chat joins it (scopes.md: to write you have to join)."""
    if not caller.is_agent or chat.is_present(caller.user_id):
        return False
    repo.upsert_chat_user(tx.conn, chat.id, caller.user_id, AGENT, True, now)
    fresh = _reload(tx, chat)
    user = fresh.user(caller.user_id)
    assert user is not None
    tx.emit(
        changes.UserAdded(
            chat.license_id,
            fresh,
            chat.active_thread_id or chat.last_thread_id,
            user,
            caller.user_id,
        )
    )
    chat.users = fresh.users
    return True


def _add_thread_user(tx: Tx, chat: Chat, thread_id: str, user_id: str) -> None:
    threads = repo.load_threads(tx.conn, [thread_id])
    thread = threads.get(thread_id)
    if thread is None:
        return
    if user_id not in thread.user_ids:
        repo.update_thread(tx.conn, thread_id, user_ids=[*thread.user_ids, user_id])
    repo.add_thread_agent(tx.conn, chat.license_id, thread_id, user_id)


def _touch_customer(tx: Tx, chat: Chat, caller: Principal, now: float) -> None:
    if not chat.customer_id:
        return
    column = (
        "customer_last_event_created_at" if caller.is_customer else "agent_last_event_created_at"
    )
    accounts_repo.touch_customer(tx.conn, chat.customer_id, column, now)


def _display_name(tx: Tx, caller: Principal) -> str:
    if caller.is_agent:
        agent = accounts_repo.get_agent(tx.conn, caller.license_id, caller.user_id)
        return agent.name if agent else caller.user_id
    customer = accounts_repo.get_customer(tx.conn, caller.license_id, caller.user_id)
    return (customer.name if customer and customer.name else None) or "Customer"
