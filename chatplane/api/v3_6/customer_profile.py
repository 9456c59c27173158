"""Customer Chat API v3.6, the customer itself: get_customer, update_customer,
set_customer_session_fields and update_customer_page (RTM only).

`session_fields` is the v3.x list of one-key objects; Chatplane keeps them as the
customer's ordered fields. update_customer adds to them (as the Agent Chat API's
update_customer does); set_customer_session_fields sets them, in the order given.
"""

from __future__ import annotations

from typing import Any

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_6 import customer_structs as cst
from chatplane.api.v3_6 import structs as st
from chatplane.api.v3_6.agent_customers import session_fields
from chatplane.api.v3_6.customer_shapes import CUSTOMER_SHAPES as SHAPES
from chatplane.api.viewers import view
from chatplane.domain import customers
from chatplane.errors import validation

actions = Actions()

CUSTOMER = "customer"

# What the v3.6 reference's customers have and Chatplane keeps nothing of.
NOT_KEPT = {"omnichannel": "omnichannel identities", "address": "addresses"}


@actions(CUSTOMER, "get_customer", st.Empty)
async def get_customer(ctx: Context, _p: st.Empty) -> dict[str, Any]:
    caller = ctx.caller
    customer, _chat_ids = await ctx.services.read(
        lambda tx: customers.profile(tx, caller.license_id, caller.user_id)
    )
    return SHAPES.customer(view(ctx), customer)


@actions(CUSTOMER, "update_customer", cst.UpdateCustomer)
async def update_customer(ctx: Context, p: cst.UpdateCustomer) -> None:
    caller = ctx.caller
    for name, what in NOT_KEPT.items():
        if getattr(p, name, None) is not None:
            raise validation(f"{name}: Chatplane keeps no {what} of customers")
    if p.name is None and p.email is None and p.avatar is None and p.session_fields is None:
        raise validation("Give at least one of name, email, avatar, session_fields")
    fields = session_fields(p.session_fields) if p.session_fields is not None else None
    await ctx.commit(
        lambda tx: customers.update(
            tx,
            caller.license_id,
            caller.user_id,
            name=p.name,
            email=p.email,
            avatar=p.avatar,
            fields=fields,
        )
    )


@actions(CUSTOMER, "set_customer_session_fields", cst.SetCustomerSessionFields)
async def set_customer_session_fields(ctx: Context, p: cst.SetCustomerSessionFields) -> None:
    caller = ctx.caller
    fields = session_fields(p.session_fields)
    await ctx.commit(
        lambda tx: customers.update(
            tx, caller.license_id, caller.user_id, fields=fields, replace_fields=True
        )
    )


@actions(CUSTOMER, "update_customer_page", cst.UpdateCustomerPage, web=False)
async def update_customer_page(ctx: Context, p: cst.UpdateCustomerPage) -> None:
    caller = ctx.caller
    referrer = ctx.extra.get("referrer")
    # Chatplane moves no customer to another group by the page it is on: the answer never
    # holds `groups`.
    await ctx.commit(lambda tx: customers.update_page(tx, caller, p.url, p.title, referrer))
