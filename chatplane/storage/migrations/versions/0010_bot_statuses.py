"""Bots' current statuses.

A bot never connects, so the status chosen for it is the one routing obeys. Bots created
before this revision had no `agent_statuses` row (routing never offered them a chat), and
a restart could have set a bot's row `offline` (presence recovery took every agent that
did not reconnect offline). Each bot's row is set to its chosen status.

Revision ID: 0010_bot_statuses
Revises: 0009_idempotency
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0010_bot_statuses"
down_revision = "0009_idempotency"
branch_labels = None
depends_on = None

agents = sa.table(
    "agents",
    sa.column("license_id", sa.Integer),
    sa.column("id", sa.String),
    sa.column("is_bot", sa.Boolean),
    sa.column("routing_status", sa.String),
)
agent_statuses = sa.table(
    "agent_statuses",
    sa.column("license_id", sa.Integer),
    sa.column("agent_id", sa.String),
    sa.column("status", sa.String),
    sa.column("updated_at", sa.Float),
)


def upgrade() -> None:
    conn = op.get_bind()
    bots = conn.execute(
        sa.select(agents.c.license_id, agents.c.id, agents.c.routing_status).where(
            agents.c.is_bot.is_(True)
        )
    ).all()
    now = time.time()
    for bot in bots:
        mine = sa.and_(
            agent_statuses.c.license_id == bot.license_id, agent_statuses.c.agent_id == bot.id
        )
        conn.execute(agent_statuses.delete().where(mine))
        conn.execute(
            agent_statuses.insert().values(
                license_id=bot.license_id,
                agent_id=bot.id,
                status=bot.routing_status,
                updated_at=now,
            )
        )


def downgrade() -> None:
    return None  # the rows are right for the older code too
