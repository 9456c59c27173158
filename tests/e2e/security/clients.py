"""Blocking clients for the security tests (hypothesis drives them from plain test functions),
and the one check every answer must pass."""

from __future__ import annotations

import contextlib
import itertools
import json
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from ..harness import SPEC_ERROR_TYPES

# The spec's error types, plus `too_many_requests` (the rate limit, with a retry hint);
# never `internal`.
ACCEPTABLE_ERRORS = (SPEC_ERROR_TYPES | {"too_many_requests"}) - {"internal"}


class Dropped(AssertionError):
    """The server closed the connection or never answered."""


def check_error(body: Any, where: str) -> str:
    """A failure answer is the spec's error payload with an acceptable type; returns it."""
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), f"{where}: {body!r}"
    error = body["error"]
    assert isinstance(error.get("message"), str) and error["message"], f"{where}: {body!r}"
    assert "Traceback" not in error["message"], f"{where}: {body!r}"
    assert error.get("type") in ACCEPTABLE_ERRORS, f"{where}: error type {error!r}"
    return str(error["type"])


class Web:
    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, trust_env=False, timeout=30)

    def close(self) -> None:
        self.client.close()

    def send(
        self,
        api: str,
        action: str,
        token: str,
        payload: Any = None,
        *,
        license_id: int | None = None,
        content: bytes | None = None,
        files: dict[str, Any] | None = None,
        data: dict[str, str] | None = None,
    ) -> tuple[bool, Any]:
        """(success, payload-or-error-body); asserts the answer is well-formed and no 5xx."""
        headers = {"Authorization": f"Bearer {token}"}
        params = {"license_id": license_id} if license_id is not None else None
        # The Configuration API's path names the method; its body is the request itself.
        configuration = "/" in action
        url = f"/v3.0/configuration/{action}" if configuration else f"/v3.0/{api}/action/{action}"
        try:
            if files is not None or data is not None:
                resp = self.client.post(url, files=files, data=data, headers=headers, params=params)
            else:
                headers["Content-Type"] = "application/json"
                if content is None:
                    body = (payload or {}) if configuration else {"payload": payload}
                    content = json.dumps(body).encode()
                resp = self.client.post(url, content=content, headers=headers, params=params)
        except httpx.TransportError as exc:
            raise Dropped(f"web {api}/{action}: {exc!r}") from exc
        where = f"web {api}/{action} -> HTTP {resp.status_code}"
        assert resp.status_code < 500, f"{where}: {resp.text[:500]}"
        try:
            body = resp.json()
        except ValueError:
            raise AssertionError(f"{where}: not JSON: {resp.text[:300]!r}") from None
        if resp.status_code == 200:
            assert isinstance(body, dict), f"{where}: {body!r}"
            return True, body
        check_error(body, where)
        return False, body


class Rtm:
    """One RTM connection, logged in; requests answered in order."""

    _ids = itertools.count(1)

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.ws: ClientConnection | None = None
        self._stack = contextlib.ExitStack()
        self.connect()

    def connect(self) -> None:
        self.close()
        self.ws = self._stack.enter_context(
            connect(self.url, max_size=2**25, open_timeout=10, proxy=None)
        )
        ok, body = self.send("login", {"token": f"Bearer {self.token}"})
        assert ok, body

    def close(self) -> None:
        self._stack.close()
        self.ws = None

    def send(self, action: str, payload: Any = None, *, raw: str | None = None) -> tuple[bool, Any]:
        assert self.ws is not None
        rid = f"f{next(self._ids)}"
        msg = (
            raw
            if raw is not None
            else json.dumps({"request_id": rid, "action": action, "payload": payload})
        )
        where = f"rtm {self.url.split('/v3.0/')[1]} {action}"
        try:
            self.ws.send(msg)
            while True:
                text = self.ws.recv(timeout=30)
                reply = json.loads(text)
                if reply.get("type") == "push":
                    continue
                if raw is None and reply.get("request_id") != rid:
                    continue
                break
        except TimeoutError:
            raise Dropped(f"{where}: no response within 30 s") from None
        except ConnectionClosed as exc:
            raise Dropped(f"{where}: connection closed ({exc!r})") from None
        assert reply.get("type") == "response", f"{where}: {reply!r}"
        if reply.get("success") is True:
            return True, reply.get("payload")
        assert reply.get("success") is False, f"{where}: {reply!r}"
        check_error(reply.get("payload"), where)
        return False, reply.get("payload")
