"""RTM clients over the other framings (SockJS, socket.io), with the plain websocket client's
interface (`harness.Rtm`: request, call, wait_push, pushes, alive, close).

- `SockJsWebSocket` and `SockJsPolling`: minimal SockJS clients written here from
  sockjs-protocol 0.3.3 (frames `o`, `h`, `a[...]`, `c[code,"reason"]`), so that tests can
  look at the frames themselves.
- `NodeSockJs`: the real sockjs-client 1.3.0 (the one inside `@livechat/customer-sdk`
  2.0.0-alpha.3) under node, driven over stdin/stdout by `node/sockjs_bridge.js`; installed
  from npm by the `sockjs_client` fixture.
- `SocketIo`: python-socketio's AsyncClient.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import socketio
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from .harness import Rtm

BRIDGE = Path(__file__).resolve().parent / "node" / "sockjs_bridge.js"
SOCKJS_CLIENT_VERSION = "1.3.0"


def session_path() -> str:
    """`/<server>/<session>` as sockjs-client makes them (three digits, eight characters)."""
    return f"/{uuid.uuid4().int % 1000:03d}/{uuid.uuid4().hex[:8]}"


def parse_frame(frame: str) -> tuple[str, Any]:
    """('o'|'h'|'a'|'c', payload) of one SockJS frame."""
    kind, rest = frame[:1], frame[1:]
    return kind, (json.loads(rest) if rest else None)


class SockJsClient(Rtm):
    """What both raw SockJS clients share: frames in, messages out."""

    def __init__(self, base: str, query: str = "") -> None:
        super().__init__(base)
        self.base = base  # http://host:port/v3.0/<api>/rtm/sjs
        self.query = query
        self.path = session_path()
        self.frames: list[str] = []  # every frame received, in order
        self.heartbeats = 0
        self.close_frame: list[Any] | None = None

    def _url(self, suffix: str) -> str:
        return self.base + self.path + suffix + (f"?{self.query}" if self.query else "")

    def _frame(self, frame: str) -> None:
        self.frames.append(frame)
        kind, payload = parse_frame(frame)
        if kind == "h":
            self.heartbeats += 1
            self._changed.set()
        elif kind == "a":
            for text in payload:
                self._received_text(text)
        elif kind == "c":
            self.close_frame = payload
            self._ended(payload[0])


class SockJsWebSocket(SockJsClient):
    """The websocket transport: `<base>/<server>/<session>/websocket`."""

    def __init__(self, base: str, query: str = "", *, control_pings: bool = True) -> None:
        super().__init__(base, query)
        self.control_pings = control_pings
        self.opened = ""

    async def connect(self) -> SockJsWebSocket:
        url = "ws" + self._url("/websocket")[4:]
        self.ws = await connect(
            url,
            proxy=None,
            max_size=2**25,
            open_timeout=10,
            ping_interval=20 if self.control_pings else None,
        )
        self.opened = str(await asyncio.wait_for(self.ws.recv(), 10))
        assert self.opened == "o", self.opened
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for raw in self.ws:
                self._frame(str(raw))
        except ConnectionClosed:
            pass
        finally:
            if not self.closed:
                self._ended(self.ws.close_code)

    async def send_raw(self, data: str | bytes) -> None:
        assert self.ws is not None
        text = data.decode() if isinstance(data, bytes) else data
        await self.ws.send(json.dumps([text]))

    async def send_frame(self, frame: str) -> None:
        """A frame as is (not wrapped in the SockJS array)."""
        assert self.ws is not None
        await self.ws.send(frame)


class SockJsPolling(SockJsClient):
    """The xhr-polling transport: `POST …/xhr` long polls, `POST …/xhr_send`."""

    def __init__(self, base: str, query: str = "") -> None:
        super().__init__(base, query)
        self.http = httpx.AsyncClient(trust_env=False, timeout=60)
        self.opened = ""
        self._paused = False

    async def connect(self) -> SockJsPolling:
        resp = await self.http.post(self._url("/xhr"))
        assert resp.status_code == 200, resp.text
        self.opened = resp.text
        if resp.text != "o\n":
            # Refused: the close frame says why.
            for line in resp.text.splitlines():
                self._frame(line)
            return self
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        try:
            while not self.closed and not self._paused:
                resp = await self.http.post(self._url("/xhr"))
                if resp.status_code != 200:
                    self._ended(None)
                    return
                for line in resp.text.splitlines():
                    if line:
                        self._frame(line)
        except (httpx.HTTPError, asyncio.CancelledError):
            if not self.closed:
                self._ended(None)

    async def send_raw(self, data: str | bytes) -> None:
        text = data.decode() if isinstance(data, bytes) else data
        resp = await self.xhr_send(json.dumps([text]))
        assert resp.status_code == 204, (resp.status_code, resp.text)

    async def xhr_send(self, body: str | bytes) -> httpx.Response:
        return await self.http.post(
            self._url("/xhr_send"), content=body, headers={"Content-Type": "text/plain"}
        )

    async def pause(self) -> None:
        """Poll no more once the poll in flight returns (a client that went quiet)."""
        self._paused = True
        if self._reader is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(self._reader), 60)

    async def stop_polling(self) -> None:
        """Abort the poll in flight and poll no more (a page that went away)."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader

    async def close(self) -> None:
        await self.stop_polling()
        await self.http.aclose()


