"""The outbox's per-license reads (registered webhooks, property configurations, license,
bots) are kept by the SQLite writer between units (chat_cache.remember) and read again after
any write that could change them: a webhook registered, unregistered or rolled back is seen
by the very next change."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from chatplane.app import WEBHOOK_FORMATS
from chatplane.domain import chats, webhook_config
from chatplane.domain.chats import ChatRequest, NewEvent, NewThread
from chatplane.storage import schema as s
from chatplane.storage.store import Tx
from chatplane.webhooks import outbox
from tests.unit.support import World, make_world, sqlite_url


@pytest.fixture(params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    url = (
        sqlite_url(tmp_path)
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    w = make_world(url)
    w.store.add_tx_hook(outbox.Outbox(WEBHOOK_FORMATS, lambda: 60.0))
    w.store.start()
    yield w
    w.store.close()


def _deliveries(world: World) -> int:
    t = s.webhook_deliveries
    return int(
        world.store.read_sync(
            lambda tx: tx.conn.execute(
                sa.select(sa.func.count()).select_from(t).where(t.c.license_id == world.license_id)
            ).scalar_one()
        )
    )


def _register(world: World, action: str = "incoming_event") -> Callable[[Tx], str]:
    reg = webhook_config.Registration(
        action=action, secret_key="k", url="http://127.0.0.1:9/hook", type="license"
    )
    return lambda tx: webhook_config.register(tx, world.owner, world.client_id, reg, "3.5")


async def _write(world: World, fn: Callable[[Tx], Any]) -> Any:
    return (await world.store.write(fn)).result


async def test_webhooks_changed_between_units_are_seen_by_the_next_change(world: World) -> None:
    customer = world.customer()
    req = ChatRequest(thread=NewThread(events=[NewEvent(type="message", text="hello")]))
    chat, _thread = await _write(world, lambda tx: chats.start_chat(tx, customer, req))

    def message(tx: Tx) -> Any:
        return chats.send_event(tx, customer, chat.id, NewEvent(type="message", text="hi"))

    # One webhook: every message is a delivery, the context now remembered.
    await _write(world, _register(world))
    outbox.forget(world.license_id)
    before = _deliveries(world)
    await _write(world, message)
    await _write(world, message)
    assert _deliveries(world) == before + 2

    # A second one, registered in the same group commit as the message after it (most
    # likely: both wait for the writer together).
    await asyncio.gather(_write(world, _register(world)), _write(world, message))
    now = _deliveries(world)
    await _write(world, message)
    assert _deliveries(world) == now + 2

    # Registered by a unit that then fails: the next message does not fire it.
    def registers_then_fails(tx: Tx) -> None:
        _register(world)(tx)
        # what the outbox reads (and the writer keeps), with the new webhook in
        context = outbox._remembered(tx, ("license_context", tx_license), outbox._license_context)
        assert len(context[0]) == 3
        raise RuntimeError("rolled back")

    tx_license = world.license_id

    with pytest.raises(RuntimeError):
        await _write(world, registers_then_fails)
    now = _deliveries(world)
    await _write(world, message)
    assert _deliveries(world) == now + 2  # the two registered webhooks, not a third

    # Unregistered: the next message fires one webhook fewer.
    ids = await _write(
        world, lambda tx: [w.webhook_id for w in outbox._registered(tx, world.license_id)]
    )
    await _write(
        world, lambda tx: webhook_config.unregister(tx, world.owner, world.client_id, ids[0])
    )
    now = _deliveries(world)
    await _write(world, message)
    assert _deliveries(world) == now + 1
