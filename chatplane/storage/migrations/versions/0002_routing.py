"""Routing: agents' current statuses, the queue of unassigned chats, inactivity timers.

Revision ID: 0002_routing
Revises: 0001
"""

from __future__ import annotations

from alembic import op

from chatplane.storage import schema

revision = "0002_routing"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = [schema.agent_statuses, schema.routing_queue, schema.routing_timers]


def upgrade() -> None:
    schema.metadata.create_all(bind=op.get_bind(), tables=TABLES)


def downgrade() -> None:
    schema.metadata.drop_all(bind=op.get_bind(), tables=list(reversed(TABLES)))
