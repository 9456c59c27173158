"""Routing: agents' current statuses, the queue of unassigned chats, inactivity timers.

Revision ID: 0003_routing
Revises: 0002_visits
"""

from __future__ import annotations

from alembic import op

from chatplane.storage import schema

revision = "0003_routing"
down_revision = "0002_visits"
branch_labels = None
depends_on = None

TABLES = [schema.agent_statuses, schema.routing_queue, schema.routing_timers]


def upgrade() -> None:
    schema.metadata.create_all(bind=op.get_bind(), tables=TABLES)


def downgrade() -> None:
    schema.metadata.drop_all(bind=op.get_bind(), tables=list(reversed(TABLES)))
