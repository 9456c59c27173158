"""Routing: agents' current statuses, the queue of unassigned chats, inactivity timers.

Revision ID: 0003_routing
Revises: 0002_visits
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_routing"
down_revision = "0002_visits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_statuses",
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("license_id", "agent_id"),
    )
    op.create_table(
        "routing_queue",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.String(length=32), nullable=False),
        sa.Column("queued_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id"),
    )
    op.create_index(
        "ix_routing_queue_license", "routing_queue", ["license_id", "queued_at"], unique=False
    )
    op.create_table(
        "routing_timers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.String(length=32), nullable=False),
        sa.Column("thread_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("thread_id", "kind", name="uq_routing_timers_thread_kind"),
    )
    op.create_index("ix_routing_timers_due", "routing_timers", ["due_at"], unique=False)


def downgrade() -> None:
    op.drop_table("routing_timers")
    op.drop_table("routing_queue")
    op.drop_table("agent_statuses")
