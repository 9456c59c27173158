"""End-to-end harness: run a real `chatplane serve` process and talk to it like an outside client.

Nothing here imports the server package; the server is driven only through its command line,
its HTTP endpoints and its websockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

REPO_ROOT = Path(__file__).resolve().parents[2]

# The v3.0 Web API of the chat APIs (not the seed's v0.5 paths, nor the Configuration API).
V3_0_CHAT_ACTION = re.compile(r"^/v3\.0/(agent|customer)/action/")

# Error types the spec lists (agent-chat-api and customer-chat-api, "Possible errors").
SPEC_ERROR_TYPES = {
    "internal",
    "validation",
    "authorization",
    "authentication",
    "request_timeout",
    "license_expired",
    "unsupported_version",
    "misdirected_request",
    "entity_too_large",
    "wrong_product_version",
    "license_not_found",
    "requester_offline",
    "customer_banned",
    "group_unavailable",
    "group_offline",
    "users_limit_reached",
    # v3.x's own (agent-chat-api v3.6 and v3.5, "Possible errors").
    "not_found",
    "chat_inactive",
    "missing_access",
    "agent_offline",
    "service_unavailable",
    # The Configuration API v3.x's (management/configuration-api, "Errors").
    "already_exists",
    "group_not_found",
    "limit_reached",
}


# --------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------


def chatplane_command() -> list[str]:
    """`python -m chatplane` when the package has a __main__, else the console script."""
    if (REPO_ROOT / "chatplane" / "__main__.py").exists():
        return [sys.executable, "-m", "chatplane"]
    script = Path(sys.executable).parent / "chatplane"
    return [str(script)]


# data dir -> CHATPLANE_* settings of the storage backend its server and CLI use
# (PostgreSQL and Redis for the second pass of the suite; none for SQLite).
BACKENDS: dict[Path, dict[str, str]] = {}
_DATABASES: list[tuple[str, str]] = []


def use_postgres(data_dir: Path, postgres_url: str, redis_url: str) -> None:
    """Make the server and CLI of `data_dir` use a fresh PostgreSQL database and Redis."""
    import atexit

    import sqlalchemy as sa

    name = f"chatplane_e2e_{uuid.uuid4().hex[:10]}"
    admin = postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    if not _DATABASES:
        atexit.register(_drop_databases)
    _DATABASES.append((admin, name))
    head, _, _ = postgres_url.rpartition("/")
    BACKENDS[data_dir.resolve()] = {
        "CHATPLANE_DATABASE_URL": f"{head}/{name}",
        "CHATPLANE_REDIS_URL": redis_url,
        "CHATPLANE_REDIS_PREFIX": name,
    }


def _drop_databases() -> None:
    import sqlalchemy as sa

    for admin, name in _DATABASES:
        engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
        with contextlib.suppress(Exception), engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()


def _env(data_dir: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATPLANE_")}
    env["PYTHONPATH"] = str(REPO_ROOT) + (
        os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""
    )
    env["PYTHONUNBUFFERED"] = "1"
    for proxy in (
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ):
        env.pop(proxy, None)
    if data_dir is not None:
        env.update(BACKENDS.get(data_dir.resolve(), {}))
    return env


def run_cli(data_dir: Path, *args: str, timeout: float = 60) -> dict[str, Any]:
    """Run `chatplane <args> --data-dir DIR --json` and return the JSON it prints."""
    cmd = [*chatplane_command(), *args, "--data-dir", str(data_dir), "--json"]
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(data_dir),
        cwd=str(data_dir.parent),
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} exited {proc.returncode}\n"
            f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    out = proc.stdout.strip()
    try:
        return json.loads(out)
    except json.JSONDecodeError:
        # tolerate log lines before the JSON object: take the last line that parses
        for line in reversed(out.splitlines()):
            with contextlib.suppress(json.JSONDecodeError):
                return json.loads(line)
        raise RuntimeError(
            f"{' '.join(cmd)} printed no JSON:\n{out}\nstderr:\n{proc.stderr}"
        ) from None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """One `chatplane serve` process on a data dir."""

    def __init__(self, data_dir: Path, settings: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        # CHATPLANE_* settings of this server (e.g. {"requests_per_second": "0"}).
        self.settings = settings or {}
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}-server.log"
        self._log = None

    @property
    def tls(self) -> bool:
        """Serving HTTPS with a self-signed pair (settings {"tls_self_signed": "true"}):
        clients turn certificate checks off."""
        return str(self.settings.get("tls_self_signed", "")).lower() in ("1", "true", "yes", "on")

    @property
    def host(self) -> str:
        """`127.0.0.1:PORT`, as the official SDKs take it (`base_url`)."""
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}"

    @property
    def ws_base(self) -> str:
        return f"{'wss' if self.tls else 'ws'}://{self.host}"

    def start(self, timeout: float = 40, *, port: int | None = None) -> None:
        """Start serving, on `port` when given (a restart keeps its clients' URLs)."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.port = port or free_port()
        self._log = open(self.log_path, "ab")  # noqa: SIM115
        self._log.write(f"\n===== serve on port {self.port} =====\n".encode())
        self._log.flush()
        cmd = [
            *chatplane_command(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
        ]
        self.proc = subprocess.Popen(
            cmd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={
                **_env(self.data_dir),
                **{f"CHATPLANE_{k.upper()}": v for k, v in self.settings.items()},
            },
            cwd=str(self.data_dir.parent),
        )
        deadline = time.monotonic() + timeout
        with httpx.Client(trust_env=False, timeout=2, verify=not self.tls) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"chatplane serve exited with {self.proc.returncode}\n{self.log_tail()}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(self.base_url + "/healthz").status_code == 200:
                        return
                time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"chatplane serve not healthy within {timeout}s\n{self.log_tail()}")

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM and wait; returns the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError(f"server did not exit within {timeout}s of SIGTERM") from None
        self._close_log()
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL: no chance to flush or clean up."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, n: int = 60) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])


# --------------------------------------------------------------------------------------
# Web API
# --------------------------------------------------------------------------------------


class ApiError(AssertionError):
    def __init__(self, status: int, body: Any, text: str) -> None:
        self.status = status
        self.body = body
        self.text = text
        super().__init__(f"HTTP {status}: {text[:2000]}")

    @property
    def type(self) -> str | None:
        try:
            return self.body["error"]["type"]
        except (TypeError, KeyError):
            return None

    @property
    def message(self) -> str:
        try:
            return str(self.body["error"]["message"])
        except (TypeError, KeyError):
            return ""


class Http:
    """Thin Web API client: `agent()` / `customer()` return the payload or raise ApiError."""

    def __init__(self, base_url: str, *, verify: bool = True) -> None:
        self.base_url = base_url
        self.client = httpx.Client(base_url=base_url, trust_env=False, timeout=20, verify=verify)

    def close(self) -> None:
        self.client.close()

    def post_raw(
        self,
        path: str,
        *,
        token: str | None = None,
        content: bytes | str | None = None,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        h = {"Content-Type": "application/json"}
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        if headers:
            h.update(headers)
        if json_body is not None:
            content = json.dumps(json_body)
        return self.client.post(path, content=content, params=params, headers=h)

    @staticmethod
    def _result(resp: httpx.Response) -> Any:
        """The response payload. A v3.0 chat API answer carries it twice (docs/decisions.md,
        "Web API responses"): as its own fields and under `payload`; both must agree."""
        try:
            body = resp.json()
        except ValueError:
            body = None
        if resp.status_code != 200:
            raise ApiError(resp.status_code, body, resp.text)
        if V3_0_CHAT_ACTION.match(resp.request.url.path):
            assert isinstance(body, dict) and isinstance(body.get("payload"), dict), body
            payload = body["payload"]
            assert {k: v for k, v in body.items() if k != "payload"} == payload, body
            return payload
        return body

    def agent(
        self, token: str, action: str, payload: dict[str, Any] | None = None, **extra: Any
    ) -> Any:
        body: dict[str, Any] = {"payload": payload if payload is not None else {}}
        body.update(extra)
        resp = self.post_raw(f"/v3.0/agent/action/{action}", token=token, json_body=body)
        return self._result(resp)

    def customer(
        self,
        token: str,
        license_id: int,
        action: str,
        payload: dict[str, Any] | None = None,
    ) -> Any:
        body = {"payload": payload if payload is not None else {}}
        resp = self.post_raw(
            f"/v3.0/customer/action/{action}",
            token=token,
            json_body=body,
            params={"license_id": license_id},
        )
        return self._result(resp)

    # accounts ------------------------------------------------------------------------

    def info(self, token: str) -> httpx.Response:
        return self.client.get("/accounts/info", headers={"Authorization": f"Bearer {token}"})

    def create_customer(self, token: str, customer_id: str | None = None) -> dict[str, Any]:
        """POST /accounts/customer/ with an agent/application token."""
        body: dict[str, Any] = {}
        if customer_id is not None:
            body["customer_id"] = customer_id
        resp = self.client.post(
            "/accounts/customer/", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        if resp.status_code != 200:
            raise ApiError(resp.status_code, _json_or_none(resp), resp.text)
        return resp.json()


def _json_or_none(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def expect_error(
    fn: Callable[..., Any],
    *args: Any,
    status: int,
    type: str,
    **kw: Any,
) -> ApiError:
    """Call a Web API helper that must fail; check the HTTP status and the spec's error payload
    (one of each: the server's answer is deterministic, so a test pins it)."""
    try:
        result = fn(*args, **kw)
    except ApiError as err:
        assert_error_response(err, status=status, type=type)
        return err
    raise AssertionError(f"expected an error {type}/{status}, got success: {result!r}")


def assert_error_body(body: Any, type: str) -> None:
    """The spec's error payload: {"error": {"type", "message"}} of the given spec type."""
    assert isinstance(type, str) and type in SPEC_ERROR_TYPES | {"too_many_requests"}, type
    assert isinstance(body, dict), f"error body is not a JSON object: {body!r}"
    assert "error" in body, f"no 'error' key in {body!r}"
    error = body["error"]
    assert isinstance(error, dict), body
    assert set(error) <= {"type", "message", "data"}, f"unexpected error fields: {error!r}"
    assert isinstance(error.get("type"), str), body
    assert isinstance(error.get("message"), str) and error["message"], body
    assert error["type"] != "internal", f"bad input produced an internal error: {body!r}"
    assert "Traceback" not in error["message"], body
    assert error["type"] == type, f"expected error type {type!r}, got {error!r}"


def assert_error_response(err: ApiError, *, status: int, type: str) -> None:
    assert isinstance(status, int), status
    assert "Traceback" not in err.text, err.text
    assert err.status == status, f"expected HTTP {status}, got {err.status}: {err.text[:500]}"
    assert_error_body(err.body, type)


# --------------------------------------------------------------------------------------
# RTM
# --------------------------------------------------------------------------------------


class RtmClosed(AssertionError):
    pass


def _unverified_tls() -> ssl.SSLContext:
    """TLS for test servers' self-signed certificates: encrypted, not verified."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Rtm:
    """A websocket RTM client: matches responses by request_id, collects pushes."""

    _ids = itertools.count(1)

    def __init__(self, url: str, *, control_pings: bool = True) -> None:
        self.url = url
        self.control_pings = control_pings
        self.ws: ClientConnection | None = None
        self.pushes: list[dict[str, Any]] = []  # every push received, in order
        self._unconsumed: list[dict[str, Any]] = []  # pushes not yet returned by wait_push
        self.responses: list[dict[str, Any]] = []  # every response received, in order
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._orphans: list[dict[str, Any]] = []  # responses nobody waited for (yet)
        self._changed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self.closed = False
        self.close_code: int | None = None

    async def connect(self) -> Rtm:
        self.ws = await connect(
            self.url,
            proxy=None,
            max_size=2**25,
            open_timeout=10,
            ping_interval=20 if self.control_pings else None,
            ssl=_unverified_tls() if self.url.startswith("wss://") else None,
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for raw in self.ws:
                self._received_text(raw)
        except ConnectionClosed:
            pass
        finally:
            self._ended(self.ws.close_code if self.ws else None)

    def _received_text(self, raw: str | bytes) -> None:
        try:
            msg = json.loads(raw)
        except (ValueError, TypeError):
            msg = {"__unparseable__": raw}
        self._received(msg)

    def _received(self, msg: Any) -> None:
        """One message from the server (other framings than the websocket feed this too)."""
        if isinstance(msg, dict) and msg.get("type") == "push":
            self.pushes.append(msg)
            self._unconsumed.append(msg)
        else:
            self.responses.append(msg)
            rid = msg.get("request_id") if isinstance(msg, dict) else None
            fut = self._waiting.pop(rid, None) if rid is not None else None
            if fut is not None and not fut.done():
                fut.set_result(msg)
            else:
                self._orphans.append(msg)
        self._changed.set()

    def _ended(self, code: int | None) -> None:
        self.closed = True
        self.close_code = code
        self._changed.set()
        for fut in self._waiting.values():
            if not fut.done():
                fut.set_exception(RtmClosed(f"connection closed (code {self.close_code})"))
        self._waiting.clear()

    async def send_raw(self, data: str | bytes) -> None:
        assert self.ws is not None
        await self.ws.send(data)

    async def request(
        self,
        action: str,
        payload: dict[str, Any] | None = None,
        *,
        request_id: str | None = None,
        timeout: float = 10,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Send a request and return the whole response message (success true or false)."""
        rid = request_id or f"r{next(self._ids)}-{uuid.uuid4().hex[:6]}"
        msg: dict[str, Any] = {"request_id": rid, "action": action}
        if payload is not None:
            msg["payload"] = payload
        if extra:
            msg.update(extra)
        return await self.request_message(msg, timeout=timeout)

    async def request_message(self, msg: dict[str, Any], *, timeout: float = 10) -> dict[str, Any]:
        rid = msg["request_id"]
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[rid] = fut
        if self.closed:
            raise RtmClosed(f"websocket already closed (code {self.close_code})")
        await self.send_raw(json.dumps(msg))
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            self._waiting.pop(rid, None)
            raise AssertionError(
                f"no response to {msg.get('action')!r} ({rid}) within {timeout}s"
            ) from None

    async def call(self, action: str, payload: dict[str, Any] | None = None, **kw: Any) -> Any:
        """Request that must succeed; returns the response payload."""
        resp = await self.request(action, payload, **kw)
        assert resp.get("success") is True, f"{action} failed: {resp!r}"
        assert resp.get("type") == "response", resp
        assert resp.get("action") == action, resp
        return resp.get("payload", {})

    async def next_orphan_response(self, timeout: float = 10) -> dict[str, Any]:
        """A response that could not be matched by request_id (e.g. to malformed JSON)."""
        deadline = time.monotonic() + timeout
        while True:
            if self._orphans:
                return self._orphans.pop(0)
            if self.closed:
                raise RtmClosed(f"websocket closed (code {self.close_code})")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no unmatched response within {timeout}s")
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def wait_push(
        self,
        action: str,
        where: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 8,
    ) -> dict[str, Any]:
        """Wait for (and consume) the first push `action` whose payload satisfies `where`."""
        deadline = time.monotonic() + timeout
        while True:
            for push in self._unconsumed:
                if push.get("action") == action and (
                    where is None or where(push.get("payload", {}))
                ):
                    self._unconsumed.remove(push)
                    return push
            if self.closed:
                raise RtmClosed(
                    f"websocket closed (code {self.close_code}) while waiting for {action}"
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [p.get("action") for p in self.pushes[-20:]]
                raise AssertionError(f"no {action!r} push within {timeout}s; last pushes: {seen}")
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def pushes_for_chat(self, chat_id: str, action: str | None = None) -> list[dict[str, Any]]:
        out = []
        for p in self.pushes:
            payload = p.get("payload") or {}
            cid = payload.get("chat_id") or (payload.get("chat") or {}).get("id")
            if cid == chat_id and (action is None or p.get("action") == action):
                out.append(p)
        return out

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5)

    async def alive(self) -> bool:
        """The connection still answers a `ping` action."""
        if self.closed:
            return False
        try:
            resp = await self.request("ping", {}, timeout=5)
        except (RtmClosed, AssertionError):
            return False
        return resp.get("type") == "response" and resp.get("success") is True


def event_texts(thread: dict[str, Any]) -> list[str]:
    return [e.get("text") for e in thread.get("events", []) if "text" in e]


def all_events(chat: dict[str, Any]) -> list[dict[str, Any]]:
    events = []
    for t in chat.get("threads", []) or []:
        events.extend(t.get("events", []) or [])
    return events


def unique(prefix: str = "w") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"
