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


def _claim_cost(tmp_path: Path, waiting: int) -> int:
    """SQLite virtual-machine steps one claim takes when three chats each have `waiting`
    deliveries pending behind a first one that is in flight (leased)."""
    store = Store(f"sqlite:///{tmp_path / f'cost{waiting}.sqlite'}")
    upgrade(store.engine)
    now = time.time()
    rows = [_row(n, key, now) for key in "ABC" for n in range(waiting + 1)]
    for i, row in enumerate(rows):
        row["delivery_id"] = f"d{i}"
    store.write_sync(lambda tx: repo.insert_deliveries(tx.conn, rows))
    assert len(_claim(store, "in-flight")) == 3  # each chat's first delivery
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    def claim(tx: Any) -> list[Any]:
        raw = tx.conn.connection.driver_connection
        raw.set_progress_handler(count, 10)
        try:
            return repo.claim_due(tx.conn, tx.dialect, now + 1, 10, "w", now + 30)
        finally:
            raw.set_progress_handler(None, 10)

    assert store.write_sync(claim).result == []  # everything waits behind a leased one
    store.engine.dispose()
    return steps[0]


def test_a_claim_reads_each_chats_first_delivery_not_the_pile_behind_it(tmp_path: Path) -> None:
    """While a receiver is down or slow, deliveries pile up behind each chat's first one. A
    claim that read every waiting row made draining a pile quadratic (the soak's cluster run
    fell minutes behind) and, on SQLite, held the one writer for that long on every commit
    that wrote a webhook. Counted in SQLite steps, not time: a pile 100 times higher costs a
    claim about the same."""
    small, large = _claim_cost(tmp_path, 20), _claim_cost(tmp_path, 2000)
    assert large < 2 * small, (small, large)


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
