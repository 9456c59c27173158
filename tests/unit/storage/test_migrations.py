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


def _bots_before_0008(url: str) -> None:
    """A database at 0007 with the rows the older code left: a bot without a status row
    (created accepting), a bot that a restart had set offline, and a person."""
    import time
    import uuid

    from alembic import command

    from chatplane.storage import schema as s
    from chatplane.storage.migrate import alembic_config

    engine = make_engine(url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007_versions")
        now = time.time()
        lic = conn.execute(
            s.licenses.insert().values(created_at=now, organization_id=str(uuid.uuid4()))
        ).inserted_primary_key[0]
        for agent_id, is_bot, chosen, current in (
            ("new-bot", True, "accepting_chats", None),
            ("restarted-bot", True, "accepting_chats", "offline"),
            ("person@x.com", False, "accepting_chats", "offline"),
        ):
            conn.execute(
                s.agents.insert().values(
                    license_id=lic,
                    id=agent_id,
                    name=agent_id,
                    is_bot=is_bot,
                    routing_status=chosen,
                    created_at=now,
                )
            )
            if current is not None:
                conn.execute(
                    s.agent_statuses.insert().values(
                        license_id=lic, agent_id=agent_id, status=current, updated_at=now
                    )
                )
    engine.dispose()


def _statuses_after_upgrade(url: str) -> dict[str, str]:
    from chatplane.storage import schema as s

    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(s.agent_statuses.select()).all()
    engine.dispose()
    return {r.agent_id: r.status for r in rows}


def test_0008_routes_bots_by_their_chosen_status(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    _bots_before_0008(url)
    assert _statuses_after_upgrade(url) == {
        "new-bot": "accepting_chats",
        "restarted-bot": "accepting_chats",
        "person@x.com": "offline",  # people get their status when they connect
    }


@pytest.mark.postgres
def test_0008_routes_bots_by_their_chosen_status_on_postgresql(postgres_url: str) -> None:
    _bots_before_0008(postgres_url)
    assert _statuses_after_upgrade(postgres_url)["restarted-bot"] == "accepting_chats"
