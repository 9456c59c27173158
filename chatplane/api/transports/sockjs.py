"""SockJS for the RTM API (`/v3.x/<api>/rtm/sjs`), as sockjs-protocol 0.3.3 defines it.

LiveChat's browser SDK of the v3.0 Customer Chat API (`@livechat/customer-sdk` 2.0) connects
with sockjs-client 1.3 to `<api>/rtm/sjs?license_id=N&bh=…`, whitelisting the `websocket` and
`xhr-polling` transports; this serves what that client uses:

- `GET <base>/info`: the server's capabilities (websocket on, no cookie needed).
- `<base>/<server>/<session>/websocket`: a websocket with SockJS framing: the server sends `o`
  on open, `h` heartbeats, `a["<message>", …]` and `c[<code>,"<reason>"]` on close; the
  client sends JSON arrays of strings.
- `<base>/<server>/<session>/xhr` (POST, long-poll: the same frames, one per line) and
  `…/xhr_send` (POST a JSON array of strings). A polling session outlives its requests: it
  closes once its client has not polled for `sockjs_disconnect_delay` seconds.

Every message is one RTM request (or response, or push) as the plain websocket carries it,
handed to `RtmEndpoint.run`; the base URL's query string (`license_id`) reaches it too.
Transports the SDK never uses (xhr-streaming, eventsource, htmlfile, jsonp, iframe pages
and the raw `<base>/websocket`, which `/rtm/ws` already is) answer 404.

No library: the maintained Python SockJS servers are aiohttp- or tornado-bound (see
docs/decisions.md, "RTM transports").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import time
from collections.abc import Mapping
from email.utils import formatdate

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from chatplane import jsondecode
from chatplane.api.rtm import PING_KEY, RtmEndpoint

_encode = msgspec.json.Encoder().encode

WELCOME = "Welcome to SockJS!\n"
NOT_CACHED = "no-store, no-cache, must-revalidate, max-age=0"
ONE_YEAR = 31_536_000
# Messages a polling session holds for its client before the RTM session's own queue
# (and its slow-client rule) takes over.
MAX_PENDING = 256

# Characters some browsers mangle in transit; the protocol has servers \u-escape them.
_MANGLED = re.compile("[\u200c-\u200f\u2028-\u202f\u2060-\u206f\ufff0-\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")

# Reasons of the close frame, by the code the RTM session closes with.
CLOSE_REASONS = {
    1000: "Normal closure",
    1002: "Connection interrupted",
    1008: "Not reading its messages",
    1009: "Message too big",
    1011: "Internal error",
    1013: "Too many connections from this address",
    2010: "Another connection still open",
}


class BrokenFraming(ValueError):
    pass


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def message_frame(texts: list[str]) -> str:
    """`a[...]`: the messages as a JSON array of strings."""
    return "a" + _MANGLED.sub(_escape, _encode(texts).decode())


def close_frame(code: int, reason: str | None = None) -> str:
    return "c" + _encode([code, reason or CLOSE_REASONS.get(code, "Closed")]).decode()


def client_messages(raw: str | bytes) -> list[str]:
    """The messages of a client frame: a JSON array of strings (sockjs-client's), or one
    JSON value. A non-string element is taken as the JSON text of a message, so that it
    reaches the RTM API (and its validation) rather than being dropped."""
    try:
        # A message nested past the limit inside the frame's array is no message the RTM
        # API would take (messages nested inside their strings reach it, and its answer).
        jsondecode.check_depth(raw, jsondecode.MAX_JSON_DEPTH + 1)
    except jsondecode.TooDeep as exc:
        raise BrokenFraming(exc.message) from None
    try:
        # The standard library, not msgspec: it keeps numbers of any size for the RTM API
        # to refuse by name, and lone surrogates (replaced below) instead of failing.
        decoded = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BrokenFraming("Broken JSON encoding.") from None
    items = decoded if isinstance(decoded, list) else [decoded]
    out = []
    for item in items:
        text = item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)
        if _SURROGATE.search(text):
            # An escaped lone surrogate (`"\ud800"`) is no character: U+FFFD, as a
            # websocket's undecodable bytes are.
            text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        out.append(text)
    return out


def _cors(request: Request) -> dict[str, str]:
    """Any origin, with credentials (the protocol's rule): nothing here is authorized by a
    cookie (a session logs in with a token in a message), just as a websocket accepts any
    page."""
    origin = request.headers.get("origin")
    headers = {
        "Access-Control-Allow-Origin": origin if origin and origin != "null" else "*",
        "Access-Control-Allow-Credentials": "true",
    }
    if origin:
        headers["Vary"] = "Origin"
    requested = request.headers.get("access-control-request-headers")
    if requested:
        headers["Access-Control-Allow-Headers"] = requested
    return headers


def _session_path(request: Request) -> str | None:
    """The session id; None for ids the protocol refuses (empty, or with dots)."""
    server = request.path_params["server"]
    session = request.path_params["session"]
    if not server or not session or "." in server or "." in session:
        return None
    return str(session)


class SockJsWebSocket:
    """The websocket transport: one SockJS session per websocket (ids are not kept)."""

    def __init__(self, websocket: WebSocket, heartbeat: float) -> None:
        self.websocket = websocket
        self.address = websocket.client.host if websocket.client else None
        self.query: Mapping[str, str] = websocket.query_params
        self.headers: Mapping[str, str] = websocket.headers
        self._box: list[float] | None = websocket.scope.get(PING_KEY)
        self._heartbeat = heartbeat
        self._pending: list[str] = []
        self._lock = asyncio.Lock()
        self._beating: asyncio.Task[None] | None = None
        self._accepted = False
        self._closed = False

    def last_alive(self) -> float | None:
        # The server's control-frame pings are answered by the browser itself.
        return self._box[0] if self._box else None

    async def accept(self) -> None:
        await self.websocket.accept()
        self._accepted = True
        await self._send("o")
        self._beating = asyncio.create_task(self._beat())

    async def _beat(self) -> None:
        with contextlib.suppress(Exception):
            while not self._closed:
                await asyncio.sleep(self._heartbeat)
                await self._send("h")

    async def _send(self, frame: str) -> None:
        async with self._lock:
            if not self._closed:
                await self.websocket.send_text(frame)

    async def receive(self) -> str | None:
        while not self._pending:
            try:
                message = await self.websocket.receive()
            except (WebSocketDisconnect, RuntimeError):
                message = {"type": "websocket.disconnect"}
            if message["type"] == "websocket.disconnect":
                self._gone()
                return None
            raw = message.get("text")
            if raw is None:
                raw = (message.get("bytes") or b"").decode("utf-8", errors="replace")
            if not raw:
                continue  # the protocol: empty frames are ignored
            try:
                self._pending = client_messages(raw)
            except BrokenFraming:
                # The protocol ends the connection; the close frame says why.
                await self.close(1002, "Broken framing: send a JSON array of strings")
                return None
        return self._pending.pop(0)

    async def send_text(self, text: str) -> None:
        await self._send(message_frame([text]))

    async def close(self, code: int, reason: str | None = None) -> None:
        if self._closed:
            return
        if not self._accepted:
            self._closed = True
            # Refused before the handshake completes: HTTP 403, as on /rtm/ws.
            with contextlib.suppress(Exception):
                await self.websocket.close(code)
            return
        with contextlib.suppress(Exception):
            await self._send(close_frame(code, reason))
        self._gone()
        with contextlib.suppress(Exception):
            await self.websocket.close(code)

    def _gone(self) -> None:
        self._closed = True
        if self._beating is not None:
            self._beating.cancel()


class PollingSession:
    """An xhr-polling session: an `RtmConnection` that outlives the requests carrying it.

    The client keeps one `xhr` request waiting (a long poll answered with the messages
    queued, a heartbeat after `sockjs_heartbeat` seconds, or the close frame) and posts its
    messages to `xhr_send`."""

    def __init__(self, server: SockJsServer, key: str, request: Request) -> None:
        self.server = server
        self.key = key
        self.address = request.client.host if request.client else None
        self.query: Mapping[str, str] = request.query_params
        self.headers: Mapping[str, str] = request.headers
        self.inbox: asyncio.Queue[str | None] = asyncio.Queue()
        self.outbox: list[str] = []
        self.changed = asyncio.Event()  # messages to deliver, or the session closed
        self.drained = asyncio.Event()
        self.opened: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.closing: str | None = None  # the close frame, once closed
        self.polling = False
        self.last_poll = time.monotonic()
        self.task: asyncio.Task[None] | None = None
        self._expiry: asyncio.TimerHandle | None = None

    # -- RtmConnection ---------------------------------------------------------------------

    def last_alive(self) -> float | None:
        return time.monotonic() if self.polling else self.last_poll

    async def accept(self) -> None:
        if not self.opened.done():
            self.opened.set_result(True)

    async def receive(self) -> str | None:
        return await self.inbox.get()

    async def send_text(self, text: str) -> None:
        while len(self.outbox) >= MAX_PENDING and self.closing is None:
            # The client is not collecting: hold the RTM session's writer, whose own queue
            # then fills up and disconnects it like any client that stops reading.
            self.drained.clear()
            await self.drained.wait()
        if self.closing is None:
            self.outbox.append(text)
            self.changed.set()

    async def close(self, code: int, reason: str | None = None) -> None:
        if self.closing is not None:
            return
        self.closing = close_frame(code, reason)
        if not self.opened.done():
            self.opened.set_result(False)
        self.inbox.put_nowait(None)
        self.changed.set()
        self.drained.set()
        self._cancel_expiry()
        # Later polls get the close frame until the session is forgotten.
        self.server.forget_later(self)

    # -- the requests ------------------------------------------------------------------------

    def attach(self) -> None:
        self.polling = True
        self._cancel_expiry()

    def detach(self) -> None:
        self.polling = False
        self.last_poll = time.monotonic()
        if self.closing is None:
            self._cancel_expiry()
            delay = self.server.settings.sockjs_disconnect_delay
            self._expiry = asyncio.get_running_loop().call_later(delay, self._expire)

    def _cancel_expiry(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None

    def _expire(self) -> None:
        """The client stopped polling: the RTM session ends (and frees its hub session)."""
        self._expiry = None
        if not self.polling and self.closing is None:
            self.inbox.put_nowait(None)

    def frames(self) -> str:
        """What is ready for the client: messages, then the close frame."""
        lines = []
        if self.outbox:
            lines.append(message_frame(self.outbox))
            self.outbox = []
            self.drained.set()
        if self.closing is not None:
            lines.append(self.closing)
        self.changed.clear()
        return "".join(line + "\n" for line in lines)

    async def poll(self, request: Request) -> str | None:
        """The long poll: frames as soon as there are any, a heartbeat after the heartbeat
        delay, or None when the client went away first."""
        if self.outbox or self.closing is not None:
            return self.frames()
        self.changed.clear()
        ready = asyncio.ensure_future(self.changed.wait())
        gone = asyncio.ensure_future(_disconnected(request))
        try:
            done, _ = await asyncio.wait(
                {ready, gone},
                timeout=self.server.settings.sockjs_heartbeat,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            ready.cancel()
            gone.cancel()
        if gone in done and ready not in done:
            return None
        if ready in done:
            return self.frames()
        return "h\n"


async def _disconnected(request: Request) -> None:
    """Returns once the client has gone away (the body is read already)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


class SockJsServer:
    """The SockJS service of one RTM endpoint (one API in one version)."""

    def __init__(self, endpoint: RtmEndpoint) -> None:
        self.endpoint = endpoint
        self.settings = endpoint.services.settings
        self.sessions: dict[str, PollingSession] = {}

    def routes(self, base: str) -> list[BaseRoute]:
        session = base + "/{server}/{session}"
        return [
            Route(base, self.greeting, methods=["GET"]),
            Route(base + "/", self.greeting, methods=["GET"]),
            Route(base + "/info", self.info, methods=["GET", "OPTIONS"]),
            WebSocketRoute(session + "/websocket", self.websocket),
            Route(session + "/websocket", self.not_upgraded, methods=["GET"]),
            Route(session + "/xhr", self.xhr, methods=["POST", "OPTIONS"]),
            Route(session + "/xhr_send", self.xhr_send, methods=["POST", "OPTIONS"]),
        ]

    # -- static ------------------------------------------------------------------------------

    async def greeting(self, _request: Request) -> Response:
        return Response(WELCOME, media_type="text/plain; charset=UTF-8")

    async def info(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return _options(request, "OPTIONS, GET")
        body = {
            "websocket": True,
            "origins": ["*:*"],
            "cookie_needed": False,
            "entropy": secrets.randbits(32),
        }
        return Response(
            _encode(body),
            media_type="application/json; charset=UTF-8",
            headers={"Cache-Control": NOT_CACHED, **_cors(request)},
        )

    async def not_upgraded(self, _request: Request) -> Response:
        return Response('Can "Upgrade" only to "WebSocket".', status_code=400)

    # -- websocket ---------------------------------------------------------------------------

    async def websocket(self, websocket: WebSocket) -> None:
        server = websocket.path_params["server"]
        session = websocket.path_params["session"]
        if "." in server or "." in session:
            await websocket.close(1008)
            return
        await self.endpoint.run(SockJsWebSocket(websocket, self.settings.sockjs_heartbeat))

    # -- xhr-polling -------------------------------------------------------------------------

    async def xhr(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return _options(request, "OPTIONS, POST")
        key = _session_path(request)
        if key is None:
            return Response(status_code=404)
        await request.body()  # nothing is expected; read so that a disconnect shows next
        session = self.sessions.get(key)
        if session is None:
            session = PollingSession(self, key, request)
            self.sessions[key] = session
            session.task = asyncio.create_task(self.endpoint.run(session))
            if await session.opened:
                session.detach()  # the client's next poll is due
                return _polled(request, "o\n")
            return _polled(request, session.frames())
        if session.polling:
            return _polled(request, close_frame(2010) + "\n")
        session.attach()
        try:
            body = await session.poll(request)
        finally:
            session.detach()
        if body is None:
            # The poll was aborted (the page went away, or the client closed): the protocol
            # closes the session, and the RTM session with it.
            await session.close(1002)
            return _polled(request, "")
        return _polled(request, body)

    async def xhr_send(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return _options(request, "OPTIONS, POST")
        key = _session_path(request)
        session = self.sessions.get(key) if key is not None else None
        if session is None or session.closing is not None:
            return Response(status_code=404, headers=_cors(request))
        cap = self.settings.max_frame_hard_bytes
        body = await _read_capped(request, cap)
        if body is None:
            # As a websocket frame past the hard cap does: the connection ends (1009).
            await session.close(1009)
            return _sent(request, f"Payload over {cap} bytes.", 413)
        if not body:
            return _sent(request, "Payload expected.", 500)
        try:
            messages = client_messages(body)
        except BrokenFraming as exc:
            return _sent(request, str(exc), 500)
        for text in messages:
            session.inbox.put_nowait(text)
        return _sent(request, "", 204)

    def forget_later(self, session: PollingSession) -> None:
        def forget() -> None:
            if self.sessions.get(session.key) is session:
                del self.sessions[session.key]

        asyncio.get_running_loop().call_later(self.settings.sockjs_disconnect_delay, forget)


async def _read_capped(request: Request, cap: int) -> bytes | None:
    """The body, or None past `cap` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cap:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _polled(request: Request, body: str) -> Response:
    return Response(
        body,
        media_type="application/javascript; charset=UTF-8",
        headers={"Cache-Control": NOT_CACHED, **_cors(request)},
    )


def _sent(request: Request, body: str, status: int) -> Response:
    return Response(
        body or None,
        status_code=status,
        media_type="text/plain; charset=UTF-8",
        headers={"Cache-Control": NOT_CACHED, **_cors(request)},
    )


def _options(request: Request, methods: str) -> Response:
    headers = {
        "Cache-Control": f"public, max-age={ONE_YEAR}",
        "Expires": formatdate(time.time() + ONE_YEAR, usegmt=True),
        "Access-Control-Max-Age": str(ONE_YEAR),
        "Access-Control-Allow-Methods": methods,
        **_cors(request),
    }
    return Response(status_code=204, headers=headers)


def routes(base: str, endpoint: RtmEndpoint) -> list[BaseRoute]:
    """The SockJS routes of `endpoint` under `base` (`/v3.0/customer/rtm/sjs`)."""
    return SockJsServer(endpoint).routes(base)
