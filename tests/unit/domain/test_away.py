"""Auto-away's status rules (domain/agent_status.py), on SQLite and PostgreSQL: every
connection away makes an accepting agent `not_accepting_chats` without changing its
choice; one back returns it to what it chose."""

from __future__ import annotations

from typing import Any

from chatplane.domain import agent_status, changes
from chatplane.domain.models import Principal
from chatplane.domain.routing import ACCEPTING, NOT_ACCEPTING, OFFLINE
from chatplane.storage import accounts as accounts_repo
from chatplane.storage import routing as rrepo
from tests.unit.domain.helpers import emitted
from tests.unit.support import World


def statuses(world: World, agent: Principal) -> tuple[str, str]:
    """(the status routing obeys, the status the agent chose)."""

    def read(tx: Any) -> tuple[str, str]:
        current = rrepo.current_status(tx.conn, world.license_id, agent.user_id)
        chosen = accounts_repo.get_agent(tx.conn, world.license_id, agent.user_id)
        assert chosen is not None
        return current, chosen.routing_status

    return world.store.read_sync(read)


def away(world: World, agent: Principal, all_away: bool) -> Any:
    return world.store.write_sync(
        lambda tx: agent_status.connections_away(tx, world.license_id, agent.user_id, all_away)
    )


def login(
    world: World, agent: Principal, *, reconnect: bool = False, all_away: bool = False
) -> str:
    return world.store.write_sync(
        lambda tx: agent_status.login(tx, agent, reconnect, away=all_away)
    ).result


def test_every_connection_away_stops_accepting_chats_and_keeps_the_choice(world: World) -> None:
    agent = world.agent("ava@example.com")
    login(world, agent)
    committed = away(world, agent, True)
    assert committed.result == NOT_ACCEPTING
    [change] = emitted(committed, changes.AgentStatusChanged)
    assert (change.agent_id, change.routing_status) == (agent.user_id, NOT_ACCEPTING)
    assert statuses(world, agent) == (NOT_ACCEPTING, ACCEPTING)


def test_a_connection_back_returns_to_the_chosen_status(world: World) -> None:
    agent = world.agent("bea@example.com")
    login(world, agent)
    away(world, agent, True)
    committed = away(world, agent, False)
    assert committed.result == ACCEPTING
    [change] = emitted(committed, changes.AgentStatusChanged)
    assert change.routing_status == ACCEPTING
    assert statuses(world, agent) == (ACCEPTING, ACCEPTING)


def test_nothing_changes_when_nothing_is_to_change(world: World) -> None:
    agent = world.agent("cal@example.com")
    login(world, agent)
    assert away(world, agent, False).result is None
    away(world, agent, True)
    again = away(world, agent, True)
    assert again.result is None and not emitted(again, changes.AgentStatusChanged)


def _own(what: str) -> None:
    raise AssertionError(f"an agent's own status needs no wider scope ({what})")


def test_an_agent_that_chose_not_to_accept_chats_stays_so(world: World) -> None:
    agent = world.agent("dee@example.com")
    login(world, agent)
    world.store.write_sync(
        lambda tx: agent_status.update_agent(tx, agent, None, NOT_ACCEPTING, _own)
    )
    assert away(world, agent, True).result is None
    assert away(world, agent, False).result is None
    assert statuses(world, agent) == (NOT_ACCEPTING, NOT_ACCEPTING)


def test_an_offline_agent_is_left_alone(world: World) -> None:
    agent = world.agent("eli@example.com")
    assert statuses(world, agent)[0] == OFFLINE
    assert away(world, agent, True).result is None
    assert away(world, agent, False).result is None
    assert statuses(world, agent)[0] == OFFLINE


def test_logging_in_away_records_the_choice_but_accepts_no_chats(world: World) -> None:
    agent = world.agent("flo@example.com")
    assert login(world, agent, all_away=True) == NOT_ACCEPTING
    assert statuses(world, agent) == (NOT_ACCEPTING, ACCEPTING)
    # Coming back (another connection, not away) returns to accepting chats.
    assert away(world, agent, False).result == ACCEPTING


def test_logging_in_away_with_reconnect_keeps_a_chosen_not_accepting(world: World) -> None:
    agent = world.agent("gil@example.com")
    login(world, agent)
    world.store.write_sync(
        lambda tx: agent_status.update_agent(tx, agent, None, NOT_ACCEPTING, _own)
    )
    assert login(world, agent, reconnect=True, all_away=True) == NOT_ACCEPTING
    assert statuses(world, agent) == (NOT_ACCEPTING, NOT_ACCEPTING)
    assert away(world, agent, False).result is None
