"""Webhooks: registered webhooks, the delivery outbox and its attempts.

Revision ID: 0005_webhooks
Revises: 0004_properties
"""

from __future__ import annotations

from alembic import op

from chatplane.storage import schema

revision = "0005_webhooks"
down_revision = "0004_properties"
branch_labels = None
depends_on = None

TABLES = [schema.webhooks, schema.webhook_deliveries, schema.webhook_attempts]


def upgrade() -> None:
    schema.metadata.create_all(bind=op.get_bind(), tables=TABLES)


def downgrade() -> None:
    schema.metadata.drop_all(bind=op.get_bind(), tables=list(reversed(TABLES)))
