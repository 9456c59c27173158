"""Customers in both APIs: agents find, create and update them; customers update
themselves and tell which page they are on."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_0 import common
from chatplane.api.v3_0 import serialize as ser
from chatplane.domain import customers
from chatplane.errors import validation
from chatplane.storage.customers import CustomerQuery, search

actions = Actions()

UUID4 = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"


class CustomerFields(Struct, kw_only=True):
    name: str | None = None
    email: str | None = None
    avatar: str | None = None
    fields: dict[str, str] | None = None


class AgentUpdateCustomer(CustomerFields, kw_only=True):
    customer_id: Annotated[str, Meta(pattern=UUID4)]


class SetCustomerFields(Struct, kw_only=True):
    fields: dict[str, str]


class UpdateCustomerPage(Struct, kw_only=True):
    url: Annotated[str, Meta(min_length=1, max_length=2048)]
    title: Annotated[str, Meta(max_length=1024)] | None = None


class StringFilter(Struct, kw_only=True, forbid_unknown_fields=True):
    values: list[str] | None = None
    exclude_values: list[str] | None = None


class RangeFilter(Struct, kw_only=True, forbid_unknown_fields=True):
    lt: int | None = None
    lte: int | None = None
    gt: int | None = None
    gte: int | None = None
    eq: int | None = None


class DateRangeFilter(Struct, kw_only=True, forbid_unknown_fields=True):
    lt: str | None = None
    lte: str | None = None
    gt: str | None = None
    gte: str | None = None
    eq: str | None = None


class CustomerFilters(Struct, kw_only=True, forbid_unknown_fields=True):
    country: StringFilter | None = None
    email: StringFilter | None = None
    name: StringFilter | None = None
    customer_id: StringFilter | None = None
    chats_count: RangeFilter | None = None
    threads_count: RangeFilter | None = None
    visits_count: RangeFilter | None = None
    created_at: DateRangeFilter | None = None
    agent_last_event_created_at: DateRangeFilter | None = None
    customer_last_event_created_at: DateRangeFilter | None = None


class GetCustomers(Struct, kw_only=True):
    page_id: str | None = None
    limit: Annotated[int, Meta(ge=1, le=100)] = 10
    order: Literal["asc", "desc"] = "desc"
    filters: CustomerFilters | None = None


def _epoch(name: str, value: str) -> float:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise validation(f"filters.{name}: {value!r} is not an ISO 8601 date") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def customer_query(
    license_id: int, filters: CustomerFilters, order: str, offset: int, limit: int
) -> CustomerQuery:
    strings: list[tuple[str, dict[str, list[str]]]] = []
    ranges: list[tuple[str, str, float]] = []
    for name in CustomerFilters.__struct_fields__:
        flt = getattr(filters, name)
        if flt is None:
            continue
        if isinstance(flt, StringFilter):
            given = {
                k: v
                for k, v in (("values", flt.values), ("exclude_values", flt.exclude_values))
                if v is not None
            }
            if len(given) != 1:
                raise validation(f"filters.{name} needs exactly one of values, exclude_values")
            strings.append((name, given))
            continue
        ops = {
            op: getattr(flt, op)
            for op in ("lt", "lte", "gt", "gte", "eq")
            if getattr(flt, op) is not None
        }
        if not ops:
            raise validation(f"filters.{name} needs one of lt, lte, gt, gte, eq")
        for op, value in ops.items():
            ranges.append(
                (
                    name,
                    op,
                    _epoch(name, value) if isinstance(flt, DateRangeFilter) else float(value),
                )
            )
    return CustomerQuery(license_id, strings, ranges, order == "asc", offset, limit)


def _encode_page(filters: CustomerFilters, order: str, offset: int, limit: int) -> str:
    data = {"f": msgspec.to_builtins(filters), "o": order, "s": offset, "l": limit}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def _decode_page(page_id: str) -> tuple[CustomerFilters, str, int, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(page_id.encode()))
        filters = msgspec.convert(data["f"], CustomerFilters)
        return filters, data["o"], int(data["s"]), int(data["l"])
    except Exception:
        raise validation("page_id is not one this server gave out") from None


@actions("agent", "get_customers", GetCustomers, scopes=("customers:ro",))
async def get_customers(ctx: Context, p: GetCustomers) -> dict[str, Any]:
    caller = ctx.caller
    if p.page_id:
        filters, order, offset, limit = _decode_page(p.page_id)
    else:
        filters, order, offset, limit = p.filters or CustomerFilters(), p.order, 0, p.limit
    query = customer_query(caller.license_id, filters, order, offset, limit)
    found, total = await ctx.services.read(lambda tx: search(tx.conn, query))
    v = common.view(ctx)
    out: dict[str, Any] = {
        "customers": [ser.customer(v, c) for c in found],
        "total_customers": total,
    }
    if offset + limit < total:
        out["next_page_id"] = _encode_page(filters, order, offset + limit, limit)
    if offset > 0:
        out["previous_page_id"] = _encode_page(filters, order, max(0, offset - limit), limit)
    return out


@actions("agent", "create_customer", CustomerFields, scopes=("customers:rw",))
async def create_customer(ctx: Context, p: CustomerFields) -> dict[str, Any]:
    caller = ctx.caller
    customer = await ctx.commit(
        lambda tx: customers.create(tx, caller, p.name, p.email, p.avatar, p.fields)
    )
    return ser.customer(common.view(ctx), customer)


@actions("agent", "update_customer", AgentUpdateCustomer, scopes=("customers:rw",))
async def agent_update_customer(ctx: Context, p: AgentUpdateCustomer) -> dict[str, Any]:
    caller = ctx.caller
    customer = await ctx.commit(
        lambda tx: customers.update(
            tx,
            caller.license_id,
            p.customer_id,
            name=p.name,
            email=p.email,
            avatar=p.avatar,
            fields=p.fields,
        )
    )
    return ser.customer(common.view(ctx), customer)


@actions("customer", "update_customer", CustomerFields)
async def customer_update_customer(ctx: Context, p: CustomerFields) -> dict[str, Any]:
    caller = ctx.caller
    customer = await ctx.commit(
        lambda tx: customers.update(
            tx,
            caller.license_id,
            caller.user_id,
            name=p.name,
            email=p.email,
            avatar=p.avatar,
            fields=p.fields,
        )
    )
    return {"customer": ser.customer(common.view(ctx), customer)}


@actions("customer", "set_customer_fields", SetCustomerFields)
async def set_customer_fields(ctx: Context, p: SetCustomerFields) -> dict[str, Any]:
    caller = ctx.caller
    await ctx.commit(
        lambda tx: customers.update(tx, caller.license_id, caller.user_id, fields=p.fields)
    )
    return {}


@actions("customer", "update_customer_page", UpdateCustomerPage, web=False)
async def update_customer_page(ctx: Context, p: UpdateCustomerPage) -> None:
    caller = ctx.caller
    referrer = ctx.extra.get("referrer")
    await ctx.commit(lambda tx: customers.update_page(tx, caller, p.url, p.title, referrer))
    return None
