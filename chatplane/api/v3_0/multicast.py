"""`multicast`: a JSON message to chosen agents and customers, pushed and not stored."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import Struct

from chatplane.api.dispatch import Context
from chatplane.api.multicasts import send_multicast
from chatplane.api.registry import Actions
from chatplane.api.v3_0.structs import GroupId

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
    agents = p.scopes.agents or AgentsScope()
    customers = p.scopes.customers or CustomersScope()
    await send_multicast(
        ctx,
        "scopes",
        p.content,
        p.type,
        all_agents=agents.all,
        agent_ids=agents.ids,
        group_ids=agents.groups,
        customer_ids=customers.ids,
    )
