"""Helpers for the webhook end-to-end tests: a real HTTP receiver on loopback, a server
started with webhook settings, and Configuration API / administrator calls.

The shared `env` server (conftest.py) refuses webhooks to loopback, as a production
server should; these tests start their own with CHATPLANE_WEBHOOK_ALLOW_PRIVATE=true.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from . import harness
from .harness import ApiError, Http, ServerProcess, free_port, run_cli

WEBHOOK_ENV = {
    "CHATPLANE_WEBHOOK_ALLOW_PRIVATE": "true",
    # Short backoff and timeout so that retries happen within a test.
    "CHATPLANE_WEBHOOK_RETRY_BASE": "0.2",
    "CHATPLANE_WEBHOOK_TIMEOUT": "3",
}


class WebhookServer(ServerProcess):
    """`chatplane serve` with extra CHATPLANE_* settings in its environment."""

    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        env = dict(WEBHOOK_ENV if extra_env is None else extra_env)
        super().__init__(
            data_dir, {k.removeprefix("CHATPLANE_").lower(): v for k, v in env.items()}
        )


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    raw: bytes
    body: Any
    status: int  # what the receiver answered


@dataclass
class Receiver:
    """An HTTP server that records every POST. `answer(n)` gives the status for the n-th
    request (1-based) to a path; `gate`, when set, holds requests until it is opened."""

    port: int = 0
    answer: Callable[[str, int], int] = lambda _path, _n: 200
    gate: threading.Event | None = None
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._cond = threading.Condition()
        self._counts: dict[str, int] = {}
        self._server: ThreadingHTTPServer | None = None
        self.waiting = 0  # requests held at the gate

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._cond:
                    n = receiver._counts.get(self.path, 0) + 1
                    receiver._counts[self.path] = n
                if receiver.gate is not None:
                    with receiver._cond:
                        receiver.waiting += 1
                        receiver._cond.notify_all()
                    receiver.gate.wait(60)
                status = receiver.answer(self.path, n)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with receiver._cond:
                    receiver.received.append(
                        Received(self.path, dict(self.headers.items()), raw, body, status)
                    )
                    receiver._cond.notify_all()

            def log_message(self, *_args: Any) -> None:
                pass

        if not self.port:
            self.port = free_port()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait(
        self,
        where: Callable[[Received], bool],
        count: int = 1,
        timeout: float = 15,
        delivered: bool = True,
    ) -> list[Received]:
        """Wait until `count` requests match (answered 2xx unless `delivered=False`)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [
                    r
                    for r in self.received
                    if where(r) and (not delivered or 200 <= r.status < 300)
                ]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [(r.path, (r.body or {}).get("action"), r.status) for r in self.received]
                    raise AssertionError(
                        f"only {len(found)} of {count} webhooks within {timeout}s; got {seen}"
                    )
                self._cond.wait(remaining)

    def wait_held(self, count: int = 1, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.waiting < count:
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"{self.waiting} of {count} requests reached the gate"
                self._cond.wait(remaining)

    def matching(self, where: Callable[[Received], bool]) -> list[Received]:
        with self._cond:
            return [r for r in self.received if where(r)]


def for_chat(
    chat_id: str, action: str | None = None, *, system: bool = False
) -> Callable[[Received], bool]:
    """Webhooks about one chat; system messages (routing's, as it assigns the chat) are
    left out unless `system`."""

    def where(r: Received) -> bool:
        body = r.body or {}
        data = body.get("data") or {}
        cid = data.get("chat_id") or (data.get("chat") or {}).get("id")
        if not system and (data.get("event") or {}).get("type") == "system_message":
            return False
        return cid == chat_id and (action is None or body.get("action") == action)

    return where


def configuration(http: Http, token: str, method: str, body: dict[str, Any]) -> Any:
    resp = http.post_raw(f"/v3.0/configuration/{method}", token=token, json_body=body)
    return Http._result(resp)


def admin_deliveries(http: Http, token: str, status: str = "all") -> list[dict[str, Any]]:
    resp = http.client.get(
        "/admin/webhooks/deliveries",
        params={"status": status, "limit": 1000},
        headers={"Authorization": f"Bearer {token}"},
    )
    return Http._result(resp)["deliveries"]


def admin_redeliver(http: Http, token: str, body: dict[str, Any]) -> dict[str, Any]:
    resp = http.post_raw("/admin/webhooks/redeliver", token=token, json_body=body)
    return Http._result(resp)


def metrics(http: Http) -> dict[str, float]:
    resp = http.client.get("/metrics")
    assert resp.status_code == 200, resp.text
    out = {}
    for line in resp.text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.split()
            out[name] = float(value)
    return out


@dataclass
class Lic:
    license_id: int
    client_id: str
    token: str  # the owner's
    owner_id: str = ""


@dataclass
class WebhookEnv:
    server: WebhookServer
    http: Http
    data_dir: Path

    def new_license(self) -> Lic:
        data = run_cli(self.data_dir, "license", "create")
        owner = data["owner"]
        return Lic(data["license_id"], data["client_id"], owner["access_token"], owner["id"])

    def config(self, lic: Lic, method: str, body: dict[str, Any]) -> Any:
        return configuration(self.http, lic.token, method, body)

    def customer(self, lic: Lic) -> tuple[str, str]:
        body = self.http.create_customer(lic.token)
        return body["entity_id"], body["access_token"]

    def start_chat(self, lic: Lic, text: str = "hello", **chat: Any) -> tuple[str, str, str]:
        """A customer starts a chat: (chat id, customer id, customer token)."""
        cid, ctoken = self.customer(lic)
        body: dict[str, Any] = dict(chat)
        body["thread"] = {"events": [{"type": "message", "text": text}]}
        chat_out = self.http.customer(ctoken, lic.license_id, "start_chat", {"chat": body})
        return chat_out["chat"]["id"], cid, ctoken


def start_env(root: Path, extra_env: dict[str, str] | None = None) -> Iterator[WebhookEnv]:
    data_dir = root / "data"
    run_cli(data_dir, "init")
    server = WebhookServer(data_dir, extra_env)
    server.start()
    http = Http(server.base_url)
    try:
        yield WebhookEnv(server, http, data_dir)
    finally:
        http.close()
        try:
            server.stop()
        finally:
            server.kill()


def expect_api_error(
    fn: Callable[..., Any], *args: Any, type: str, status: int, **kw: Any
) -> ApiError:
    return harness.expect_error(fn, *args, status=status, type=type, **kw)


def unused_port_url(path: str = "/hook") -> tuple[int, str]:
    port = free_port()
    return port, f"http://127.0.0.1:{port}{path}"


def post_json(url: str, body: Any) -> httpx.Response:
    with httpx.Client(trust_env=False, timeout=10) as c:
        return c.post(url, json=body)
