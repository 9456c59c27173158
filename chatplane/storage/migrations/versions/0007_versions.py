"""API versions: each license's organization id, each webhook's API version, and
personal access tokens.

Revision ID: 0007_versions
Revises: 0006_archive_indexes
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0007_versions"
down_revision = "0006_archive_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The v3.x APIs name a license by its organization id (a UUID); existing licenses get
    # one. Plain ADD COLUMNs: SQLite's batch mode would rebuild `licenses`, which other
    # tables' foreign keys point at.
    op.add_column(
        "licenses",
        sa.Column("organization_id", sa.String(length=36), nullable=False, server_default=""),
    )
    conn = op.get_bind()
    licenses = sa.table("licenses", sa.column("id", sa.Integer), sa.column("organization_id"))
    for (license_id,) in conn.execute(sa.select(licenses.c.id)).all():
        conn.execute(
            licenses.update()
            .where(licenses.c.id == license_id)
            .values(organization_id=str(uuid.uuid4()))
        )
    if conn.dialect.name != "sqlite":  # SQLite cannot drop a column default; none is used
        op.alter_column("licenses", "organization_id", server_default=None)
    op.create_index("uq_licenses_organization_id", "licenses", ["organization_id"], unique=True)
    # A webhook is delivered in the shape of the API version it was registered through.
    op.add_column(
        "webhooks",
        sa.Column("version", sa.String(length=8), nullable=False, server_default="3.0"),
    )
    op.create_table(
        "personal_access_tokens",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("last_used_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash", name="uq_personal_access_tokens_hash"),
    )
    op.create_index(
        "ix_personal_access_tokens_agent",
        "personal_access_tokens",
        ["license_id", "agent_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_personal_access_tokens_agent", table_name="personal_access_tokens")
    op.drop_table("personal_access_tokens")
    op.drop_column("webhooks", "version")
    op.drop_index("uq_licenses_organization_id", table_name="licenses")
    op.drop_column("licenses", "organization_id")
