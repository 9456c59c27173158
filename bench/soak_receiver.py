"""The soak's webhook receiver: a local HTTP server that records every POST, and that is
sometimes down. Its moods, switched for stretches by the soak:

- ``up``: answers 200 (the webhook is delivered);
- ``error``: answers 500 (the server must retry);
- ``down``: not listening at all (connections are refused; the server must retry).

What it records (delivery id, action, path, answer, the events the body names) is what
``bench.soak_check`` compares with what the clients were told and what was stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.procs import HOST, free_port

UP, ERROR, DOWN = "up", "error", "down"


@dataclass
class Hit:
    delivery_id: str
    action: str
    path: str
    status: int  # what the receiver answered
    tags: list[str]  # soak tags of the events the body carries, in body order
    chat_id: str | None
    at: float


def tags_of(body: Any, prefix: str) -> tuple[list[str], str | None]:
    """The soak tags (message text or custom_id) of the events a webhook body carries:
    `incoming_event` has one event, `incoming_chat_thread` its thread's events."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return [], None
    events: list[Any] = []
    chat_id = data.get("chat_id")
    if isinstance(data.get("event"), dict):
        events = [data["event"]]
    chat = data.get("chat")
    if isinstance(chat, dict):
        chat_id = chat.get("id", chat_id)
        thread = chat.get("thread")
        if isinstance(thread, dict) and isinstance(thread.get("events"), list):
            events = thread["events"]
    out = []
    for event in events:
        if not isinstance(event, dict):
            continue
        tag = event_tag(event, prefix)
        if tag is not None:
            out.append(tag)
    return out, chat_id if isinstance(chat_id, str) else None


def event_tag(event: dict[str, Any], prefix: str) -> str | None:
    """A soak event is tagged in its custom_id (and, for a message, its text)."""
    for key in ("custom_id", "text"):
        value = event.get(key)
        if isinstance(value, str) and value.startswith(prefix):
            return value
    return None


class Receiver:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.port = free_port()
        self.mood = DOWN
        self.hits: list[Hit] = []
        self.refused_stretches = 0  # stretches spent down or answering 500
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    # -- moods -----------------------------------------------------------------------

    def set_mood(self, mood: str) -> None:
        if mood == self.mood:
            return
        if mood == DOWN:
            self._close()
        elif self._server is None:
            self._open()
        if mood != UP:
            self.refused_stretches += 1
        self.mood = mood

    def _open(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = 500 if receiver.mood == ERROR else 200
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                tags, chat_id = tags_of(body, receiver.prefix)
                hit = Hit(
                    delivery_id=self.headers.get("X-Chatplane-Delivery") or "",
                    action=self.headers.get("X-Chatplane-Action") or "",
                    path=self.path,
                    status=status,
                    tags=tags,
                    chat_id=chat_id,
                    at=time.monotonic(),
                )
                # Recorded before answering: a 200 the server never reads (it was killed)
                # is still a delivery, and it comes again with the same delivery id.
                with receiver._lock:
                    receiver.hits.append(hit)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((HOST, self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def close(self) -> None:
        self._close()
        self.mood = DOWN

    def snapshot(self) -> list[Hit]:
        with self._lock:
            return list(self.hits)

    # -- the schedule ----------------------------------------------------------------

    async def moody(
        self, stop: asyncio.Event, rng: random.Random, up_s: tuple[float, float]
    ) -> None:
        """Until `stop` is set: up for a while, then down or answering 500 for 1-4 s."""
        while not stop.is_set():
            # Closing the listener waits for its thread: off the event loop.
            await asyncio.to_thread(self.set_mood, UP)
            await _sleep_unless(stop, rng.uniform(*up_s))
            if stop.is_set():
                break
            await asyncio.to_thread(self.set_mood, rng.choice((DOWN, ERROR)))
            await _sleep_unless(stop, rng.uniform(1.0, 4.0))
        await asyncio.to_thread(self.set_mood, UP)


async def _sleep_unless(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)
