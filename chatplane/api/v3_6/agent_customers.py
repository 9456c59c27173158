"""Agent Chat API v3.6, customers: get_customer, update_customer, ban_customer.

`actions_for(shapes)` serves get_customer in a version's shapes (v3.5 names the visit
`last_visit`).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_6 import structs as st
from chatplane.api.v3_6.serialize import SHAPES, Shapes
from chatplane.api.viewers import view
from chatplane.domain import bans, customers
from chatplane.errors import validation

AGENT = "agent"

# What the reference's customers have and Chatplane keeps nothing of.
NOT_KEPT = {
    "phone_number": "phone numbers",
    "omnichannel": "omnichannel identities",
    "address": "addresses",
}


def session_fields(given: list[dict[str, str]]) -> dict[str, str]:
    """`session_fields` (one key-value pair per object, in order) as the customer's
    fields."""
    out: dict[str, str] = {}
    for i, pair in enumerate(given):
        if len(pair) != 1:
            raise validation(f"session_fields[{i}] must hold exactly one key and its value")
        out.update(pair)
    return out


async def get_customer(shapes: Shapes, ctx: Context, p: st.GetCustomer) -> dict[str, Any]:
    caller = ctx.caller
    customer, chat_ids = await ctx.services.read(
        lambda tx: customers.profile(tx, caller.license_id, p.id)
    )
    out = shapes.customer(view(ctx), customer)
    if chat_ids:
        out["chat_ids"] = chat_ids
    return out


async def update_customer(ctx: Context, p: st.UpdateCustomer) -> None:
    caller = ctx.caller
    for name, what in NOT_KEPT.items():
        if getattr(p, name) is not None:
            raise validation(f"{name}: Chatplane keeps no {what} of customers")
    if p.name is None and p.email is None and p.avatar is None and p.session_fields is None:
        raise validation("Give at least one of name, email, avatar, session_fields besides id")
    fields = session_fields(p.session_fields) if p.session_fields is not None else None
    await ctx.commit(
        lambda tx: customers.update(
            tx,
            caller.license_id,
            p.id,
            name=p.name,
            email=p.email,
            avatar=p.avatar,
            fields=fields,
        )
    )


async def ban_customer(ctx: Context, p: st.BanCustomer) -> None:
    caller = ctx.caller
    days = int(p.ban.days) if float(p.ban.days).is_integer() else p.ban.days
    await ctx.commit(lambda tx: bans.ban_customer(tx, caller, p.id, days))


def actions_for(shapes: Shapes) -> Actions:
    actions = Actions()
    actions(AGENT, "get_customer", st.GetCustomer, scopes=("customers:ro",))(
        partial(get_customer, shapes)
    )
    actions(AGENT, "update_customer", st.UpdateCustomer, scopes=("customers:rw",))(update_customer)
    actions(AGENT, "ban_customer", st.BanCustomer, scopes=("customers.ban:rw",))(ban_customer)
    return actions


actions = actions_for(SHAPES)
