"""Property configurations reach handlers and pushes from a cache that authentication fills
off the event loop: `Services.configs()` never reads the database on the event loop for a
license someone authenticated for."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chatplane.accounts import tokens
from chatplane.config import Settings
from chatplane.services import Services
from tests.unit.support import World, make_world, sqlite_url


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(sqlite_url(tmp_path))
    yield w
    w.store.close()


@pytest.fixture
def services(world: World, tmp_path: Path) -> Services:
    return Services(Settings(data_dir=tmp_path, redis_url=""), world.store)


@pytest.fixture
def reads(world: World, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of the thread of each read the store runs from now on."""
    seen: list[str] = []
    read_sync = world.store.read_sync

    def counted(fn: Callable[[Any], Any]) -> Any:
        seen.append(threading.current_thread().name)
        return read_sync(fn)

    monkeypatch.setattr(world.store, "read_sync", counted)
    return seen


def owner_token(world: World) -> str:
    issued = world.store.write_sync(
        lambda tx: tokens.issue(
            tx.conn,
            license_id=world.license_id,
            entity_type="agent",
            entity_id=world.owner.user_id,
            client_id=world.client_id,
            scopes=world.owner.scopes,
            ttl=3600,
        )
    ).result
    return issued.access_token


def loop_thread_reads(reads: list[str]) -> list[str]:
    return [name for name in reads if not name.startswith("chatplane-read")]


async def test_authentication_loads_the_license_configs_off_the_event_loop(
    world: World, services: Services, reads: list[str]
) -> None:
    await services.authenticate(owner_token(world))
    assert len(reads) == 2  # the token, then the configurations
    assert loop_thread_reads(reads) == []

    configs = services.configs(world.license_id)
    view = services.view_for(world.license_id, "agent")

    assert len(reads) == 2  # answered from the cache
    assert view.configs is configs
    assert configs  # the built-in properties at least


async def test_a_cached_token_still_loads_configs_that_were_never_loaded(
    world: World, services: Services, reads: list[str]
) -> None:
    token = owner_token(world)
    await services.authenticate(token)
    services._configs.clear()
    await services.authenticate(token)
    assert loop_thread_reads(reads) == []
    assert world.license_id in services._configs


async def test_concurrent_first_uses_of_a_license_share_one_read(
    world: World, services: Services, reads: list[str]
) -> None:
    results = await asyncio.gather(*(services.load_configs(world.license_id) for _ in range(5)))
    assert len(reads) == 1
    assert loop_thread_reads(reads) == []
    assert all(r is results[0] for r in results)


async def test_a_stale_entry_used_by_a_writer_thread_is_reloaded_on_the_event_loop(
    world: World, services: Services, reads: list[str]
) -> None:
    lic = world.license_id
    first = await services.load_configs(lic)
    configs, _fresh_until, started = services._configs[lic]
    services._configs[lic] = (configs, 0.0, started)  # stale

    served = await asyncio.to_thread(services.configs, lic)  # as the outbox hook does

    assert served is first  # the stale entry, without a read in that thread
    for _ in range(100):
        if len(reads) == 2 and lic not in services._config_reloads:
            break
        await asyncio.sleep(0.01)
    assert len(reads) == 2
    assert loop_thread_reads(reads) == []
    assert services._configs[lic][1] > 0.0  # fresh again


def test_without_an_event_loop_a_first_use_reads_directly(
    world: World, services: Services, reads: list[str]
) -> None:
    assert services.configs(world.license_id)
    assert reads == [threading.current_thread().name]
