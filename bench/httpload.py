"""A lean HTTP/1.1 keep-alive client on raw asyncio sockets, and a closed-loop load runner.

Why not httpx: on a 2-core machine the load generator shares the CPU with the server, so the
client must cost as little as possible per request. This client keeps one connection per
worker, writes a pre-built request in one ``write`` and parses only what it needs (status line,
``Content-Length`` or chunked body). No pipelining: one request in flight per connection, which
is how a browser or an SDK talks to the Web API.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.stats import summarize_ms


class HTTPError(Exception):
    pass


class _ClientProtocol(asyncio.Protocol):
    __slots__ = ("buf", "closed", "transport", "waiter")

    def __init__(self) -> None:
        self.buf = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.transport: asyncio.Transport | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        try:
            parsed = _parse_response(self.buf)
        except HTTPError as exc:
            waiter.set_exception(exc)
            return
        if parsed is not None:
            status, body, consumed = parsed
            del self.buf[:consumed]
            waiter.set_result((status, body))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(ConnectionError(f"connection closed: {exc}"))


def _parse_response(buf: bytearray) -> tuple[int, bytes, int] | None:
    """Parse one complete response from ``buf``: (status, body, bytes consumed) or None."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buf[:end]).decode("latin-1")
    lines = head.split("\r\n")
    try:
        status = int(lines[0].split(" ", 2)[1])
    except (IndexError, ValueError) as exc:
        raise HTTPError(f"bad status line {lines[0]!r}") from exc
    length = -1
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        lname = name.strip().lower()
        if lname == "content-length":
            length = int(value.strip())
        elif lname == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    start = end + 4
    if chunked:
        body = bytearray()
        pos = start
        while True:
            eol = buf.find(b"\r\n", pos)
            if eol < 0:
                return None
            size = int(bytes(buf[pos:eol]).split(b";")[0], 16)
            if size == 0:
                trailer_end = buf.find(b"\r\n\r\n", eol)
                if trailer_end < 0:
                    return None
                return status, bytes(body), trailer_end + 4
            if len(buf) < eol + 2 + size + 2:
                return None
            body += buf[eol + 2 : eol + 2 + size]
            pos = eol + 2 + size + 2
    if length < 0:
        length = 0  # HEAD / 204 / 304 style; our endpoints always send a length
    if len(buf) < start + length:
        return None
    return status, bytes(buf[start : start + length]), start + length


