"""Routing state: agents' current statuses, loads, the queue and the timers (SQLAlchemy Core)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chatplane.storage import schema as s

OFFLINE = "offline"


def lock_license(conn: Connection, license_id: int) -> None:
    """Serialise routing decisions of one license.

    On PostgreSQL the license row is locked until the transaction ends, so two units
    of work never compute free slots from the same snapshot. On SQLite the single writer
    already runs units of work one at a time (`FOR UPDATE` is not rendered there).
    """
    conn.execute(
        sa.select(s.licenses.c.id).where(s.licenses.c.id == license_id).with_for_update()
    ).first()


# -- statuses --------------------------------------------------------------------------


def current_status(conn: Connection, license_id: int, agent_id: str) -> str:
    status = conn.execute(
        sa.select(s.agent_statuses.c.status).where(
            s.agent_statuses.c.license_id == license_id, s.agent_statuses.c.agent_id == agent_id
        )
    ).scalar()
    return str(status) if status is not None else OFFLINE


def set_current_status(
    conn: Connection, license_id: int, agent_id: str, status: str, now: float
) -> None:
    updated = conn.execute(
        s.agent_statuses.update()
        .where(s.agent_statuses.c.license_id == license_id, s.agent_statuses.c.agent_id == agent_id)
        .values(status=status, updated_at=now)
    ).rowcount
    if not updated:
        conn.execute(
            s.agent_statuses.insert().values(
                license_id=license_id, agent_id=agent_id, status=status, updated_at=now
            )
        )


def forget_status(conn: Connection, license_id: int, agent_id: str) -> None:
    """An agent removed: its status row goes with it."""
    st = s.agent_statuses
    conn.execute(st.delete().where(st.c.license_id == license_id, st.c.agent_id == agent_id))


def not_offline_agents(conn: Connection) -> list[tuple[int, str]]:
    """People (not bots: they never connect) whose status is not offline."""
    st, a = s.agent_statuses, s.agents
    rows = conn.execute(
        sa.select(st.c.license_id, st.c.agent_id)
        .select_from(
            st.join(a, sa.and_(a.c.license_id == st.c.license_id, a.c.id == st.c.agent_id))
        )
        .where(st.c.status != OFFLINE, a.c.is_bot.is_(False))
    ).all()
    return [(r.license_id, r.agent_id) for r in rows]


# -- candidates ------------------------------------------------------------------------


@dataclass
class Candidate:
    agent_id: str
    name: str
    max_chats: int
    load: int
    # group id -> priority (first | normal | last | supervisor)
    groups: dict[int, str]

    @property
    def free(self) -> int:
        return self.max_chats - self.load


def loads(
    conn: Connection,
    license_id: int,
    agent_ids: list[str] | None = None,
    *,
    with_customers: bool = False,
) -> dict[str, int]:
    """Active chats (with an active thread) each agent is present in (only chats with a
    customer, when `with_customers`)."""
    cu, c = s.chat_users, s.chats
    q = (
        sa.select(cu.c.user_id, sa.func.count().label("n"))
        .select_from(cu.join(c, c.c.id == cu.c.chat_id))
        .where(
            c.c.license_id == license_id,
            c.c.active_thread_id.is_not(None),
            cu.c.present.is_(True),
            cu.c.user_type == "agent",
        )
        .group_by(cu.c.user_id)
    )
    if with_customers:
        q = q.where(c.c.customer_id.is_not(None))
    if agent_ids is not None:
        q = q.where(cu.c.user_id.in_(agent_ids))
    return {r.user_id: int(r.n) for r in conn.execute(q)}


def candidates(
    conn: Connection, license_id: int, status: str = "accepting_chats"
) -> dict[str, Candidate]:
    """Agents whose current status is `status`, with their loads and group priorities.
    Suspended agents and agents awaiting approval are never candidates."""
    a, st = s.agents, s.agent_statuses
    rows = conn.execute(
        sa.select(a.c.id, a.c.name, a.c.max_chats_count, a.c.default_group_priority)
        .select_from(
            a.join(st, sa.and_(st.c.license_id == a.c.license_id, st.c.agent_id == a.c.id))
        )
        .where(
            a.c.license_id == license_id,
            st.c.status == status,
            a.c.suspended.is_(False),
            a.c.awaiting_approval.is_(False),
        )
    ).all()
    if not rows:
        return {}
    ids = [r.id for r in rows]
    load = loads(conn, license_id, ids)
    out = {
        r.id: Candidate(r.id, r.name, int(r.max_chats_count), load.get(r.id, 0), {}) for r in rows
    }
    ga = s.group_agents
    for g in conn.execute(
        sa.select(ga.c.agent_id, ga.c.group_id, ga.c.priority).where(
            ga.c.license_id == license_id, ga.c.agent_id.in_(ids)
        )
    ):
        out[g.agent_id].groups[int(g.group_id)] = g.priority
    defaults = {r.id: r.default_group_priority for r in rows}
    for cand in out.values():
        # Group 0 holds every agent, at normal priority unless set otherwise (a bot's
        # `default_group_priority`, or the agent's own priority in group 0).
        cand.groups.setdefault(0, defaults.get(cand.agent_id) or "normal")
    return out


def group_member_ids(conn: Connection, license_id: int, group_ids: list[int]) -> set[str]:
    if 0 in group_ids:
        rows = conn.execute(sa.select(s.agents.c.id).where(s.agents.c.license_id == license_id))
        return {r.id for r in rows}
    ga = s.group_agents
    rows = conn.execute(
        sa.select(ga.c.agent_id).where(ga.c.license_id == license_id, ga.c.group_id.in_(group_ids))
    )
    return {r.agent_id for r in rows}


def active_chats_of(conn: Connection, license_id: int, agent_id: str) -> list[str]:
    cu, c = s.chat_users, s.chats
    rows = conn.execute(
        sa.select(c.c.id)
        .select_from(cu.join(c, c.c.id == cu.c.chat_id))
        .where(
            c.c.license_id == license_id,
            c.c.active_thread_id.is_not(None),
            cu.c.user_id == agent_id,
            cu.c.user_type == "agent",
            cu.c.present.is_(True),
        )
        .order_by(c.c.created_at)
    )
    return [r.id for r in rows]


def present_chat_ids(conn: Connection, agent_id: str) -> list[str]:
    """Every chat the agent is present in, whether or not it has an active thread."""
    cu = s.chat_users
    rows = conn.execute(
        sa.select(cu.c.chat_id).where(
            cu.c.user_id == agent_id,
            cu.c.user_type == "agent",
            cu.c.present.is_(True),
        )
    )
    return [r.chat_id for r in rows]


# -- chats seen by the router ------------------------------------------------------------
# (chats.py is the natural home for these two; they sit here while it is being reworked.)


def chat_license_id(conn: Connection, chat_id: str) -> int | None:
    """The license a chat belongs to, for units of work that know only the chat (timers)."""
    lic = conn.execute(sa.select(s.chats.c.license_id).where(s.chats.c.id == chat_id)).scalar()
    return int(lic) if lic is not None else None


def lock_chat_properties(conn: Connection, chat_id: str) -> dict[str, Any]:
    """The chat's properties read afresh, its row locked until the transaction ends
    (PostgreSQL; SQLite's single writer needs no lock)."""
    row = conn.execute(
        sa.select(s.chats.c.properties).where(s.chats.c.id == chat_id).with_for_update()
    ).scalar()
    return dict(row or {})


# -- queue -----------------------------------------------------------------------------


def enqueue(conn: Connection, license_id: int, chat_id: str, queued_at: float) -> bool:
    """Put a chat in the queue; False when it was there already."""
    exists = conn.execute(
        sa.select(s.routing_queue.c.id).where(s.routing_queue.c.chat_id == chat_id)
    ).first()
    if exists is not None:
        return False
    conn.execute(
        s.routing_queue.insert().values(license_id=license_id, chat_id=chat_id, queued_at=queued_at)
    )
    return True


def dequeue(conn: Connection, chat_id: str) -> bool:
    return bool(
        conn.execute(s.routing_queue.delete().where(s.routing_queue.c.chat_id == chat_id)).rowcount
    )


def is_queued(conn: Connection, chat_id: str) -> bool:
    row = conn.execute(
        sa.select(s.routing_queue.c.id).where(s.routing_queue.c.chat_id == chat_id)
    ).first()
    return row is not None


def queued_chat_ids(conn: Connection, license_id: int) -> list[str]:
    q = s.routing_queue
    rows = conn.execute(
        sa.select(q.c.chat_id).where(q.c.license_id == license_id).order_by(q.c.queued_at, q.c.id)
    )
    return [r.chat_id for r in rows]


def licenses_with_queue(conn: Connection) -> list[int]:
    rows = conn.execute(sa.select(s.routing_queue.c.license_id).distinct())
    return [int(r.license_id) for r in rows]


# -- timers ----------------------------------------------------------------------------


def set_timer(
    conn: Connection, license_id: int, chat_id: str, thread_id: str, kind: str, due_at: float
) -> None:
    t = s.routing_timers
    updated = conn.execute(
        t.update().where(t.c.thread_id == thread_id, t.c.kind == kind).values(due_at=due_at)
    ).rowcount
    if not updated:
        conn.execute(
            t.insert().values(
                license_id=license_id,
                chat_id=chat_id,
                thread_id=thread_id,
                kind=kind,
                due_at=due_at,
            )
        )


def any_due(conn: Connection, now: float) -> bool:
    t = s.routing_timers
    return conn.execute(sa.select(t.c.id).where(t.c.due_at <= now).limit(1)).first() is not None


def claim_due_timers(conn: Connection, now: float, limit: int) -> list[Any]:
    """Take due timers out of the table; the caller fires them in the same transaction,
    so a timer fires exactly when its claim commits (once). `SKIP LOCKED` lets several
    PostgreSQL processes poll without waiting on each other."""
    t = s.routing_timers
    rows = conn.execute(
        sa.select(t)
        .where(t.c.due_at <= now)
        .order_by(t.c.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if rows:
        conn.execute(t.delete().where(t.c.id.in_([r.id for r in rows])))
    return list(rows)


def last_activity(conn: Connection, thread_id: str) -> float | None:
    """When a user last wrote to a thread (system messages are not activity)."""
    e = s.events
    value = conn.execute(
        sa.select(sa.func.max(e.c.created_at)).where(
            e.c.thread_id == thread_id, e.c.type != "system_message"
        )
    ).scalar()
    return float(value) if value is not None else None


def statuses(
    conn: Connection, license_id: int, group_ids: list[int] | None
) -> list[tuple[str, str]]:
    """(agent id, current routing status) of every agent of the license (of the groups,
    when given), bots included; an agent without a status row is offline."""
    a, st, ga = s.agents, s.agent_statuses, s.group_agents
    q = (
        sa.select(a.c.id, sa.func.coalesce(st.c.status, "offline").label("status"))
        .select_from(
            a.outerjoin(st, sa.and_(st.c.license_id == a.c.license_id, st.c.agent_id == a.c.id))
        )
        .where(a.c.license_id == license_id)
        .order_by(a.c.id)
    )
    if group_ids and 0 not in group_ids:
        q = q.where(
            a.c.id.in_(
                sa.select(ga.c.agent_id).where(
                    ga.c.license_id == license_id, ga.c.group_id.in_(group_ids)
                )
            )
        )
    return [(r.id, r.status) for r in conn.execute(q)]
