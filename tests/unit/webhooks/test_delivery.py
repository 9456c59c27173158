"""The outbox on a real SQLite database: claiming keeps one receiver's chat in order,
leases keep two workers off the same row, and backoff grows and is bounded."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from chatplane.storage import webhooks as repo
from chatplane.storage.migrate import upgrade
from chatplane.storage.store import Store
from chatplane.webhooks.delivery import MAX_BACKOFF, backoff, classify


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(s.engine)
    yield s
    s.engine.dispose()


def _row(n: int, key: str, now: float) -> dict[str, Any]:
    return {
        "delivery_id": f"d{n}",
        "license_id": 1,
        "webhook_id": "w",
        "source": "webhook",
        "action": "incoming_event",
        "url": "http://x",
        "secret_key": "k",
        "body": "{}",
        "ordering_key": key,
        "chat_id": key,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "retry_until": now + 60,
        "created_at": now,
    }


def _claim(store: Store, token: str, limit: int = 10) -> list[str]:
    now = time.time()
    rows = store.write_sync(
        lambda tx: repo.claim_due(tx.conn, tx.dialect, now + 1, limit, token, now + 30)
    ).result
    return [r.delivery_id for r in rows]


def test_one_delivery_per_ordering_key_at_a_time_and_leases_exclude(store: Store) -> None:
    now = time.time()
    store.write_sync(
        lambda tx: repo.insert_deliveries(
            tx.conn, [_row(1, "A", now), _row(2, "A", now), _row(3, "B", now)]
        )
    )
    assert _claim(store, "w1") == ["d1", "d3"]
    assert _claim(store, "w2") == []  # d1, d3 leased; d2 waits behind d1
    seq = store.read_sync(lambda tx: repo.get_delivery(tx.conn, "d1")).seq
    done = {"status": "delivered", "attempts": 1, "finished_at": now}
    attempt = {"attempt": 1, "started_at": now, "duration_ms": 1, "outcome": "delivered"}
    # A worker that lost the lease records its attempt but does not change the row.
    assert not store.write_sync(
        lambda tx: repo.record_attempt(tx.conn, seq, "w2", attempt, done)
    ).result
    assert store.write_sync(
        lambda tx: repo.record_attempt(tx.conn, seq, "w1", attempt, done)
    ).result
    assert _claim(store, "w2") == ["d2"]


def test_released_leases_make_rows_claimable_again(store: Store) -> None:
    now = time.time()
    store.write_sync(lambda tx: repo.insert_deliveries(tx.conn, [_row(1, "A", now)]))
    assert _claim(store, "dead") == ["d1"]
    assert _claim(store, "w") == []
    store.write_sync(lambda tx: repo.release_all_leases(tx.conn))
    assert _claim(store, "w") == ["d1"]


def test_backoff_doubles_and_is_capped() -> None:
    assert 0.8 <= backoff(1, 1) <= 1.2
    assert 6.4 <= backoff(1, 4) <= 9.6
    assert backoff(1, 40) <= MAX_BACKOFF * 1.2


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "delivered"),
        (204, "delivered"),
        (500, "retry"),
        (503, "retry"),
        (429, "retry"),
        (408, "retry"),
        (400, "failed"),
        (404, "failed"),
        (301, "failed"),
    ],
)
def test_classify_answers(status: int, outcome: str) -> None:
    assert classify(status) == outcome
