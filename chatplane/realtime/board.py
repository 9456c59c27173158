"""Which agents are connected anywhere in a cluster (Redis), so that presence is
cluster-wide: an agent whose last connection on one process closes is not taken offline
while it is connected to another process.

Each process counts its agents' connections in a Redis hash per agent (field = process id),
and those of them that are away (v3.6 auto-away) in another, and keeps a heartbeat key
alive; counts of a process whose heartbeat expired (it crashed) are ignored.
Without Redis there is one process, and its hub is the whole truth.

A Redis restarted without persistence comes back empty: every count is gone while the
agents are still connected. Each process notices at its next heartbeat (its own key is
gone) and writes its counts again from its hub; until every process has had the time to
(`SETTLE_SECONDS` after a running process found the board empty), the board cannot tell
and says so (`online_elsewhere` answers None), and presence decides later. A board made by
a process starting (a new cluster, or a process starting on an emptied Redis) counts as
settled: its offline decisions come a grace period after its start, by when the others
(if any) have beaten with the default grace.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

import redis.asyncio as aioredis

from chatplane.realtime.hub import PROCESS_ID

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
HEARTBEAT_TTL = 20
# After the board is (re)made, every live process beats within HEARTBEAT_SECONDS: two of
# them leave room for a beat that failed on a connection Redis dropped when it restarted.
SETTLE_SECONDS = 2 * HEARTBEAT_SECONDS


# (license, agent) -> (connections, connections away) on this process.
LocalCounts = Callable[[], dict[tuple[int, str], tuple[int, int]]]


class PresenceBoard:
    def __init__(self, url: str, prefix: str, local_counts: LocalCounts | None = None) -> None:
        self.url = url
        self.prefix = prefix
        # This process's agent connections, from its hub: written again when Redis lost them.
        self.local_counts = local_counts
        self._redis: aioredis.Redis | None = None
        self._beat: asyncio.Task[None] | None = None

    def _agent_key(self, license_id: int, agent_id: str) -> str:
        return f"{self.prefix}:agent-connections:{license_id}:{agent_id}"

    def _away_key(self, license_id: int, agent_id: str) -> str:
        return f"{self.prefix}:agent-away:{license_id}:{agent_id}"

    def _process_key(self, process_id: str) -> str:
        return f"{self.prefix}:process:{process_id}"

    def _since_key(self) -> str:
        """Since when the board holds every process's counts (made by the first beat that
        found Redis without it)."""
        return f"{self.prefix}:presence-board-since"

    async def start(self) -> None:
        self._redis = aioredis.Redis.from_url(self.url, decode_responses=True)
        await self.beat(starting=True)
        self._beat = asyncio.create_task(self._heartbeat())

    async def stop(self) -> None:
        if self._beat is not None:
            self._beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beat
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.delete(self._process_key(PROCESS_ID))
            await self._redis.aclose()

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                await self.beat()
            except Exception:
                log.exception("presence heartbeat failed")

    async def beat(self, starting: bool = False) -> None:
        """Keep this process's heartbeat alive. When its key is gone, so may be its counts
        (Redis came back empty, and every other process would take this one's agents for
        disconnected): the hub's counts are written again before the key."""
        assert self._redis is not None
        key = self._process_key(PROCESS_ID)
        if not await self._redis.exists(key) and self.local_counts is not None:
            counts = self.local_counts()
            if counts:
                # Absolute values: right whether the hash was lost or only the heartbeat.
                pipe = self._redis.pipeline(transaction=False)
                for (license_id, agent_id), (n, away) in counts.items():
                    pipe.hset(self._agent_key(license_id, agent_id), PROCESS_ID, str(n))
                    if away:
                        pipe.hset(self._away_key(license_id, agent_id), PROCESS_ID, str(away))
                    else:
                        pipe.hdel(self._away_key(license_id, agent_id), PROCESS_ID)
                await pipe.execute()
                log.warning(
                    "presence heartbeat was gone from Redis; counted %d agents again", len(counts)
                )
        pipe = self._redis.pipeline(transaction=False)
        since = time.time() - (SETTLE_SECONDS if starting else 0.0)
        pipe.set(self._since_key(), repr(since), nx=True)
        pipe.set(key, "1", ex=HEARTBEAT_TTL)
        await pipe.execute()

    async def connected(self, license_id: int, agent_id: str) -> None:
        assert self._redis is not None
        await self._redis.hincrby(self._agent_key(license_id, agent_id), PROCESS_ID, 1)

    async def disconnected(self, license_id: int, agent_id: str) -> None:
        assert self._redis is not None
        key = self._agent_key(license_id, agent_id)
        if await self._redis.hincrby(key, PROCESS_ID, -1) <= 0:
            await self._redis.hdel(key, PROCESS_ID)

    async def away_changed(self, license_id: int, agent_id: str, delta: int) -> None:
        """One of this process's connections of the agent went away (+1) or came back or
        closed while away (-1)."""
        assert self._redis is not None
        key = self._away_key(license_id, agent_id)
        if await self._redis.hincrby(key, PROCESS_ID, delta) <= 0:
            await self._redis.hdel(key, PROCESS_ID)

    async def counts_elsewhere(self, license_id: int, agent_id: str) -> tuple[int, int]:
        """(connections, connections away) of the agent on the other live processes."""
        assert self._redis is not None
        connections = await self._redis.hgetall(self._agent_key(license_id, agent_id))
        away = await self._redis.hgetall(self._away_key(license_id, agent_id))
        total = away_total = 0
        for field, count in connections.items():
            process_id = field.decode() if isinstance(field, bytes) else str(field)
            if process_id == PROCESS_ID or int(count) <= 0:
                continue
            if await self._redis.exists(self._process_key(process_id)):
                total += int(count)
                away_total += max(0, int(away.get(field, 0)))
        return total, away_total

    async def online_elsewhere(self, license_id: int, agent_id: str) -> bool | None:
        """Connected to another live process of the cluster; None when the board cannot
        tell yet (found empty by a running process under SETTLE_SECONDS ago)."""
        assert self._redis is not None
        since = await self._redis.get(self._since_key())
        if since is None or time.time() - float(since) < SETTLE_SECONDS:
            return None
        counts = await self._redis.hgetall(self._agent_key(license_id, agent_id))
        for field, count in counts.items():
            process_id = field.decode() if isinstance(field, bytes) else str(field)
            if process_id == PROCESS_ID or int(count) <= 0:
                continue
            if await self._redis.exists(self._process_key(process_id)):
                return True
        return False
