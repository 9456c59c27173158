"""What operators see and do: deliveries with their attempts, redelivery, metrics.

Shared by the administrator endpoints (admin.py) and the command line (`chatplane
webhooks list|redeliver`); numbers come from the database, so they cover every process.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from chatplane.errors import not_found, validation
from chatplane.storage import Tx
from chatplane.storage import webhooks as repo

STATUSES = (repo.PENDING, repo.DELIVERED, repo.FAILED)


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat().replace("+00:00", "Z")


def parse_statuses(text: str | None) -> list[str]:
    if not text:
        return [repo.PENDING, repo.FAILED]
    if text == "all":
        return list(STATUSES)
    out = [t.strip() for t in text.split(",") if t.strip()]
    for t in out:
        if t not in STATUSES:
            raise validation(f"status {t!r} is not one of: {', '.join(STATUSES)}, all")
    return out


def list_deliveries(
    tx: Tx, license_id: int | None, statuses: list[str], limit: int = 100
) -> list[dict[str, Any]]:
    rows = repo.list_deliveries(tx.conn, license_id, statuses, limit)
    attempts = repo.attempts_of(tx.conn, [r.seq for r in rows])
    return [
        {
            "delivery_id": r.delivery_id,
            "license_id": r.license_id,
            "webhook_id": r.webhook_id,
            "source": r.source,
            "action": r.action,
            "url": r.url,
            "chat_id": r.chat_id,
            "status": r.status,
            "attempts": r.attempts,
            "created_at": _iso(r.created_at),
            "next_attempt_at": _iso(r.next_attempt_at) if r.status == repo.PENDING else None,
            "retry_until": _iso(r.retry_until),
            "finished_at": _iso(r.finished_at),
            "last_status_code": r.last_status_code,
            "last_error": r.last_error,
            "attempts_log": [
                {
                    "attempt": a.attempt,
                    "started_at": _iso(a.started_at),
                    "duration_ms": a.duration_ms,
                    "status_code": a.status_code,
                    "error": a.error,
                    "outcome": a.outcome,
                }
                for a in attempts.get(r.seq, [])
            ],
        }
        for r in rows
    ]


def redeliver(tx: Tx, retry_for: float, *, license_id: int | None, delivery_id: str | None) -> int:
    """Failed deliveries back to pending, with a fresh retry window; returns how many."""
    if delivery_id is not None:
        row = repo.get_delivery(tx.conn, delivery_id)
        if row is None or (license_id is not None and row.license_id != license_id):
            raise not_found("Delivery", delivery_id)
        if row.status != repo.FAILED:
            raise validation(f"Delivery {delivery_id!r} is {row.status}, not failed")
    now = time.time()
    return repo.redeliver(
        tx.conn, now, now + retry_for, license_id=license_id, delivery_id=delivery_id
    )


def metrics_text(tx: Tx) -> str:
    """The Prometheus text format."""
    s = repo.stats(tx.conn, time.time())
    lines = []
    for name, kind, help_text, value in (
        ("webhook_deliveries_delivered_total", "counter", "Webhooks delivered", s["delivered"]),
        ("webhook_deliveries_failed", "gauge", "Webhooks that gave up", s["failed"]),
        ("webhook_deliveries_pending", "gauge", "Webhooks waiting to be sent", s["pending"]),
        ("webhook_attempts_total", "counter", "Delivery attempts made", s["attempts"]),
        ("webhook_retries_total", "counter", "Failed attempts retried later", s["retried"]),
        (
            "webhook_oldest_pending_age_seconds",
            "gauge",
            "Age of the oldest pending webhook",
            s["oldest_pending_age_seconds"],
        ),
    ):
        full = f"chatplane_{name}"
        lines += [f"# HELP {full} {help_text}", f"# TYPE {full} {kind}", f"{full} {value:g}"]
    return "\n".join(lines) + "\n"
