"""What the Configuration API SDK tests (test_sdk_configuration_*.py) share: the server they
drive, the SDK's ConfigurationApi reached through configuration_bridge.py in `.venv-sdk`,
reading its answers, and the chat APIs through which the effects are checked."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ..harness import Http, Rtm, ServerProcess, run_cli

BRIDGE = Path(__file__).with_name("configuration_bridge.py")
PASSWORD = "sdk-horse-battery-7"


@dataclass
class Server:
    process: ServerProcess
    http: Http
    data_dir: Path
    license_id: int
    organization_id: str
    client_id: str
    owner_id: str
    owner_token: str

    @property
    def host(self) -> str:
        """What the SDK takes as `base_url`: host and port (it adds https://)."""
        return f"127.0.0.1:{self.process.port}"

    def cli(self, *args: str) -> dict[str, Any]:
        return run_cli(self.data_dir, *args)


@dataclass
class Reply:
    """What one SDK call answered: its HTTP status and body (as the SDK's httpx response
    would give them)."""

    status_code: int
    body: Any
    url: str

    def json(self) -> Any:
        return self.body

    @property
    def text(self) -> str:
        return json.dumps(self.body)


class Bridge:
    """configuration_bridge.py running in the SDK's venv; one per test session."""

    def __init__(self, python: Path) -> None:
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        self.proc = subprocess.Popen(
            [str(python), str(BRIDGE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(f"the SDK bridge ended ({self.proc.wait()})")
            if line.startswith('{"bridge": true'):
                answer: dict[str, Any] = json.loads(line)
                return answer

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class SdkClient:
    """The SDK's ConfigurationApi of one version and token: `c.create_agent(id=...)` is
    that call made by the SDK, answering a Reply; `c.has("list_greetings")` whether this
    version's client has the method."""

    def __init__(self, bridge: Bridge, version: str, token: str, base_url: str) -> None:
        self._request = {"version": version, "token": token, "base_url": base_url}
        self._bridge = bridge

    def has(self, method: str) -> bool:
        return bool(self._bridge.ask({**self._request, "op": "has", "method": method})["has"])

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            raise AttributeError(method)

        def call(**kwargs: Any) -> Reply:
            out = self._bridge.ask(
                {**self._request, "op": "call", "method": method, "kwargs": kwargs}
            )
            if "raised" in out:
                raise AssertionError(f"the SDK's {method} raised {out['raised']}")
            return Reply(out["status"], out["body"], out["url"])

        return call


def ok(resp: Reply) -> Any:
    """The response object of a call that must succeed."""
    assert resp.status_code == 200, f"{resp.url}: {resp.status_code} {resp.text}"
    return resp.json()


def refused(resp: Reply | httpx.Response, type_: str, status: int | None = None) -> dict[str, Any]:
    """The error of a call that must fail with `type_` (and HTTP `status`)."""
    assert resp.status_code != 200, f"{resp.url}: succeeded: {resp.text}"
    error = resp.json()["error"]
    assert error["type"] == type_, resp.text
    assert error["message"], resp.text
    if status is not None:
        assert resp.status_code == status, resp.text
    return dict(error)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def email(prefix: str) -> str:
    return f"{unique(prefix)}@example.com"


def new_customer(server: Server) -> dict[str, Any]:
    """A customer identity (its id and token), made with the owner's token."""
    body = server.http.create_customer(server.owner_token)
    return {"id": body["entity_id"], "token": body["access_token"]}


def customer_start_chat(
    server: Server, customer: dict[str, Any], text: str = "hello", **chat: Any
) -> dict[str, Any]:
    body = dict(chat)
    body["thread"] = {"events": [{"type": "message", "text": text}]}
    return dict(
        server.http.customer(customer["token"], server.license_id, "start_chat", {"chat": body})
    )


def agent_web(http: Http, token: str, action: str, payload: dict[str, Any]) -> httpx.Response:
    """A v3.0 Agent Chat Web API call, the raw response."""
    return http.post_raw(
        f"/v3.0/agent/action/{action}", token=token, json_body={"payload": payload}
    )


async def agent_rtm(server: Server) -> Rtm:
    return await Rtm(server.process.ws_base + "/v3.0/agent/rtm/ws").connect()


async def customer_rtm(server: Server) -> Rtm:
    url = f"{server.process.ws_base}/v3.0/customer/rtm/ws?license_id={server.license_id}"
    return await Rtm(url).connect()


def chat_users(server: Server, chat_id: str) -> dict[str, bool]:
    """user id -> present, as the owner reads the chat."""
    body = server.http.agent(server.owner_token, "get_chat_threads", {"chat_id": chat_id})
    return {u["id"]: bool(u.get("present")) for u in body["chat"]["users"]}
