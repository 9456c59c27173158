"""Chats, threads, events and chat users: reads and writes in SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chatplane.domain.models import AGENT, CUSTOMER, Chat, ChatUser, Event, Thread
from chatplane.storage import chat_cache
from chatplane.storage import schema as s
from chatplane.storage.compiled import Compiled
from chatplane.storage.rows import to_chat, to_customer, to_event, to_thread, values_of

# The hottest statements (every send_event runs them) are compiled once and run on the
# driver's cursor (storage/compiled.py): building a statement costs more than SQLite
# executing it.
_SELECT_CHAT = sa.select(s.chats).where(
    s.chats.c.id == sa.bindparam("b_chat_id"), s.chats.c.license_id == sa.bindparam("b_license")
)
_LOAD_CHAT = Compiled(_SELECT_CHAT)
_LOAD_CHAT_FOR_UPDATE = Compiled(_SELECT_CHAT.with_for_update())


def load_chat(
    conn: Connection, license_id: int, chat_id: str, *, for_update: bool = False
) -> Chat | None:
    """A chat with its users. `for_update` locks the row (PostgreSQL) so that concurrent
    writers to one chat (two events starting a thread) are serialised. On the SQLite
    writer the chat may come from its cache (storage/chat_cache.py), as a copy."""
    cache = chat_cache.of(conn)
    if cache is not None:
        cached = cache.get(license_id, chat_id)
        if cached is not None:
            return cached
    q = _LOAD_CHAT_FOR_UPDATE if for_update else _LOAD_CHAT
    row = q.first(conn, {"b_chat_id": chat_id, "b_license": license_id})
    if row is None:
        return None
    chat = to_chat(row)
    params = {"b_license": license_id, "b_chat_id": chat_id}
    chat.users = [_chat_user(r) for r in _LOAD_CHAT_USERS.all(conn, params)]
    if cache is not None:
        cache.put(chat)
    return chat


def load_chats(conn: Connection, license_id: int, chat_ids: Sequence[str]) -> list[Chat]:
    """Chats in the order of `chat_ids`, with their users."""
    if not chat_ids:
        return []
    rows = conn.execute(
        sa.select(s.chats).where(s.chats.c.id.in_(chat_ids), s.chats.c.license_id == license_id)
    ).all()
    by_id = {r.id: to_chat(r) for r in rows}
    users = load_users(conn, license_id, list(by_id))
    out = []
    for cid in chat_ids:
        chat = by_id.get(cid)
        if chat is not None:
            chat.users = users.get(cid, [])
            out.append(chat)
    return out


_CUSTOMER_COLUMNS = [c.label(f"customer_{c.name}") for c in s.customers.columns]


def _users_query(chats: Any) -> Any:
    """Users of the `chats` (a condition on chat_users.chat_id) with their agent or
    customer profile, in one query."""
    cu, a, c = s.chat_users, s.agents, s.customers
    return (
        sa.select(
            cu,
            a.c.name.label("agent_name"),
            a.c.email.label("agent_email"),
            a.c.avatar.label("agent_avatar"),
            a.c.routing_status.label("agent_routing_status"),
            *_CUSTOMER_COLUMNS,
        )
        .select_from(
            cu.outerjoin(
                a,
                sa.and_(
                    cu.c.user_type == AGENT,
                    a.c.license_id == sa.bindparam("b_license"),
                    a.c.id == cu.c.user_id,
                ),
            ).outerjoin(c, sa.and_(cu.c.user_type == CUSTOMER, c.c.id == cu.c.user_id))
        )
        .where(chats)
        .order_by(cu.c.joined_at)
    )


_SELECT_USERS = _users_query(s.chat_users.c.chat_id.in_(sa.bindparam("b_chat_ids", expanding=True)))
_LOAD_CHAT_USERS = Compiled(_users_query(s.chat_users.c.chat_id == sa.bindparam("b_chat_id")))


def load_users(conn: Connection, license_id: int, chat_ids: list[str]) -> dict[str, list[ChatUser]]:
    if not chat_ids:
        return {}
    out: dict[str, list[ChatUser]] = {}
    params = {"b_license": license_id, "b_chat_ids": list(chat_ids)}
    for r in conn.execute(_SELECT_USERS, params):
        out.setdefault(r.chat_id, []).append(_chat_user(r))
    return out


_CUSTOMER_FIELDS = [(col.name, f"customer_{col.name}") for col in s.customers.columns]


def _chat_user(r: Any) -> ChatUser:
    """A row of the users query (a Core row or a compiled statement's named tuple)."""
    user = ChatUser(
        id=r.user_id,
        type=r.user_type,
        present=bool(r.present),
        last_seen_timestamp=r.last_seen_timestamp,
        joined_at=r.joined_at,
        events_seen_up_to=r.events_seen_up_to,
    )
    if r.user_type == AGENT and r.agent_name is not None:
        user.name, user.email, user.avatar = r.agent_name, r.agent_email, r.agent_avatar
        user.routing_status = r.agent_routing_status
    elif r.user_type == CUSTOMER and r.customer_id is not None:
        customer = to_customer(_Row({name: getattr(r, label) for name, label in _CUSTOMER_FIELDS}))
        user.name, user.email, user.avatar = customer.name, customer.email, customer.avatar
        user.customer = customer
    return user


class _Row:
    """Attribute access over a dict, for the row converters."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def insert_chat(conn: Connection, chat: Chat) -> None:
    with chat_cache.scope(conn, chat_id=chat.id):
        conn.execute(s.chats.insert().values(values_of(s.chats, chat)))
    set_chat_access(conn, chat.license_id, chat.id, chat.access.get("group_ids", [0]))


def update_chat(conn: Connection, chat_id: str, **values: Any) -> None:
    with chat_cache.scope(conn, chat_id=chat_id):
        conn.execute(s.chats.update().where(s.chats.c.id == chat_id).values(**values))
    if "access" in values:
        row = conn.execute(sa.select(s.chats.c.license_id).where(s.chats.c.id == chat_id)).one()
        set_chat_access(conn, row.license_id, chat_id, values["access"].get("group_ids", [0]))


def set_chat_access(conn: Connection, license_id: int, chat_id: str, group_ids: Any) -> None:
    conn.execute(s.chat_access.delete().where(s.chat_access.c.chat_id == chat_id))
    rows = [
        {"chat_id": chat_id, "group_id": int(g), "license_id": license_id} for g in set(group_ids)
    ]
    if rows:
        conn.execute(s.chat_access.insert(), rows)


# These three are `cache_aware`: their functions update the writer's cached chat.
_NEXT_ORDERS = Compiled(
    s.chats.update()
    .where(s.chats.c.id == sa.bindparam("b_chat_id"))
    .values(last_order=s.chats.c.last_order + sa.bindparam("b_count"))
    .returning(s.chats.c.last_order),
    cache_aware=True,
)
_NEXT_ORDERS_TOUCH = Compiled(
    s.chats.update()
    .where(s.chats.c.id == sa.bindparam("b_chat_id"))
    .values(
        last_order=s.chats.c.last_order + sa.bindparam("b_count"),
        updated_at=sa.bindparam("b_updated_at"),
    )
    .returning(s.chats.c.last_order),
    cache_aware=True,
)


def next_orders(conn: Connection, chat_id: str, count: int, updated_at: float | None = None) -> int:
    """Reserve `count` orders for a chat; returns the first. The row lock (PostgreSQL) or
    the single writer (SQLite) keeps orders strictly increasing under concurrency.
    `updated_at` also marks the chat active then, in the same statement."""
    params: dict[str, Any] = {"b_chat_id": chat_id, "b_count": count}
    stmt = _NEXT_ORDERS
    if updated_at is not None:
        stmt, params["b_updated_at"] = _NEXT_ORDERS_TOUCH, updated_at
    last = stmt.scalar(conn, params)
    if last is None:
        raise LookupError(f"chat {chat_id!r} does not exist")
    cache = chat_cache.of(conn)
    if cache is not None:
        cache.orders_taken(chat_id, int(last), updated_at)
    return int(last) - count + 1


def upsert_chat_user(
    conn: Connection, chat_id: str, user_id: str, user_type: str, present: bool, now: float
) -> None:
    with chat_cache.scope(conn, chat_id=chat_id):
        _upsert_chat_user(conn, chat_id, user_id, user_type, present, now)


def _upsert_chat_user(
    conn: Connection, chat_id: str, user_id: str, user_type: str, present: bool, now: float
) -> None:
    updated = conn.execute(
        s.chat_users.update()
        .where(s.chat_users.c.chat_id == chat_id, s.chat_users.c.user_id == user_id)
        .values(present=present)
    ).rowcount
    if not updated:
        conn.execute(
            s.chat_users.insert().values(
                chat_id=chat_id,
                user_id=user_id,
                user_type=user_type,
                present=present,
                last_seen_timestamp=None,
                joined_at=now,
            )
        )


_SET_SEEN = Compiled(
    s.chat_users.update()
    .where(
        s.chat_users.c.chat_id == sa.bindparam("b_chat_id"),
        s.chat_users.c.user_id == sa.bindparam("b_user_id"),
    )
    .values(
        last_seen_timestamp=sa.bindparam("b_timestamp"),
        events_seen_up_to=sa.bindparam("b_seen_up_to"),
    ),
    cache_aware=True,
)


def set_last_seen(conn: Connection, chat_id: str, user_id: str, seen_up_to: float) -> None:
    """The user has seen the chat's events up to `seen_up_to` (kept to the microsecond,
    and in whole seconds for v3.0's `last_seen_timestamp`)."""
    _SET_SEEN.execute(
        conn,
        {
            "b_chat_id": chat_id,
            "b_user_id": user_id,
            "b_timestamp": int(seen_up_to),
            "b_seen_up_to": seen_up_to,
        },
    )
    cache = chat_cache.of(conn)
    if cache is not None:
        cache.seen(chat_id, user_id, int(seen_up_to), seen_up_to)


def insert_thread(conn: Connection, license_id: int, thread: Thread) -> None:
    conn.execute(s.threads.insert().values(values_of(s.threads, thread, license_id=license_id)))


_COUNT_THREAD_EVENT = Compiled(
    s.threads.update()
    .where(s.threads.c.id == sa.bindparam("b_thread_id"))
    .values(total_events=s.threads.c.total_events + 1)
)


def count_thread_event(conn: Connection, thread_id: str) -> None:
    """One more event in a thread (`total_events`)."""
    _COUNT_THREAD_EVENT.execute(conn, {"b_thread_id": thread_id})


def update_thread(conn: Connection, thread_id: str, **values: Any) -> None:
    conn.execute(s.threads.update().where(s.threads.c.id == thread_id).values(**values))


def add_thread_agent(conn: Connection, license_id: int, thread_id: str, agent_id: str) -> None:
    exists = conn.execute(
        sa.select(s.thread_agents.c.agent_id).where(
            s.thread_agents.c.thread_id == thread_id, s.thread_agents.c.agent_id == agent_id
        )
    ).first()
    if exists is None:
        conn.execute(
            s.thread_agents.insert().values(
                thread_id=thread_id, agent_id=agent_id, license_id=license_id
            )
        )


def set_thread_tags(
    conn: Connection,
    license_id: int,
    thread_id: str,
    tags: list[str],
    *,
    added: str | None,
    removed: str | None,
) -> None:
    """Store a thread's tags (`tags`, as shown) and index the one `added` or `removed`."""
    conn.execute(s.threads.update().where(s.threads.c.id == thread_id).values(tags=tags))
    if added is not None:
        conn.execute(
            s.thread_tags.insert().values(thread_id=thread_id, tag=added, license_id=license_id)
        )
    if removed is not None:
        conn.execute(
            s.thread_tags.delete().where(
                s.thread_tags.c.thread_id == thread_id, s.thread_tags.c.tag == removed
            )
        )


def load_thread(conn: Connection, chat_id: str, thread_id: str) -> Thread | None:
    row = conn.execute(
        sa.select(s.threads).where(s.threads.c.id == thread_id, s.threads.c.chat_id == chat_id)
    ).first()
    return to_thread(row) if row is not None else None


def load_threads(conn: Connection, thread_ids: Iterable[str]) -> dict[str, Thread]:
    ids = list(thread_ids)
    if not ids:
        return {}
    rows = conn.execute(sa.select(s.threads).where(s.threads.c.id.in_(ids))).all()
    return {r.id: to_thread(r) for r in rows}


def thread_summaries(
    conn: Connection, chat_id: str, offset: int = 0, limit: int | None = None
) -> tuple[list[Thread], int]:
    total = conn.execute(
        sa.select(sa.func.count()).select_from(s.threads).where(s.threads.c.chat_id == chat_id)
    ).scalar_one()
    q = (
        sa.select(s.threads)
        .where(s.threads.c.chat_id == chat_id)
        .order_by(s.threads.c.order)
        .offset(offset)
    )
    if limit is not None:
        q = q.limit(limit)
    return [to_thread(r) for r in conn.execute(q)], int(total)


def list_threads(
    conn: Connection,
    chat_id: str,
    *,
    ascending: bool,
    created_from: float | None,
    created_to: float | None,
    offset: int,
    limit: int | None,
) -> tuple[list[Thread], int]:
    """Threads of a chat in time order (oldest or newest first), within [from, to]."""
    t = s.threads
    where: list[Any] = [t.c.chat_id == chat_id]
    if created_from is not None:
        where.append(t.c.created_at >= created_from)
    if created_to is not None:
        where.append(t.c.created_at <= created_to)
    total = conn.execute(sa.select(sa.func.count()).select_from(t).where(*where)).scalar_one()
    q = (
        sa.select(t)
        .where(*where)
        .order_by(t.c.order.asc() if ascending else t.c.order.desc())
        .offset(offset)
    )
    if limit is not None:
        q = q.limit(limit)
    return [to_thread(r) for r in conn.execute(q)], int(total)


def thread_ids_by_chat(conn: Connection, chat_ids: Iterable[str]) -> dict[str, list[str]]:
    """Every thread id of each chat, oldest first (for a thread's previous and next)."""
    ids = list(dict.fromkeys(chat_ids))
    out: dict[str, list[str]] = {cid: [] for cid in ids}
    if not ids:
        return out
    t = s.threads
    for r in conn.execute(
        sa.select(t.c.chat_id, t.c.id).where(t.c.chat_id.in_(ids)).order_by(t.c.order)
    ):
        out[r.chat_id].append(r.id)
    return out


_EVENT_COLUMNS = [c.name for c in s.events.columns if c.name != "seq"]
_INSERT_EVENT = Compiled(s.events.insert(), column_keys=_EVENT_COLUMNS)
# What `values_of` would take from an Event (every column but license_id), listed once.
_EVENT_ATTRIBUTES = [name for name in _EVENT_COLUMNS if name != "license_id"]


def insert_event(conn: Connection, license_id: int, event: Event) -> None:
    values = {name: getattr(event, name) for name in _EVENT_ATTRIBUTES}
    values["license_id"] = license_id
    _INSERT_EVENT.execute(conn, values)


def load_event(conn: Connection, chat_id: str, thread_id: str, event_id: str) -> Event | None:
    row = conn.execute(
        sa.select(s.events).where(
            s.events.c.id == event_id,
            s.events.c.chat_id == chat_id,
            s.events.c.thread_id == thread_id,
        )
    ).first()
    return to_event(row) if row is not None else None


def update_event(conn: Connection, event_id: str, **values: Any) -> None:
    conn.execute(s.events.update().where(s.events.c.id == event_id).values(**values))


def mark_event_deleted(conn: Connection, event_id: str, when: float) -> None:
    """Mark an event deleted (on SQLite a trigger takes its text out of the FTS5 index)."""
    conn.execute(
        s.events.update()
        .where(s.events.c.id == event_id, s.events.c.deleted_at.is_(None))
        .values(deleted_at=when)
    )


def load_events(
    conn: Connection,
    thread_ids: Sequence[str],
    agents_view: bool,
    *,
    include_deleted: bool = False,
) -> dict[str, list[Event]]:
    """Events of the threads in `order`; a customer's view leaves out `recipients: agents`,
    and deleted events are left out unless `include_deleted`."""
    if not thread_ids:
        return {}
    q = sa.select(s.events).where(s.events.c.thread_id.in_(thread_ids))
    if not agents_view:
        q = q.where(s.events.c.recipients == "all")
    if not include_deleted:
        q = q.where(s.events.c.deleted_at.is_(None))
    out: dict[str, list[Event]] = {tid: [] for tid in thread_ids}
    for r in conn.execute(q.order_by(s.events.c.order)):
        out[r.thread_id].append(to_event(r))
    return out


def last_event_per_type(
    conn: Connection,
    chat_ids: Sequence[str],
    agents_view: bool,
    *,
    include_deleted: bool = False,
) -> dict[str, dict[str, Event]]:
    """For each chat, the last event of each type (chats summaries)."""
    if not chat_ids:
        return {}
    e = s.events
    cond: list[Any] = [e.c.chat_id.in_(chat_ids)]
    if not agents_view:
        cond.append(e.c.recipients == "all")
    if not include_deleted:
        cond.append(e.c.deleted_at.is_(None))
    last = (
        sa.select(e.c.chat_id, e.c.type, sa.func.max(e.c.order).label("mo"))
        .where(*cond)
        .group_by(e.c.chat_id, e.c.type)
        .subquery()
    )
    rows = conn.execute(
        sa.select(e).join(
            last,
            sa.and_(e.c.chat_id == last.c.chat_id, e.c.order == last.c.mo, e.c.type == last.c.type),
        )
    ).all()
    out: dict[str, dict[str, Event]] = {cid: {} for cid in chat_ids}
    for r in rows:
        out[r.chat_id][r.type] = to_event(r)
    return out
