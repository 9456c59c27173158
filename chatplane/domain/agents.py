"""Agents as the Configuration API v3.x manages them: create, update, delete, suspend,
unsuspend, approve. The command line (`chatplane agent ...`) calls the same functions, so
the two are doors to the same records.

A suspended agent, or one awaiting approval, cannot log in (RTM `login`, the password
grant) or use a token it holds, and routing gives it nothing: suspending takes it offline
(its active chats go to others) and closes its connections. Bots are not agents here
(v3.3 on): the bot methods manage them (domain/bots.py).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from chatplane.domain import agent_status, changes, chats, group_status, groups
from chatplane.domain.access import RequireWider
from chatplane.domain.models import AGENT, Agent, Principal
from chatplane.domain.routing import NOT_ACCEPTING, OFFLINE
from chatplane.domain.users import new_agent
from chatplane.errors import already_exists, not_found, validation
from chatplane.storage import Tx
from chatplane.storage import accounts as repo
from chatplane.storage import groups as groups_repo
from chatplane.storage import routing as routing_repo

log = logging.getLogger(__name__)

# Roles the Configuration API may give; the owner is made by `chatplane init` only.
ASSIGNABLE_ROLES = ("normal", "administrator", "viceowner")
MAX_CHATS = 20
# The profile fields stored and shown (no rule reads them).
PROFILE_FIELDS = ("mobile", "notifications", "email_subscriptions", "work_scheduler")


@dataclass
class AgentSpec:
    id: str
    name: str
    role: str = "normal"
    # The Agent Chat API's spelling (accepting_chats, not_accepting_chats); the v3.x
    # default is not accepting chats.
    login_status: str = NOT_ACCEPTING
    avatar: str | None = None
    job_title: str | None = None
    max_chats_count: int = 6
    # Whether it awaits an administrator's approval (the API decides by the requester's
    # scopes; the command line makes approved agents).
    awaiting_approval: bool = False
    groups: list[tuple[int, str]] | None = None
    profile: dict[str, Any] = field(default_factory=dict)


@dataclass
class AgentUpdate:
    name: str | None = None
    role: str | None = None
    login_status: str | None = None
    avatar: str | None = None
    job_title: str | None = None
    max_chats_count: int | None = None
    groups: list[tuple[int, str]] | None = None
    # Profile fields to set (PROFILE_FIELDS); others are kept.
    profile: dict[str, Any] = field(default_factory=dict)


def _requester(caller: Principal | None) -> dict[str, Any]:
    if caller is None:
        return {}
    return {"requester_id": caller.user_id, "requester_client_id": caller.client_id}


def _check_role(role: str, require_role: RequireWider | None) -> None:
    """An assignable role; one above normal takes the roles scope (Create Agent, note 3)
    when the API asks (`require_role`; the command line is an operator)."""
    if role not in ASSIGNABLE_ROLES:
        raise validation(f"role must be one of {', '.join(ASSIGNABLE_ROLES)}, not {role!r}")
    if role != "normal" and require_role is not None:
        require_role(f"role {role!r}")


def _check_groups(tx: Tx, license_id: int, memberships: list[tuple[int, str]]) -> None:
    seen: set[int] = set()
    for i, (group_id, priority) in enumerate(memberships):
        if group_id in seen:
            raise validation(f"groups[{i}].id {group_id} is given twice")
        seen.add(group_id)
        if priority not in groups.PRIORITIES:
            raise validation(
                f"groups[{i}].priority must be one of {', '.join(groups.PRIORITIES)}, "
                f"not {priority!r}"
            )
    groups.check_exist(tx, license_id, sorted(seen))


def _set_groups(tx: Tx, agent: Agent, memberships: list[tuple[int, str]]) -> None:
    """The agent's groups become these; it stays in group 0 (every agent is)."""
    lic = agent.license_id
    status_moved = group_status.watch_member(tx, lic, agent.id, [g for g, _ in memberships])
    groups_repo.remove_agent_from_groups(tx.conn, lic, agent.id)
    if not any(g == 0 for g, _ in memberships):
        repo.add_agent_to_group(tx.conn, lic, 0, agent.id)
    for group_id, priority in memberships:
        repo.add_agent_to_group(tx.conn, lic, group_id, agent.id, priority)
    tx.emit(changes.RoutingChanged(lic, "groups"))
    status_moved()


