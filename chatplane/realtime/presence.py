"""Presence: an agent with no connection left goes offline after a grace period, an agent
whose every connection is away stops accepting chats, and a banned customer's connections
are closed.

The grace period lets a page reload or a network blip pass without taking the agent's
chats away. Each process watches the connections it holds; with several processes the
presence board (realtime/board.py, on Redis) says whether the agent is connected elsewhere,
and how many of those connections are away.

Auto-away (v3.6 `set_away_status`, `login` with `away`) is per connection: when every
connection of an agent is away it becomes `not_accepting_chats`, and when one is back (or
a connection that is not away opens) it returns to the status it chose
(domain/agent_status.py `connections_away`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from chatplane.bus import Origin
from chatplane.domain import agent_status
from chatplane.domain import changes as ch
from chatplane.domain.models import AGENT, CUSTOMER, Principal
from chatplane.realtime.board import PresenceBoard
from chatplane.realtime.hub import Hub, Session, disconnect
from chatplane.storage import Tx
from chatplane.storage import routing as rrepo

log = logging.getLogger(__name__)

# Changes made by presence itself carry this origin.
PRESENCE = Origin("presence", None)


Commit = Callable[[Callable[[Tx], Any], Origin], Awaitable[Any]]
Read = Callable[[Callable[[Tx], Any]], Awaitable[Any]]


class Presence:
    def __init__(
        self,
        hub: Hub,
        commit: Commit,
        read: Read,
        board: PresenceBoard | None,
        offline_grace: float,
    ) -> None:
        self.hub = hub
        self.commit = commit
        self.read = read
        self.board = board
        self.offline_grace = offline_grace
        self._pending: dict[tuple[int, str], asyncio.Task[None]] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self.hub.on_agent_gone = self.agent_gone

    async def recover(self) -> None:
        """After a restart nobody is connected yet: agents that were online go offline
        unless they come back within the grace period."""
        for license_id, agent_id in await self.read(lambda tx: rrepo.not_offline_agents(tx.conn)):
            self._schedule(license_id, agent_id)

    def agent_gone(self, principal: Principal) -> None:
        self._schedule(principal.license_id, principal.user_id)

    def _schedule(self, license_id: int, agent_id: str) -> None:
        key = (license_id, agent_id)
        if key in self._pending:
            return
        self._pending[key] = asyncio.get_running_loop().create_task(
            self._offline_after_grace(license_id, agent_id)
        )

    async def _offline_after_grace(self, license_id: int, agent_id: str) -> None:
        """Offline once a grace period has passed with the agent connected nowhere. When
        that cannot be told (the presence board is unreachable, or being counted again
        after Redis came back empty) or the change cannot be stored (the database is
        away), it is decided again a grace period later: never on a guess, never dropped."""
        hub = self.hub

        def still_gone() -> bool:
            return not hub.is_online(license_id, agent_id)

        try:
            while True:
                await asyncio.sleep(self.offline_grace)
                if not still_gone():
                    return
                if self.board is not None:
                    try:
                        elsewhere = await self.board.online_elsewhere(license_id, agent_id)
                    except Exception:
                        log.warning("presence board unreachable; deciding on %s later", agent_id)
                        continue
                    if elsewhere is None:
                        continue
                    if elsewhere:
                        return  # connected to another process of the cluster
                try:
                    await self.commit(
                        lambda tx: agent_status.went_offline(tx, license_id, agent_id, still_gone),
                        PRESENCE,
                    )
                    return
                except Exception:
                    log.exception("could not set agent %s offline; trying again", agent_id)
        finally:
            self._pending.pop((license_id, agent_id), None)

    # -- auto-away ---------------------------------------------------------------------

    async def all_away(self, license_id: int, agent_id: str) -> bool:
        """Whether the agent has connections, on any process, and every one is away."""
        total, away = self.hub.away_counts(license_id, agent_id)
        if self.board is not None:
            more, more_away = await self.board.counts_elsewhere(license_id, agent_id)
            total, away = total + more, away + more_away
        return total > 0 and away >= total

    async def set_away(self, session: Session, away: bool) -> None:
        """A connection goes away or comes back (`set_away_status`); the agent's routing
        status follows when that makes every connection away, or not any more."""
        p = session.principal
        if p is None or not p.is_agent:
            raise ValueError("only a logged-in agent's connection is away or not")
        if session.away != away:
            session.away = away
            if self.board is not None:
                await self.board.away_changed(p.license_id, p.user_id, 1 if away else -1)
        await self._apply_away(p.license_id, p.user_id)

    async def session_opened(self, session: Session) -> None:
        """A logged-in connection is registered: count it on the board if it is away.
        (Its routing status is set by `agent_status.login`, told by `all_away`.)"""
        p = session.principal
        if session.away and p is not None and p.is_agent and self.board is not None:
            await self.board.away_changed(p.license_id, p.user_id, 1)

    async def session_closed(self, session: Session) -> None:
        """A connection closed (and left the hub): if the ones left are all away, the
        agent stops accepting chats. None left is the offline grace's business."""
        p = session.principal
        if p is None or not p.is_agent:
            return
        if session.away:
            if self.board is not None:
                await self.board.away_changed(p.license_id, p.user_id, -1)
            return  # the others were all away already, or one of them is not
        if await self.all_away(p.license_id, p.user_id):
            await self._apply_away(p.license_id, p.user_id)

    async def _apply_away(self, license_id: int, agent_id: str) -> None:
        all_away = await self.all_away(license_id, agent_id)
        await self.commit(
            lambda tx: agent_status.connections_away(tx, license_id, agent_id, all_away),
            PRESENCE,
        )

    async def on_changes(self, changes: Sequence[ch.Change], _origin: Origin) -> None:
        for change in changes:
            if isinstance(change, ch.CustomerBanned):
                self._close(change.license_id, CUSTOMER, change.customer_id, "customer_banned")
            elif isinstance(change, ch.AgentAccessChanged) and change.how == "suspended":
                # Its token no longer opens anything (the spec has no `suspended` reason).
                self._close(change.license_id, AGENT, change.agent_id, "access_token_revoked")
            elif isinstance(change, ch.AgentDeleted):
                self._close(change.license_id, AGENT, change.agent_id, "agent_deleted")

    def _close(self, license_id: int, user_type: str, user_id: str, reason: str) -> None:
        hub = self.hub
        for session in list(hub.sessions_of(license_id, user_type, user_id)):
            hub.unregister(session)
            task = asyncio.create_task(disconnect(session, reason))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def stop(self) -> None:
        for task in list(self._pending.values()):
            task.cancel()
        for task in list(self._pending.values()):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
