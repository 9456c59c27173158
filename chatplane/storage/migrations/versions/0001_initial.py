"""The initial schema.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

from chatplane.storage import schema

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = [
    schema.licenses,
    schema.applications,
    schema.agents,
    schema.groups,
    schema.group_agents,
    schema.customers,
    schema.customer_cookies,
    schema.tokens,
    schema.chats,
    schema.chat_access,
    schema.chat_users,
    schema.threads,
    schema.thread_agents,
    schema.events,
]


def upgrade() -> None:
    bind = op.get_bind()
    schema.metadata.create_all(bind=bind, tables=TABLES)
    if bind.dialect.name == "sqlite":
        # Full-text search over event text (get_archives `query`): an external-content
        # FTS5 index kept in step by triggers.
        op.execute(
            "CREATE VIRTUAL TABLE events_fts USING fts5("
            "text, content='events', content_rowid='seq', tokenize='unicode61')"
        )
        op.execute(
            "CREATE TRIGGER events_fts_ai AFTER INSERT ON events WHEN new.text IS NOT NULL "
            "BEGIN INSERT INTO events_fts(rowid, text) VALUES (new.seq, new.text); END"
        )
        op.execute(
            "CREATE TRIGGER events_fts_ad AFTER DELETE ON events WHEN old.text IS NOT NULL "
            "BEGIN INSERT INTO events_fts(events_fts, rowid, text) "
            "VALUES ('delete', old.seq, old.text); END"
        )
    else:
        op.execute(
            "CREATE INDEX ix_events_text_fts ON events "
            "USING GIN (to_tsvector('simple', coalesce(text, '')))"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS events_fts")
    schema.metadata.drop_all(bind=bind, tables=list(reversed(TABLES)))
