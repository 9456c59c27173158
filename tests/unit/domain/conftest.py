"""A real store with one license, on SQLite and again on PostgreSQL, per domain test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.support import World, make_world, sqlite_url


@pytest.fixture(params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
    else:
        url = request.getfixturevalue("postgres_url")
    w = make_world(url)
    w.store.start()
    yield w
    w.store.close()
