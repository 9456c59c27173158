"""The v3.6 agent capabilities: thread tags, chat followers, deleted events.

- `threads.tags` (JSON, the tags as shown) and `thread_tags` (one row per tag, for the
  archives' `tags` filter);
- `chats.follower_ids` (JSON): agents following a chat, kept on the chat's row so that the
  chat as loaded for any change names them;
- `events.deleted_at`: a deleted event stays (v3.6 agents see it marked deleted), and the
  full-text index forgets it: on SQLite a trigger takes it out of the FTS5 index, on
  PostgreSQL the GIN index becomes partial (`WHERE deleted_at IS NULL`).

Plain ADD COLUMNs (no SQLite batch mode: it would rebuild tables that others reference).

Revision ID: 0008_tags_follows_deletions
Revises: 0007_versions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008_tags_follows_deletions"
down_revision = "0007_versions"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _empty_list() -> sa.TextClause:
    """A server default of `[]` for existing rows (dropped again on PostgreSQL)."""
    if op.get_bind().dialect.name == "sqlite":
        return sa.text("'[]'")
    return sa.text("'[]'::jsonb")


def upgrade() -> None:
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    op.add_column("threads", sa.Column("tags", JSON, nullable=False, server_default=_empty_list()))
    op.add_column(
        "chats", sa.Column("follower_ids", JSON, nullable=False, server_default=_empty_list())
    )
    if not sqlite:  # SQLite cannot drop a column default; none is used
        op.alter_column("threads", "tags", server_default=None)
        op.alter_column("chats", "follower_ids", server_default=None)
    op.create_table(
        "thread_tags",
        sa.Column("thread_id", sa.String(length=32), nullable=False),
        sa.Column("tag", sa.String(length=255), nullable=False),
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("thread_id", "tag"),
    )
    op.create_index(
        "ix_thread_tags_license_tag",
        "thread_tags",
        ["license_id", "tag", "thread_id"],
        unique=False,
    )
    op.add_column("events", sa.Column("deleted_at", sa.Float(), nullable=True))
    if sqlite:
        # The FTS5 index is external-content: removing a row it does not hold corrupts
        # it, so the delete trigger skips events already taken out when deleted.
        op.execute("DROP TRIGGER IF EXISTS events_fts_ad")
        op.execute(
            "CREATE TRIGGER events_fts_ad AFTER DELETE ON events "
            "WHEN old.text IS NOT NULL AND old.deleted_at IS NULL "
            "BEGIN INSERT INTO events_fts(events_fts, rowid, text) "
            "VALUES ('delete', old.seq, old.text); END"
        )
        op.execute(
            "CREATE TRIGGER events_fts_deleted AFTER UPDATE OF deleted_at ON events "
            "WHEN old.deleted_at IS NULL AND new.deleted_at IS NOT NULL "
            "AND old.text IS NOT NULL "
            "BEGIN INSERT INTO events_fts(events_fts, rowid, text) "
            "VALUES ('delete', old.seq, old.text); END"
        )
    else:
        op.execute("DROP INDEX IF EXISTS ix_events_text_fts")
        op.execute(
            "CREATE INDEX ix_events_text_fts ON events "
            "USING GIN (to_tsvector('simple', coalesce(text, ''))) WHERE deleted_at IS NULL"
        )


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS events_fts_deleted")
        op.execute("DROP TRIGGER IF EXISTS events_fts_ad")
        op.execute(
            "CREATE TRIGGER events_fts_ad AFTER DELETE ON events WHEN old.text IS NOT NULL "
            "BEGIN INSERT INTO events_fts(events_fts, rowid, text) "
            "VALUES ('delete', old.seq, old.text); END"
        )
        # Deleted events' text goes back into the index with the column.
        op.execute(
            "INSERT INTO events_fts(rowid, text) SELECT seq, text FROM events "
            "WHERE deleted_at IS NOT NULL AND text IS NOT NULL"
        )
    else:
        op.execute("DROP INDEX IF EXISTS ix_events_text_fts")
        op.execute(
            "CREATE INDEX ix_events_text_fts ON events "
            "USING GIN (to_tsvector('simple', coalesce(text, '')))"
        )
    op.drop_column("events", "deleted_at")
    op.drop_index("ix_thread_tags_license_tag", table_name="thread_tags")
    op.drop_table("thread_tags")
    op.drop_column("chats", "follower_ids")
    op.drop_column("threads", "tags")
