"""Groups: agents gathered to receive chats, each at a priority (`first`, `normal`, `last`).

Group 0 holds every agent of the license and cannot be deleted; its members' priorities
can still be set. The spec leaves group management to a later version; the Configuration
API methods follow its naming (`groups/create_group`, ...) (docs/decisions.md).
"""

from __future__ import annotations

import time
from typing import Any

from chatplane.domain import changes, routing
from chatplane.errors import not_found, validation
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo
from chatplane.storage import groups as repo

PRIORITIES = ("first", "normal", "last")


def create_group(tx: Tx, license_id: int, name: str, agent_priorities: dict[str, str]) -> int:
    _check_priorities(tx, license_id, agent_priorities)
    group_id = repo.next_id(tx.conn, license_id)
    repo.insert_group(tx.conn, license_id, group_id, name, time.time())
    for agent_id, priority in agent_priorities.items():
        accounts_repo.add_agent_to_group(tx.conn, license_id, group_id, agent_id, priority)
    _changed(tx, license_id)
    return group_id


def update_group(
    tx: Tx,
    license_id: int,
    group_id: int,
    name: str | None,
    agent_priorities: dict[str, str] | None,
) -> None:
    if repo.get_group(tx.conn, license_id, group_id) is None:
        raise not_found("Group", group_id)
    if name is not None:
        repo.rename_group(tx.conn, license_id, group_id, name)
    if agent_priorities is not None:
        _check_priorities(tx, license_id, agent_priorities)
        if group_id != 0:
            # The given priorities are the group's members; group 0 keeps every agent.
            repo.remove_members(tx.conn, license_id, group_id, list(agent_priorities))
        for agent_id, priority in agent_priorities.items():
            accounts_repo.add_agent_to_group(tx.conn, license_id, group_id, agent_id, priority)
    _changed(tx, license_id)


def add_agent(tx: Tx, license_id: int, group_id: int, agent_id: str, priority: str) -> None:
    if repo.get_group(tx.conn, license_id, group_id) is None:
        raise not_found("Group", group_id)
    _check_priorities(tx, license_id, {agent_id: priority})
    accounts_repo.add_agent_to_group(tx.conn, license_id, group_id, agent_id, priority)
    _changed(tx, license_id)


def delete_group(tx: Tx, license_id: int, group_id: int) -> None:
    if group_id == 0:
        raise validation("Group 0 holds every agent and cannot be deleted")
    if repo.get_group(tx.conn, license_id, group_id) is None:
        raise not_found("Group", group_id)
    repo.delete_group(tx.conn, license_id, group_id)
    _changed(tx, license_id)


def get_groups(tx: Tx, license_id: int) -> list[dict[str, Any]]:
    members = repo.priorities(tx.conn, license_id)
    return [
        {"id": int(g.id), "name": g.name, "agent_priorities": members.get(int(g.id), {})}
        for g in repo.list_groups(tx.conn, license_id)
    ]


def _check_priorities(tx: Tx, license_id: int, agent_priorities: dict[str, str]) -> None:
    for agent_id, priority in agent_priorities.items():
        if priority not in PRIORITIES:
            raise validation(
                f"agent_priorities.{agent_id} must be 'first', 'normal' or 'last', not {priority!r}"
            )
    missing = set(agent_priorities) - repo.existing_agent_ids(
        tx.conn, license_id, list(agent_priorities)
    )
    if missing:
        raise not_found("Agent", sorted(missing)[0])


def _changed(tx: Tx, license_id: int) -> None:
    tx.emit(changes.RoutingChanged(license_id, "groups"))
    # New members or priorities may fit chats that wait in the queue.
    routing.drain(tx, license_id)
