"""The store: group commit keeps each unit of work atomic on its own."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa

from chatplane.storage import schema as s
from chatplane.storage.migrate import upgrade
from chatplane.storage.store import Store, Tx


def _insert_license(n: int, fail: bool = False):  # type: ignore[no-untyped-def]
    def fn(tx: Tx) -> int:
        tx.conn.execute(s.licenses.insert().values(id=n, plan="p", settings={}, created_at=0))
        tx.emit(f"license {n}")
        if fail:
            raise ValueError(f"unit {n} fails")
        return n

    return fn


async def test_a_failing_unit_does_not_undo_the_others_in_its_batch(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(store.engine)
    store.start()
    try:
        jobs = [store.write(_insert_license(n, fail=(n % 3 == 0))) for n in range(1, 31)]
        results = await asyncio.gather(*jobs, return_exceptions=True)
        for n, result in zip(range(1, 31), results, strict=True):
            if n % 3 == 0:
                assert isinstance(result, ValueError)
            else:
                assert not isinstance(result, BaseException)
                assert result.result == n
                assert result.events == [f"license {n}"]
        ids = store.read_sync(
            lambda tx: sorted(r.id for r in tx.conn.execute(sa.select(s.licenses.c.id)))
        )
        assert ids == [n for n in range(1, 31) if n % 3]
    finally:
        store.close()


async def test_committed_units_survive_a_new_store_on_the_same_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    store = Store(url)
    upgrade(store.engine)
    store.start()
    await store.write(_insert_license(7))
    store.close()
    again = Store(url)
    try:
        count = again.read_sync(
            lambda tx: tx.conn.execute(sa.select(sa.func.count()).select_from(s.licenses)).scalar()
        )
        assert count == 1
    finally:
        again.close()


def test_write_before_start_is_refused(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with pytest.raises(RuntimeError):
        asyncio.run(store.write(_insert_license(1)))
    store.close()
