"""RTM sessions for the benchmarks: websocket connect + ``login``, requests matched to
responses by ``request_id``, and a callback for every push (with its arrival time)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

PushHandler = Callable[["RTMSession", dict[str, Any], float], None]

_ids = itertools.count(1)


class RTMError(Exception):
    pass


class RTMSession:
    """One logged-in RTM connection. ``on_push(session, message, t_arrival)`` sees every push."""

    def __init__(self, ws: ClientConnection, name: str, on_push: PushHandler | None) -> None:
        self.ws = ws
        self.name = name
        self.on_push = on_push
        self.pending: dict[str, tuple[float, asyncio.Future[dict[str, Any]] | None]] = {}
        self.on_response: Callable[[str, dict[str, Any], float, float], None] | None = None
        self.user_id: str = ""
        self.closed = False
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def open(
        cls,
        url: str,
        token: str,
        name: str = "",
        on_push: PushHandler | None = None,
        compression: str | None = None,
        login_extra: dict[str, Any] | None = None,
        timeout_s: float = 30.0,
    ) -> RTMSession:
        ws = await connect(
            url,
            compression=compression,
            ping_interval=None,  # the benchmark sends the RTM ``ping`` action itself
            max_size=2**24,
            open_timeout=timeout_s,
            close_timeout=2,
        )
        session = cls(ws, name, on_push)
        resp = await session.request(
            "login", {"token": f"Bearer {token}", **(login_extra or {})}, timeout_s=timeout_s
        )
        if not resp.get("success", False):
            await session.close()
            raise RTMError(f"login failed: {json.dumps(resp)[:300]}")
        payload = resp.get("payload") or {}
        session.user_id = str(
            payload.get("customer_id") or (payload.get("my_profile") or {}).get("id") or ""
        )
        return session

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                t = time.perf_counter()
                try:
                    msg = json.loads(raw)
                except ValueError:
                    continue
                if msg.get("type") == "push":
                    if self.on_push is not None:
                        self.on_push(self, msg, t)
                    continue
                rid = msg.get("request_id")
                if rid is None:
                    continue
                entry = self.pending.pop(str(rid), None)
                if entry is None:
                    continue
                sent_at, fut = entry
                if fut is not None and not fut.done():
                    fut.set_result(msg)
                if self.on_response is not None:
                    self.on_response(str(rid), msg, sent_at, t)
        except ConnectionClosed:
            pass
        except asyncio.CancelledError:
            raise
        finally:
            self.closed = True
            for _, fut in self.pending.values():
                if fut is not None and not fut.done():
                    fut.set_exception(RTMError(f"{self.name}: connection closed"))

    async def send(
        self,
        action: str,
        payload: dict[str, Any],
        request_id: str | None = None,
        wait: bool = False,
    ) -> asyncio.Future[dict[str, Any]] | None:
        """Send a request; record its send time. With ``wait`` a future for the response."""
        rid = request_id or f"r{next(_ids)}"
        fut: asyncio.Future[dict[str, Any]] | None = None
        if wait:
            fut = asyncio.get_running_loop().create_future()
        self.pending[rid] = (time.perf_counter(), fut)
        await self.ws.send(json.dumps({"request_id": rid, "action": action, "payload": payload}))
        return fut

    async def request(
        self, action: str, payload: dict[str, Any] | None = None, timeout_s: float = 30.0
    ) -> dict[str, Any]:
        fut = await self.send(action, payload or {}, wait=True)
        assert fut is not None
        return await asyncio.wait_for(fut, timeout_s)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 3)
        self._reader.cancel()
        with contextlib.suppress(BaseException):
            await self._reader


async def open_many(
    specs: list[tuple[str, str, str]],
    on_push: PushHandler | None = None,
    concurrency: int = 100,
    deadline_s: float = 300.0,
    compression: str | None = None,
) -> tuple[list[RTMSession], list[str]]:
    """Open and log in sessions for (url, token, name) specs, ``concurrency`` handshakes at a
    time, stopping at ``deadline_s``. Returns sessions in spec order (failed ones omitted) and
    error samples."""
    sessions: list[RTMSession | None] = [None] * len(specs)
    errors: list[str] = []
    next_index = [0]
    stop_at = time.monotonic() + deadline_s

    async def worker() -> None:
        while next_index[0] < len(specs) and time.monotonic() < stop_at:
            i = next_index[0]
            next_index[0] += 1
            url, token, name = specs[i]
            try:
                sessions[i] = await RTMSession.open(url, token, name, on_push, compression)
            except Exception as exc:
                if len(errors) < 5:
                    errors.append(f"{name}: {exc!r}"[:300])
                else:
                    errors.append("")

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(specs))))))
    return [s for s in sessions if s is not None], errors


async def close_many(sessions: list[RTMSession], concurrency: int = 200) -> None:
    for i in range(0, len(sessions), concurrency):
        await asyncio.gather(*(s.close() for s in sessions[i : i + concurrency]))


class KeepAlive:
    """Sends the RTM ``ping`` action on every session every ``interval_s`` (spread out), so the
    server's inactivity timeout (about a minute) never closes an idle benchmark session."""

    def __init__(self, sessions: list[RTMSession], interval_s: float = 20.0) -> None:
        self.sessions = sessions
        self.interval_s = interval_s
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while True:
            current = list(self.sessions)
            if not current:
                await asyncio.sleep(1.0)
                continue
            step = self.interval_s / len(current)
            for s in current:
                if not s.closed:
                    with contextlib.suppress(Exception):
                        await s.send("ping", {}, request_id=f"ka{next(_ids)}")
                await asyncio.sleep(step)

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(BaseException):
            await self._task
