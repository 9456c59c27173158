"""Talking to the v3.x Agent Chat API (v3.6, v3.5) as an outside client: the Web API's
body is the payload itself; RTM pushes name their version."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio

from .conftest import Agent, Customer, Env
from .harness import Http, Rtm, unique

RFC3339_MICRO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


class Web3x:
    """The Web API of one version: `call` returns the payload or raises ApiError."""

    def __init__(self, env: Env, version: str = "3.6") -> None:
        self.env = env
        self.version = version

    def raw(
        self,
        token: str,
        action: str,
        payload: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return self.env.http.post_raw(
            f"/v{self.version}/agent/action/{action}",
            token=token,
            content=json.dumps(payload if payload is not None else {}),
            headers=headers,
        )

    def call(
        self,
        who: Agent,
        action: str,
        payload: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        return Http._result(self.raw(who.token, action, payload, headers))


class Rtm3x:
    """Opens v3.x agent RTM connections and closes them after the test."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.opened: list[Rtm] = []

    async def raw(self, version: str = "3.6") -> Rtm:
        c = await Rtm(f"{self.env.server.ws_base}/v{version}/agent/rtm/ws").connect()
        self.opened.append(c)
        return c

    async def agent(self, who: Agent, version: str = "3.6", **login: Any) -> Rtm:
        c = await self.raw(version)
        c.login_payload = await c.call(  # type: ignore[attr-defined]
            "login", {"token": f"Bearer {who.token}", **login}
        )
        return c

    async def customer(self, who: Customer) -> Rtm:
        """A customer, over the Customer Chat API v3.0 (v3.x's is not served yet)."""
        url = f"{self.env.server.ws_base}/v3.0/customer/rtm/ws?license_id={who.license_id}"
        c = await Rtm(url).connect()
        self.opened.append(c)
        await c.call("login", {"token": f"Bearer {who.token}"})
        return c

    async def close_all(self) -> None:
        for c in self.opened:
            await c.close()


@pytest_asyncio.fixture
async def rtm3x(env: Env) -> AsyncIterator[Rtm3x]:
    factory = Rtm3x(env)
    try:
        yield factory
    finally:
        await factory.close_all()


def customer_chat(env: Env, text: str | None = None) -> tuple[Customer, str, str]:
    """A new customer with a chat it started (v3.0), waiting in the queue: (customer,
    chat id, thread id)."""
    cust = env.new_customer()
    chat = env.start_chat(cust, text or unique("hello "))["chat"]
    return cust, chat["id"], chat["thread"]["id"]


def join(env: Env, chat_id: str, who: Agent) -> None:
    """`who` becomes a user of the chat (an administrator adds it over v3.6, from
    outside)."""
    Web3x(env, "3.6").call(
        env.admin,
        "add_user_to_chat",
        {
            "chat_id": chat_id,
            "user_id": who.id,
            "user_type": "agent",
            "visibility": "all",
            "ignore_requester_presence": True,
        },
    )
