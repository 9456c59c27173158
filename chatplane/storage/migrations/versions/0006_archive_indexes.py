"""Covering indexes for get_archives.

`threads (license_id, created_at, id, chat_id)` replaces `(license_id, created_at)`: the
archives' count and their newest-first walk read the thread's id and chat from the index
instead of the table row. `thread_agents (license_id, agent_id, thread_id)` replaces
`(license_id, agent_id)`: an agent's threads are read from the index alone.

Revision ID: 0006_archive_indexes
Revises: 0005_webhooks
"""

from __future__ import annotations

from alembic import op

revision = "0006_archive_indexes"
down_revision = "0005_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_threads_license_created_id",
        "threads",
        ["license_id", "created_at", "id", "chat_id"],
        unique=False,
    )
    op.drop_index("ix_threads_license_created", table_name="threads")
    op.create_index(
        "ix_thread_agents_agent_thread",
        "thread_agents",
        ["license_id", "agent_id", "thread_id"],
        unique=False,
    )
    op.drop_index("ix_thread_agents_agent", table_name="thread_agents")


def downgrade() -> None:
    op.create_index("ix_thread_agents_agent", "thread_agents", ["license_id", "agent_id"])
    op.drop_index("ix_thread_agents_agent_thread", table_name="thread_agents")
    op.create_index("ix_threads_license_created", "threads", ["license_id", "created_at"])
    op.drop_index("ix_threads_license_created_id", table_name="threads")
