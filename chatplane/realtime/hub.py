"""Connected RTM sessions, indexed by user and license.

Each session has a bounded outgoing queue drained by its own writer task: a push is
never awaited by the code that produces it, and a client that stops reading is
disconnected instead of being buffered without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from chatplane.domain.models import AGENT, Principal
from chatplane.realtime.mailbox import Mailbox
from chatplane.realtime.resume import PushLog, ResumeRequest, with_resume

log = logging.getLogger(__name__)

_ids = itertools.count(1)
# Session ids are unique across the processes of a cluster (pushes name their origin).
PROCESS_ID = uuid.uuid4().hex[:8]

SendText = Callable[[str], Awaitable[None]]

_encode = msgspec.json.Encoder().encode


def push_message(
    action: str,
    payload: Any,
    request_id: str | None = None,
    version: str | None = None,
) -> str:
    """A push frame. From v3.3 on a push names the version it is shaped in (`version`,
    the session's `push_version`); v3.0's frames have no such field."""
    msg: dict[str, Any] = {}
    if version is not None:
        msg["version"] = version
    if request_id is not None:
        msg["request_id"] = request_id
    msg["action"] = action
    msg["type"] = "push"
    msg["payload"] = payload
    return _encode(msg).decode()


@dataclass(eq=False)
class Session:
    api: str  # agent | customer
    send_text: SendText
    close: Callable[[int], Awaitable[None]]
    # The API version the client speaks: its pushes are rendered in that version's shapes.
    version: str = "3.0"
    # The version its push frames name (v3.3 and later), None where frames name none.
    push_version: str | None = None
    # The pushes the client asked for at login (v3.x `pushes`); None: every push.
    pushes: frozenset[str] | None = None
    max_queue: int = 2048
    id: str = field(default_factory=lambda: f"{PROCESS_ID}-{next(_ids)}")
    principal: Principal | None = None
    agent_group_ids: tuple[int, ...] = ()
    address: str | None = None
    referrer: str | None = None
    created: float = field(default_factory=time.monotonic)
    last_activity: float = field(default_factory=time.monotonic)
    # Monotonic time the transport last saw the client alive without a message (a pong, a
    # poll), or None; the idle reaper counts it as activity.
    alive: Callable[[], float | None] | None = None
    # v3.6 auto-away: the connection is `away` (login `away`, set_away_status). Presence
    # keeps it, with the agent's routing status (realtime/presence.py).
    away: bool = False
    closed: bool = False
    # Resumable sessions (realtime/resume.py): the numbered pushes of a logged-in session;
    # what its login asked to resume, and what came of it (for the login response).
    log: PushLog | None = None
    resume_request: ResumeRequest | None = None
    resume_outcome: dict[str, Any] | None = None
    # A resumed session's missed pushes (text, change), sent right after its login response.
    resume_replay: list[tuple[str, str | None]] | None = None
    # False once the server or the client ended the session on purpose (logout, eviction,
    # ban, shutdown): its pushes are not kept after the connection closes.
    resumable: bool = True
    # Monotonic time until which a detached session (connection gone) is kept; None: live.
    detached_until: float | None = None
    # While its login runs, a session's pushes wait here (text, change) so that they follow
    # the login response (and a resume's replay), numbered in that order.
    _held: list[tuple[str, str | None]] | None = None
    # The client stopped reading (or its socket failed): closed with 1008, not `finish`'s code.
    _failed: bool = False
    # A Mailbox, not an asyncio.Queue: about 3 KB less per connection (realtime/mailbox.py).
    _queue: Mailbox[str | None] = field(default_factory=Mailbox)
    # The writer task runs only while something is queued (an idle session has none: a
    # task, its coroutine and the future it waits on are about 1 KB); `_live` from `start`
    # until the queue's end (None) is written.
    _writer: asyncio.Task[None] | None = None
    _live: bool = False

    def start(self) -> None:
        self._live = True
        self._kick()

    def _kick(self) -> None:
        """Start the writer if there is something to write and none runs."""
        if self._writer is None and self._live and not self._queue.empty():
            self._writer = asyncio.get_running_loop().create_task(self._write_loop())

    def push(self, text: str, change: str | None = None) -> None:
        """Send a push frame: numbered and kept when the session is resumable, held while
        its login runs, only kept while it is detached."""
        if self._held is not None:
            self._held.append((text, change))
            return
        log = self.log
        if log is None:
            self.send(text)
            return
        seq = log.append(text, change)
        if self.detached_until is None:
            self.send(with_resume(text, log.key, seq))

    @property
    def holding(self) -> bool:
        return self._held is not None

    def hold(self) -> None:
        """Pushes wait (unnumbered) until `release`: the login's response goes first."""
        self._held = []

    def release(self, replay: list[tuple[str, str | None]] | None = None) -> None:
        """Push `replay` (a resumed session's missed pushes), then the held ones, numbered
        in that order; a held push of a change the replay had is not sent twice."""
        held, self._held = self._held or [], None
        replayed: set[str] = set()
        for text, change in replay or ():
            self.push(text, change)
            if change is not None:
                replayed.add(change)
        for text, change in held:
            if change is not None and change in replayed:
                continue
            self.push(text, change)

    def send(self, text: str) -> None:
        """Queue a message; a client too slow to keep up is disconnected."""
        if self.closed:
            return
        if self._queue.qsize() >= self.max_queue:
            log.warning("session %s is not reading its pushes; disconnecting", self.id)
            self.closed = True
            self._failed = True
            self._queue.put_nowait(None)
            self._kick()
            return
        self._queue.put_nowait(text)
        self._kick()

    async def finish(self, code: int = 1000) -> None:
        """Flush what is queued, then close."""
        if not self.closed:
            self.closed = True
        self._queue.put_nowait(None)
        self._kick()
        writer = self._writer
        if writer is not None:
            try:
                await asyncio.wait_for(asyncio.shield(writer), 5)
            except (TimeoutError, asyncio.CancelledError):
                writer.cancel()
        with contextlib.suppress(Exception):  # the socket may be gone already
            await self.close(code)

    async def _write_loop(self) -> None:
        """Write what is queued, in order, then stop (`send` starts it again); at the
        queue's end (None) nothing more is written."""
        queue = self._queue
        try:
            while not queue.empty():
                text = queue.get_nowait()
                if text is None:
                    self._live = False
                    break
                await self.send_text(text)
        except Exception:
            self.closed = True
            self._failed = True
            self._live = False
        finally:
            self._writer = None
        if self._failed:
            with contextlib.suppress(Exception):
                await self.close(1008)


async def disconnect(session: Session, reason: str, *, resumable: bool = False) -> None:
    """Tell a session why it is being disconnected (`agent_disconnected` or
    `customer_disconnected`, the same in every version), then close it. Only a session the
    server gave up on for the client's silence (`resumable`) may be resumed later."""
    session.resumable = session.resumable and resumable
    action = "agent_disconnected" if session.api == AGENT else "customer_disconnected"
    session.send(push_message(action, {"reason": reason}, version=session.push_version))
    await session.finish(1000)


class Hub:
    def __init__(self) -> None:
        self._by_user: dict[tuple[int, str, str], set[Session]] = defaultdict(set)
        self._agents: dict[int, set[Session]] = defaultdict(set)
        self._by_id: dict[str, Session] = {}
        # Every open connection, logged in or not (the idle reaper walks these).
        self.connected: set[Session] = set()
        self._per_address: dict[str | None, int] = defaultdict(int)
        # Told when an agent's last session goes (presence starts its offline grace).
        self.on_agent_gone: Callable[[Principal], None] | None = None
        # Detached sessions (realtime/resume.py): no connection, still numbering and keeping
        # their pushes until `detached_until`, by resume id and by user.
        self._detached: dict[str, Session] = {}
        self._detached_by_user: dict[tuple[int, str, str], set[Session]] = defaultdict(set)
        self._detached_agents: dict[int, set[Session]] = defaultdict(set)

    def register(self, session: Session, max_per_user: int = 0) -> list[Session]:
        """Index a logged-in session; returns the user's oldest sessions over the limit,
        already unindexed, for the caller to disconnect (`too_many_connections`)."""
        p = session.principal
        assert p is not None
        mine = self._by_user[(p.license_id, p.user_type, p.user_id)]
        mine.add(session)
        if p.user_type == AGENT:
            self._agents[p.license_id].add(session)
        self._by_id[session.id] = session
        evicted: list[Session] = []
        if max_per_user > 0 and len(mine) > max_per_user:
            oldest = sorted(mine, key=lambda s: s.created)[: len(mine) - max_per_user]
            for old in oldest:
                self.unregister(old)
                evicted.append(old)
        return evicted

    def connect(self, session: Session) -> None:
        self.connected.add(session)
        self._per_address[session.address] += 1

    def disconnect(self, session: Session) -> None:
        if session in self.connected:
            self.connected.discard(session)
            self._per_address[session.address] -= 1
            if self._per_address[session.address] <= 0:
                del self._per_address[session.address]
        self.unregister(session)

    def count_address(self, address: str | None) -> int:
        return self._per_address.get(address, 0)

    def unregister(self, session: Session) -> None:
        self._by_id.pop(session.id, None)
        p = session.principal
        if p is None:
            return
        key = (p.license_id, p.user_type, p.user_id)
        sessions = self._by_user.get(key)
        if sessions is not None:
            sessions.discard(session)
            if not sessions:
                del self._by_user[key]
                if p.user_type == AGENT and self.on_agent_gone is not None:
                    self.on_agent_gone(p)
        agents = self._agents.get(p.license_id)
        if agents is not None:
            agents.discard(session)
            if not agents:
                del self._agents[p.license_id]

    def sessions_of(self, license_id: int, user_type: str, user_id: str) -> set[Session]:
        return self._by_user.get((license_id, user_type, user_id), set())

    def agent_sessions(self, license_id: int) -> set[Session]:
        return self._agents.get(license_id, set())

    # -- push targets: live sessions and detached ones ----------------------------------

    def targets_of(self, license_id: int, user_type: str, user_id: str) -> set[Session]:
        """A user's sessions that get its pushes: connected ones, and detached ones that
        keep them for a resume."""
        key = (license_id, user_type, user_id)
        live = self._by_user.get(key, set())
        detached = self._detached_by_user.get(key)
        return live | detached if detached else live

    def agent_targets(self, license_id: int) -> set[Session]:
        live = self._agents.get(license_id, set())
        detached = self._detached_agents.get(license_id)
        return live | detached if detached else live

    # -- detached sessions ---------------------------------------------------------------

    def detach(self, session: Session, until: float, max_detached: int) -> list[Session]:
        """Keep a session whose connection is gone (already unindexed) for a resume;
        returns the oldest detached sessions dropped to stay within `max_detached`."""
        log, p = session.log, session.principal
        if log is None or p is None:
            return []
        session.detached_until = until
        self._detached[log.key] = session
        self._detached_by_user[(p.license_id, p.user_type, p.user_id)].add(session)
        if p.user_type == AGENT:
            self._detached_agents[p.license_id].add(session)
        dropped: list[Session] = []
        if len(self._detached) > max_detached:
            by_age = sorted(self._detached.values(), key=lambda s: s.detached_until or 0.0)
            for old in by_age[: len(self._detached) - max_detached]:
                self.take_detached(old)
                dropped.append(old)
        return dropped

    def detached(self, key: str) -> Session | None:
        return self._detached.get(key)

    def take_detached(self, session: Session) -> None:
        """Stop keeping a detached session (resumed, expired or dropped)."""
        log, p = session.log, session.principal
        if log is not None:
            self._detached.pop(log.key, None)
        if p is None:
            return
        key = (p.license_id, p.user_type, p.user_id)
        mine = self._detached_by_user.get(key)
        if mine is not None:
            mine.discard(session)
            if not mine:
                del self._detached_by_user[key]
        agents = self._detached_agents.get(p.license_id)
        if agents is not None:
            agents.discard(session)
            if not agents:
                del self._detached_agents[p.license_id]

    def expire_detached(self, now: float) -> int:
        """Drop detached sessions past their window; how many went."""
        gone = [s for s in self._detached.values() if (s.detached_until or 0.0) <= now]
        for session in gone:
            self.take_detached(session)
        return len(gone)

    def detached_count(self) -> int:
        return len(self._detached)

    def away_counts(self, license_id: int, agent_id: str) -> tuple[int, int]:
        """(connections, connections away) of an agent on this process."""
        sessions = self._by_user.get((license_id, AGENT, agent_id), ())
        return len(sessions), sum(1 for s in sessions if s.away)

    def agent_connection_counts(self) -> dict[tuple[int, str], tuple[int, int]]:
        """(license, agent) -> (connections, connections away) on this process."""
        return {
            (license_id, user_id): (len(sessions), sum(1 for s in sessions if s.away))
            for (license_id, user_type, user_id), sessions in self._by_user.items()
            if user_type == AGENT and sessions
        }

    def is_online(self, license_id: int, agent_id: str) -> bool:
        return bool(self._by_user.get((license_id, AGENT, agent_id)))

    def get(self, session_id: str) -> Session | None:
        return self._by_id.get(session_id)

    def all(self) -> list[Session]:
        return list(self._by_id.values())
