"""The Redis bus: every process publishes its committed changes on one channel and
every process (itself included) delivers them to its own subscribers.

Pub/sub is enough here because nothing durable rides on it: a change is committed in
the database before it is published, webhooks come from the database outbox, and a client
that misses a push while reconnecting reads the state back (get_chat_threads). Messages are
data (bus/wire.py: MessagePack, a tagged union of the change types), never code: whatever
anyone publishes on the channel is at worst logged and dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

import redis.asyncio as aioredis

from chatplane.bus import wire
from chatplane.bus.local import Origin, Subscriber, stamped
from chatplane.domain.changes import Change

log = logging.getLogger(__name__)

CHANNEL = "chatplane:changes"


class RedisBus:
    def __init__(self, url: str, channel: str = CHANNEL) -> None:
        self.url = url
        self.channel = channel
        self._subscribers: list[Subscriber] = []
        self._redis: aioredis.Redis | None = None
        self._listener: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    async def start(self) -> None:
        self._redis = aioredis.Redis.from_url(self.url)
        await self._redis.ping()  # fail at start-up, loudly, when Redis is unreachable
        self._listener = asyncio.create_task(self._listen())
        await asyncio.wait_for(self._ready.wait(), 10)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        if self._redis is not None:
            await self._redis.aclose()

    async def publish(self, changes: Sequence[Change], origin: Origin | None = None) -> None:
        if not changes:
            return
        assert self._redis is not None, "RedisBus.start() was not called"
        try:
            data = wire.encode(changes, stamped(origin))
            await self._redis.publish(self.channel, data)
        except Exception:
            # The change is committed; only its pushes are lost. Clients catch up on read.
            log.exception("could not publish %d changes to Redis", len(changes))

    async def _listen(self) -> None:
        assert self._redis is not None
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                self._ready.set()
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    decoded = wire.decode(message["data"])
                    if decoded is not None and decoded[0]:
                        await self._deliver(*decoded)
            except asyncio.CancelledError:
                await pubsub.aclose()
                raise
            except Exception:
                log.exception("Redis bus listener failed; reconnecting")
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                await asyncio.sleep(1)

    async def _deliver(self, changes: list[Change], origin: Origin) -> None:
        for subscriber in self._subscribers:
            try:
                await subscriber(changes, origin)
            except Exception:
                log.exception("bus subscriber failed")
