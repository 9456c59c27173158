"""Groups: agents gathered to receive chats, each at a priority (`first`, `normal`, `last`,
or `supervisor`: a member routing gives none of the group's chats).

Group 0 holds every agent of the license and cannot be deleted; its members' priorities
can still be set. v3.0 leaves group management to a later version; its Configuration API
methods follow that version's naming (`groups/create_group`, ...), and the v3.x
Configuration API (`create_group`, `get_group`, `list_groups`, ...) uses the functions
below with its own shapes (docs/decisions.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from chatplane.domain import changes, group_status, routing
from chatplane.domain.group_refs import check_exist as check_exist  # re-exported
from chatplane.domain.models import Principal
from chatplane.errors import not_found, validation
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo
from chatplane.storage import groups as repo
from chatplane.storage import properties as properties_repo

PRIORITIES = ("first", "normal", "last", "supervisor")
DEFAULT_LANGUAGE = "en"


@dataclass
class Group:
    id: int
    name: str
    language_code: str
    agent_priorities: dict[str, str] = field(default_factory=dict)


def create_group(
    tx: Tx,
    license_id: int,
    name: str,
    agent_priorities: dict[str, str],
    *,
    language_code: str | None = None,
    requester: Principal | None = None,
) -> int:
    _check_priorities(tx, license_id, agent_priorities)
    group_id = repo.next_id(tx.conn, license_id)
    repo.insert_group(tx.conn, license_id, group_id, name, time.time())
    if language_code is not None:
        repo.update_group(tx.conn, license_id, group_id, language_code=language_code)
    for agent_id, priority in agent_priorities.items():
        accounts_repo.add_agent_to_group(tx.conn, license_id, group_id, agent_id, priority)
    _changed(tx, license_id)
    _configured(tx, license_id, group_id, "created", requester)
    group_status.group_created(tx, license_id, group_id)
    return group_id


def update_group(
    tx: Tx,
    license_id: int,
    group_id: int,
    name: str | None,
    agent_priorities: dict[str, str] | None,
    *,
    language_code: str | None = None,
    requester: Principal | None = None,
) -> None:
    if repo.get_group(tx.conn, license_id, group_id) is None:
        raise not_found("Group", group_id)
    before = get_group(tx, license_id, group_id)
    status_moved = None
    if name is not None:
        repo.rename_group(tx.conn, license_id, group_id, name)
    if language_code is not None:
        repo.update_group(tx.conn, license_id, group_id, language_code=language_code)
    if agent_priorities is not None:
        _check_priorities(tx, license_id, agent_priorities)
        status_moved = group_status.watch(tx, license_id, [group_id])
        if group_id != 0:
            # The given priorities are the group's members; group 0 keeps every agent.
            repo.remove_members(tx.conn, license_id, group_id, list(agent_priorities))
        for agent_id, priority in agent_priorities.items():
            accounts_repo.add_agent_to_group(tx.conn, license_id, group_id, agent_id, priority)
    _changed(tx, license_id)
    _configured(tx, license_id, group_id, "updated", requester, before)
    if status_moved is not None:
        status_moved()


def add_agent(tx: Tx, license_id: int, group_id: int, agent_id: str, priority: str) -> None:
    if repo.get_group(tx.conn, license_id, group_id) is None:
        raise not_found("Group", group_id)
    _check_priorities(tx, license_id, {agent_id: priority})
    status_moved = group_status.watch(tx, license_id, [group_id])
    accounts_repo.add_agent_to_group(tx.conn, license_id, group_id, agent_id, priority)
    _changed(tx, license_id)
    status_moved()


def delete_group(
    tx: Tx, license_id: int, group_id: int, *, requester: Principal | None = None
) -> None:
    if group_id == 0:
        raise validation("Group 0 holds every agent and cannot be deleted")
    if repo.get_group(tx.conn, license_id, group_id) is None:
        raise not_found("Group", group_id)
    members = list(get_group(tx, license_id, group_id).agent_priorities)
    repo.delete_group(tx.conn, license_id, group_id)
    properties_repo.delete_group_values(tx.conn, license_id, group_id)
    _changed(tx, license_id)
    tx.emit(
        changes.GroupConfigured(
            license_id,
            group_id,
            "deleted",
            previous_agent_ids=members,
            requester_id=requester.user_id if requester else None,
            requester_client_id=requester.client_id if requester else None,
        )
    )


def get_group(tx: Tx, license_id: int, group_id: int) -> Group:
    row = repo.get_group(tx.conn, license_id, group_id)
    if row is None:
        raise not_found("Group", group_id)
    members = repo.priorities(tx.conn, license_id).get(group_id, {})
    return Group(int(row.id), row.name, row.language_code or DEFAULT_LANGUAGE, members)


def list_groups(tx: Tx, license_id: int) -> list[Group]:
    members = repo.priorities(tx.conn, license_id)
    return [
        Group(int(g.id), g.name, g.language_code or DEFAULT_LANGUAGE, members.get(int(g.id), {}))
        for g in repo.list_groups(tx.conn, license_id)
    ]


def member_group_ids(tx: Tx, license_id: int, agent_id: str) -> list[int]:
    """The groups an agent is in (group 0 always)."""
    return accounts_repo.agent_group_ids(tx.conn, license_id, agent_id)


def routing_statuses(tx: Tx, license_id: int, group_ids: list[int]) -> dict[int, str]:
    """Each group's routing status: `accepting_chats` when a member routing may give its
    chats to accepts chats, else `not_accepting_chats` when one is connected but not
    accepting, else `offline` (supervisors do not count: they get no chats)."""
    return group_status.statuses(tx, license_id, group_ids)


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
                f"agent_priorities.{agent_id} must be one of {', '.join(PRIORITIES)}, "
                f"not {priority!r}"
            )
    missing = set(agent_priorities) - repo.existing_agent_ids(
        tx.conn, license_id, list(agent_priorities)
    )
    if missing:
        raise not_found("Agent", sorted(missing)[0])


def _configured(
    tx: Tx,
    license_id: int,
    group_id: int,
    how: str,
    requester: Principal | None,
    before: Group | None = None,
) -> None:
    """`before`: the group as it was before an update (what changed is told)."""
    group = get_group(tx, license_id, group_id)
    updated = None
    if before is not None:
        updated = [
            name
            for name in ("name", "language_code", "agent_priorities")
            if getattr(before, name) != getattr(group, name)
        ]
    tx.emit(
        changes.GroupConfigured(
            license_id,
            group_id,
            how,
            name=group.name,
            language_code=group.language_code,
            agent_priorities=dict(group.agent_priorities),
            updated=updated,
            previous_agent_ids=list(before.agent_priorities) if before is not None else [],
            requester_id=requester.user_id if requester else None,
            requester_client_id=requester.client_id if requester else None,
        )
    )


def _changed(tx: Tx, license_id: int) -> None:
    tx.emit(changes.RoutingChanged(license_id, "groups"))
    # New members or priorities may fit chats that wait in the queue.
    routing.drain(tx, license_id)
