"""Customers' visits and the pages opened in them (SQLAlchemy Core)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chatplane.storage import schema as s


def insert_visit(
    conn: Connection,
    license_id: int,
    customer_id: str,
    visit_id: int,
    started_at: float,
    *,
    ip: str | None,
    user_agent: str | None,
    referrer: str | None,
    pages: list[dict[str, Any]],
) -> None:
    conn.execute(
        s.visits.insert().values(
            customer_id=customer_id,
            visit_id=visit_id,
            license_id=license_id,
            started_at=started_at,
            ended_at=None,
            ip=ip,
            user_agent=user_agent,
            referrer=referrer,
            pages=pages,
        )
    )


def last_visit(conn: Connection, customer_id: str) -> Any | None:
    """The customer's newest visit row (ended or not), or None."""
    return conn.execute(
        sa.select(s.visits)
        .where(s.visits.c.customer_id == customer_id)
        .order_by(s.visits.c.visit_id.desc())
        .limit(1)
    ).first()


def set_pages(conn: Connection, customer_id: str, visit_id: int, pages: list[Any]) -> None:
    _update(conn, customer_id, visit_id, pages=pages)


def end_visit(conn: Connection, customer_id: str, visit_id: int, ended_at: float) -> None:
    _update(conn, customer_id, visit_id, ended_at=ended_at)


def _update(conn: Connection, customer_id: str, visit_id: int, **values: Any) -> None:
    conn.execute(
        s.visits.update()
        .where(s.visits.c.customer_id == customer_id, s.visits.c.visit_id == visit_id)
        .values(**values)
    )
