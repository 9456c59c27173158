"""Auto-away per connection (v3.6 set_away_status, login `away`) and update_session, on a
real store: presence counts the agent's connections that are away and moves its routing
status when all of them are, or no longer are."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chatplane.accounts import tokens
from chatplane.bus import Origin
from chatplane.config import Settings
from chatplane.domain import agent_status
from chatplane.domain.models import Principal
from chatplane.domain.routing import ACCEPTING, NOT_ACCEPTING
from chatplane.errors import ApiError
from chatplane.realtime import board as board_module
from chatplane.realtime.board import PresenceBoard
from chatplane.realtime.hub import Hub, Session
from chatplane.realtime.presence import Presence
from chatplane.services import Services
from chatplane.storage import Tx
from chatplane.storage import routing as rrepo
from tests.unit.support import World, make_world, sqlite_url


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(sqlite_url(tmp_path))
    w.store.start()
    yield w
    w.store.close()


@pytest.fixture
def presence(world: World) -> Presence:
    async def commit(fn: Callable[[Tx], Any], _origin: Origin) -> Any:
        return (await world.store.write(fn)).result

    return Presence(Hub(), commit, world.store.read, None, offline_grace=60)


async def _nothing(*_args: Any) -> None:
    return None


def connect(hub: Hub, principal: Principal, *, away: bool = False) -> Session:
    session = Session(api="agent", send_text=_nothing, close=_nothing, version="3.6")
    session.principal = principal
    session.away = away
    hub.register(session)
    return session


def current(world: World, agent: Principal) -> str:
    return world.store.read_sync(
        lambda tx: rrepo.current_status(tx.conn, world.license_id, agent.user_id)
    )


def logged_in(world: World, agent: Principal) -> None:
    world.store.write_sync(lambda tx: agent_status.login(tx, agent, False))


async def test_all_connections_away_stops_accepting_and_one_back_resumes(
    world: World, presence: Presence
) -> None:
    agent = world.agent("ada@example.com")
    desktop, mobile = connect(presence.hub, agent), connect(presence.hub, agent)
    logged_in(world, agent)
    await presence.set_away(desktop, True)
    assert current(world, agent) == ACCEPTING  # the mobile connection is not away
    await presence.set_away(mobile, True)
    assert current(world, agent) == NOT_ACCEPTING
    assert (desktop.away, mobile.away) == (True, True)
    await presence.set_away(desktop, False)
    assert current(world, agent) == ACCEPTING


async def test_the_last_connection_not_away_closing_leaves_the_agent_away(
    world: World, presence: Presence
) -> None:
    agent = world.agent("bo@example.com")
    away_one = connect(presence.hub, agent, away=True)
    active = connect(presence.hub, agent)
    logged_in(world, agent)
    presence.hub.disconnect(active)
    await presence.session_closed(active)
    assert current(world, agent) == NOT_ACCEPTING
    # The away one closing too is the offline grace's business, not auto-away's.
    presence.hub.disconnect(away_one)
    await presence.session_closed(away_one)
    assert current(world, agent) == NOT_ACCEPTING


async def test_all_away_counts_this_process_connections(world: World, presence: Presence) -> None:
    agent = world.agent("cy@example.com")
    assert await presence.all_away(world.license_id, agent.user_id) is False  # none at all
    one = connect(presence.hub, agent, away=True)
    assert await presence.all_away(world.license_id, agent.user_id) is True
    connect(presence.hub, agent)
    assert await presence.all_away(world.license_id, agent.user_id) is False
    assert presence.hub.away_counts(world.license_id, agent.user_id) == (2, 1)
    assert one.away


async def test_a_login_away_as_the_only_connection_accepts_no_chats(
    world: World, presence: Presence
) -> None:
    agent = world.agent("di@example.com")
    connect(presence.hub, agent, away=True)
    away = await presence.all_away(world.license_id, agent.user_id)
    status = world.store.write_sync(
        lambda tx: agent_status.login(tx, agent, False, away=away)
    ).result
    assert status == NOT_ACCEPTING


async def test_services_reach_auto_away(world: World, presence: Presence, tmp_path: Path) -> None:
    services = Services(Settings(data_dir=tmp_path, redis_url=""), world.store)
    alone = connect(services.hub, world.owner)
    await services.set_away(alone, True)  # no presence wired: the flag only
    assert alone.away and await services.all_away(world.license_id, world.owner.user_id)
    services.presence = presence
    agent = world.agent("ed@example.com")
    session = connect(presence.hub, agent)
    logged_in(world, agent)
    await services.set_away(session, True)
    assert current(world, agent) == NOT_ACCEPTING
    assert await services.all_away(world.license_id, agent.user_id) is True


# -- update_session ---------------------------------------------------------------------


def token_for(world: World, agent: Principal, ttl: int) -> str:
    return world.store.write_sync(
        lambda tx: tokens.issue(
            tx.conn,
            license_id=world.license_id,
            entity_type="agent",
            entity_id=agent.user_id,
            client_id=world.client_id,
            scopes=agent.scopes,
            ttl=ttl,
        )
    ).result.access_token


async def test_update_session_takes_a_later_token_of_the_same_agent(
    world: World, tmp_path: Path
) -> None:
    services = Services(Settings(data_dir=tmp_path, redis_url=""), world.store)
    session = connect(services.hub, world.owner)
    session.principal = await services.authenticate(token_for(world, world.owner, 600))
    first = session.principal
    newer = await services.update_session(session, token_for(world, world.owner, 7200))
    assert session.principal is newer and newer.user_id == first.user_id
    assert newer.token_expires_at > first.token_expires_at
    # The session stays indexed under its user.
    assert session in services.hub.sessions_of(world.license_id, "agent", world.owner.user_id)


async def test_update_session_refuses_another_user_or_an_earlier_expiry(
    world: World, tmp_path: Path
) -> None:
    services = Services(Settings(data_dir=tmp_path, redis_url=""), world.store)
    session = connect(services.hub, world.owner)
    session.principal = await services.authenticate(token_for(world, world.owner, 7200))
    other = world.agent("fi@example.com")
    with pytest.raises(ApiError) as err:
        await services.update_session(session, token_for(world, other, 7200))
    assert err.value.type == "authorization" and "another user" in err.value.message
    with pytest.raises(ApiError) as earlier:
        await services.update_session(session, token_for(world, world.owner, 60))
    assert earlier.value.type == "validation" and "expires before" in earlier.value.message
    with pytest.raises(ApiError) as bad:
        await services.update_session(session, "not-a-token")
    assert bad.value.type == "authentication"
    fresh = Session(api="agent", send_text=_nothing, close=_nothing)
    with pytest.raises(ApiError) as anonymous:
        await services.update_session(fresh, token_for(world, world.owner, 7200))
    assert anonymous.value.type == "validation"


# -- across processes (Redis) -------------------------------------------------------------


@pytest.mark.redis
async def test_the_board_counts_connections_away_on_other_processes(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = f"chatplane:test:{uuid.uuid4().hex}"
    monkeypatch.setattr(board_module, "PROCESS_ID", "other-process")
    other = PresenceBoard(redis_url, prefix)
    await other.start()
    monkeypatch.setattr(board_module, "PROCESS_ID", "this-process")
    mine = PresenceBoard(redis_url, prefix)
    await mine.start()
    try:
        monkeypatch.setattr(board_module, "PROCESS_ID", "other-process")
        await other.connected(1, "agent")
        await other.connected(1, "agent")
        await other.away_changed(1, "agent", 1)
        monkeypatch.setattr(board_module, "PROCESS_ID", "this-process")
        await mine.connected(1, "agent")
        await mine.away_changed(1, "agent", 1)
        assert await mine.counts_elsewhere(1, "agent") == (2, 1)
        monkeypatch.setattr(board_module, "PROCESS_ID", "other-process")
        await other.away_changed(1, "agent", 1)
        assert await other.counts_elsewhere(1, "agent") == (1, 1)
        monkeypatch.setattr(board_module, "PROCESS_ID", "this-process")
        assert await mine.counts_elsewhere(1, "agent") == (2, 2)
        await mine.disconnected(1, "agent")
        await mine.away_changed(1, "agent", -1)
    finally:
        monkeypatch.setattr(board_module, "PROCESS_ID", "other-process")
        await other.stop()
        monkeypatch.setattr(board_module, "PROCESS_ID", "this-process")
        await mine.stop()
