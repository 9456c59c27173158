"""A covering index for the archives' filters on a thread's chat.

`threads (chat_id, order, license_id, created_at, id)` replaces `(chat_id, order)`: a
chat property filter (and `chat_ids`, customers) finds the threads of thousands of chats,
each of which was a table row read for its license and start time, then sorted; now
the index holds them. Same name, same leading columns: a chat's threads in order still
come from it.

Revision ID: 0014_thread_chat_covering
Revises: 0013_configuration
"""

from __future__ import annotations

from alembic import op

revision = "0014_thread_chat_covering"
down_revision = "0013_configuration"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_threads_chat_order", table_name="threads")
    op.create_index(
        "ix_threads_chat_order",
        "threads",
        ["chat_id", "order", "license_id", "created_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_threads_chat_order", table_name="threads")
    op.create_index("ix_threads_chat_order", "threads", ["chat_id", "order"], unique=False)
