"""Configuration API v3.6: customer bans (`list_customer_bans`, `unban_customer`).
Customers are banned with the Agent Chat API's `ban_customer`."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_6.configuration_common import CONFIGURATION, Empty, Request, rfc3339
from chatplane.domain import bans

actions = Actions()


class UnbanCustomer(Request, kw_only=True):
    # Exactly one of the two (checked by the domain, naming them).
    ip: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    customer_id: Annotated[str, Meta(min_length=1, max_length=64)] | None = None


def ban_object(ban: bans.Ban) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if ban.ip:
        out["ip"] = ban.ip
    out["customer_id"] = ban.customer_id
    if ban.agent_id:
        out["agent_id"] = ban.agent_id
    if ban.thread_id:
        out["thread_id"] = ban.thread_id
    out["created_at"] = rfc3339(ban.created_at)
    out["expires_at"] = rfc3339(ban.expires_at)
    return out


@actions(CONFIGURATION, "list_customer_bans", Empty, scopes=("banlist_read",))
async def list_customer_bans(ctx: Context, _p: Empty) -> list[dict[str, Any]]:
    caller = ctx.caller
    found = await ctx.services.read(lambda tx: bans.active_bans(tx, caller.license_id))
    return [ban_object(b) for b in found]


@actions(CONFIGURATION, "unban_customer", UnbanCustomer, scopes=("banlist_write",))
async def unban_customer(ctx: Context, p: UnbanCustomer) -> None:
    caller = ctx.caller
    await ctx.commit(lambda tx: bans.unban(tx, caller, customer_id=p.customer_id, ip=p.ip))
