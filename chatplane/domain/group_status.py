"""Groups' routing statuses, and telling agents when one changes (v3.x
`groups_status_updated`).

A group is `accepting_chats` when a member routing may give its chats to (any priority but
`supervisor`; group 0 holds every agent) accepts chats, else `not_accepting_chats` when
such a member is connected but does not accept chats, else `offline` (the Configuration
API's `routing_status` of a group). Suspended agents and agents awaiting approval count
for nothing: routing never uses them.

A status moves when an agent's status does (`agent_status.set_status`, a new bot) and when
members join, leave or change priority (groups, agents' and bots' groups); each of those
units of work emits one `GroupsStatusUpdated` per group whose status it changed. A new
group counts as having been offline before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from chatplane.domain import changes, routing
from chatplane.domain.routing import ACCEPTING, NOT_ACCEPTING, OFFLINE
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo
from chatplane.storage import groups as groups_repo
from chatplane.storage import routing as rrepo
from chatplane.storage.routing import Candidate


def _status(accepting: Iterable[Candidate], waiting: Iterable[Candidate], group_id: int) -> str:
    if any(routing.serves(c, group_id) for c in accepting):
        return ACCEPTING
    if any(routing.serves(c, group_id) for c in waiting):
        return NOT_ACCEPTING
    return OFFLINE


def _candidates(tx: Tx, license_id: int) -> tuple[dict[str, Candidate], dict[str, Candidate]]:
    """The agents routing may use now: those accepting chats, and those connected but not."""
    return (
        rrepo.candidates(tx.conn, license_id, ACCEPTING),
        rrepo.candidates(tx.conn, license_id, NOT_ACCEPTING),
    )


def statuses(tx: Tx, license_id: int, group_ids: Sequence[int]) -> dict[int, str]:
    """Each group's routing status now."""
    accepting, waiting = _candidates(tx, license_id)
    return {g: _status(accepting.values(), waiting.values(), g) for g in group_ids}


def _emit(tx: Tx, license_id: int, before: dict[int, str], after: dict[int, str]) -> None:
    for group_id in sorted(after):
        if after[group_id] != before.get(group_id, OFFLINE):
            tx.emit(changes.GroupsStatusUpdated(license_id, group_id, after[group_id]))


def watch(tx: Tx, license_id: int, group_ids: Iterable[int]) -> Callable[[], None]:
    """Remember the groups' statuses; the function answered, called once the unit has
    changed their members, tells of each group whose status moved (a group deleted
    meanwhile is left out)."""
    wanted = sorted(set(group_ids))
    before = statuses(tx, license_id, wanted)

    def done() -> None:
        existing = {int(g.id) for g in groups_repo.list_groups(tx.conn, license_id)}
        still = [g for g in wanted if g in existing]
        _emit(tx, license_id, before, statuses(tx, license_id, still))

    return done


def watch_member(
    tx: Tx, license_id: int, agent_id: str, new_group_ids: Iterable[int]
) -> Callable[[], None]:
    """`watch` for an agent's (or bot's) groups about to become `new_group_ids`: the groups
    it leaves and those it joins. An agent routing does not use now changes no status."""
    if rrepo.current_status(tx.conn, license_id, agent_id) == OFFLINE:
        return lambda: None
    old = [g for g, _ in groups_repo.memberships(tx.conn, license_id, agent_id)]
    return watch(tx, license_id, {0, *old, *new_group_ids})


def group_created(tx: Tx, license_id: int, group_id: int) -> None:
    """A new group whose members already accept chats (or are connected) is not offline."""
    _emit(tx, license_id, {}, statuses(tx, license_id, [group_id]))


def _offline_candidate(tx: Tx, license_id: int, agent_id: str) -> Candidate | None:
    """An agent routing does not use now, with the groups routing would read for it."""
    agent = accounts_repo.get_agent(tx.conn, license_id, agent_id)
    if agent is None:
        return None
    groups = dict(groups_repo.memberships(tx.conn, license_id, agent_id))
    groups.setdefault(0, agent.default_group_priority or "normal")
    return Candidate(agent_id, agent.name, agent.max_chats_count, 0, groups)


def agent_moved(tx: Tx, license_id: int, agent_id: str, previous: str, status: str) -> None:
    """The agent's status went from `previous` to `status` (already stored): tell of the
    groups it serves whose status moved with it. Both states are read from one look at the
    agents routing uses, the agent put back where it was for the state before. A group
    another member accepts chats in stays accepting whatever this agent does: most status
    changes of a busy license read the accepting agents and stop there."""
    accepting = rrepo.candidates(tx.conn, license_id, ACCEPTING)
    me = accepting.get(agent_id)
    others_accepting = [c for c in accepting.values() if c.agent_id != agent_id]
    waiting: dict[str, Candidate] = {}
    if me is None:
        waiting = rrepo.candidates(tx.conn, license_id, NOT_ACCEPTING)
        me = waiting.get(agent_id) or _offline_candidate(tx, license_id, agent_id)
        if me is None:
            return
    served = [
        g
        for g in sorted(me.groups)
        if routing.serves(me, g) and not any(routing.serves(c, g) for c in others_accepting)
    ]
    if not served:
        return
    # Agents connected but not accepting tell `not_accepting_chats` from `offline`: read
    # above unless the agent accepts chats now (the groups it serves do, and before it,
    # they were not accepting whoever else was connected).
    others_waiting = [c for c in waiting.values() if c.agent_id != agent_id]

    def with_agent(its_status: str) -> dict[int, str]:
        acc = [me] if its_status == ACCEPTING else []
        wait = [*others_waiting, me] if its_status == NOT_ACCEPTING else others_waiting
        return {g: _status(acc, wait, g) for g in served}

    _emit(tx, license_id, with_agent(previous), with_agent(status))