class HTTPConnection:
    """One keep-alive HTTP/1.1 connection; one request in flight at a time."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._proto: _ClientProtocol | None = None

    async def _ensure(self) -> _ClientProtocol:
        if self._proto is None or self._proto.closed:
            loop = asyncio.get_running_loop()
            _, proto = await loop.create_connection(_ClientProtocol, self.host, self.port)
            self._proto = proto
        return self._proto

    async def send_raw(self, request: bytes, timeout: float = 30.0) -> tuple[int, bytes]:
        proto = await self._ensure()
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[tuple[int, bytes]] = loop.create_future()
        proto.waiter = waiter
        assert proto.transport is not None
        proto.transport.write(request)
        try:
            return await asyncio.wait_for(waiter, timeout)
        finally:
            proto.waiter = None

    async def post_json(
        self, path: str, payload: Any, token: str | None = None, timeout: float = 60.0
    ) -> tuple[int, Any]:
        status, body = await self.send_raw(
            build_post(self.host, self.port, path, json.dumps(payload).encode(), token), timeout
        )
        try:
            return status, json.loads(body) if body else None
        except ValueError:
            return status, body.decode("utf-8", "replace")

    async def post_form(
        self, path: str, form: dict[str, str], token: str | None = None, timeout: float = 60.0
    ) -> tuple[int, Any]:
        from urllib.parse import urlencode

        req = build_post(
            self.host,
            self.port,
            path,
            urlencode(form).encode(),
            token,
            "application/x-www-form-urlencoded",
        )
        status, body = await self.send_raw(req, timeout)
        try:
            return status, json.loads(body) if body else None
        except ValueError:
            return status, body.decode("utf-8", "replace")

    async def get(self, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
        req = f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode()
        return await self.send_raw(req, timeout)

    def close(self) -> None:
        if self._proto is not None and self._proto.transport is not None:
            self._proto.transport.close()
        self._proto = None


def build_post(
    host: str,
    port: int,
    path: str,
    body: bytes,
    token: str | None = None,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> bytes:
    """Bytes of a complete HTTP/1.1 POST (keep-alive is the 1.1 default); ``headers`` are
    sent after ``Host`` and the authorization, in their order."""
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    more = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{auth}{more}"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


@dataclass
class LoadResult:
    concurrency: int
    duration_s: float
    ok: int = 0
    errors: int = 0
    latencies_s: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    server_cpu_s: float | None = None
    client_cpu_s: float | None = None
    machine_cpu_s: float | None = None

    def figures(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "concurrency": self.concurrency,
            "duration_s": round(self.duration_s, 3),
            "requests_ok": self.ok,
            "errors": self.errors,
            "throughput_rps": round(self.ok / self.duration_s, 1) if self.duration_s else 0.0,
            "latency": summarize_ms(self.latencies_s),
        }
        if self.server_cpu_s is not None:
            out["server_cpu_pct"] = round(100.0 * self.server_cpu_s / self.duration_s, 1)
        if self.client_cpu_s is not None:
            out["client_cpu_pct"] = round(100.0 * self.client_cpu_s / self.duration_s, 1)
        if self.machine_cpu_s is not None and self.duration_s:
            other = self.machine_cpu_s - (self.server_cpu_s or 0.0) - (self.client_cpu_s or 0.0)
            out["other_processes_cpu_pct"] = round(max(0.0, 100.0 * other / self.duration_s), 1)
        if self.error_samples:
            out["error_samples"] = self.error_samples[:3]
        return out


RequestFactory = Callable[[int, int], bytes]
"""(worker index, sequence number within that worker) -> complete request bytes."""


async def run_closed_loop(
    host: str,
    port: int,
    make_request: RequestFactory,
    concurrency: int,
    duration_s: float,
    warmup_s: float = 0.0,
    max_requests: int = 10_000_000,
    ok_status: int = 200,
    cpu_probe: Callable[[], float] | None = None,
) -> LoadResult:
    """``concurrency`` workers, each on its own keep-alive connection, each sending the next
    request as soon as the previous answer arrives. Requests finishing during the warm-up are
    not counted. Bounded by ``duration_s`` after warm-up and by ``max_requests`` in total."""
    import resource

    from bench.procs import machine_busy_seconds

    conns = [HTTPConnection(host, port) for _ in range(concurrency)]
    for c in conns:
        await c._ensure()
    result = LoadResult(concurrency=concurrency, duration_s=0.0)
    loop_time = time.perf_counter
    start = loop_time()
    measure_from = start + warmup_s
    stop_at = measure_from + duration_s
    budget = [max_requests]
    marks: dict[str, float] = {}

    async def worker(w: int) -> None:
        conn = conns[w]
        seq = 0
        lat = result.latencies_s
        while budget[0] > 0:
            now = loop_time()
            if now >= stop_at:
                return
            budget[0] -= 1
            req = make_request(w, seq)
            seq += 1
            t0 = loop_time()
            try:
                status, body = await conn.send_raw(req)
            except (TimeoutError, OSError, HTTPError) as exc:
                if t0 >= measure_from:
                    result.errors += 1
                    if len(result.error_samples) < 3:
                        result.error_samples.append(repr(exc))
                conn.close()
                continue
            t1 = loop_time()
            if t0 < measure_from:
                continue
            if status == ok_status:
                result.ok += 1
                lat.append(t1 - t0)
            else:
                result.errors += 1
                if len(result.error_samples) < 3:
                    result.error_samples.append(f"{status} {body[:300]!r}")

    async def cpu_marks() -> None:
        delay = measure_from - loop_time()
        if delay > 0:
            await asyncio.sleep(delay)
        marks["t0"] = loop_time()
        ru = resource.getrusage(resource.RUSAGE_SELF)
        marks["c0"] = ru.ru_utime + ru.ru_stime
        if cpu_probe is not None:
            marks["s0"] = cpu_probe()
        marks["m0"] = machine_busy_seconds()

    probe_task = asyncio.ensure_future(cpu_marks())
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    await probe_task
    end = loop_time()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    result.duration_s = end - marks.get("t0", measure_from)
    result.client_cpu_s = ru.ru_utime + ru.ru_stime - marks.get("c0", 0.0)
    if cpu_probe is not None and "s0" in marks:
        result.server_cpu_s = cpu_probe() - marks["s0"]
    if "m0" in marks:
        result.machine_cpu_s = machine_busy_seconds() - marks["m0"]
    for c in conns:
        c.close()
    return result


async def run_sequential(
    host: str,
    port: int,
    requests: list[bytes],
    ok_status: int = 200,
    time_cap_s: float = 60.0,
) -> tuple[list[float], list[str], list[bytes]]:
    """Send ``requests`` one after another on one connection (stopping at ``time_cap_s``);
    latency of each answered one (seconds), error samples, and the bodies of the first few."""
    conn = HTTPConnection(host, port)
    lat: list[float] = []
    errors: list[str] = []
    bodies: list[bytes] = []
    stop_at = time.perf_counter() + time_cap_s
    for req in requests:
        if time.perf_counter() >= stop_at:
            break
        t0 = time.perf_counter()
        status, body = await conn.send_raw(req, timeout=max(5.0, time_cap_s))
        t1 = time.perf_counter()
        if len(bodies) < 2:
            bodies.append(body)
        if status == ok_status:
            lat.append(t1 - t0)
        elif len(errors) < 3:
            errors.append(f"{status} {body[:300]!r}")
    conn.close()
    return lat, errors, bodies


async def bulk_post(
    host: str,
    port: int,
    jobs: Sequence[tuple[str, Any, str | None]],
    concurrency: int = 32,
    timeout: float = 60.0,
) -> list[tuple[int, Any]]:
    """Run many (path, payload, token) POSTs with ``concurrency`` keep-alive connections;
    results in job order. Used for setup (customers, chats, seeding), not for figures."""
    results: list[tuple[int, Any]] = [(0, None)] * len(jobs)
    next_index = [0]

    async def worker() -> None:
        conn = HTTPConnection(host, port)
        try:
            while next_index[0] < len(jobs):
                i = next_index[0]
                next_index[0] += 1
                path, payload, token = jobs[i]
                try:
                    results[i] = await conn.post_json(path, payload, token, timeout)
                except (TimeoutError, OSError, HTTPError) as exc:
                    conn.close()
                    results[i] = (0, repr(exc))
        finally:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(jobs))))))
    return results
