"""Agents' routing statuses: `accepting_chats`, `not_accepting_chats`, `offline`.

`agents.routing_status` is the status the agent last chose; `agent_statuses` the one
routing obeys now. RTM `login` sets it (the default, or with `reconnect` the last one
chosen), `update_agent` changes it, and an agent with no connection left is `offline`.
A bot never connects: the status chosen for it is at once the one routing obeys, from
`create_bot_agent` on, and presence never takes it away.

Auto-away (v3.6 `set_away_status`, `login` with `away`): when every connection of an
agent is away, an agent accepting chats becomes `not_accepting_chats`, without changing
its choice; when one connection is back, it returns to the status it chose.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from chatplane.domain import changes, group_status, routing
from chatplane.domain.access import RequireWider
from chatplane.domain.models import Agent, Principal
from chatplane.domain.routing import ACCEPTING, NOT_ACCEPTING, OFFLINE
from chatplane.errors import not_found, validation
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo
from chatplane.storage import routing as rrepo

CHOOSABLE = (ACCEPTING, NOT_ACCEPTING)


def set_status(tx: Tx, license_id: int, agent_id: str, status: str, *, chosen: bool) -> str:
    """Make `status` the agent's current status (and its chosen one when `chosen`)."""
    rrepo.lock_license(tx.conn, license_id)
    previous = rrepo.current_status(tx.conn, license_id, agent_id)
    now = time.time()
    if chosen:
        accounts_repo.update_agent(tx.conn, license_id, agent_id, routing_status=status)
    elif status == OFFLINE and previous != OFFLINE:
        # Logged out, or gone past the grace period: the v3.x `last_logout`.
        accounts_repo.update_agent(tx.conn, license_id, agent_id, last_logout_at=now)
    rrepo.set_current_status(tx.conn, license_id, agent_id, status, now)
    if previous != status:
        tx.emit(changes.AgentStatusChanged(license_id, agent_id, status))
        group_status.agent_moved(tx, license_id, agent_id, previous, status)
    if status == OFFLINE and previous != OFFLINE:
        routing.reroute_agent(tx, license_id, agent_id)
    elif status == ACCEPTING:
        routing.drain(tx, license_id)
    return status


def bot_created(tx: Tx, license_id: int, bot_id: str, status: str) -> None:
    """A new bot is routed by the status it was created with (no status push: nobody knew
    it; its groups may change status)."""
    rrepo.lock_license(tx.conn, license_id)
    rrepo.set_current_status(tx.conn, license_id, bot_id, status, time.time())
    if status != OFFLINE:
        group_status.agent_moved(tx, license_id, bot_id, OFFLINE, status)
    if status == ACCEPTING:
        routing.drain(tx, license_id)


def login(tx: Tx, principal: Principal, reconnect: bool, *, away: bool = False) -> str:
    """The status a new RTM session starts with: the default, or the last one chosen.
    `away`: every connection of the agent, this one included, is away (login with
    `away: true`): the choice is recorded, but the agent does not accept chats, and no
    chat is routed to it meanwhile."""
    agent = accounts_repo.get_agent(tx.conn, principal.license_id, principal.user_id)
    if agent is None:
        raise not_found("Agent", principal.user_id)
    # Without `reconnect`: the agent's login status (Configuration API v3.x), by default
    # accepting chats.
    default = agent.login_status if agent.login_status in CHOOSABLE else ACCEPTING
    status = agent.routing_status if reconnect else default
    if status not in CHOOSABLE:
        status = default
    if away and status == ACCEPTING:
        if not reconnect:
            accounts_repo.update_agent(
                tx.conn, principal.license_id, agent.id, routing_status=ACCEPTING
            )
        return set_status(tx, principal.license_id, agent.id, NOT_ACCEPTING, chosen=False)
    return set_status(tx, principal.license_id, agent.id, status, chosen=not reconnect)


