"""What a request committed is published, even when its handler fails afterwards: over
RTM (whose pushes wait for the response) as over the Web API (which publishes at commit).

Driven through the real application in-process (Starlette's test client: the ASGI app,
its lifespan, store and bus), with one extra action registered for the test: no real
action fails after its commit on purpose.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatplane import app as app_module
from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.app import build_services, create_app
from chatplane.config import Settings
from chatplane.domain import customers, users
from chatplane.errors import ApiError

with warnings.catch_warnings():  # starlette asks for `httpx2`; httpx is what we have
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

ACTION = "test_commit_then_fail"


@pytest.fixture
def failing_after_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    """`test_commit_then_fail {"name", "fail": "api" | "crash"}`: creates a customer (so
    `customer_created` is pushed to the caller), then fails. Wired into v3.0 for the test."""
    extra = Actions()

    @extra("agent", ACTION)
    async def handler(ctx: Context, payload: dict[str, Any]) -> None:
        caller = ctx.caller
        name = payload["name"]
        await ctx.commit(lambda tx: customers.create(tx, caller, name, None, None, None))
        if payload["fail"] == "api":
            raise ApiError("validation", "refused after the commit")
        raise RuntimeError("a bug after the commit")

    monkeypatch.setattr(app_module, "V3_0_ACTIONS", [*app_module.V3_0_ACTIONS, extra])


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    settings = Settings(data_dir=tmp_path, redis_url="", database_url="")
    services = build_services(settings)
    created = services.store.write_sync(users.create_license).result
    with TestClient(create_app(settings, services)) as test_client:
        yield test_client, created.access_token


def _request(ws: Any, rid: str, name: str, payload: dict[str, Any]) -> tuple[Any, list[Any]]:
    """Send a request; its response and the pushes that came before it."""
    ws.send_json({"request_id": rid, "action": name, "payload": payload})
    pushes = []
    while (message := ws.receive_json()).get("type") == "push":
        pushes.append(message)
    assert message["request_id"] == rid, message
    return message, pushes


def _login(ws: Any, token: str) -> None:
    reply, _ = _request(ws, "login", "login", {"token": f"Bearer {token}"})
    assert reply["success"] is True, reply
    _request(ws, "settle", "ping", {})  # the pushes of the login itself


@pytest.mark.parametrize("fail", ["api", "crash"])
def test_rtm_publishes_what_a_failing_handler_committed(
    failing_after_commit: None, client: tuple[TestClient, str], fail: str
) -> None:
    test_client, token = client
    with test_client.websocket_connect("/v3.0/agent/rtm/ws") as ws:
        _login(ws, token)
        reply, _ = _request(ws, "f", ACTION, {"name": f"rtm {fail}", "fail": fail})
        assert reply["success"] is False, reply
        expected = "validation" if fail == "api" else "internal"
        assert reply["payload"]["error"]["type"] == expected, reply
        # The committed customer's push follows the error response, before the answer to
        # the next request.
        _, pushes = _request(ws, "p", "ping", {})
        assert [(p["action"], p.get("request_id")) for p in pushes] == [("customer_created", "f")]
        assert pushes[0]["payload"]["customer"]["name"] == f"rtm {fail}"


def test_web_api_publishes_what_a_failing_handler_committed(
    failing_after_commit: None, client: tuple[TestClient, str]
) -> None:
    test_client, token = client
    with test_client.websocket_connect("/v3.0/agent/rtm/ws") as ws:
        _login(ws, token)
        resp = test_client.post(
            f"/v3.0/agent/action/{ACTION}",
            json={"payload": {"name": "web", "fail": "api"}},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert resp.status_code == 400, resp.text
        _, pushes = _request(ws, "p", "ping", {})
        assert [p["action"] for p in pushes] == ["customer_created"]
        assert pushes[0]["payload"]["customer"]["name"] == "web"
