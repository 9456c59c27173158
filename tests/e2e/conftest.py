"""Fixtures for the end-to-end suite.

One server process is shared by the whole session (fast); it holds two licenses:
license A (owner + a normal agent + an administrator + an agent used only for archive
filters) and license B (its own owner). Tests create their own customers and chats, so they
do not depend on each other. Restart tests start their own servers (`server_factory`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from .harness import Http, Rtm, ServerProcess, run_cli, unique, use_postgres

PASSWORD = "correct-horse-battery-9"


@dataclass
class Agent:
    id: str
    token: str
    license_id: int


@dataclass
class Customer:
    id: str
    token: str
    license_id: int


@dataclass
class License:
    license_id: int
    client_id: str
    owner: Agent


@dataclass
class Env:
    server: ServerProcess
    http: Http
    a: License
    b: License
    normal: Agent  # role normal, license A
    admin: Agent  # role administrator, license A
    archivist: Agent  # role normal, license A, never logged in over RTM
    password_agent_email: str

    def new_customer(self, lic: License | None = None) -> Customer:
        """A new customer identity in `lic` (default A), made with the owner's token."""
        lic = lic or self.a
        body = self.http.create_customer(lic.owner.token)
        return Customer(id=body["entity_id"], token=body["access_token"], license_id=lic.license_id)

    # Web API shortcuts ---------------------------------------------------------------

    def agent(
        self, who: Agent, action: str, payload: dict[str, Any] | None = None, **kw: Any
    ) -> Any:
        return self.http.agent(who.token, action, payload, **kw)

    def customer(self, who: Customer, action: str, payload: dict[str, Any] | None = None) -> Any:
        return self.http.customer(who.token, who.license_id, action, payload)

    def join(self, chat_id: str, who: Agent) -> None:
        """Make `who` a user of the chat (an administrator adds them)."""
        self.agent(
            self.admin,
            "add_user_to_chat",
            {"chat_id": chat_id, "user_id": who.id, "user_type": "agent"},
        )

    def start_chat(self, who: Customer, text: str | None = "hello", **chat: Any) -> dict[str, Any]:
        """Customer starts a chat over the Web API; returns the response payload."""
        body: dict[str, Any] = dict(chat)
        if text is not None:
            body.setdefault("thread", {})["events"] = [{"type": "message", "text": text}]
        return self.customer(who, "start_chat", {"chat": body})


def _license(data: dict[str, Any]) -> License:
    assert isinstance(data["license_id"], int), data
    assert isinstance(data["client_id"], str), data
    owner = Agent(
        id=data["owner"]["id"], token=data["owner"]["access_token"], license_id=data["license_id"]
    )
    return License(license_id=data["license_id"], client_id=data["client_id"], owner=owner)


def _bootstrap(data_dir: Path) -> dict[str, Any]:
    return run_cli(data_dir, "init")


def _services(var: str) -> str:
    url = os.environ.get(var, "")
    if not url:
        message = f"the PostgreSQL + Redis pass of the e2e suite needs {var}"
        if os.environ.get("CHATPLANE_REQUIRE_SERVICES"):
            pytest.fail(message)
        pytest.skip(message)
    return url


# The whole suite runs twice: on the embedded default (SQLite), and on PostgreSQL with
# Redis (issue 7), when CHATPLANE_TEST_DATABASE_URL and CHATPLANE_TEST_REDIS_URL are set.
@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    root = tmp_path_factory.mktemp(f"chatplane-e2e-{request.param}")
    data_dir = root / "data"
    if request.param == "postgres":
        use_postgres(
            data_dir,
            _services("CHATPLANE_TEST_DATABASE_URL"),
            _services("CHATPLANE_TEST_REDIS_URL"),
        )
    a = _license(_bootstrap(data_dir))

    def agent(email: str, name: str, role: str, *extra: str) -> Agent:
        out = run_cli(
            data_dir, "agent", "create", "--email", email, "--name", name, "--role", role, *extra
        )
        assert set(out) >= {"id", "access_token"}, out
        return Agent(id=out["id"], token=out["access_token"], license_id=a.license_id)

    normal = agent("normal.agent@example.com", "Norma Normal", "normal", "--password", PASSWORD)
    admin = agent("admin.agent@example.com", "Adam Admin", "administrator")
    archivist = agent("archivist@example.com", "Archie Vist", "normal")
    b = _license(run_cli(data_dir, "license", "create"))
    assert b.license_id != a.license_id

    server = ServerProcess(data_dir)
    server.start()
    http = Http(server.base_url)
    # Manual routing: chats wait in the queue until an agent takes them, so that an agent
    # logging in never takes another test's chat behind its back. Automatic routing has its
    # own servers (test_routing*.py).
    for lic in (a, b):
        resp = http.post_raw(
            "/v3.0/configuration/routing/update_routing_settings",
            token=lic.owner.token,
            json_body={"mode": "manual"},
        )
        assert resp.status_code == 200, resp.text
    try:
        yield Env(
            server=server,
            http=http,
            a=a,
            b=b,
            normal=normal,
            admin=admin,
            archivist=archivist,
            password_agent_email="normal.agent@example.com",
        )
    finally:
        http.close()
        try:
            server.stop()
        finally:
            server.kill()


class RtmFactory:
    def __init__(self, env: Env) -> None:
        self.env = env
        self.opened: list[Rtm] = []

    async def raw_agent(self) -> Rtm:
        c = await Rtm(self.env.server.ws_base + "/v3.0/agent/rtm/ws").connect()
        self.opened.append(c)
        return c

    async def raw_customer(self, license_id: int) -> Rtm:
        c = await Rtm(
            self.env.server.ws_base + f"/v3.0/customer/rtm/ws?license_id={license_id}"
        ).connect()
        self.opened.append(c)
        return c

    async def agent(self, who: Agent) -> Rtm:
        c = await self.raw_agent()
        c.login_payload = await c.call("login", {"token": f"Bearer {who.token}"})  # type: ignore[attr-defined]
        return c

    async def customer(self, who: Customer) -> Rtm:
        c = await self.raw_customer(who.license_id)
        c.login_payload = await c.call("login", {"token": f"Bearer {who.token}"})  # type: ignore[attr-defined]
        return c

    async def close_all(self) -> None:
        for c in self.opened:
            await c.close()


@pytest_asyncio.fixture
async def rtm(env: Env) -> AsyncIterator[RtmFactory]:
    factory = RtmFactory(env)
    try:
        yield factory
    finally:
        await factory.close_all()


@dataclass
class Instance:
    """A private server for tests that stop and restart it."""

    server: ServerProcess
    lic: License
    http: Http | None = None

    def start(self) -> Http:
        self.server.start()
        if self.http is not None:
            self.http.close()
        self.http = Http(self.server.base_url)
        return self.http


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Any]:
    made: list[Instance] = []

    def make() -> Instance:
        data_dir = tmp_path / unique("data")
        lic = _license(_bootstrap(data_dir))
        inst = Instance(server=ServerProcess(data_dir), lic=lic)
        made.append(inst)
        return inst

    yield make
    for inst in made:
        if inst.http is not None:
            inst.http.close()
        inst.server.kill()
    shutil.rmtree(tmp_path, ignore_errors=True)
