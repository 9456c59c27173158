"""Personal access tokens: an agent's long-lived tokens, stored only as SHA-256 hashes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chatplane.storage import schema as s

_pat = s.personal_access_tokens


def insert(
    conn: Connection,
    *,
    token_id: str,
    token_hash: str,
    license_id: int,
    agent_id: str,
    name: str,
    scopes: str,
    created_at: float,
) -> None:
    conn.execute(
        _pat.insert().values(
            id=token_id,
            token_hash=token_hash,
            license_id=license_id,
            agent_id=agent_id,
            name=name,
            scopes=scopes,
            created_at=created_at,
            last_used_at=None,
        )
    )


def by_hash(conn: Connection, token_hash: str) -> Any | None:
    return conn.execute(sa.select(_pat).where(_pat.c.token_hash == token_hash)).first()


def get(conn: Connection, license_id: int, token_id: str) -> Any | None:
    return conn.execute(
        sa.select(_pat).where(_pat.c.license_id == license_id, _pat.c.id == token_id)
    ).first()


def of_agent(conn: Connection, license_id: int, agent_id: str | None) -> list[Any]:
    """The license's tokens (one agent's when `agent_id` is given), oldest first."""
    q = sa.select(_pat).where(_pat.c.license_id == license_id)
    if agent_id is not None:
        q = q.where(_pat.c.agent_id == agent_id)
    return list(conn.execute(q.order_by(_pat.c.created_at, _pat.c.id)))


def delete(conn: Connection, license_id: int, token_id: str) -> bool:
    """Revoke: the row goes (nothing else refers to it). False when there was none."""
    gone = conn.execute(
        _pat.delete().where(_pat.c.license_id == license_id, _pat.c.id == token_id)
    ).rowcount
    return bool(gone)


def touch(conn: Connection, token_hash: str, at: float) -> None:
    conn.execute(_pat.update().where(_pat.c.token_hash == token_hash).values(last_used_at=at))
