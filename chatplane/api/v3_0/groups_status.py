"""get_groups_status and get_predicted_agent (Customer Chat API): what routing would do now.

A group is `online` when one of its agents accepts chats and has a free slot,
`online_for_queue` when its accepting agents are all full (a chat would wait in the
queue), and `offline` when none of its agents accepts chats.
"""

from __future__ import annotations

from typing import Any

from msgspec import Struct

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_0.structs import GroupId
from chatplane.domain import routing
from chatplane.errors import ApiError, validation
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo
from chatplane.storage import groups as groups_repo
from chatplane.storage import routing as routing_repo

actions = Actions()


class GetGroupsStatus(Struct, kw_only=True):
    all: bool = False
    groups: list[GroupId] | None = None


class GetPredictedAgent(Struct, kw_only=True):
    # Not in the v3.0 table: the group the customer would chat with (default 0).
    group_id: GroupId = 0


def _status(cands: list[routing_repo.Candidate], group_id: int) -> str:
    members = [c for c in cands if routing.serves(c, group_id)]
    if not members:
        return "offline"
    return "online" if any(c.free > 0 for c in members) else "online_for_queue"


@actions("customer", "get_groups_status", GetGroupsStatus)
async def get_groups_status(ctx: Context, p: GetGroupsStatus) -> dict[str, Any]:
    caller = ctx.caller
    if not p.all and not p.groups:
        raise validation("Give `groups` (group ids) or `all: true`")

    def run(tx: Tx) -> dict[str, str]:
        known = [int(g.id) for g in groups_repo.list_groups(tx.conn, caller.license_id)]
        wanted = known if p.all else list(dict.fromkeys(p.groups or []))
        missing = [g for g in wanted if g not in known]
        if missing:
            raise validation(f"Group {missing[0]} does not exist")
        cands = list(routing_repo.candidates(tx.conn, caller.license_id).values())
        return {str(g): _status(cands, g) for g in wanted}

    return {"groups_status": await ctx.services.read(run)}


@actions("customer", "get_predicted_agent", GetPredictedAgent)
async def get_predicted_agent(ctx: Context, p: GetPredictedAgent) -> dict[str, Any]:
    caller = ctx.caller

    def run(tx: Tx) -> dict[str, Any]:
        cands = routing_repo.candidates(tx.conn, caller.license_id)
        chosen = routing.pick(cands.values(), [p.group_id])
        if chosen is None:
            kind = "group_unavailable" if cands else "group_offline"
            raise ApiError(kind, f"No agent of group {p.group_id} can take a chat now")
        agent = accounts_repo.get_agent(tx.conn, caller.license_id, chosen.agent_id)
        assert agent is not None
        return {
            "agent": {
                "id": agent.id,
                "name": agent.name,
                "avatar": agent.avatar,
                "is_bot": agent.is_bot,
                "job_title": agent.job_title,
                "type": "agent",
            }
        }

    return await ctx.services.read(run)
