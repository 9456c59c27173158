"""`multicast` in every version: a JSON message to chosen agents (and, in v3.0,
customers), pushed and not stored."""

from __future__ import annotations

from typing import Any

from chatplane.api.dispatch import Context
from chatplane.domain import changes
from chatplane.errors import validation


async def send_multicast(
    ctx: Context,
    recipients: str,
    content: Any,
    type: str | None,
    *,
    all_agents: bool = False,
    agent_ids: list[str] | None = None,
    group_ids: list[int] | None = None,
    customer_ids: list[str] | None = None,
) -> None:
    """`recipients`: what the version calls its recipients field (v3.0 `scopes`)."""
    caller = ctx.caller
    if not (all_agents or agent_ids or group_ids or customer_ids):
        kinds = ["agents.all", "agents.ids", "agents.groups"]
        if customer_ids is not None:
            kinds.append("customers.ids")
        raise validation(f"{recipients} needs at least one of {', '.join(kinds)}")
    if content is None:
        raise validation("content is required")
    await ctx.publish(
        [
            changes.MulticastSent(
                caller.license_id,
                caller.user_id,
                content,
                type,
                all_agents=all_agents,
                agent_ids=list(agent_ids or []),
                group_ids=list(group_ids or []),
                customer_ids=list(customer_ids or []),
            )
        ]
    )
