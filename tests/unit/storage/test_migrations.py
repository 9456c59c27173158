"""The migrations build exactly the schema the code describes (storage/schema.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from chatplane.storage.migrate import upgrade
from chatplane.storage.schema import metadata
from chatplane.storage.store import make_engine


def _differences(url: str) -> list[object]:
    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    # The full-text index (FTS5 tables, a GIN expression index) is not in the metadata.
    return [
        d
        for d in diffs
        if not (isinstance(d, tuple) and d[0] == "remove_table" and "fts" in d[1].name)
        and not (isinstance(d, tuple) and d[0] == "remove_index" and "fts" in d[1].name)
    ]


def test_sqlite_schema_matches_the_code(tmp_path: Path) -> None:
    assert _differences(f"sqlite:///{tmp_path / 'm.db'}") == []


@pytest.mark.postgres
def test_postgresql_schema_matches_the_code(postgres_url: str) -> None:
    assert _differences(postgres_url) == []
