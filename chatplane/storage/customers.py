"""Finding customers: the filters and pagination of get_customers, in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chatplane.domain.models import Customer
from chatplane.storage import schema as s
from chatplane.storage.rows import to_customer


@dataclass
class CustomerQuery:
    license_id: int
    # (column name, {"values": [...]} | {"exclude_values": [...]})
    string_filters: list[tuple[str, dict[str, list[str]]]]
    # (column name, op, number-or-epoch) with op in lt, lte, gt, gte, eq
    range_filters: list[tuple[str, str, float]]
    ascending: bool
    offset: int
    limit: int


_OPS = {
    "lt": lambda c, v: c < v,
    "lte": lambda c, v: c <= v,
    "gt": lambda c, v: c > v,
    "gte": lambda c, v: c >= v,
    "eq": lambda c, v: c == v,
}


def _column(name: str) -> Any:
    c = s.customers.c
    if name == "customer_id":
        return c.id
    if name == "country":
        return c.last_visit["geolocation"]["country"].as_string()
    return getattr(c, name)


def search(conn: Connection, q: CustomerQuery) -> tuple[list[Customer], int]:
    where: list[Any] = [s.customers.c.license_id == q.license_id]
    for name, flt in q.string_filters:
        col = _column(name)
        if "values" in flt:
            where.append(col.in_(flt["values"]))
        else:
            where.append(sa.or_(col.is_(None), col.not_in(flt["exclude_values"])))
    for name, op, value in q.range_filters:
        where.append(_OPS[op](_column(name), value))
    total = conn.execute(
        sa.select(sa.func.count()).select_from(s.customers).where(*where)
    ).scalar_one()
    order = s.customers.c.created_at.asc() if q.ascending else s.customers.c.created_at.desc()
    rows = conn.execute(
        sa.select(s.customers)
        .where(*where)
        .order_by(order, s.customers.c.id)
        .offset(q.offset)
        .limit(q.limit)
    ).all()
    return [to_customer(r) for r in rows], int(total)
