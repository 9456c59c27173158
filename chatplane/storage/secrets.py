"""Keys the server keeps for itself, made once and shared by every process."""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from chatplane.storage import schema as s


def get_or_create(conn: Connection, name: str, make: Callable[[], str]) -> str:
    """The secret `name`, made with `make()` the first time anyone asks (two processes
    asking at once keep the one that was written first)."""
    t = s.server_secrets
    row = conn.execute(sa.select(t.c.value).where(t.c.name == name)).first()
    if row is not None:
        return str(row.value)
    values = {"name": name, "value": make(), "created_at": time.time()}
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert(t).values(**values).on_conflict_do_nothing())
    row = conn.execute(sa.select(t.c.value).where(t.c.name == name)).first()
    assert row is not None
    return str(row.value)