def load(tx: Tx, license_id: int, agent_id: str) -> Agent:
    """The agent (not a bot) of that id, or `not found`."""
    agent = repo.get_agent(tx.conn, license_id, agent_id)
    if agent is None or agent.is_bot:
        raise not_found("Agent", agent_id)
    return agent


def create_agent(
    tx: Tx,
    caller: Principal | None,
    license_id: int,
    spec: AgentSpec,
    require_role: RequireWider | None = None,
) -> Agent:
    """A new agent; `caller` None is the command line (an operator: any role).
    `require_role` refuses a role above normal unless the caller may give it."""
    _check_role(spec.role, require_role)
    if "@" not in spec.id or len(spec.id) > 254:
        raise validation(f"id {spec.id!r} is not an e-mail address")
    if not 1 <= spec.max_chats_count <= MAX_CHATS:
        raise validation(f"max_chats_count must be 1 to {MAX_CHATS}, not {spec.max_chats_count}")
    if repo.get_agent(tx.conn, license_id, spec.id) is not None:
        raise already_exists("Agent", spec.id)
    memberships = spec.groups or []
    _check_groups(tx, license_id, memberships)
    agent = new_agent(
        license_id,
        spec.id,
        spec.name,
        spec.role,
        avatar=spec.avatar,
        max_chats_count=spec.max_chats_count,
    )
    agent.job_title = spec.job_title
    agent.login_status = spec.login_status
    agent.awaiting_approval = spec.awaiting_approval
    agent.profile = {k: v for k, v in spec.profile.items() if v is not None}
    repo.insert_agent(tx.conn, agent, None)
    _set_groups(tx, agent, memberships)
    tx.emit(
        changes.AgentConfigured(
            license_id,
            agent,
            created=True,
            groups=groups_repo.memberships(tx.conn, license_id, agent.id),
            **_requester(caller),
        )
    )
    return agent


def update_agent(
    tx: Tx,
    caller: Principal | None,
    license_id: int,
    agent_id: str,
    update: AgentUpdate,
    require_role: RequireWider | None = None,
) -> Agent:
    """Change an agent (whether the caller may change this one is the API's to check);
    `require_role` as for create_agent, when the role changes."""
    agent = load(tx, license_id, agent_id)
    groups_before = groups_repo.memberships(tx.conn, license_id, agent_id)
    values: dict[str, Any] = {}
    if update.role is not None and update.role != agent.role:
        if agent.role == "owner":
            raise validation("The owner's role cannot be changed")
        _check_role(update.role, require_role)
        values["role"] = update.role
    if update.max_chats_count is not None:
        if not 1 <= update.max_chats_count <= MAX_CHATS:
            raise validation(
                f"max_chats_count must be 1 to {MAX_CHATS}, not {update.max_chats_count}"
            )
        values["max_chats_count"] = update.max_chats_count
    for name in ("name", "login_status", "avatar", "job_title"):
        value = getattr(update, name)
        if value is not None:
            values[name] = value
    if update.profile:
        values["profile"] = {**agent.profile, **update.profile}
    if update.groups is not None:
        _check_groups(tx, license_id, update.groups)
        _set_groups(tx, agent, update.groups)
    if values:
        repo.update_agent(tx.conn, license_id, agent_id, **values)
    fresh = load(tx, license_id, agent_id)
    if "max_chats_count" in values or update.groups is not None:
        tx.emit(changes.RoutingChanged(license_id, "agents"))  # slots may have freed
    groups_after = groups_repo.memberships(tx.conn, license_id, agent_id)
    tx.emit(
        changes.AgentConfigured(
            license_id,
            fresh,
            groups=groups_after,
            updated=changed_fields(agent, fresh, groups_before, groups_after),
            **_requester(caller),
        )
    )
    return fresh


# What `agent_updated` and `bot_updated` may say changed: the agent's own fields and its
# profile's (an `AgentConfigured.updated` names them).
COMPARED = ("name", "role", "avatar", "job_title", "max_chats_count", "default_group_priority")


def changed_fields(
    before: Agent,
    after: Agent,
    groups_before: list[tuple[int, str]],
    groups_after: list[tuple[int, str]],
) -> list[str]:
    """The names of what differs between two states of an agent (or a bot), sorted."""
    out = {name for name in COMPARED if getattr(before, name) != getattr(after, name)}
    for key in {*before.profile, *after.profile}:
        if before.profile.get(key) != after.profile.get(key):
            out.add(key)
    if groups_before != groups_after:
        out.add("groups")
    return sorted(out)


