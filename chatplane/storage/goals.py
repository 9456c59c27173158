"""Goal hits: a customer opened a page whose URL a license's goal matches (SQLAlchemy Core).

The goals themselves live in the license's settings (`accounts.set_license_settings`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chatplane.storage import schema as s


def insert_goal_hit(
    conn: Connection,
    license_id: int,
    goal_id: str,
    customer_id: str,
    group_id: int,
    page_url: str,
    created_at: float,
) -> None:
    conn.execute(
        s.goal_hits.insert().values(
            license_id=license_id,
            goal_id=goal_id,
            customer_id=customer_id,
            group_id=group_id,
            page_url=page_url,
            created_at=created_at,
        )
    )


def count_goal_hits(conn: Connection, license_id: int, goal_id: str) -> int:
    return int(
        conn.execute(
            sa.select(sa.func.count())
            .select_from(s.goal_hits)
            .where(s.goal_hits.c.license_id == license_id, s.goal_hits.c.goal_id == goal_id)
        ).scalar_one()
    )
