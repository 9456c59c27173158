"""socket.io for the RTM API (`/v3.x/<api>/rtm/sio`), which the Agent Chat API reference lists
beside the websocket.

The framing LiveChat's own socket.io clients used: the socket.io `path` is the endpoint's
path, the default namespace `/`, and every RTM message (request, response or push) is a
`message` event whose one argument is the message object (a client may also send the JSON
text). The customer's `license_id` goes in the connection's query string.

Served by python-socketio's ASGI app (Engine.IO protocol 4, Socket.IO protocol 5: the
socket.io JavaScript client 3.x and 4.x, python-socketio 5.x), websocket and long-polling
transports. Engine.IO pings every `rtm_ping_interval` seconds and drops a client that does
not answer within `rtm_ping_timeout`; while it holds a connection open, the idle reaper
counts the client as alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import urllib.parse
from collections.abc import Mapping
from typing import Any

import msgspec
import socketio
from starlette.datastructures import Headers
from starlette.routing import Mount

from chatplane.api.rtm import RtmEndpoint, response
from chatplane.errors import validation

_decode = msgspec.json.Decoder().decode

EVENT = "message"
CLOSE_REASONS = {1013: "Too many connections from this address"}


class SocketIoConnection:
    """One socket.io client in the default namespace, as an `RtmConnection`."""

    def __init__(self, server: socketio.AsyncServer, sid: str, environ: Mapping[str, Any]) -> None:
        self.server = server
        self.sid = sid
        scope = environ.get("asgi.scope") or {}
        client = scope.get("client")
        self.address: str | None = client[0] if client else None
        raw = str(environ.get("QUERY_STRING", ""))
        self.query: Mapping[str, str] = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
        self.headers: Mapping[str, str] = Headers(scope=scope) if scope else Headers()
        self.inbox: asyncio.Queue[str | None] = asyncio.Queue()
        self.opened: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self.connected = True
        self.task: asyncio.Task[None] | None = None
        self.eio_sid: str | None = server.manager.eio_sid_from_sid(sid, "/")

    def last_alive(self) -> float | None:
        # Engine.IO drops a client that stops answering its pings; until then it is there.
        return time.monotonic() if self.connected else None

    async def accept(self) -> None:
        if not self.opened.done():
            self.opened.set_result(None)

    async def receive(self) -> str | None:
        return await self.inbox.get()

    async def send_text(self, text: str) -> None:
        if self.connected:
            await self.server.emit(EVENT, _decode(text), to=self.sid)

    async def close(self, code: int) -> None:
        if not self.opened.done():
            # Refused before the namespace connection completes: the client's
            # `connect_error` names the reason.
            self.opened.set_result(CLOSE_REASONS.get(code, f"Refused ({code})"))
            return
        if not self.connected:
            return
        self.gone()
        await self.server.disconnect(self.sid)
        if self.eio_sid is not None:
            # Close the Engine.IO connection too (after what is queued has gone out), so a
            # client that ignores the namespace's disconnect holds no transport.
            task = asyncio.create_task(_close_transport(self.server, self.eio_sid))
            _closing.add(task)
            task.add_done_callback(_closing.discard)

    def gone(self) -> None:
        if self.connected:
            self.connected = False
            self.inbox.put_nowait(None)


_closing: set[asyncio.Task[None]] = set()


async def _close_transport(server: socketio.AsyncServer, eio_sid: str) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(server.eio.disconnect(eio_sid), 5)


class SocketIoServer:
    """The socket.io service of one RTM endpoint (one API in one version)."""

    def __init__(self, endpoint: RtmEndpoint) -> None:
        settings = endpoint.services.settings
        self.endpoint = endpoint
        self.server = socketio.AsyncServer(
            async_mode="asgi",
            # Any page, as on the websocket: a session logs in with a token in a message,
            # nothing here is authorized by a cookie.
            cors_allowed_origins="*",
            ping_interval=settings.rtm_ping_interval,
            ping_timeout=settings.rtm_ping_timeout,
            # Messages over max_frame_bytes get `entity_too_large` from the RTM API; past
            # the hard cap Engine.IO refuses the packet and closes, as a websocket does.
            max_http_buffer_size=settings.max_frame_hard_bytes,
            # Handlers run in order, inline: a client's requests keep the order it sent.
            async_handlers=False,
            logger=False,
            engineio_logger=False,
        )
        self.connections: dict[str, SocketIoConnection] = {}
        self.server.on("connect", self.on_connect)
        self.server.on("disconnect", self.on_disconnect)
        self.server.on(EVENT, self.on_message)
        self.server.on("*", self.on_other_event)
        self.app = socketio.ASGIApp(self.server, socketio_path=None)

    async def on_connect(self, sid: str, environ: Mapping[str, Any], _auth: Any = None) -> None:
        conn = SocketIoConnection(self.server, sid, environ)
        self.connections[sid] = conn
        conn.task = asyncio.create_task(self._run(conn))
        refused = await conn.opened
        if refused is not None:
            self.connections.pop(sid, None)
            raise socketio.exceptions.ConnectionRefusedError(refused)

    async def _run(self, conn: SocketIoConnection) -> None:
        try:
            await self.endpoint.run(conn)
        finally:
            if not conn.opened.done():
                conn.opened.set_result("Refused")

    async def on_disconnect(self, sid: str, *_reason: Any) -> None:
        conn = self.connections.pop(sid, None)
        if conn is not None:
            conn.gone()
            if conn.eio_sid is not None:
                self._release_poll(conn.eio_sid)

    def _release_poll(self, eio_sid: str) -> None:
        """When a polling client closes (an Engine.IO `close` packet), python-engineio leaves
        the client's pending long poll waiting for ping_interval + ping_timeout (a minute):
        end it now, so the request, and a server shutting down, need not wait."""
        socket = self.server.eio.sockets.get(eio_sid)
        queue = getattr(socket, "queue", None)
        if queue is not None and not getattr(socket, "upgraded", True):
            with contextlib.suppress(Exception):
                queue.put_nowait(None)

    async def on_message(self, sid: str, *args: Any) -> None:
        conn = self.connections.get(sid)
        if conn is None or not conn.connected:
            return
        if len(args) == 1 and isinstance(args[0], str):
            text = args[0]  # the request's JSON text
        else:
            value = args[0] if len(args) == 1 else list(args)
            try:
                # The standard library keeps numbers of any size for the RTM API to refuse.
                text = json.dumps(value, ensure_ascii=False)
            except (TypeError, ValueError):
                await self._refuse(sid, None, "A request must be a JSON object, not binary data")
                return
        conn.inbox.put_nowait(text)

    async def on_other_event(self, event: str, sid: str, *args: Any) -> None:
        first = args[0] if args else None
        request_id = first.get("request_id") if isinstance(first, dict) else None
        await self._refuse(
            sid, request_id, f"Unknown event {event!r}: send RTM requests as `{EVENT}` events"
        )

    async def _refuse(self, sid: str, request_id: Any, message: str) -> None:
        text = response(request_id, None, validation(message).payload(), False)
        await self.server.emit(EVENT, _decode(text), to=sid)


def mount(path: str, endpoint: RtmEndpoint) -> Mount:
    """The socket.io app of `endpoint` at `path` (`/v3.0/agent/rtm/sio`): the socket.io
    `path` a client gives is this path."""
    return Mount(path, app=SocketIoServer(endpoint).app)
