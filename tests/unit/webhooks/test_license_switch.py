"""License webhooks switched off per application (`disable_license_webhooks`): the outbox
writes no delivery for them, whatever version they were registered through, until they
are enabled again; bot webhooks are not switched. And the v3.x registration limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chatplane.api.v3_0.webhooks import WEBHOOKS as WEBHOOKS_V3_0
from chatplane.api.v3_6.webhooks import WEBHOOKS as WEBHOOKS_V3_6
from chatplane.domain import bots, webhook_config
from chatplane.domain import changes as ch
from chatplane.errors import ApiError
from chatplane.storage import webhooks as repo
from chatplane.webhooks import outbox
from chatplane.webhooks.outbox import Outbox
from tests.unit.support import World, make_world, sqlite_url


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(sqlite_url(tmp_path))
    w.store.add_tx_hook(Outbox({"3.0": WEBHOOKS_V3_0, "3.6": WEBHOOKS_V3_6}, lambda: 60.0))
    yield w
    w.store.engine.dispose()


def _write(world: World, fn):  # type: ignore[no-untyped-def]
    return world.store.write_sync(fn).result


def _register(world: World, action: str, version: str, type_: str = "license") -> str:
    reg = webhook_config.Registration(
        action=action, secret_key="k", url="https://hooks.example.com/x", type=type_
    )
    hook = _write(
        world, lambda tx: webhook_config.register(tx, world.owner, world.client_id, reg, version)
    )
    outbox.forget(world.license_id)
    return hook


def _deliveries(world: World) -> list[str]:
    rows = world.store.read_sync(
        lambda tx: repo.list_deliveries(
            tx.conn, world.license_id, ["pending", "delivered", "failed"], 100
        )
    )
    return sorted(r.webhook_id for r in rows)


def _bot(world: World) -> str:
    """A bot of the owner's application, accepting chats (its `bot` webhooks fire for its
    own agent actions)."""
    spec = bots.BotSpec(name="Switch", routing_status="accepting_chats")
    bot: str = _write(world, lambda tx: bots.create_bot(tx, world.owner, spec)).id
    return bot


def _status_change(world: World, bot: str) -> None:
    """The bot's status changes (`agent_status_changed` in v3.0, `routing_status_set` in
    v3.x); its chosen status, which routing and bot webhooks read, stays accepting."""
    _write(
        world,
        lambda tx: tx.emit(ch.AgentStatusChanged(world.license_id, bot, "not_accepting_chats")),
    )


def test_a_disabled_application_gets_no_license_webhooks_until_enabled(world: World) -> None:
    agent = _bot(world)
    v30 = _register(world, "agent_status_changed", "3.0")
    v36 = _register(world, "routing_status_set", "3.6")
    bot = _register(world, "routing_status_set", "3.6", "bot")
    _status_change(world, agent)
    assert _deliveries(world) == sorted([v30, v36, bot])

    _write(world, lambda tx: webhook_config.set_enabled(tx, world.owner, None, False))
    assert not world.store.read_sync(lambda tx: webhook_config.enabled(tx, world.owner, None))
    _status_change(world, agent)
    assert _deliveries(world) == sorted([v30, v36, bot, bot])  # only the bot's

    _write(world, lambda tx: webhook_config.set_enabled(tx, world.owner, world.client_id, True))
    _status_change(world, agent)
    assert _deliveries(world) == sorted([v30, v36, bot, bot, v30, v36, bot])


def test_three_webhooks_per_application_and_action(world: World) -> None:
    for _ in range(webhook_config.MAX_PER_ACTION):
        _register(world, "incoming_chat", "3.6")
    with pytest.raises(ApiError) as err:
        _register(world, "incoming_chat", "3.5")
    assert err.value.type == "limit_reached"
    _register(world, "incoming_event", "3.6")
