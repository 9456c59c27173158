"""Tags (Configuration API v3.x `create_tag`, ...), in SQLAlchemy Core."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chatplane.storage import schema as s

t = s.tags


def by_key(conn: Connection, license_id: int, name_key: str) -> Any | None:
    return conn.execute(
        sa.select(t).where(t.c.license_id == license_id, t.c.name_key == name_key)
    ).first()


def insert(conn: Connection, **values: Any) -> None:
    conn.execute(t.insert().values(**values))


def set_groups(conn: Connection, license_id: int, name_key: str, group_ids: list[int]) -> None:
    conn.execute(
        t.update()
        .where(t.c.license_id == license_id, t.c.name_key == name_key)
        .values(group_ids=group_ids)
    )


def delete(conn: Connection, license_id: int, name_key: str) -> None:
    conn.execute(t.delete().where(t.c.license_id == license_id, t.c.name_key == name_key))


def all_of(conn: Connection, license_id: int) -> list[Any]:
    return list(
        conn.execute(sa.select(t).where(t.c.license_id == license_id).order_by(t.c.name_key))
    )


def any_tag(conn: Connection, license_id: int) -> bool:
    return (
        conn.execute(sa.select(t.c.name_key).where(t.c.license_id == license_id).limit(1)).first()
        is not None
    )