def connections_away(tx: Tx, license_id: int, agent_id: str, all_away: bool) -> str | None:
    """Auto-away, after a connection of the agent went away or came back (or closed):
    `all_away` says whether every connection it has now is away. Returns the status
    applied, or None when nothing changed.

    Only the status routing obeys changes; the agent's choice stays, and is what it
    returns to. An agent that chose `not_accepting_chats`, or is offline, is left alone."""
    rrepo.lock_license(tx.conn, license_id)
    current = rrepo.current_status(tx.conn, license_id, agent_id)
    if current == OFFLINE:
        return None
    if all_away:
        if current != ACCEPTING:
            return None
        return set_status(tx, license_id, agent_id, NOT_ACCEPTING, chosen=False)
    if current != NOT_ACCEPTING:
        return None
    agent = accounts_repo.get_agent(tx.conn, license_id, agent_id)
    if agent is None or agent.routing_status != ACCEPTING:
        return None  # it chose not to accept chats: away or not, it stays so
    return set_status(tx, license_id, agent_id, ACCEPTING, chosen=False)


def update_agent(
    tx: Tx,
    caller: Principal,
    agent_id: str | None,
    status: str | None,
    require_wider: RequireWider,
) -> None:
    target = agent_id or caller.user_id
    if target != caller.user_id:
        require_wider(f"agent {target!r} is not the caller")
    agent = accounts_repo.get_agent(tx.conn, caller.license_id, target)
    if agent is None:
        raise not_found("Agent", target)
    if status is None:
        return
    _apply(tx, agent, status)


def set_routing_status(
    tx: Tx, caller: Principal, agent_id: str | None, status: str, require_wider: RequireWider
) -> None:
    """v3.x set_routing_status: the caller's own status, or (what the action's `wider`
    scopes guard) another agent's or a bot's; a bot may be set `offline`, a person not."""
    target = agent_id or caller.user_id
    agent = accounts_repo.get_agent(tx.conn, caller.license_id, target)
    if agent is None:
        raise not_found("Agent", target)
    if target != caller.user_id:
        require_wider(f"{'bot' if agent.is_bot else 'agent'} {target!r} is not the caller")
    if status == OFFLINE and not agent.is_bot:
        raise validation(
            "status 'offline' is for bot agents: an agent is offline when it has no connection"
        )
    _apply(tx, agent, status)


def _apply(tx: Tx, agent: Agent, status: str) -> None:
    target = agent.id
    current = rrepo.current_status(tx.conn, agent.license_id, target)
    if current == OFFLINE and not agent.is_bot:
        # A person who is not connected stays offline; the choice is kept for the next
        # `login` with `reconnect`. Bots never connect, so their status applies at once.
        accounts_repo.update_agent(tx.conn, agent.license_id, target, routing_status=status)
        tx.emit(changes.AgentStatusChanged(agent.license_id, target, OFFLINE))
        return
    if current == status:
        accounts_repo.update_agent(tx.conn, agent.license_id, target, routing_status=status)
        # Still answer with the push the spec promises, though nothing changed.
        tx.emit(changes.AgentStatusChanged(agent.license_id, target, status))
        return
    set_status(tx, agent.license_id, target, status, chosen=True)


def went_offline(tx: Tx, license_id: int, agent_id: str, still_gone: Callable[[], bool]) -> bool:
    """After the grace period: offline, unless the agent came back meanwhile."""
    if not still_gone():
        return False
    if rrepo.current_status(tx.conn, license_id, agent_id) == OFFLINE:
        return False
    set_status(tx, license_id, agent_id, OFFLINE, chosen=False)
    return True


def list_statuses(tx: Tx, caller: Principal, group_ids: list[int] | None) -> list[tuple[str, str]]:
    """(agent id, routing status now) of the license's agents, bots included (of the
    groups, when given)."""
    return rrepo.statuses(tx.conn, caller.license_id, group_ids)
