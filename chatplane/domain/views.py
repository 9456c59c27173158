"""What a caller may read: chat threads, chat summaries and the archives.

Everything here is read-only and applies the same rules as the writes: customers see
only their own chats and never `recipients: agents` events; agents see what their
scopes and access allow. Deleted events (delete_event) are left out unless a reader asks
for them with `include_deleted` (the v3.6 Agent Chat API shows them to agents, marked);
customers never see them.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatplane.domain import chats as chat_rules
from chatplane.domain.models import Chat, Event, Principal, Thread
from chatplane.errors import ApiError, authorization
from chatplane.storage import Tx, archives
from chatplane.storage import accounts as accounts_repo
from chatplane.storage import chats as repo


@dataclass
class ChatSummary:
    chat: Chat
    last_thread: Thread | None
    last_event_per_type: dict[str, Event]


def visibility(tx: Tx, caller: Principal, mode: str = "ro") -> archives.Visibility:
    """Which chats an agent may list with its `chats--*` scopes."""
    scopes = caller.scopes
    levels = [
        lvl
        for lvl in ("all", "access", "my")
        if f"chats--{lvl}:{mode}" in scopes
        or f"chats--{lvl}:rw" in scopes
        or f"chats.conversation--{lvl}:rw" in scopes
    ]
    if "all" in levels:
        return archives.Visibility(True, [], caller.user_id)
    groups = (
        accounts_repo.agent_group_ids(tx.conn, caller.license_id, caller.user_id)
        if "access" in levels
        else []
    )
    if not levels:
        raise authorization(
            "This action needs one of the scopes chats--all:ro, chats--access:ro, chats--my:ro"
        )
    return archives.Visibility(False, groups, caller.user_id)


def _with_deleted(caller: Principal, include_deleted: bool) -> bool:
    return include_deleted and caller.is_agent


def _fill_events(tx: Tx, caller: Principal, threads: list[Thread], include_deleted: bool) -> None:
    """Give each thread its events, as the caller may see them."""
    events = repo.load_events(
        tx.conn,
        [t.id for t in threads],
        agents_view=caller.is_agent,
        include_deleted=_with_deleted(caller, include_deleted),
    )
    for t in threads:
        t.events = events.get(t.id, [])


def chat_threads(
    tx: Tx,
    caller: Principal,
    chat_id: str,
    thread_ids: list[str] | None,
    *,
    include_deleted: bool = False,
) -> tuple[Chat, list[Thread], list[Thread]]:
    """The chat, the threads asked for (with events) and every thread's summary."""
    chat = chat_rules.get_chat(tx, caller, chat_id, meta="ro")
    summaries, _ = repo.thread_summaries(tx.conn, chat.id)
    summaries.sort(key=lambda t: t.order)
    if thread_ids is None:
        wanted = [chat.last_thread_id] if chat.last_thread_id else []
    else:
        wanted = list(dict.fromkeys(thread_ids))
    loaded = repo.load_threads(tx.conn, wanted)
    missing = [tid for tid in wanted if tid not in loaded or loaded[tid].chat_id != chat.id]
    if missing:
        raise ApiError(
            "validation",
            f"Thread {missing[0]!r} is not a thread of chat {chat.id!r}",
            kind="not_found",
        )
    threads = [loaded[tid] for tid in wanted]
    _fill_events(tx, caller, threads, include_deleted)
    return chat, threads, summaries


def summaries(
    tx: Tx, caller: Principal, chats: list[Chat], *, include_deleted: bool = False
) -> list[ChatSummary]:
    ids = [c.id for c in chats]
    last_threads = repo.load_threads(tx.conn, [c.last_thread_id for c in chats if c.last_thread_id])
    last_events = repo.last_event_per_type(
        tx.conn,
        ids,
        agents_view=caller.is_agent,
        include_deleted=_with_deleted(caller, include_deleted),
    )
    return [
        ChatSummary(
            chat=c,
            last_thread=last_threads.get(c.last_thread_id) if c.last_thread_id else None,
            last_event_per_type=last_events.get(c.id, {}),
        )
        for c in chats
    ]


def thread_orders(tx: Tx, summaries_: list[ChatSummary]) -> dict[str, int]:
    """Orders of the threads the summaries' last events belong to."""
    ids = {e.thread_id for s in summaries_ for e in s.last_event_per_type.values()}
    return {tid: t.order for tid, t in repo.load_threads(tx.conn, ids).items()}


def thread_created(tx: Tx, summaries_: list[ChatSummary]) -> dict[str, float]:
    """When the threads the summaries' last events belong to started (v3.x)."""
    ids = {e.thread_id for s in summaries_ for e in s.last_event_per_type.values()}
    return {tid: t.created_at for tid, t in repo.load_threads(tx.conn, ids).items()}


def agent_login_chats(
    tx: Tx, caller: Principal, *, include_deleted: bool = False
) -> list[ChatSummary]:
    ids = archives.agent_active_chats(tx.conn, caller.license_id, caller.user_id, 100)
    chats = repo.load_chats(tx.conn, caller.license_id, ids)
    return summaries(tx, caller, chats, include_deleted=include_deleted)


