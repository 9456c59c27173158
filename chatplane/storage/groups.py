"""Groups of agents and their priorities in them (SQLAlchemy Core)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chatplane.storage import schema as s


def get_group(conn: Connection, license_id: int, group_id: int) -> Any | None:
    return conn.execute(
        sa.select(s.groups).where(s.groups.c.license_id == license_id, s.groups.c.id == group_id)
    ).first()


def existing_ids(conn: Connection, license_id: int, group_ids: list[int]) -> set[int]:
    rows = conn.execute(
        sa.select(s.groups.c.id).where(
            s.groups.c.license_id == license_id, s.groups.c.id.in_(group_ids)
        )
    )
    return {int(r.id) for r in rows}


def list_groups(conn: Connection, license_id: int) -> list[Any]:
    return list(
        conn.execute(
            sa.select(s.groups).where(s.groups.c.license_id == license_id).order_by(s.groups.c.id)
        )
    )


def next_id(conn: Connection, license_id: int) -> int:
    top = conn.execute(
        sa.select(sa.func.max(s.groups.c.id)).where(s.groups.c.license_id == license_id)
    ).scalar()
    return int(top or 0) + 1


def insert_group(conn: Connection, license_id: int, group_id: int, name: str, now: float) -> None:
    conn.execute(
        s.groups.insert().values(license_id=license_id, id=group_id, name=name, created_at=now)
    )


def rename_group(conn: Connection, license_id: int, group_id: int, name: str) -> None:
    update_group(conn, license_id, group_id, name=name)


def update_group(conn: Connection, license_id: int, group_id: int, **values: Any) -> None:
    conn.execute(
        s.groups.update()
        .where(s.groups.c.license_id == license_id, s.groups.c.id == group_id)
        .values(**values)
    )


def delete_group(conn: Connection, license_id: int, group_id: int) -> None:
    ga = s.group_agents
    conn.execute(ga.delete().where(ga.c.license_id == license_id, ga.c.group_id == group_id))
    conn.execute(
        s.groups.delete().where(s.groups.c.license_id == license_id, s.groups.c.id == group_id)
    )


def priorities(conn: Connection, license_id: int) -> dict[int, dict[str, str]]:
    """group id -> {agent id: priority}."""
    ga = s.group_agents
    out: dict[int, dict[str, str]] = {}
    for r in conn.execute(
        sa.select(ga.c.group_id, ga.c.agent_id, ga.c.priority)
        .where(ga.c.license_id == license_id)
        .order_by(ga.c.agent_id)
    ):
        out.setdefault(int(r.group_id), {})[r.agent_id] = r.priority
    return out


def remove_members(conn: Connection, license_id: int, group_id: int, keep: list[str]) -> None:
    ga = s.group_agents
    conn.execute(
        ga.delete().where(
            ga.c.license_id == license_id, ga.c.group_id == group_id, ga.c.agent_id.not_in(keep)
        )
    )


def existing_agent_ids(conn: Connection, license_id: int, agent_ids: list[str]) -> set[str]:
    rows = conn.execute(
        sa.select(s.agents.c.id).where(
            s.agents.c.license_id == license_id, s.agents.c.id.in_(agent_ids)
        )
    )
    return {r.id for r in rows}


def memberships(conn: Connection, license_id: int, agent_id: str) -> list[tuple[int, str]]:
    """(group id, priority) of each group the agent was put in, by group id."""
    ga = s.group_agents
    rows = conn.execute(
        sa.select(ga.c.group_id, ga.c.priority)
        .where(ga.c.license_id == license_id, ga.c.agent_id == agent_id)
        .order_by(ga.c.group_id)
    ).all()
    return [(r.group_id, r.priority) for r in rows]


def remove_agent_from_groups(conn: Connection, license_id: int, agent_id: str) -> None:
    ga = s.group_agents
    conn.execute(ga.delete().where(ga.c.license_id == license_id, ga.c.agent_id == agent_id))
