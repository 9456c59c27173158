"""uvicorn's websocket protocol, telling the app when a client sends a control-frame ping.

The spec lets a client keep its connection alive with control-frame pings (or the
`ping` action where a browser cannot send them). uvicorn answers pings itself, so the
app would never see them; this subclass stores the time of the last one in the scope.
"""

from __future__ import annotations

import time
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

PING_KEY = "chatplane.last_ping"


class PingAwareProtocol(WebSocketsSansIOProtocol):
    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope[PING_KEY] = [time.monotonic()]

    def handle_ping(self) -> None:
        super().handle_ping()
        box = getattr(self, "scope", {}).get(PING_KEY)
        if box is not None:
            box[0] = time.monotonic()
