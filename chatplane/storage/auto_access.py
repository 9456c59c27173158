"""Auto access rules (Configuration API v3.x `add_auto_access`, ...), in SQLAlchemy Core."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chatplane.storage import schema as s

r = s.auto_access_rules


def rules(conn: Connection, license_id: int) -> list[Any]:
    """The license's rules in the order they are tried."""
    return list(
        conn.execute(
            sa.select(r).where(r.c.license_id == license_id).order_by(r.c.position, r.c.created_at)
        )
    )


def insert(conn: Connection, **values: Any) -> None:
    conn.execute(r.insert().values(**values))


def update(conn: Connection, license_id: int, rule_id: str, **values: Any) -> None:
    conn.execute(r.update().where(r.c.license_id == license_id, r.c.id == rule_id).values(**values))


def delete(conn: Connection, license_id: int, rule_id: str) -> None:
    conn.execute(r.delete().where(r.c.license_id == license_id, r.c.id == rule_id))


def count(conn: Connection, license_id: int) -> int:
    return int(
        conn.execute(
            sa.select(sa.func.count()).select_from(r).where(r.c.license_id == license_id)
        ).scalar_one()
    )