def delete_agent(tx: Tx, caller: Principal | None, license_id: int, agent_id: str) -> None:
    """The agent leaves its chats (`agent_left`), its groups and its tokens, then is gone
    (`agent_deleted`); its connections are closed."""
    agent = load(tx, license_id, agent_id)
    if agent.role == "owner":
        raise validation("The license's owner cannot be deleted")
    agent_status.set_status(tx, license_id, agent.id, OFFLINE, chosen=False)
    leaving = Principal(
        license_id, AGENT, agent.id, caller.client_id if caller else "", frozenset()
    )
    for chat_id in routing_repo.present_chat_ids(tx.conn, agent.id):
        chats.remove_user_from_chat(tx, leaving, chat_id, agent.id, AGENT)
    groups_repo.remove_agent_from_groups(tx.conn, license_id, agent.id)
    repo.revoke_agent_tokens(tx.conn, license_id, agent.id)
    repo.delete_agent(tx.conn, license_id, agent.id)
    tx.emit(changes.AgentDeleted(license_id, agent.id))
    tx.emit(changes.RoutingChanged(license_id, "agents"))


def suspend_agent(tx: Tx, caller: Principal | None, license_id: int, agent_id: str) -> None:
    agent = load(tx, license_id, agent_id)
    if agent.role == "owner":
        raise validation("The license's owner cannot be suspended")
    if caller is not None and agent_id == caller.user_id:
        raise validation("An agent cannot suspend itself")
    if agent.suspended:
        return
    repo.update_agent(tx.conn, license_id, agent_id, suspended=True)
    # Offline at once: its active chats go to other agents (or the queue).
    agent_status.set_status(tx, license_id, agent_id, OFFLINE, chosen=False)
    tx.emit(changes.AgentAccessChanged(license_id, agent_id, "suspended", **_requester(caller)))


def unsuspend_agent(tx: Tx, caller: Principal | None, license_id: int, agent_id: str) -> None:
    agent = load(tx, license_id, agent_id)
    if not agent.suspended:
        return
    profile = {k: v for k, v in agent.profile.items() if k != "unsuspension_requested_at"}
    repo.update_agent(tx.conn, license_id, agent_id, suspended=False, profile=profile)
    tx.emit(changes.AgentAccessChanged(license_id, agent_id, "unsuspended", **_requester(caller)))


def approve_agent(tx: Tx, caller: Principal | None, license_id: int, agent_id: str) -> None:
    agent = load(tx, license_id, agent_id)
    if not agent.awaiting_approval:
        return
    repo.update_agent(tx.conn, license_id, agent_id, awaiting_approval=False)
    tx.emit(changes.AgentAccessChanged(license_id, agent_id, "approved", **_requester(caller)))


def request_unsuspension(tx: Tx, caller: Principal) -> float:
    """A suspended agent asks to be let back in. There is no mail to send: the request is
    kept on the agent (`chatplane agent list` shows it) and logged for the operator."""
    agent = load(tx, caller.license_id, caller.user_id)
    if not agent.suspended:
        raise validation(f"Agent {agent.id!r} is not suspended")
    now = time.time()
    profile = {**agent.profile, "unsuspension_requested_at": now}
    repo.update_agent(tx.conn, caller.license_id, agent.id, profile=profile)
    log.info("agent %s of license %s asks to be unsuspended", agent.id, caller.license_id)
    return now


def list_agents(
    tx: Tx, license_id: int, group_ids: list[int] | None = None, suspended: bool | None = None
) -> list[Agent]:
    return repo.agents(tx.conn, license_id, group_ids=group_ids, suspended=suspended)


def memberships(tx: Tx, license_id: int, agent_ids: list[str]) -> dict[str, list[tuple[int, str]]]:
    """agent id -> its groups with its priority in each, by group id."""
    out: dict[str, list[tuple[int, str]]] = {a: [] for a in agent_ids}
    for group_id, members in sorted(groups_repo.priorities(tx.conn, license_id).items()):
        for agent_id, priority in members.items():
            if agent_id in out:
                out[agent_id].append((group_id, priority))
    return out


def login_status(agent: Agent) -> str:
    """The status the agent's RTM logins start with (the Agent Chat API's spelling)."""
    return agent.login_status or "accepting_chats"
