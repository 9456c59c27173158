"""Schema migrations (Alembic), applied by `chatplane migrate` and at start-up."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


# Any number; processes of one installation agree on it.
_MIGRATION_LOCK = 7_300_003


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision. Processes starting together on PostgreSQL
    take an advisory lock, so exactly one of them migrates and the others wait."""
    cfg = alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
