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

from chatplane.storage import properties as index
from chatplane.storage import schema

revision = "0004_properties"
down_revision = "0003_routing"
branch_labels = None
depends_on = None

TABLES = [schema.property_configs, schema.property_values, schema.property_tokens]
BUILTIN_TOKENIZED = [("test", "tokenized_string_property")]


def upgrade() -> None:
    bind = op.get_bind()
    schema.metadata.create_all(bind=bind, tables=TABLES)
    _index_existing(bind)


def downgrade() -> None:
    schema.metadata.drop_all(bind=op.get_bind(), tables=list(reversed(TABLES)))


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
