"""The v3.x Agent Chat API: `events_seen_up_to` to the microsecond, and the server's own
keys (the key that signs page ids).

Revision ID: 0012_v3x_agent
Revises: 0011_webhook_heads
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_v3x_agent"
down_revision = "0011_webhook_heads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch rebuild); existing rows read their whole-second mark.
    op.add_column("chat_users", sa.Column("events_seen_up_to", sa.Float(), nullable=True))
    chat_users = sa.table(
        "chat_users",
        sa.column("last_seen_timestamp", sa.Integer),
        sa.column("events_seen_up_to", sa.Float),
    )
    op.get_bind().execute(
        chat_users.update()
        .where(chat_users.c.last_seen_timestamp.is_not(None))
        .values(events_seen_up_to=chat_users.c.last_seen_timestamp)
    )
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("server_secrets")
    op.drop_column("chat_users", "events_seen_up_to")
