"""The webhook outbox's ordering index leads with `status`: `(status, ordering_key, seq)`
replaces `(ordering_key, status, seq)`.

A claim looks only at the first pending delivery of each ordering key (one receiver, one
chat), walking the pending part of this index key by key, so a pile of deliveries waiting
behind a receiver that is down is never read row by row (storage/webhooks.py claim_due).
The same index still answers "is an earlier delivery of this key pending?".

Revision ID: 0011_webhook_heads
Revises: 0010_bot_statuses
"""

from __future__ import annotations

from alembic import op

revision = "0011_webhook_heads"
down_revision = "0010_bot_statuses"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_webhook_deliveries_pending_order",
        "webhook_deliveries",
        ["status", "ordering_key", "seq"],
        unique=False,
    )
    op.drop_index("ix_webhook_deliveries_order", table_name="webhook_deliveries")


def downgrade() -> None:
    op.create_index(
        "ix_webhook_deliveries_order",
        "webhook_deliveries",
        ["ordering_key", "status", "seq"],
        unique=False,
    )
    op.drop_index("ix_webhook_deliveries_pending_order", table_name="webhook_deliveries")
