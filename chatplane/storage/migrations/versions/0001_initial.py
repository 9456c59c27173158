"""The initial schema (frozen: later changes go in new revisions).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "chat_access",
        sa.Column("chat_id", sa.String(length=32), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "group_id"),
    )
    op.create_index("ix_chat_access_group", "chat_access", ["license_id", "group_id"], unique=False)
    op.create_table(
        "chat_users",
        sa.Column("chat_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("user_type", sa.String(length=16), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("last_seen_timestamp", sa.Integer(), nullable=True),
        sa.Column("joined_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "user_id"),
    )
    op.create_index("ix_chat_users_user", "chat_users", ["user_id", "present"], unique=False)
    op.create_table(
        "customer_cookies",
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("secret_hash"),
    )
    op.create_table(
        "events",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("chat_id", sa.String(length=32), nullable=False),
        sa.Column("thread_id", sa.String(length=32), nullable=False),
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("order", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.String(length=255), nullable=True),
        sa.Column("recipients", sa.String(length=16), nullable=False),
        sa.Column("custom_id", sa.String(length=255), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column(
            "body",
            JSON,
            nullable=False,
        ),
        sa.Column(
            "properties",
            JSON,
            nullable=False,
        ),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
    )
    op.create_index("ix_events_chat_order", "events", ["chat_id", "order"], unique=False)
    op.create_index("ix_events_thread_order", "events", ["thread_id", "order"], unique=False)
    op.create_table(
        "group_agents",
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=255), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("license_id", "group_id", "agent_id"),
    )
    op.create_table(
        "licenses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan", sa.String(length=32), nullable=False),
        sa.Column(
            "settings",
            JSON,
            nullable=False,
        ),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "thread_agents",
        sa.Column("thread_id", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.String(length=255), nullable=False),
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("thread_id", "agent_id"),
    )
    op.create_index(
        "ix_thread_agents_agent", "thread_agents", ["license_id", "agent_id"], unique=False
    )
    op.create_table(
        "threads",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.String(length=32), nullable=False),
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("order", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "user_ids",
            JSON,
            nullable=False,
        ),
        sa.Column(
            "properties",
            JSON,
            nullable=False,
        ),
        sa.Column(
            "access",
            JSON,
            nullable=False,
        ),
        sa.Column("total_events", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("closed_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_threads_chat_order", "threads", ["chat_id", "order"], unique=False)
    op.create_index(
        "ix_threads_license_created", "threads", ["license_id", "created_at"], unique=False
    )
    op.create_table(
        "tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.String(length=255), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("refresh_hash", sa.String(length=64), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_tokens_entity", "tokens", ["license_id", "entity_id"], unique=False)
    op.create_table(
        "agents",
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("is_bot", sa.Boolean(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("avatar", sa.String(length=1024), nullable=True),
        sa.Column("job_title", sa.String(length=255), nullable=True),
        sa.Column("max_chats_count", sa.Integer(), nullable=False),
        sa.Column("routing_status", sa.String(length=32), nullable=False),
        sa.Column(
            "webhooks",
            JSON,
            nullable=True,
        ),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["license_id"],
            ["licenses.id"],
        ),
        sa.PrimaryKeyConstraint("license_id", "id"),
    )
    op.create_table(
        "applications",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["license_id"],
            ["licenses.id"],
        ),
        sa.PrimaryKeyConstraint("client_id"),
    )
    op.create_index(
        op.f("ix_applications_license_id"), "applications", ["license_id"], unique=False
    )
    op.create_table(
        "chats",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column(
            "access",
            JSON,
            nullable=False,
        ),
        sa.Column(
            "properties",
            JSON,
            nullable=False,
        ),
        sa.Column("last_order", sa.BigInteger(), nullable=False),
        sa.Column("last_thread_id", sa.String(length=32), nullable=True),
        sa.Column("active_thread_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["license_id"],
            ["licenses.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_chats_customer", "chats", ["customer_id", "updated_at"], unique=False)
    op.create_index("ix_chats_license_updated", "chats", ["license_id", "updated_at"], unique=False)
    op.create_table(
        "customers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("avatar", sa.String(length=1024), nullable=True),
        sa.Column(
            "fields",
            JSON,
            nullable=False,
        ),
        sa.Column(
            "last_visit",
            JSON,
            nullable=True,
        ),
        sa.Column("chats_count", sa.Integer(), nullable=False),
        sa.Column("threads_count", sa.Integer(), nullable=False),
        sa.Column("visits_count", sa.Integer(), nullable=False),
        sa.Column("agent_last_event_created_at", sa.Float(), nullable=True),
        sa.Column("customer_last_event_created_at", sa.Float(), nullable=True),
        sa.Column("banned_until", sa.Float(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["license_id"],
            ["licenses.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_customers_license_created", "customers", ["license_id", "created_at"], unique=False
    )
    op.create_table(
        "groups",
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["license_id"],
            ["licenses.id"],
        ),
        sa.PrimaryKeyConstraint("license_id", "id"),
    )

    bind = op.get_bind()
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
    raise NotImplementedError("the initial schema is not downgraded")
