"""Property configurations and the index of property values.

Revision ID: 0004_properties
Revises: 0003_routing

Creates `property_configs`, `property_values` and `property_tokens`, then indexes the
properties already stored on chats and threads (before this revision only the built-in
namespaces existed, so `test.tokenized_string_property` is the one tokenized property).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from chatplane.storage import properties as index

# Only for copying rows that exist at this revision (chats, threads) into the new tables.
from chatplane.storage import schema

revision = "0004_properties"
down_revision = "0003_routing"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

BUILTIN_TOKENIZED = [("test", "tokenized_string_property")]


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "property_configs",
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("namespace", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("locations", JSON, nullable=False),
        sa.Column("domain", JSON, nullable=True),
        sa.Column("range", JSON, nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("license_id", "namespace", "name"),
    )
    op.create_table(
        "property_tokens",
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("namespace", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("location", sa.String(length=8), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("chat_id", sa.String(length=32), nullable=False),
        sa.Column("thread_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint(
            "license_id", "namespace", "name", "location", "token", "chat_id", "thread_id"
        ),
    )
    op.create_index(
        "ix_property_tokens_object",
        "property_tokens",
        ["chat_id", "thread_id", "namespace", "name"],
        unique=False,
    )
    op.create_table(
        "property_values",
        sa.Column("chat_id", sa.String(length=32), nullable=False),
        sa.Column("thread_id", sa.String(length=32), nullable=False),
        sa.Column("namespace", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=8), nullable=False),
        sa.Column("value_key", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "thread_id", "namespace", "name"),
    )
    op.create_index(
        "ix_property_values_lookup",
        "property_values",
        ["license_id", "namespace", "name", "location", "value_key", "chat_id", "thread_id"],
        unique=False,
    )
    _index_existing(bind)


def downgrade() -> None:
    op.drop_table("property_tokens")
    op.drop_table("property_values")
    op.drop_table("property_configs")


def _flat(props: Any) -> dict[tuple[str, str], Any]:
    if not isinstance(props, dict):
        return {}
    return {
        (ns, name): value
        for ns, names in props.items()
        if isinstance(names, dict)
        for name, value in names.items()
    }


def _index_existing(bind: sa.engine.Connection) -> None:
    c, t = schema.chats, schema.threads
    for row in bind.execute(sa.select(c.c.id, c.c.license_id, c.c.properties)).all():
        values = _flat(row.properties)
        if values:
            index.set_values(bind, row.license_id, row.id, "", values, BUILTIN_TOKENIZED)
    for trow in bind.execute(sa.select(t.c.id, t.c.chat_id, t.c.license_id, t.c.properties)).all():
        values = _flat(trow.properties)
        if values:
            index.set_values(
                bind, trow.license_id, trow.chat_id, trow.id, values, BUILTIN_TOKENIZED
            )
