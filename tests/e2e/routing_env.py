"""A private server for the routing tests, with short routing settings, and teams made
from the command line: a license, its owner and some agents, each test its own license
so that agents of one test never take chats of another."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .harness import Http, Rtm, ServerProcess, run_cli, unique, use_postgres


class RoutingServer(ServerProcess):
    """`chatplane serve` with CHATPLANE_* settings of our own (short routing timers)."""


@dataclass
class Member:
    id: str
    name: str
    token: str


@dataclass
class Team:
    license_id: int
    owner: Member
    agents: dict[str, Member] = field(default_factory=dict)


@dataclass
class RoutingEnv:
    server: RoutingServer
    http: Http
    data_dir: Path

    def cli(self, *args: str) -> dict[str, Any]:
        return run_cli(self.data_dir, *args)

    def team(self, *names: str) -> Team:
        """A new license with agents named `names` (ids are e-mail addresses)."""
        lic = self.cli("license", "create")
        owner = lic["owner"]
        team = Team(lic["license_id"], Member(owner["id"], "Owner", owner["access_token"]))
        for name in names:
            email = f"{name.lower()}.{unique('')}@example.com"
            out = self.cli(
                "agent", "create", "--email", email, "--name", name,
                "--license-id", str(team.license_id),
            )  # fmt: skip
            team.agents[name] = Member(out["id"], name, out["access_token"])
        return team

    def customer(self, team: Team) -> tuple[str, str]:
        body = self.http.create_customer(team.owner.token)
        return body["entity_id"], body["access_token"]

    def configuration(self, token: str, method: str, body: dict[str, Any]) -> Any:
        resp = self.http.post_raw(f"/v3.0/configuration/{method}", token=token, json_body=body)
        return Http._result(resp)

    async def agent_rtm(self, who: Member, **login: Any) -> Rtm:
        c = await Rtm(self.server.ws_base + "/v3.0/agent/rtm/ws").connect()
        c.login_payload = await c.call("login", {"token": who.token, **login})  # type: ignore[attr-defined]
        return c

    async def customer_rtm(self, team: Team, token: str) -> Rtm:
        url = self.server.ws_base + f"/v3.0/customer/rtm/ws?license_id={team.license_id}"
        c = await Rtm(url).connect()
        await c.call("login", {"token": token})
        return c

    def start_chat(self, team: Team, token: str, text: str = "hello", **chat: Any) -> Any:
        body = {**chat, "thread": {"events": [{"type": "message", "text": text}]}}
        return self.http.customer(token, team.license_id, "start_chat", {"chat": body})

    def threads(self, team: Team, chat_id: str) -> dict[str, Any]:
        return self.http.agent(team.owner.token, "get_chat_threads", {"chat_id": chat_id})["chat"]


def present_agents(chat: dict[str, Any]) -> list[str]:
    return [u["id"] for u in chat["users"] if u["type"] == "agent" and u["present"]]


def system_messages(chat: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (e["system_message_type"], e["text"])
        for t in chat["threads"]
        for e in t.get("events", [])
        if e["type"] == "system_message"
    ]


async def eventually(check: Any, timeout: float = 10, interval: float = 0.1) -> Any:
    """Poll `check()` until it returns something truthy (the server acts in the background)."""
    import asyncio

    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: last value {value!r}")
        await asyncio.sleep(interval)


def serve(
    tmp_path_factory: Any, backend: tuple[str, str] | None = None, **settings: str
) -> Iterator[RoutingEnv]:
    """Run a routing server for a test module (fixtures wrap this); `backend`: the
    (PostgreSQL, Redis) URLs to run on instead of SQLite."""
    data_dir = tmp_path_factory.mktemp("routing") / "data"
    if backend is not None:
        use_postgres(data_dir, *backend)
    run_cli(data_dir, "init")
    server = RoutingServer(
        data_dir, {"offline_grace": "1", "timer_poll_interval": "0.2", **settings}
    )
    server.start()
    http = Http(server.base_url)
    try:
        yield RoutingEnv(server, http, data_dir)
    finally:
        http.close()
        server.kill()
