"""Groups' routing statuses move with their agents (domain/group_status.py): an agent
starting or stopping to accept chats, connecting or leaving, joining or leaving a group,
a new group with members who accept chats; each unit of work tells once per group whose
status it changed (`GroupsStatusUpdated`, the v3.x `groups_status_updated` push)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chatplane.domain import agent_status, agents, groups
from chatplane.domain.changes import GroupsStatusUpdated
from chatplane.domain.routing import ACCEPTING, NOT_ACCEPTING, OFFLINE
from chatplane.storage import Tx
from tests.unit.support import World


def _moved(world: World, fn: Callable[[Tx], Any]) -> list[tuple[int, str]]:
    """(group id, status) of each group whose status the unit of work changed."""
    events = world.store.write_sync(fn).events
    return [(c.group_id, c.status) for c in events if isinstance(c, GroupsStatusUpdated)]


def _status(world: World, agent_id: str, status: str) -> list[tuple[int, str]]:
    lic = world.license_id
    return _moved(world, lambda tx: agent_status.set_status(tx, lic, agent_id, status, chosen=True))


def _agent(world: World, agent_id: str, memberships: list[tuple[int, str]]) -> None:
    spec = agents.AgentSpec(id=agent_id, name=agent_id.split("@")[0], groups=memberships)
    world.store.write_sync(lambda tx: agents.create_agent(tx, None, world.license_id, spec))


def _group(world: World, members: dict[str, str]) -> tuple[int, list[tuple[int, str]]]:
    lic = world.license_id
    committed = world.store.write_sync(lambda tx: groups.create_group(tx, lic, "G", members))
    moved = [(c.group_id, c.status) for c in committed.events if isinstance(c, GroupsStatusUpdated)]
    return committed.result, moved


def test_a_group_follows_its_agents_statuses(world: World) -> None:
    sales, moved = _group(world, {})
    assert moved == []  # no member: offline, as a new group is taken to have been
    _agent(world, "ann@example.com", [(sales, "normal")])
    _agent(world, "bob@example.com", [])
    assert _status(world, "ann@example.com", ACCEPTING) == [
        (0, "accepting_chats"),
        (sales, "accepting_chats"),
    ]
    # Group 0 accepts chats already: nothing to tell of Bob.
    assert _status(world, "bob@example.com", ACCEPTING) == []
    assert _status(world, "ann@example.com", NOT_ACCEPTING) == [(sales, "not_accepting_chats")]
    assert _status(world, "ann@example.com", OFFLINE) == [(sales, "offline")]
    assert _status(world, "bob@example.com", NOT_ACCEPTING) == [(0, "not_accepting_chats")]
    assert _status(world, "bob@example.com", OFFLINE) == [(0, "offline")]
    assert _status(world, "ann@example.com", NOT_ACCEPTING) == [
        (0, "not_accepting_chats"),
        (sales, "not_accepting_chats"),
    ]
    assert _status(world, "ann@example.com", NOT_ACCEPTING) == []  # no change, no news


def test_a_supervisor_does_not_make_its_group_accept_chats(world: World) -> None:
    sales, _ = _group(world, {})
    _agent(world, "sue@example.com", [(sales, "supervisor")])
    assert _status(world, "sue@example.com", ACCEPTING) == [(0, "accepting_chats")]


def test_members_joining_and_leaving_move_a_groups_status(world: World) -> None:
    lic = world.license_id
    _agent(world, "ann@example.com", [])
    _status(world, "ann@example.com", ACCEPTING)
    sales, moved = _group(world, {"ann@example.com": "normal"})
    assert moved == [(sales, "accepting_chats")]
    emptied = _moved(world, lambda tx: groups.update_group(tx, lic, sales, None, {}))
    assert emptied == [(sales, "offline")]
    # Ann's own groups changed (update_agent): she joins it again.
    change = agents.AgentUpdate(groups=[(sales, "first")])
    joined = _moved(world, lambda tx: agents.update_agent(tx, None, lic, "ann@example.com", change))
    assert joined == [(sales, "accepting_chats")]
    # Renaming changes no status.
    assert _moved(world, lambda tx: groups.update_group(tx, lic, sales, "Sales", None)) == []


def test_a_suspended_agent_takes_its_groups_offline(world: World) -> None:
    lic = world.license_id
    sales, _ = _group(world, {})
    _agent(world, "ann@example.com", [(sales, "normal")])
    _status(world, "ann@example.com", ACCEPTING)
    suspended = _moved(
        world, lambda tx: agents.suspend_agent(tx, world.owner, lic, "ann@example.com")
    )
    assert suspended == [(0, "offline"), (sales, "offline")]
