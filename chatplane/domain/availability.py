"""What a customer may learn of the agents before chatting: which groups are online, and
who would take a chat now.

A group is `online` when one of its agents accepts chats and has a free slot,
`online_for_queue` when its accepting agents are all full (a chat would wait in the
queue), and `offline` when none of its agents accepts chats (group 0 holds every agent).
The same rules as the Customer Chat API v3.0's get_groups_status and get_predicted_agent
(api/v3_0/groups_status.py), for the newer versions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chatplane.domain import routing
from chatplane.domain.models import Agent
from chatplane.errors import ApiError
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo
from chatplane.storage import groups as groups_repo
from chatplane.storage import routing as routing_repo
from chatplane.storage.routing import Candidate

ONLINE, ONLINE_FOR_QUEUE, OFFLINE = "online", "online_for_queue", "offline"


def _members(cands: Iterable[Candidate], group_id: int) -> list[Candidate]:
    return [c for c in cands if group_id == 0 or group_id in c.groups]


def _status(cands: Iterable[Candidate], group_id: int) -> str:
    members = _members(cands, group_id)
    if not members:
        return OFFLINE
    return ONLINE if any(c.free > 0 for c in members) else ONLINE_FOR_QUEUE


def group_ids(tx: Tx, license_id: int) -> list[int]:
    """Every group of the license, in id order."""
    return sorted(int(g.id) for g in groups_repo.list_groups(tx.conn, license_id))


def group_exists(tx: Tx, license_id: int, group_id: int) -> bool:
    return groups_repo.get_group(tx.conn, license_id, group_id) is not None


def group_statuses(tx: Tx, license_id: int, wanted: list[int] | None) -> dict[int, str]:
    """The status of each group asked for (every group when `wanted` is None); groups that
    do not exist are left out."""
    known = group_ids(tx, license_id)
    chosen = known if wanted is None else [g for g in dict.fromkeys(wanted) if g in known]
    cands = list(routing_repo.candidates(tx.conn, license_id).values())
    return {g: _status(cands, g) for g in chosen}


def online_group_ids(tx: Tx, license_id: int) -> list[int]:
    """The groups where an agent accepts chats (with a free slot or not)."""
    return [g for g, s in group_statuses(tx, license_id, None).items() if s != OFFLINE]


@dataclass
class Prediction:
    agent: Agent
    # True when every agent who could take the chat is full: it would wait in the queue.
    queue: bool


def predict(tx: Tx, license_id: int, group_id: int) -> Prediction:
    """The agent a chat of `group_id` would go to now, as routing would choose it; when
    the group's accepting agents are all full, the least loaded of them, queued."""
    cands = routing_repo.candidates(tx.conn, license_id)
    chosen = routing.pick(cands.values(), [group_id])
    queue = False
    if chosen is None:
        members = _members(cands.values(), group_id)
        if not members:
            raise ApiError(
                "group_offline",
                f"No agent of group {group_id} accepts chats now",
                status=400,
            )
        chosen = min(members, key=lambda c: (c.load - c.max_chats, c.agent_id))
        queue = True
    agent = accounts_repo.get_agent(tx.conn, license_id, chosen.agent_id)
    assert agent is not None
    return Prediction(agent, queue)
