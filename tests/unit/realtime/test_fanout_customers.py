"""Who hears a customer change (realtime/fanout.py): the agents serving the customer, the
customer itself for its own profile and page, every agent allowed to read customers for a
new one, and -- as for chat changes -- the caller who made the change, on all its
connections, whether or not it serves the customer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatplane.app import PUSHES
from chatplane.bus import Origin
from chatplane.config import Settings
from chatplane.domain import customers
from chatplane.domain.models import Principal
from chatplane.realtime.fanout import Fanout
from chatplane.realtime.hub import Session
from chatplane.services import Services
from tests.unit.support import World, make_world, sqlite_url


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(sqlite_url(tmp_path))
    yield w
    w.store.close()


class Connections:
    """RTM sessions registered in the services' hub, each keeping what it was sent."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.sessions: list[tuple[Session, list[dict[str, Any]]]] = []

    def open(self, who: Principal) -> list[dict[str, Any]]:
        received: list[dict[str, Any]] = []

        async def send_text(text: str) -> None:
            received.append(json.loads(text))

        async def close(_code: int) -> None:
            return None

        session = Session(api=who.user_type, send_text=send_text, close=close, principal=who)
        session.start()
        self.services.hub.register(session)
        self.sessions.append((session, received))
        return received

    async def flush(self) -> None:
        for session, _ in self.sessions:
            await session.finish()


def _actions(received: list[dict[str, Any]]) -> list[str]:
    return [m["action"] for m in received]


async def test_the_agent_who_updates_a_customer_it_does_not_serve_hears_it_everywhere(
    world: World, tmp_path: Path
) -> None:
    services = Services(Settings(data_dir=tmp_path, redis_url=""), world.store)
    await services.load_configs(world.license_id)
    lic, owner = world.license_id, world.owner
    other = world.agent("other@example.com")
    customer = world.customer()
    conns = Connections(services)
    owner_1, owner_2 = conns.open(owner), conns.open(owner)
    other_agent, customer_self = conns.open(other), conns.open(customer)

    committed = world.store.write_sync(
        lambda tx: customers.update(tx, lic, customer.user_id, name="Renamed")
    )
    caused_by_owner = Origin(None, None, (lic, "agent", owner.user_id))
    await Fanout(services.hub, services.view_for, PUSHES)(committed.events, caused_by_owner)
    await conns.flush()

    assert _actions(owner_1) == _actions(owner_2) == ["customer_updated"]
    assert owner_1[0]["payload"]["customer"]["name"] == "Renamed"
    assert _actions(customer_self) == ["customer_updated"]  # its own profile
    assert _actions(other_agent) == []  # neither serving the customer nor its author


async def test_a_new_customer_reaches_every_agent_allowed_to_read_customers(
    world: World, tmp_path: Path
) -> None:
    services = Services(Settings(data_dir=tmp_path, redis_url=""), world.store)
    await services.load_configs(world.license_id)
    lic, owner = world.license_id, world.owner
    other = world.agent("other@example.com")
    conns = Connections(services)
    owner_rtm, other_rtm = conns.open(owner), conns.open(other)

    committed = world.store.write_sync(
        lambda tx: customers.create(tx, owner, "New", None, None, None)
    )
    await Fanout(services.hub, services.view_for, PUSHES)(
        committed.events, Origin(None, None, (lic, "agent", owner.user_id))
    )
    await conns.flush()

    assert _actions(owner_rtm) == _actions(other_rtm) == ["customer_created"]