def customer_chats(
    tx: Tx, caller: Principal, offset: int, limit: int
) -> tuple[list[ChatSummary], int]:
    ids, total = archives.customer_chats(tx.conn, caller.license_id, caller.user_id, offset, limit)
    return summaries(tx, caller, repo.load_chats(tx.conn, caller.license_id, ids)), total


def customer_threads(
    tx: Tx, caller: Principal, chat_id: str, offset: int, limit: int
) -> tuple[list[Thread], int]:
    chat = chat_rules.get_chat(tx, caller, chat_id, meta="ro")
    threads, total = repo.thread_summaries(tx.conn, chat.id, offset, limit)
    if caller.is_customer:
        # A customer's count leaves out events meant for agents only, and deleted ones.
        visible = repo.load_events(tx.conn, [t.id for t in threads], agents_view=False)
        for t in threads:
            t.total_events = len(visible.get(t.id, []))
    return threads, total


def filtered_chats(
    tx: Tx,
    caller: Principal,
    include_active: bool,
    extra: list[object],
    *,
    include_deleted: bool = False,
) -> list[ChatSummary]:
    vis = visibility(tx, caller)
    ids = archives.filter_chats(tx.conn, caller.license_id, vis, include_active, extra, 100)
    chats = repo.load_chats(tx.conn, caller.license_id, ids)
    return summaries(tx, caller, chats, include_deleted=include_deleted)


def archive(
    tx: Tx,
    caller: Principal,
    filters: archives.ArchiveFilters,
    page: int,
    limit: int,
    *,
    include_deleted: bool = False,
) -> tuple[list[tuple[Chat, Thread]], int]:
    vis = visibility(tx, caller)
    found, total = archives.search_threads(tx.conn, caller.license_id, vis, filters, page, limit)
    chats = {
        c.id: c for c in repo.load_chats(tx.conn, caller.license_id, list({c for c, _ in found}))
    }
    threads = repo.load_threads(tx.conn, [t for _, t in found])
    events = archives.thread_events(
        tx.conn,
        {t.id: t.chat_id for t in threads.values()},
        include_deleted=_with_deleted(caller, include_deleted),
    )
    out = []
    for chat_id, thread_id in found:
        thread = threads[thread_id]
        thread.events = events.get(thread_id, [])
        out.append((chats[chat_id], thread))
    return out, total


# -- the v3.x reads ---------------------------------------------------------------------


@dataclass
class ChatsPage:
    summaries: list[ChatSummary]
    total: int


def list_chats(
    tx: Tx,
    caller: Principal,
    *,
    active: bool | None,
    with_threads: bool,
    group_ids: list[int] | None,
    extra: list[object],
    ascending: bool,
    offset: int,
    limit: int,
    include_deleted: bool = False,
) -> ChatsPage:
    """The chats an agent may list (v3.x list_chats), one page of them."""
    vis = visibility(tx, caller)
    ids, total = archives.list_chats(
        tx.conn,
        caller.license_id,
        vis,
        active=active,
        with_threads=with_threads,
        group_ids=group_ids,
        extra=extra,
        ascending=ascending,
        offset=offset,
        limit=limit,
    )
    chats = repo.load_chats(tx.conn, caller.license_id, ids)
    return ChatsPage(summaries(tx, caller, chats, include_deleted=include_deleted), total)


def customer_list_chats(
    tx: Tx, caller: Principal, *, ascending: bool, offset: int, limit: int
) -> ChatsPage:
    """One page of the calling customer's chats (v3.x list_chats), ordered by when their
    last thread started."""
    ids, total = archives.customer_chats_by_thread(
        tx.conn, caller.license_id, caller.user_id, ascending=ascending, offset=offset, limit=limit
    )
    return ChatsPage(summaries(tx, caller, repo.load_chats(tx.conn, caller.license_id, ids)), total)


@dataclass
class ThreadsPage:
    chat: Chat
    threads: list[Thread]  # with their events
    total: int
    # Every thread id of the chat, oldest first (each thread's previous and next).
    thread_ids: list[str]


def list_threads(
    tx: Tx,
    caller: Principal,
    chat_id: str,
    *,
    ascending: bool,
    created_from: float | None,
    created_to: float | None,
    offset: int,
    limit: int | None,
    min_events: int | None = None,
    include_deleted: bool = False,
) -> ThreadsPage:
    """A page of a chat's threads with their events. With `min_events`, as many threads
    (from `offset` on) as hold that many events between them, instead of `limit`."""
    chat = chat_rules.get_chat(tx, caller, chat_id, meta="ro")
    threads, total = repo.list_threads(
        tx.conn,
        chat.id,
        ascending=ascending,
        created_from=created_from,
        created_to=created_to,
        offset=offset,
        limit=None if min_events is not None else limit,
    )
    if min_events is not None:
        taken, seen = [], 0
        for t in threads:
            if seen >= min_events:
                break
            taken.append(t)
            seen += t.total_events
        threads = taken
    _fill_events(tx, caller, threads, include_deleted)
    ids = repo.thread_ids_by_chat(tx.conn, [chat.id])[chat.id]
    return ThreadsPage(chat, threads, total, ids)


def thread_ids_by_chat(tx: Tx, chat_ids: list[str]) -> dict[str, list[str]]:
    """Every thread id of each chat, oldest first."""
    return repo.thread_ids_by_chat(tx.conn, chat_ids)
