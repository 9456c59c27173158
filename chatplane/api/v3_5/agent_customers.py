"""v3.5's customers: list_customers and create_customer (v3.6 removed both), and
get_license_info (Web API only). get_customer, update_customer and ban_customer are
v3.6's (get_customer in v3.5's shapes)."""

from __future__ import annotations

from typing import Any

import msgspec

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_0.customers import CustomerFilters, customer_query
from chatplane.api.v3_5 import structs as st
from chatplane.api.v3_5.serialize import SHAPES
from chatplane.api.v3_6 import structs as st36
from chatplane.api.v3_6.agent_customers import session_fields
from chatplane.api.v3_6.agent_status import LICENSE_YEARS
from chatplane.api.v3_6.common import open_page, page_ids
from chatplane.api.v3_6.serialize import rfc3339
from chatplane.api.viewers import view
from chatplane.domain import customers
from chatplane.errors import validation
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo
from chatplane.storage.customers import search

actions = Actions()

AGENT = "agent"
# sort_by -> the column of customers it orders by.
SORT_COLUMNS = {
    "created_at": "created_at",
    "threads_count": "threads_count",
    "visits_count": "visits_count",
    "agent_last_event": "agent_last_event_created_at",
    "customer_last_event": "customer_last_event_created_at",
}


@actions(AGENT, "list_customers", st.ListCustomers, scopes=("customers:ro",))
async def list_customers(ctx: Context, p: st.ListCustomers) -> dict[str, Any]:
    caller = ctx.caller
    first = {
        "filters": msgspec.to_builtins(p.filters) if p.filters else None,
        "sort_order": p.sort_order or "desc",
        "sort_by": p.sort_by or "created_at",
        "limit": p.limit or 10,
    }
    given = {
        "filters": p.filters,
        "limit": p.limit,
        "sort_order": p.sort_order,
        "sort_by": p.sort_by,
    }
    page = await open_page(ctx, "list_customers", p.page_id, first, given)
    f = msgspec.convert(page.query["filters"] or {}, st.ListCustomersFilters)
    shared = msgspec.convert(
        {k: v for k, v in msgspec.to_builtins(f).items() if k in CustomerFilters.__struct_fields__},
        CustomerFilters,
    )
    query = customer_query(
        caller.license_id, shared, page.query["sort_order"], page.offset, page.limit
    )
    query.sort_by = SORT_COLUMNS[page.query["sort_by"]]
    if f.chat_group_ids is not None:
        given_kinds = {
            k: v
            for k, v in (
                ("values", f.chat_group_ids.values),
                ("exclude_values", f.chat_group_ids.exclude_values),
            )
            if v is not None
        }
        if len(given_kinds) != 1:
            raise validation("filters.chat_group_ids needs exactly one of values, exclude_values")
        if len(next(iter(given_kinds.values()))) > 40:
            raise validation("filters.chat_group_ids takes at most 40 group ids")
        query.chat_group_ids = given_kinds
    query.with_chats_only = f.include_customers_without_chats is False
    found, total = await ctx.services.read(lambda tx: search(tx.conn, query))
    v = view(ctx)
    out: dict[str, Any] = {
        "customers": [SHAPES.customer(v, c) for c in found],
        "total_customers": total,
    }
    out.update(await page_ids(ctx, "list_customers", page, total, len(found)))
    return out


@actions(AGENT, "create_customer", st.CreateCustomer, scopes=("customers:rw",))
async def create_customer(ctx: Context, p: st.CreateCustomer) -> dict[str, Any]:
    caller = ctx.caller
    fields = session_fields(p.session_fields) if p.session_fields is not None else None
    customer = await ctx.commit(
        lambda tx: customers.create(tx, caller, p.name, p.email, p.avatar, fields)
    )
    return {"customer_id": customer.id}


@actions(AGENT, "get_license_info", st36.Empty, rtm=False)
async def get_license_info(ctx: Context, _p: st36.Empty) -> dict[str, Any]:
    caller = ctx.caller

    def load(tx: Tx) -> Any:
        return accounts_repo.get_license(tx.conn, caller.license_id)

    lic = await ctx.services.read(load)

    return {
        "license_id": str(lic.id),
        "expires_at": rfc3339(lic.created_at + LICENSE_YEARS * 365 * 86400),
        "created_at": rfc3339(lic.created_at),
        "in_trial": False,
    }