class NodeSockJs(Rtm):
    """sockjs-client under node: `transports` is its whitelist (the SDK's is
    ["websocket", "xhr-polling"])."""

    def __init__(self, url: str, transports: list[str], node_modules: Path) -> None:
        super().__init__(url)
        self.transports = transports
        self.node_modules = node_modules
        self.proc: asyncio.subprocess.Process | None = None
        self.transport: str | None = None
        self.heartbeats = 0
        self.close_event: dict[str, Any] | None = None
        self._open = asyncio.Event()

    async def connect(self) -> NodeSockJs:
        env = {**os.environ, "NODE_PATH": str(self.node_modules)}
        for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
            env.pop(proxy, None)
        self.proc = await asyncio.create_subprocess_exec(
            "node",
            str(BRIDGE),
            self.url,
            json.dumps(self.transports),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._reader = asyncio.create_task(self._read())
        await asyncio.wait_for(self._open.wait(), 20)
        if self.closed:
            raise AssertionError(f"sockjs-client did not open: {self.close_event}")
        return self

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        try:
            while True:
                line = await self.proc.stdout.readline()
                if not line:
                    break
                event = json.loads(line)
                if event["event"] == "open":
                    self.transport = event["transport"]
                    self._open.set()
                elif event["event"] == "message":
                    self._received_text(event["data"])
                elif event["event"] == "heartbeat":
                    self.heartbeats += 1
                elif event["event"] == "close":
                    self.close_event = event
                    break
        finally:
            self._ended(self.close_event["code"] if self.close_event else None)
            self._open.set()

    async def send_raw(self, data: str | bytes) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        text = data.decode() if isinstance(data, bytes) else data
        self.proc.stdin.write(json.dumps({"send": text}).encode() + b"\n")
        await self.proc.stdin.drain()

    async def close(self) -> None:
        if self.proc is None:
            return
        if self.proc.returncode is None and self.proc.stdin is not None:
            with contextlib.suppress(Exception):
                self.proc.stdin.write(b'{"close": true}\n')
                await self.proc.stdin.drain()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self._reader is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(self._reader, 5)


def install_sockjs_client(where: Path) -> Path:
    """`npm install sockjs-client@1.3.0` into `where`; returns its node_modules."""
    where.mkdir(parents=True, exist_ok=True)
    modules = where / "node_modules"
    if not (modules / "sockjs-client").exists():
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--silent",
                "--prefix",
                str(where),
                f"sockjs-client@{SOCKJS_CLIENT_VERSION}",
            ],
            check=True,
            capture_output=True,
            timeout=300,
            env=env,
        )
    return modules


class SocketIo(Rtm):
    """A socket.io client of `/v3.x/<api>/rtm/sio`: requests and messages are `message` events."""

    def __init__(
        self, server: str, path: str, *, query: str = "", transports: list[str] | None = None
    ) -> None:
        super().__init__(server + path)
        self.server = server
        self.path = path
        self.query = query
        self.transports = transports or ["websocket"]
        self.sio = socketio.AsyncClient(reconnection=False)
        self.connect_error: Any = None
        self.sio.on("message", self._received)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("connect_error", self._on_connect_error)

    def _on_disconnect(self, *_args: Any) -> None:
        self._ended(None)

    def _on_connect_error(self, data: Any) -> None:
        self.connect_error = data

    async def connect(self) -> SocketIo:
        url = self.server + (f"?{self.query}" if self.query else "")
        await self.sio.connect(
            url, socketio_path=self.path, transports=self.transports, wait_timeout=10
        )
        return self

    async def send_raw(self, data: str | bytes) -> None:
        text = data.decode() if isinstance(data, bytes) else data
        try:
            value = json.loads(text)
        except ValueError:
            value = text  # not JSON: sent as a string for the server to refuse
        await self.sio.emit("message", value)

    async def emit(self, event: str, *args: Any) -> None:
        await self.sio.emit(event, *args)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.sio.disconnect()
