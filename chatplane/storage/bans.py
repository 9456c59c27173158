"""The record of customer bans (`list_customer_bans`), in SQLAlchemy Core.

`customers.banned_until` remains what refuses a banned customer; these rows say who
banned whom, when, and from which address, for the Configuration API.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chatplane.storage import schema as s

b = s.customer_bans


def record(conn: Connection, **values: Any) -> None:
    """Record a ban, replacing an earlier one of the same customer."""
    conn.execute(
        b.delete().where(
            b.c.license_id == values["license_id"], b.c.customer_id == values["customer_id"]
        )
    )
    conn.execute(b.insert().values(**values))


def active(conn: Connection, license_id: int, now: float) -> list[Any]:
    return list(
        conn.execute(
            sa.select(b)
            .where(b.c.license_id == license_id, b.c.expires_at > now)
            .order_by(b.c.created_at, b.c.customer_id)
        )
    )


def active_by_ip(conn: Connection, license_id: int, ip: str, now: float) -> list[Any]:
    return list(
        conn.execute(
            sa.select(b).where(b.c.license_id == license_id, b.c.ip == ip, b.c.expires_at > now)
        )
    )


def remove(conn: Connection, license_id: int, customer_id: str) -> None:
    conn.execute(b.delete().where(b.c.license_id == license_id, b.c.customer_id == customer_id))
