"""Resumable RTM sessions (docs/resume.md): each logged-in session numbers its pushes and
keeps them a while, so that a client that lost its connection can log in again, name the
last push it saw, and get exactly what it missed, in order, before going on live.

- Every push frame carries `"resume": {"session_id": ..., "seq": n}` (clients that do not
  know it ignore an extra field). `session_id` is unguessable and names the process that
  holds the session's pushes.
- A session whose connection drops (not a logout, not a server's disconnect) stays
  *detached* for the resume window: pushes for it are still numbered and kept, not sent.
- A `login` frame may carry `"resume": {"session_id": ..., "seq": n}`. The login response
  frame then carries `"resume": {"session_id", "resumed", "replayed"}` (or a `reason` why
  not) and, when resumed, the missed pushes follow the response, then live ones.
- A client that resumes on another process of a cluster gets the pushes from the process
  that held them, over Redis (`ResumeExchange`); pushes that reached both processes while
  the handover ran are sent once (each push names the change it came from).

Bounded memory: a session keeps at most `max_pushes` pushes and none older than the
window; a process keeps at most `max_detached` detached sessions (the oldest go first).
Kept pushes share the text every session of their kind got; only the numbers are per
session.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

# Why a resume was refused (the login response's `resume.reason`).
UNKNOWN = "unknown_session"  # never issued, window passed, or its process is gone
GAP = "pushes_dropped"  # pushes after the given seq are no longer kept (buffer or window)
MISMATCH = "another_user"  # the session was another user's, API's or version's
MALFORMED = "malformed"


def new_key(process_id: str) -> str:
    """A session's resume id: the holding process, then 128 random bits."""
    return f"{process_id}.{secrets.token_urlsafe(16)}"


def owner_of(key: str) -> str:
    return key.split(".", 1)[0]


def with_resume(text: str, key: str, seq: int) -> str:
    """A push frame (a JSON object) with its `resume` field added."""
    return f'{text[:-1]},"resume":{{"session_id":"{key}","seq":{seq}}}}}'


@dataclass(slots=True)
class Kept:
    seq: int
    at: float  # monotonic time it was numbered
    text: str  # the frame without its `resume` field (shared with other sessions)
    change: str | None  # which change it came from (bus batch / index), for de-duplication


class PushLog:
    """A session's numbered pushes, newest last, at most `cap` and none older than `window`."""

    __slots__ = ("cap", "entries", "key", "next_seq", "through", "window")

    def __init__(self, key: str, cap: int, window: float) -> None:
        self.key = key
        self.cap = cap
        self.window = window
        self.next_seq = 1
        # A list, not a deque: a deque is ~760 bytes even with one entry, and every session
        # keeps at least its login's push (a customer's `customer_side_storage_updated`)
        # while it is idle. Dropping from the front moves at most `cap` pointers.
        self.entries: list[Kept] = []
        # Every push up to and including this seq has been dropped (0: none).
        self.through = 0

    def append(self, text: str, change: str | None) -> int:
        seq = self.next_seq
        self.next_seq += 1
        now = time.monotonic()
        entries = self.entries
        entries.append(Kept(seq, now, text, change))
        oldest = now - self.window
        # the oldest beyond `cap`, then any older than the window
        drop = max(0, len(entries) - self.cap)
        while drop < len(entries) and entries[drop].at < oldest:
            drop += 1
        if drop:
            self.through = entries[drop - 1].seq
            del entries[:drop]
        return seq

    def after(self, seq: int) -> list[Kept] | None:
        """The pushes numbered after `seq`, or None when some of them were dropped."""
        if seq < self.through or seq >= self.next_seq:
            return None
        return [k for k in self.entries if k.seq > seq]


@dataclass
class ResumeRequest:
    """What a `login` frame asked for (its `resume` field, checked)."""

    session_id: str
    seq: int


def parse_request(value: object) -> ResumeRequest | str:
    """The login frame's `resume` field, or the text of what is wrong with it."""
    if not isinstance(value, dict):
        return "resume must be an object with session_id and seq"
    session_id, seq = value.get("session_id"), value.get("seq")
    if not isinstance(session_id, str) or not 1 <= len(session_id) <= 100:
        return "resume.session_id must be the session_id of a push"
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        return "resume.seq must be the seq (a non-negative integer) of the last push seen"
    return ResumeRequest(session_id, seq)
