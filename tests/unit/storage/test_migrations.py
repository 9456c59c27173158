"""The migrations build exactly the schema the code describes (storage/schema.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine

from chatplane.storage import archives
from chatplane.storage import chats as chats_repo
from chatplane.storage.migrate import alembic_config, upgrade
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


def _rows_before_0008(url: str) -> Engine:
    """A database at 0007 holding a chat, a thread and an event with text, then upgraded."""
    engine = make_engine(url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007_versions")
        conn.execute(
            sa.text(
                "INSERT INTO licenses (id, plan, settings, created_at, organization_id) "
                "VALUES (1, 'p', '{}', 0, 'org')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO chats (id, license_id, access, properties, last_order, "
                "created_at, updated_at) VALUES ('C1', 1, '{\"group_ids\": [0]}', '{}', 2, 0, 0)"
            )
        )
        conn.execute(
            sa.text(
                'INSERT INTO threads (id, chat_id, license_id, "order", active, user_ids, '
                "properties, access, total_events, created_at) VALUES ('T1', 'C1', 1, 1, "
                "false, '[]', '{}', '{\"group_ids\": [0]}', 1, 0)"
            )
        )
        conn.execute(
            sa.text(
                'INSERT INTO events (id, chat_id, thread_id, license_id, "order", type, '
                "recipients, text, body, properties, created_at) VALUES ('E1', 'C1', 'T1', 1, "
                "2, 'message', 'all', 'kilimanjaro', '{}', '{}', 0)"
            )
        )
    upgrade(engine)
    return engine


def _search(engine: Engine, word: str) -> int:
    vis = archives.Visibility(True, [], "owner")
    with engine.connect() as conn:
        filters = archives.ArchiveFilters(query=word)
        return archives.search_threads(conn, 1, vis, filters, 1, 10)[1]


def _check_0008(engine: Engine) -> None:
    with engine.begin() as conn:
        chat = chats_repo.load_chat(conn, 1, "C1")
        assert chat is not None and chat.follower_ids == []
        assert chats_repo.load_threads(conn, ["T1"])["T1"].tags == []
    assert _search(engine, "kilimanjaro") == 1
    with engine.begin() as conn:
        chats_repo.mark_event_deleted(conn, "E1", 1.0)
    assert _search(engine, "kilimanjaro") == 0
    with engine.begin() as conn:
        event = chats_repo.load_event(conn, "C1", "T1", "E1")
        assert event is not None and event.deleted_at == 1.0
        if conn.dialect.name == "sqlite":
            # The FTS5 index forgot the row and is still sound.
            fts = conn.exec_driver_sql(
                "SELECT rowid FROM events_fts WHERE events_fts MATCH 'kilimanjaro'"
            ).all()
            assert fts == []
            conn.exec_driver_sql("INSERT INTO events_fts(events_fts) VALUES ('integrity-check')")
            # Deleting the row later does not take it out of the index a second time: the
            # index and its content table agree again (rank 1 compares them).
            conn.exec_driver_sql("DELETE FROM events WHERE id = 'E1'")
            conn.exec_driver_sql(
                "INSERT INTO events_fts(events_fts, rank) VALUES ('integrity-check', 1)"
            )
    engine.dispose()


def test_0008_keeps_sqlite_rows_and_forgets_deleted_events(tmp_path: Path) -> None:
    _check_0008(_rows_before_0008(f"sqlite:///{tmp_path / 'm.db'}"))


@pytest.mark.postgres
def test_0008_keeps_postgresql_rows_and_forgets_deleted_events(postgres_url: str) -> None:
    _check_0008(_rows_before_0008(postgres_url))


def _bots_before_0010(url: str) -> None:
    """A database before 0010 with the rows the older code left: a bot without a status row
    (created accepting), a bot that a restart had set offline, and a person."""
    import time
    import uuid

    from alembic import command

    from chatplane.storage.migrate import alembic_config

    # The tables as they were at 0007: today's definitions have columns (and defaults)
    # that later migrations add, which an insert at 0007 must not name.
    licenses = sa.table(
        "licenses",
        sa.column("id"),
        sa.column("plan"),
        sa.column("settings", sa.JSON),
        sa.column("created_at"),
        sa.column("organization_id"),
    )
    agent_columns = ("license_id", "id", "name", "role", "is_bot", "max_chats_count")
    agents = sa.table(
        "agents", *(sa.column(c) for c in (*agent_columns, "routing_status", "created_at"))
    )
    agent_statuses = sa.table(
        "agent_statuses",
        *(sa.column(c) for c in ("license_id", "agent_id", "status", "updated_at")),
    )
    engine = make_engine(url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007_versions")
        now = time.time()
        organization_id = str(uuid.uuid4())
        conn.execute(
            licenses.insert().values(
                plan="enterprise", settings={}, created_at=now, organization_id=organization_id
            )
        )
        lic = conn.execute(
            sa.select(licenses.c.id).where(licenses.c.organization_id == organization_id)
        ).scalar_one()
        for agent_id, is_bot, chosen, current in (
            ("new-bot", True, "accepting_chats", None),
            ("restarted-bot", True, "accepting_chats", "offline"),
            ("person@x.com", False, "accepting_chats", "offline"),
        ):
            conn.execute(
                agents.insert().values(
                    license_id=lic,
                    id=agent_id,
                    name=agent_id,
                    role="normal",
                    is_bot=is_bot,
                    max_chats_count=6,
                    routing_status=chosen,
                    created_at=now,
                )
            )
            if current is not None:
                conn.execute(
                    agent_statuses.insert().values(
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


def test_0010_routes_bots_by_their_chosen_status(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    _bots_before_0010(url)
    assert _statuses_after_upgrade(url) == {
        "new-bot": "accepting_chats",
        "restarted-bot": "accepting_chats",
        "person@x.com": "offline",  # people get their status when they connect
    }


@pytest.mark.postgres
def test_0010_routes_bots_by_their_chosen_status_on_postgresql(postgres_url: str) -> None:
    _bots_before_0010(postgres_url)
    assert _statuses_after_upgrade(postgres_url)["restarted-bot"] == "accepting_chats"


def _bans_across_0013(url: str) -> list[tuple[str, str | None, float]]:
    """Customers of a database at 0012, one banned (its last visit from 192.0.2.7), one
    whose ban is over and one never banned; the bans record after 0013."""
    import time
    import uuid

    from chatplane.storage.migrate import alembic_config

    # The tables as they were at 0012 (pinned: today's have more columns).
    licenses = sa.table(
        "licenses",
        sa.column("id"),
        sa.column("plan"),
        sa.column("settings", sa.JSON),
        sa.column("created_at"),
        sa.column("organization_id"),
    )
    customers = sa.table(
        "customers",
        *(sa.column(c) for c in ("id", "license_id", "chats_count", "threads_count")),
        *(sa.column(c) for c in ("visits_count", "banned_until", "created_at")),
        sa.column("fields", sa.JSON),
        sa.column("last_visit", sa.JSON),
    )
    engine = make_engine(url)
    cfg = alembic_config()
    now = time.time()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0012_v3x_agent")
        organization_id = str(uuid.uuid4())
        conn.execute(
            licenses.insert().values(
                plan="enterprise", settings={}, created_at=now, organization_id=organization_id
            )
        )
        lic = conn.execute(
            sa.select(licenses.c.id).where(licenses.c.organization_id == organization_id)
        ).scalar_one()
        for customer_id, banned_until, ip in (
            ("banned", now + 3600, "192.0.2.7"),
            ("was-banned", now - 3600, "192.0.2.8"),
            ("never", None, None),
        ):
            conn.execute(
                customers.insert().values(
                    id=customer_id,
                    license_id=lic,
                    chats_count=0,
                    threads_count=0,
                    visits_count=0,
                    banned_until=banned_until,
                    created_at=now,
                    fields={},
                    last_visit={"ip": ip} if ip else None,
                )
            )
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT customer_id, ip, expires_at FROM customer_bans")).all()
    engine.dispose()
    return [(r.customer_id, r.ip, r.expires_at) for r in rows]


def test_0013_records_the_bans_in_force(tmp_path: Path) -> None:
    found = _bans_across_0013(f"sqlite:///{tmp_path / 'm.db'}")
    assert [(c, ip) for c, ip, _ in found] == [("banned", "192.0.2.7")]


@pytest.mark.postgres
def test_0013_records_the_bans_in_force_on_postgresql(postgres_url: str) -> None:
    found = _bans_across_0013(postgres_url)
    assert [(c, ip) for c, ip, _ in found] == [("banned", "192.0.2.7")]
