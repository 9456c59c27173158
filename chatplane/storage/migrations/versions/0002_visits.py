"""Customers' visits, goal hits, agents' push notification devices.

Revision ID: 0002_visits
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_visits"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "visits",
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("visit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(1024), nullable=True),
        sa.Column("referrer", sa.String(2048), nullable=True),
        sa.Column("pages", JSON, nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "visit_id"),
    )
    op.create_table(
        "goal_hits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("page_url", sa.String(2048), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_goal_hits_goal", "goal_hits", ["license_id", "goal_id"])
    op.create_table(
        "push_devices",
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(255), nullable=False),
        sa.Column("firebase_token", sa.String(512), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("license_id", "agent_id", "firebase_token"),
    )


def downgrade() -> None:
    op.drop_table("push_devices")
    op.drop_index("ix_goal_hits_goal", table_name="goal_hits")
    op.drop_table("goal_hits")
    op.drop_table("visits")
