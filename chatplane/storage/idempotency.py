"""Idempotency keys (api/idempotency.py decides what they mean; this stores them)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chatplane.storage import schema as s

k = s.idempotency_keys


def get(conn: Connection, license_id: int, owner: str, key: str, since: float) -> Any | None:
    """The key's row, unless it is older than `since` (expired)."""
    return conn.execute(
        sa.select(k).where(
            k.c.license_id == license_id,
            k.c.owner == owner,
            k.c.key == key,
            k.c.created_at >= since,
        )
    ).first()


def claim(
    conn: Connection,
    license_id: int,
    owner: str,
    key: str,
    fingerprint: str,
    results: str | None,
    response: str | None,
    now: float,
    since: float,
) -> bool:
    """Write the key's row, in the caller's transaction; False when a live row has it
    already (another request with the key committed first). An expired row is replaced."""
    conn.execute(
        k.delete().where(
            k.c.license_id == license_id,
            k.c.owner == owner,
            k.c.key == key,
            k.c.created_at < since,
        )
    )
    values = {
        "license_id": license_id,
        "owner": owner,
        "key": key,
        "fingerprint": fingerprint,
        "results": results,
        "response": response,
        "created_at": now,
    }
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        done = conn.execute(pg_insert(k).values(**values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        done = conn.execute(sqlite_insert(k).values(**values).on_conflict_do_nothing())
    return bool(done.rowcount)


def set_results(conn: Connection, license_id: int, owner: str, key: str, results: str) -> None:
    conn.execute(
        k.update()
        .where(k.c.license_id == license_id, k.c.owner == owner, k.c.key == key)
        .values(results=results)
    )


def set_response(conn: Connection, license_id: int, owner: str, key: str, response: str) -> None:
    conn.execute(
        k.update()
        .where(k.c.license_id == license_id, k.c.owner == owner, k.c.key == key)
        .values(response=response)
    )


def forget_older_than(conn: Connection, before: float, limit: int = 1000) -> int:
    """Delete up to `limit` expired keys; how many went."""
    old = sa.select(k.c.license_id, k.c.owner, k.c.key).where(k.c.created_at < before).limit(limit)
    rows = conn.execute(old).all()
    for row in rows:
        conn.execute(
            k.delete().where(
                k.c.license_id == row.license_id, k.c.owner == row.owner, k.c.key == row.key
            )
        )
    return len(rows)
