"""Bot templates (Configuration API v3.x `create_bot_template`, ...), in SQLAlchemy Core."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chatplane.storage import schema as s

b = s.bot_templates


def get(conn: Connection, license_id: int, template_id: str) -> Any | None:
    return conn.execute(
        sa.select(b).where(b.c.license_id == license_id, b.c.id == template_id)
    ).first()


def of_client(conn: Connection, license_id: int, client_id: str) -> list[Any]:
    return list(
        conn.execute(
            sa.select(b)
            .where(b.c.license_id == license_id, b.c.client_id == client_id)
            .order_by(b.c.created_at, b.c.id)
        )
    )


def insert(conn: Connection, **values: Any) -> None:
    conn.execute(b.insert().values(**values))


def update(conn: Connection, template_id: str, **values: Any) -> None:
    conn.execute(b.update().where(b.c.id == template_id).values(**values))


def delete(conn: Connection, template_id: str) -> None:
    conn.execute(b.delete().where(b.c.id == template_id))
