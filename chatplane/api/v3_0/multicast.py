"""`multicast`: a JSON message to chosen agents and customers, pushed and not stored."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import Struct

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_0.structs import GroupId
from chatplane.domain import changes
from chatplane.errors import validation

actions = Actions()


class AgentsScope(Struct, kw_only=True, forbid_unknown_fields=True):
    all: bool = False
    ids: list[str] = msgspec.field(default_factory=list)
    groups: list[GroupId] = msgspec.field(default_factory=list)


class CustomersScope(Struct, kw_only=True, forbid_unknown_fields=True):
    ids: list[str] = msgspec.field(default_factory=list)


class Scopes(Struct, kw_only=True, forbid_unknown_fields=True):
    agents: AgentsScope | None = None
    customers: CustomersScope | None = None


class Multicast(Struct, kw_only=True):
    scopes: Scopes
    content: Any
    type: str | None = None


@actions("agent", "multicast", Multicast, scopes=("multicast:rw",))
async def multicast(ctx: Context, p: Multicast) -> None:
    caller = ctx.caller
    agents = p.scopes.agents or AgentsScope()
    customers = p.scopes.customers or CustomersScope()
    if not (agents.all or agents.ids or agents.groups or customers.ids):
        raise validation(
            "scopes needs at least one of agents.all, agents.ids, agents.groups, customers.ids"
        )
    if p.content is None:
        raise validation("content is required")
    await ctx.publish(
        [
            changes.MulticastSent(
                caller.license_id,
                caller.user_id,
                p.content,
                p.type,
                all_agents=agents.all,
                agent_ids=agents.ids,
                group_ids=agents.groups,
                customer_ids=customers.ids,
            )
        ]
    )
