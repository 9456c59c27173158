"""uvicorn's websocket protocol, telling the app when a client shows it is alive.

The server pings every connection (`ws_ping_interval`) and uvicorn drops one that does not
answer in time; a client may also ping. uvicorn answers pings and consumes pongs itself,
so the app would never see either: this subclass stores the time of the last one in the
scope, where the idle reaper (chatplane.api.rtm.reap_idle) reads it. A browser sends no
pings but answers the server's, so an idle widget stays connected while it is there.
"""

from __future__ import annotations

import time
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from chatplane.realtime.mailbox import Flag, Mailbox

# [monotonic time of the client's last control frame: a ping, or a pong to ours]
PING_KEY = "chatplane.last_ping"


class PingAwareProtocol(WebSocketsSansIOProtocol):
    """Also lighter per connection (an idle RTM session is mostly what its connection keeps):
    the receive queue and the writable flag are a `Mailbox` and a `Flag` instead of an
    `asyncio.Queue` and an `asyncio.Event` (about 3.8 KB less), and the handshake's request
    and response (their header objects, about 4 KB) are let go once the handshake is sent:
    uvicorn reads them only until then. The attributes uvicorn sets are slots: its ~40
    attributes made each connection's `__dict__` a 1.6 KB table (past the 30 keys a dict
    shares with its class); one it adds in a later version goes to the `__dict__` as before."""

    __slots__ = (
        "app",
        "app_state",
        "asgi_version",
        "client",
        "close_sent",
        "close_timeout",
        "close_timer",
        "config",
        "conn",
        "connections",
        "curr_msg_data_type",
        "default_headers",
        "disconnected",
        "frames",
        "handshake_complete",
        "handshake_initiated",
        "initial_response",
        "last_ping_rtt",
        "logger",
        "loop",
        "pending_ping_payload",
        "ping_interval",
        "ping_sent_at",
        "ping_timeout",
        "ping_timer",
        "pong_timer",
        "queue",
        "read_paused",
        "request",
        "response",
        "root_path",
        "scheme",
        "scope",
        "server",
        "tasks",
        "transport",
        "writable",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Mailbox()  # type: ignore[assignment]
        writable = Flag()
        writable.set()
        self.writable = writable  # type: ignore[assignment]

    async def send(self, message: Any) -> None:
        await super().send(message)
        if self.handshake_complete and getattr(self, "response", None) is not None:
            # The ASGI scope (made at connect) keeps the headers the app reads. websockets'
            # parser generator keeps the request object for the connection's life (a local
            # of its frame): its headers are emptied, nothing reads them after the accept.
            self.request.headers.clear()
            self.request = None  # type: ignore[assignment]
            self.response = None  # type: ignore[assignment]

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope[PING_KEY] = [time.monotonic()]

    def _alive(self) -> None:
        box = getattr(self, "scope", {}).get(PING_KEY)
        if box is not None:
            box[0] = time.monotonic()

    def handle_ping(self) -> None:
        super().handle_ping()
        self._alive()

    def handle_pong(self, event: Any) -> None:
        super().handle_pong(event)
        self._alive()
