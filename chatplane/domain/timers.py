"""Inactivity timers of active threads: `routing.idle`, then `routing.archived`.

A timer is a stored deadline (`routing_timers`), not a sleeping task, so it survives a
restart. When it comes due, the thread's real last activity (the last event a user
wrote) is read again: a thread that was active since is simply given a later deadline,
so nothing has to touch the timers on every message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from chatplane.domain import changes, chats, routing
from chatplane.domain.models import AGENT, Chat, Principal, Thread
from chatplane.storage import Tx
from chatplane.storage import chats as repo
from chatplane.storage import routing as rrepo

IDLE = "idle"
ARCHIVE = "archive"


@dataclass
class Timeouts:
    """Seconds of inactivity before a thread is idle, and before it is closed."""

    idle: float = 600.0
    archive: float = 1800.0


TIMEOUTS = Timeouts()


def configure(idle: float, archive: float) -> None:
    TIMEOUTS.idle = idle
    TIMEOUTS.archive = archive


def minutes(seconds: float) -> int:
    """Whole minutes for the messages' <minutes_number> (at least 1)."""
    return max(1, round(seconds / 60))


def on_thread_started(tx: Tx, started: changes.ThreadStarted) -> None:
    """A new thread's inactivity deadlines are set as it opens."""
    schedule(tx, started.chat, started.thread)


def schedule(tx: Tx, chat: Chat, thread: Thread) -> None:
    for kind, after in ((IDLE, TIMEOUTS.idle), (ARCHIVE, TIMEOUTS.archive)):
        rrepo.set_timer(
            tx.conn, chat.license_id, chat.id, thread.id, kind, thread.created_at + after
        )


def activity(tx: Tx, license_id: int, chat_id: str) -> None:
    """A user wrote to an idle chat: it is no longer idle, and can become idle again."""
    chat = repo.load_chat(tx.conn, license_id, chat_id)
    if chat is None or chat.active_thread_id is None:
        return
    routing.set_flag(tx, chat, chat.active_thread_id, "idle", False)
    rrepo.set_timer(
        tx.conn, license_id, chat.id, chat.active_thread_id, IDLE, time.time() + TIMEOUTS.idle
    )


def fire_due(tx: Tx, now: float, limit: int = 100) -> int:
    """Claim and fire the timers due at `now`; returns how many were claimed."""
    rows = rrepo.claim_due_timers(tx.conn, now, limit)
    closed: set[int] = set()
    for row in rows:
        chat = repo.load_chat(tx.conn, row.license_id, row.chat_id)
        if chat is None or chat.active_thread_id != row.thread_id:
            continue  # the thread was closed meanwhile: the timer has nothing to do
        thread = repo.load_thread(tx.conn, chat.id, row.thread_id)
        assert thread is not None
        last = rrepo.last_activity(tx.conn, thread.id) or thread.created_at
        timeout = TIMEOUTS.idle if row.kind == IDLE else TIMEOUTS.archive
        if last + timeout > now:
            rrepo.set_timer(tx.conn, chat.license_id, chat.id, thread.id, row.kind, last + timeout)
            continue
        if row.kind == IDLE:
            _idle(tx, chat, thread.id)
        else:
            _archive(tx, chat, thread.id)
            closed.add(chat.license_id)
    for license_id in closed:
        routing.drain(tx, license_id)  # the archived threads freed slots
    return len(rows)


def _idle(tx: Tx, chat: Chat, thread_id: str) -> None:
    if (chat.properties.get("routing") or {}).get("idle"):
        return
    n = minutes(TIMEOUTS.idle)
    chats.system_message(
        tx, chat, thread_id, "routing.idle", f"Chat is idle due to {n} minutes of inactivity"
    )
    routing.set_flag(tx, chat, thread_id, "idle", True)


def _archive(tx: Tx, chat: Chat, thread_id: str) -> None:
    chats.system_message(
        tx, chat, thread_id, "routing.archived", "Chat archived due to long inactivity"
    )
    rrepo.dequeue(tx.conn, chat.id)
    chats.close_thread(tx, server_principal(chat.license_id), chat.id, by_router=True)


def server_principal(license_id: int) -> Principal:
    """The router acting on a license (closing threads, never shown as a user)."""
    return Principal(
        license_id=license_id, user_type=AGENT, user_id="", client_id="", scopes=frozenset()
    )
