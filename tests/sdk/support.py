"""Helpers for the SDK tests: reading the SDK's httpx responses, and the v3.0 chat APIs
through which the Configuration API's effects are checked."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.e2e.harness import Http, Rtm

from .conftest import Server


def ok(resp: httpx.Response) -> Any:
    """The response object of a call that must succeed."""
    assert resp.status_code == 200, f"{resp.request.url}: {resp.status_code} {resp.text}"
    return resp.json()


def refused(resp: httpx.Response, type_: str, status: int | None = None) -> dict[str, Any]:
    """The error of a call that must fail with `type_` (and HTTP `status`)."""
    assert resp.status_code != 200, f"{resp.request.url} succeeded: {resp.text}"
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
