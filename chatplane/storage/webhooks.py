"""Registered webhooks and the delivery outbox, in SQLAlchemy Core.

Claiming is safe for several processes on one database: a row is taken by setting a
lease (`lease_token`, `lease_until`) only where no live lease exists, and on PostgreSQL
the candidate rows are selected `FOR UPDATE SKIP LOCKED`, so two workers never wait on or
take the same row. A delivery is claimable only when no earlier delivery with the same
`ordering_key` is still pending: one receiver sees one chat's webhooks in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chatplane.storage import schema as s
from chatplane.storage.compiled import Compiled

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"

w = s.webhooks
d = s.webhook_deliveries
att = s.webhook_attempts

# -- registered webhooks ---------------------------------------------------------------


def insert_webhook(conn: Connection, **values: Any) -> None:
    conn.execute(w.insert().values(**values))


def get_webhook(conn: Connection, license_id: int, webhook_id: str) -> Any | None:
    return conn.execute(
        sa.select(w).where(w.c.license_id == license_id, w.c.id == webhook_id)
    ).first()


def list_webhooks(
    conn: Connection,
    license_id: int,
    client_id: str | None,
    versions: Sequence[str] | None = None,
) -> list[Any]:
    """Registered webhooks, of one application (`client_id`) unless None, registered
    through one of `versions` unless None."""
    q = sa.select(w).where(w.c.license_id == license_id)
    if client_id is not None:
        q = q.where(w.c.client_id == client_id)
    if versions is not None:
        q = q.where(w.c.version.in_(list(versions)))
    return list(conn.execute(q.order_by(w.c.created_at, w.c.id)).all())


def count_for_action(
    conn: Connection, license_id: int, client_id: str, action: str, versions: Sequence[str]
) -> int:
    return int(
        conn.execute(
            sa.select(sa.func.count())
            .select_from(w)
            .where(
                w.c.license_id == license_id,
                w.c.client_id == client_id,
                w.c.action == action,
                w.c.version.in_(list(versions)),
            )
        ).scalar_one()
    )


# -- license webhooks switched off per application ----------------------------------------

dc = s.webhook_disabled_clients


def license_webhooks_enabled(conn: Connection, license_id: int, client_id: str) -> bool:
    row = conn.execute(
        sa.select(dc.c.client_id).where(dc.c.license_id == license_id, dc.c.client_id == client_id)
    ).first()
    return row is None


def set_license_webhooks_enabled(
    conn: Connection, license_id: int, client_id: str, enabled: bool, now: float
) -> None:
    conn.execute(dc.delete().where(dc.c.license_id == license_id, dc.c.client_id == client_id))
    if not enabled:
        conn.execute(
            dc.insert().values(license_id=license_id, client_id=client_id, disabled_at=now)
        )


def count_webhooks(conn: Connection, license_id: int) -> int:
    return int(
        conn.execute(
            sa.select(sa.func.count()).select_from(w).where(w.c.license_id == license_id)
        ).scalar_one()
    )


def delete_webhook(conn: Connection, license_id: int, webhook_id: str) -> None:
    conn.execute(w.delete().where(w.c.license_id == license_id, w.c.id == webhook_id))


def webhooks_of_license(conn: Connection, license_id: int) -> list[Any]:
    """The webhooks the outbox may fire: every registered one but the `license` webhooks of
    applications that disabled them on this license (one query, with the registrations)."""
    disabled = (
        sa.select(dc.c.client_id)
        .where(dc.c.license_id == w.c.license_id, dc.c.client_id == w.c.client_id)
        .exists()
    )
    return list(
        conn.execute(
            sa.select(w)
            .where(w.c.license_id == license_id, sa.or_(w.c.type != "license", ~disabled))
            .order_by(w.c.created_at, w.c.id)
        ).all()
    )


def license_has_webhooks(conn: Connection, license_id: int) -> bool:
    """Any registered webhook, or any bot agent with a `webhooks` configuration."""
    registered = conn.execute(sa.select(w.c.id).where(w.c.license_id == license_id).limit(1))
    if registered.first() is not None:
        return True
    bots = conn.execute(
        sa.select(s.agents.c.id)
        .where(
            s.agents.c.license_id == license_id,
            s.agents.c.is_bot.is_(True),
            s.agents.c.webhooks.is_not(None),
        )
        .limit(1)
    )
    return bots.first() is not None


def bots_with_webhooks(
    conn: Connection, license_id: int, agent_ids: Sequence[str] | None = None
) -> list[Any]:
    """Bot agents (all, or among `agent_ids`) that have a `webhooks` configuration."""
    q = sa.select(s.agents.c.id, s.agents.c.routing_status, s.agents.c.webhooks).where(
        s.agents.c.license_id == license_id,
        s.agents.c.is_bot.is_(True),
        s.agents.c.webhooks.is_not(None),
    )
    if agent_ids is not None:
        if not agent_ids:
            return []
        q = q.where(s.agents.c.id.in_(list(agent_ids)))
    return [r for r in conn.execute(q.order_by(s.agents.c.id)).all() if r.webhooks]


# -- the outbox ------------------------------------------------------------------------


# The columns the outbox gives every delivery (webhooks/outbox.py: Outbox._row); the
# others start NULL. Compiled (storage/compiled.py): every change of a license with a
# webhook writes at least one, in the change's transaction.
DELIVERY_COLUMNS = (
    "delivery_id",
    "license_id",
    "webhook_id",
    "source",
    "action",
    "url",
    "secret_key",
    "body",
    "ordering_key",
    "chat_id",
    "status",
    "attempts",
    "next_attempt_at",
    "retry_until",
    "created_at",
)
_INSERT_DELIVERY = Compiled(d.insert(), column_keys=list(DELIVERY_COLUMNS))


def insert_deliveries(conn: Connection, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        if row.keys() == set(DELIVERY_COLUMNS):
            _INSERT_DELIVERY.execute(conn, row)
        else:
            conn.execute(d.insert(), [row])


def release_all_leases(conn: Connection) -> int:
    """Start-up on SQLite (one server process): leases of a killed process are void."""
    return conn.execute(
        d.update()
        .where(d.c.status == PENDING, d.c.lease_until.is_not(None))
        .values(lease_token=None, lease_until=None)
    ).rowcount


def claim_due(
    conn: Connection, dialect: str, now: float, limit: int, lease_token: str, lease_until: float
) -> list[Any]:
    """Lease up to `limit` due deliveries, each the first pending one of its ordering key.

    Only those first ones are looked at: a recursive walk of the pending part of the
    `(status, ordering_key, seq)` index visits each pending key once (two index probes), so
    a claim costs the number of keys with pending deliveries, not the number of deliveries
    waiting behind them (which grows without bound while a receiver is down)."""
    # The heads first, then those rows by primary key. Left to choose, SQLite walks every
    # due pending row by `ix_webhook_deliveries_due` and tests each for membership: the
    # very pile this avoids. `status || ''` is SQLite's idiom for "not by this index".
    first = [seq for (seq,) in conn.execute(pending_heads()) if seq is not None]
    if not first:
        return []
    free = sa.or_(d.c.lease_until.is_(None), d.c.lease_until < now)
    status = d.c.status.concat("")
    q = (
        sa.select(d.c.seq)
        .where(d.c.seq.in_(first), status == PENDING, d.c.next_attempt_at <= now, free)
        .order_by(d.c.seq)
        .limit(limit)
    )
    if dialect == "postgresql":
        q = q.with_for_update(skip_locked=True, of=d)
    seqs = [r.seq for r in conn.execute(q)]
    if not seqs:
        return []
    conn.execute(
        d.update()
        .where(d.c.seq.in_(seqs), d.c.status == PENDING, free)
        .values(lease_token=lease_token, lease_until=lease_until)
    )
    return list(
        conn.execute(
            sa.select(d).where(d.c.seq.in_(seqs), d.c.lease_token == lease_token).order_by(d.c.seq)
        ).all()
    )


def pending_heads() -> sa.Select[Any]:
    """`seq` of the first pending delivery of every ordering key: a loose index scan, as a
    recursive CTE (PostgreSQL and SQLite both walk an index this way; neither skips
    through an index by itself)."""
    walk = d.alias("walk")
    keys = (
        sa.select(sa.func.min(walk.c.ordering_key).label("ordering_key"))
        .where(walk.c.status == PENDING)
        .cte("pending_keys", recursive=True)
    )
    after = d.alias("after")
    next_key = (
        sa.select(sa.func.min(after.c.ordering_key))
        .where(after.c.status == PENDING, after.c.ordering_key > keys.c.ordering_key)
        .scalar_subquery()
    )
    keys = keys.union_all(sa.select(next_key).where(keys.c.ordering_key.is_not(None)))
    head = d.alias("head")
    first_seq = (
        sa.select(sa.func.min(head.c.seq))
        .where(head.c.status == PENDING, head.c.ordering_key == keys.c.ordering_key)
        .scalar_subquery()
    )
    return sa.select(first_seq).where(keys.c.ordering_key.is_not(None))


def record_attempt(
    conn: Connection,
    seq: int,
    lease_token: str,
    attempt: dict[str, Any],
    delivery: dict[str, Any],
) -> bool:
    """Record one attempt; update the delivery if this worker still holds its lease."""
    conn.execute(att.insert().values(delivery_seq=seq, **attempt))
    updated = conn.execute(
        d.update()
        .where(d.c.seq == seq, d.c.lease_token == lease_token, d.c.status == PENDING)
        .values(lease_token=None, lease_until=None, **delivery)
    ).rowcount
    return bool(updated)


def next_due(conn: Connection) -> float | None:
    return conn.execute(
        sa.select(sa.func.min(d.c.next_attempt_at)).where(d.c.status == PENDING)
    ).scalar()


# -- operators -------------------------------------------------------------------------


def list_deliveries(
    conn: Connection,
    license_id: int | None,
    statuses: Sequence[str],
    limit: int = 100,
) -> list[Any]:
    q = sa.select(d).where(d.c.status.in_(list(statuses)))
    if license_id is not None:
        q = q.where(d.c.license_id == license_id)
    return list(conn.execute(q.order_by(d.c.seq).limit(limit)).all())


def get_delivery(conn: Connection, delivery_id: str) -> Any | None:
    return conn.execute(sa.select(d).where(d.c.delivery_id == delivery_id)).first()


def attempts_of(conn: Connection, seqs: Sequence[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    if not seqs:
        return out
    rows = conn.execute(
        sa.select(att).where(att.c.delivery_seq.in_(list(seqs))).order_by(att.c.id)
    ).all()
    for r in rows:
        out.setdefault(r.delivery_seq, []).append(r)
    return out


def redeliver(
    conn: Connection,
    now: float,
    retry_until: float,
    *,
    license_id: int | None = None,
    delivery_id: str | None = None,
) -> int:
    """Put failed deliveries (one, or all of a license or of the server) back to pending."""
    q = d.update().where(d.c.status == FAILED)
    if license_id is not None:
        q = q.where(d.c.license_id == license_id)
    if delivery_id is not None:
        q = q.where(d.c.delivery_id == delivery_id)
    return conn.execute(
        q.values(
            status=PENDING,
            next_attempt_at=now,
            retry_until=retry_until,
            lease_token=None,
            lease_until=None,
            finished_at=None,
        )
    ).rowcount


def stats(conn: Connection, now: float) -> dict[str, float]:
    counts: dict[str, int] = dict(
        conn.execute(sa.select(d.c.status, sa.func.count()).group_by(d.c.status)).all()
    )
    oldest = conn.execute(
        sa.select(sa.func.min(d.c.created_at)).where(d.c.status == PENDING)
    ).scalar()
    attempts: dict[str, int] = dict(
        conn.execute(sa.select(att.c.outcome, sa.func.count()).group_by(att.c.outcome)).all()
    )
    return {
        "pending": float(counts.get(PENDING, 0)),
        "delivered": float(counts.get(DELIVERED, 0)),
        "failed": float(counts.get(FAILED, 0)),
        "retried": float(attempts.get("retry", 0)),
        "attempts": float(sum(attempts.values())),
        "oldest_pending_age_seconds": max(0.0, now - oldest) if oldest is not None else 0.0,
    }
