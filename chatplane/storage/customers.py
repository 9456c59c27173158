"""Finding customers (the filters and pagination of get_customers) and the chats and
agents a customer has now, in SQL."""

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
    # v3.x: the order (a column of `customers`, then `created_at`), customers with a chat
    # in these groups ({"values": [...]} | {"exclude_values": [...]}), only customers
    # with a chat.
    sort_by: str = "created_at"
    chat_group_ids: dict[str, list[int]] | None = None
    with_chats_only: bool = False


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
    c = s.customers.c
    if q.with_chats_only:
        where.append(c.chats_count > 0)
    if q.chat_group_ids:
        (kind, groups), *_ = q.chat_group_ids.items()
        in_groups = c.id.in_(
            sa.select(s.chats.c.customer_id)
            .select_from(s.chats.join(s.chat_access, s.chat_access.c.chat_id == s.chats.c.id))
            .where(
                s.chats.c.license_id == q.license_id,
                s.chat_access.c.group_id.in_(groups),
                s.chats.c.customer_id.is_not(None),
            )
        )
        where.append(in_groups if kind == "values" else ~in_groups)
    total = conn.execute(
        sa.select(sa.func.count()).select_from(s.customers).where(*where)
    ).scalar_one()
    columns = [getattr(c, q.sort_by)] if q.sort_by != "created_at" else []
    # Customers without the value (no event yet) come last either way, on both engines.
    order = [
        (col.asc() if q.ascending else col.desc()).nulls_last() for col in (*columns, c.created_at)
    ]
    rows = conn.execute(
        sa.select(s.customers).where(*where).order_by(*order, c.id).offset(q.offset).limit(q.limit)
    ).all()
    return [to_customer(r) for r in rows], int(total)


def serving_agents(conn: Connection, customer_id: str) -> list[str]:
    """Agents present in the customer's active chats."""
    c, u = s.chats, s.chat_users
    rows = conn.execute(
        sa.select(u.c.user_id)
        .select_from(u.join(c, c.c.id == u.c.chat_id))
        .where(
            c.c.customer_id == customer_id,
            c.c.active_thread_id.is_not(None),
            u.c.user_type == "agent",
            u.c.present.is_(True),
        )
        .distinct()
    ).all()
    return [r.user_id for r in rows]


def active_chat_ids(conn: Connection, license_id: int, customer_id: str) -> list[str]:
    """The customer's chats that have an active thread."""
    rows = conn.execute(
        sa.select(s.chats.c.id).where(
            s.chats.c.license_id == license_id,
            s.chats.c.customer_id == customer_id,
            s.chats.c.active_thread_id.is_not(None),
        )
    ).all()
    return [r.id for r in rows]


def active_threads(conn: Connection, license_id: int, customer_id: str) -> list[tuple[str, str]]:
    """(chat id, active thread id) of the customer's chats that have an active thread."""
    c = s.chats
    rows = conn.execute(
        sa.select(c.c.id, c.c.active_thread_id)
        .where(
            c.c.license_id == license_id,
            c.c.customer_id == customer_id,
            c.c.active_thread_id.is_not(None),
        )
        .order_by(c.c.id)
    ).all()
    return [(r.id, r.active_thread_id) for r in rows]


def chat_ids(conn: Connection, license_id: int, customer_id: str) -> list[str]:
    """Every chat of the customer, oldest first."""
    rows = conn.execute(
        sa.select(s.chats.c.id)
        .where(s.chats.c.license_id == license_id, s.chats.c.customer_id == customer_id)
        .order_by(s.chats.c.created_at, s.chats.c.id)
    ).all()
    return [r.id for r in rows]


def ids_by_email(conn: Connection, license_id: int, email: str) -> list[str]:
    rows = conn.execute(
        sa.select(s.customers.c.id).where(
            s.customers.c.license_id == license_id, s.customers.c.email == email
        )
    ).all()
    return [r.id for r in rows]
