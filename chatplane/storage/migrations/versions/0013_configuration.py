"""The Configuration API v3.x: agents' suspension, approval and profiles, bot secrets and
templates, group languages, tags, auto access rules, license and group property values,
property publication, webhook types and per-application license webhook switches, and the
record of customer bans.

Revision ID: 0013_configuration
Revises: 0012_v3x_agent
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013_configuration"
down_revision = "0012_v3x_agent"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # Plain ADD COLUMNs: SQLite's batch mode would rebuild tables others point at.
    for column in (
        sa.Column("suspended", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("awaiting_approval", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("login_status", sa.String(length=32), nullable=True),
        sa.Column("last_logout_at", sa.Float(), nullable=True),
        sa.Column("default_group_priority", sa.String(length=16), nullable=True),
        sa.Column("secret_hash", sa.String(length=64), nullable=True),
        sa.Column("template_id", sa.String(length=64), nullable=True),
        sa.Column("profile", JSON, nullable=True),
    ):
        op.add_column("agents", column)
    op.add_column("groups", sa.Column("language_code", sa.String(length=16), nullable=True))
    op.add_column(
        "webhooks",
        sa.Column("type", sa.String(length=16), nullable=False, server_default="license"),
    )
    op.add_column("property_configs", sa.Column("default_value", JSON, nullable=True))
    op.add_column("property_configs", sa.Column("public_access", JSON, nullable=True))
    op.create_table(
        "webhook_disabled_clients",
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("disabled_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("license_id", "client_id"),
    )
    op.create_table(
        "bot_templates",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("avatar", sa.String(length=1024), nullable=True),
        sa.Column("max_chats_count", sa.Integer(), nullable=False),
        sa.Column("default_group_priority", sa.String(length=16), nullable=True),
        sa.Column("job_title", sa.String(length=255), nullable=True),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_bot_templates_client", "bot_templates", ["license_id", "client_id"])
    op.create_table(
        "tags",
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("name_key", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("group_ids", JSON, nullable=False),
        sa.Column("author_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("license_id", "name_key"),
    )
    op.create_table(
        "auto_access_rules",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=1024), nullable=True),
        sa.Column("access", JSON, nullable=False),
        sa.Column("conditions", JSON, nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_auto_access_rules_license", "auto_access_rules", ["license_id", "position"])
    op.create_table(
        "configured_property_values",
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("namespace", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", JSON, nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("license_id", "group_id", "namespace", "name"),
    )
    op.create_table(
        "customer_bans",
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("agent_id", sa.String(length=255), nullable=True),
        sa.Column("thread_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("license_id", "customer_id"),
    )
    op.create_index("ix_customer_bans_ip", "customer_bans", ["license_id", "ip"])
    # Bans in force before this revision were recorded only as `banned_until`: list them
    # with what is known (no banning agent, no thread; the address of the last visit).
    customers = sa.table(
        "customers",
        sa.column("id", sa.String),
        sa.column("license_id", sa.Integer),
        sa.column("banned_until", sa.Float),
        sa.column("last_visit", JSON),
    )
    bans = sa.table(
        "customer_bans",
        sa.column("license_id", sa.Integer),
        sa.column("customer_id", sa.String),
        sa.column("ip", sa.String),
        sa.column("created_at", sa.Float),
        sa.column("expires_at", sa.Float),
    )
    now = time.time()
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(
            customers.c.id, customers.c.license_id, customers.c.banned_until, customers.c.last_visit
        ).where(customers.c.banned_until > now)
    ).all()
    for r in rows:
        ip = (r.last_visit or {}).get("ip") if isinstance(r.last_visit, dict) else None
        conn.execute(
            bans.insert().values(
                license_id=r.license_id,
                customer_id=r.id,
                ip=ip,
                created_at=now,
                expires_at=r.banned_until,
            )
        )


def downgrade() -> None:
    op.drop_index("ix_customer_bans_ip", table_name="customer_bans")
    op.drop_table("customer_bans")
    op.drop_table("configured_property_values")
    op.drop_index("ix_auto_access_rules_license", table_name="auto_access_rules")
    op.drop_table("auto_access_rules")
    op.drop_table("tags")
    op.drop_index("ix_bot_templates_client", table_name="bot_templates")
    op.drop_table("bot_templates")
    op.drop_table("webhook_disabled_clients")
    op.drop_column("property_configs", "public_access")
    op.drop_column("property_configs", "default_value")
    op.drop_column("webhooks", "type")
    op.drop_column("groups", "language_code")
    for name in (
        "profile",
        "template_id",
        "secret_hash",
        "default_group_priority",
        "last_logout_at",
        "login_status",
        "awaiting_approval",
        "suspended",
    ):
        op.drop_column("agents", name)
