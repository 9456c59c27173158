"""Resuming on another process of a cluster: the process a client reconnects to asks the
process that kept the session's pushes (named by the session id) for them, over Redis.

Each process listens on `<prefix>:resume:<process id>` for requests and on
`<prefix>:resume-reply:<process id>` for answers. Messages are msgspec structs: anything
else on those channels is logged and dropped, never trusted beyond its type.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable

import msgspec
import redis.asyncio as aioredis

log = logging.getLogger(__name__)

# How long a reconnecting client's login waits for the holding process to answer.
FETCH_TIMEOUT = 3.0


class Request(msgspec.Struct, forbid_unknown_fields=False):
    session_id: str
    seq: int
    license_id: int
    user_type: str
    user_id: str
    api: str
    version: str
    reply_to: str
    nonce: str


class Reply(msgspec.Struct, forbid_unknown_fields=False):
    nonce: str
    ok: bool
    reason: str = ""
    # The missed pushes, oldest first: (frame text without `resume`, change name).
    entries: list[tuple[str, str | None]] = []


class ResumeExchange:
    def __init__(
        self,
        url: str,
        prefix: str,
        process_id: str,
        take: Callable[[Request], Reply],
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.process_id = process_id
        self.take = take
        self._redis: aioredis.Redis | None = None
        self._listener: asyncio.Task[None] | None = None
        self._waiting: dict[str, asyncio.Future[Reply]] = {}
        self._ready = asyncio.Event()

    def _requests(self, process_id: str) -> str:
        return f"{self.prefix}:resume:{process_id}"

    def _replies(self, process_id: str) -> str:
        return f"{self.prefix}:resume-reply:{process_id}"

    async def start(self) -> None:
        self._redis = aioredis.Redis.from_url(self.url)
        self._listener = asyncio.create_task(self._listen())
        await asyncio.wait_for(self._ready.wait(), 10)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        if self._redis is not None:
            await self._redis.aclose()

    async def fetch(self, owner: str, request: Request) -> Reply | None:
        """Ask process `owner` for a session's missed pushes; None when it does not answer
        (it is gone, or Redis is)."""
        assert self._redis is not None, "ResumeExchange.start() was not called"
        nonce = secrets.token_hex(8)
        request.nonce, request.reply_to = nonce, self.process_id
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._waiting[nonce] = future
        try:
            listeners = await self._redis.publish(
                self._requests(owner), msgspec.msgpack.encode(request)
            )
            if not listeners:
                return None  # nobody listens for that process: it is gone
            return await asyncio.wait_for(future, FETCH_TIMEOUT)
        except (TimeoutError, aioredis.RedisError):
            return None
        finally:
            self._waiting.pop(nonce, None)

    async def _listen(self) -> None:
        assert self._redis is not None
        requests, replies = self._requests(self.process_id), self._replies(self.process_id)
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(requests, replies)
                self._ready.set()
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    channel = message["channel"]
                    channel = channel.decode() if isinstance(channel, bytes) else channel
                    if channel == requests:
                        await self._answer(message["data"])
                    else:
                        self._resolve(message["data"])
            except asyncio.CancelledError:
                await pubsub.aclose()
                raise
            except Exception:
                log.exception("resume exchange listener failed; reconnecting")
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                await asyncio.sleep(1)

    async def _answer(self, data: bytes) -> None:
        try:
            request = msgspec.msgpack.decode(data, type=Request)
        except msgspec.DecodeError:
            log.warning("dropped a malformed resume request")
            return
        reply = self.take(request)
        reply.nonce = request.nonce
        assert self._redis is not None
        with contextlib.suppress(aioredis.RedisError):
            await self._redis.publish(
                self._replies(request.reply_to), msgspec.msgpack.encode(reply)
            )

    def _resolve(self, data: bytes) -> None:
        try:
            reply = msgspec.msgpack.decode(data, type=Reply)
        except msgspec.DecodeError:
            log.warning("dropped a malformed resume reply")
            return
        future = self._waiting.get(reply.nonce)
        if future is not None and not future.done():
            future.set_result(reply)
