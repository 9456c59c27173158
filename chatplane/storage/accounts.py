"""Licenses, applications, agents, groups, customers and tokens."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chatplane.domain.models import Agent, Customer
from chatplane.storage import chat_cache
from chatplane.storage import schema as s
from chatplane.storage.compiled import Compiled
from chatplane.storage.rows import to_agent, to_customer, values_of

# -- licenses and applications ---------------------------------------------------------


def create_license(conn: Connection, now: float) -> int:
    result = conn.execute(
        s.licenses.insert().values(plan="enterprise", settings={}, created_at=now)
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def license_of_organization(conn: Connection, organization_id: str) -> int | None:
    """The license an organization id (v3.x) names, or None."""
    return conn.execute(
        sa.select(s.licenses.c.id).where(s.licenses.c.organization_id == organization_id)
    ).scalar()


def first_license_id(conn: Connection) -> int | None:
    return conn.execute(sa.select(sa.func.min(s.licenses.c.id))).scalar()


def get_license(conn: Connection, license_id: int, *, for_update: bool = False) -> Any | None:
    """The license row; `for_update` locks it (PostgreSQL) for a read-modify-write of its
    settings, so that two changes at once (a form and a goal) do not lose one."""
    q = sa.select(s.licenses).where(s.licenses.c.id == license_id)
    if for_update:
        q = q.with_for_update()
    return conn.execute(q).first()


def set_license_settings(conn: Connection, license_id: int, settings: dict[str, Any]) -> None:
    """Replace the license's settings (forms, goals, routing mode) with `settings`."""
    conn.execute(s.licenses.update().where(s.licenses.c.id == license_id).values(settings=settings))


def create_application(
    conn: Connection, license_id: int, client_id: str, name: str, is_default: bool, now: float
) -> None:
    conn.execute(
        s.applications.insert().values(
            client_id=client_id,
            license_id=license_id,
            name=name,
            is_default=is_default,
            created_at=now,
        )
    )


def default_client_id(conn: Connection, license_id: int) -> str | None:
    return conn.execute(
        sa.select(s.applications.c.client_id).where(
            s.applications.c.license_id == license_id, s.applications.c.is_default.is_(True)
        )
    ).scalar()


def get_application(conn: Connection, client_id: str) -> Any | None:
    return conn.execute(
        sa.select(s.applications).where(s.applications.c.client_id == client_id)
    ).first()


# -- agents and groups -----------------------------------------------------------------


def insert_agent(conn: Connection, agent: Agent, password_hash: str | None) -> None:
    conn.execute(s.agents.insert().values(values_of(s.agents, agent, password_hash=password_hash)))


def get_agent(conn: Connection, license_id: int, agent_id: str) -> Agent | None:
    row = conn.execute(
        sa.select(s.agents).where(s.agents.c.license_id == license_id, s.agents.c.id == agent_id)
    ).first()
    return to_agent(row) if row is not None else None


def license_owner(conn: Connection, license_id: int) -> Agent | None:
    """The license's first owner agent."""
    row = conn.execute(
        sa.select(s.agents)
        .where(s.agents.c.license_id == license_id, s.agents.c.role == "owner")
        .order_by(s.agents.c.created_at)
        .limit(1)
    ).first()
    return to_agent(row) if row is not None else None


def bots(conn: Connection, license_id: int, client_id: str | None) -> list[Agent]:
    """The license's bot agents, oldest first; only `client_id`'s unless it is None."""
    q = sa.select(s.agents).where(s.agents.c.license_id == license_id, s.agents.c.is_bot.is_(True))
    if client_id is not None:
        q = q.where(s.agents.c.client_id == client_id)
    rows = conn.execute(q.order_by(s.agents.c.created_at, s.agents.c.id)).all()
    return [to_agent(r) for r in rows]


def agents(
    conn: Connection,
    license_id: int,
    *,
    group_ids: list[int] | None = None,
    suspended: bool | None = None,
) -> list[Agent]:
    """The license's agents (no bots), oldest first; only members of `group_ids` (group 0
    holds every agent) and only those whose `suspended` is the one given, when given."""
    a = s.agents
    q = sa.select(a).where(a.c.license_id == license_id, a.c.is_bot.is_(False))
    if suspended is not None:
        q = q.where(a.c.suspended.is_(suspended))
    if group_ids is not None and 0 not in group_ids:
        ga = s.group_agents
        q = q.where(
            a.c.id.in_(
                sa.select(ga.c.agent_id).where(
                    ga.c.license_id == license_id, ga.c.group_id.in_(group_ids)
                )
            )
        )
    rows = conn.execute(q.order_by(a.c.created_at, a.c.id)).all()
    return [to_agent(r) for r in rows]


def applications(conn: Connection, license_id: int) -> list[Any]:
    return list(
        conn.execute(
            sa.select(s.applications)
            .where(s.applications.c.license_id == license_id)
            .order_by(s.applications.c.created_at)
        )
    )


def revoke_agent_tokens(conn: Connection, license_id: int, agent_id: str) -> int:
    """Revoke every access and refresh token of an agent (a deleted agent's tokens must not
    come back to life if an agent of that id is created again)."""
    t = s.tokens
    return conn.execute(
        t.update()
        .where(t.c.license_id == license_id, t.c.entity_id == agent_id, t.c.entity_type == "agent")
        .values(revoked=True)
    ).rowcount


def delete_agent(conn: Connection, license_id: int, agent_id: str) -> None:
    conn.execute(
        s.agents.delete().where(s.agents.c.license_id == license_id, s.agents.c.id == agent_id)
    )
    # An agent made again with the same e-mail must not inherit the old one's tokens.
    pat = s.personal_access_tokens
    conn.execute(pat.delete().where(pat.c.license_id == license_id, pat.c.agent_id == agent_id))


def agents_by_email(conn: Connection, email: str) -> list[tuple[Agent, str | None]]:
    rows = conn.execute(
        sa.select(s.agents).where(s.agents.c.email == email, s.agents.c.is_bot.is_(False))
    ).all()
    return [(to_agent(r), r.password_hash) for r in rows]


def update_agent(conn: Connection, license_id: int, agent_id: str, **values: Any) -> None:
    conn.execute(
        s.agents.update()
        .where(s.agents.c.license_id == license_id, s.agents.c.id == agent_id)
        .values(**values)
    )


def ensure_group(conn: Connection, license_id: int, group_id: int, name: str, now: float) -> None:
    exists = conn.execute(
        sa.select(s.groups.c.id).where(
            s.groups.c.license_id == license_id, s.groups.c.id == group_id
        )
    ).first()
    if exists is None:
        conn.execute(
            s.groups.insert().values(license_id=license_id, id=group_id, name=name, created_at=now)
        )


def add_agent_to_group(
    conn: Connection, license_id: int, group_id: int, agent_id: str, priority: str = "normal"
) -> None:
    updated = conn.execute(
        s.group_agents.update()
        .where(
            s.group_agents.c.license_id == license_id,
            s.group_agents.c.group_id == group_id,
            s.group_agents.c.agent_id == agent_id,
        )
        .values(priority=priority)
    ).rowcount
    if not updated:
        conn.execute(
            s.group_agents.insert().values(
                license_id=license_id, group_id=group_id, agent_id=agent_id, priority=priority
            )
        )


def agent_group_ids(conn: Connection, license_id: int, agent_id: str) -> list[int]:
    rows = conn.execute(
        sa.select(s.group_agents.c.group_id).where(
            s.group_agents.c.license_id == license_id, s.group_agents.c.agent_id == agent_id
        )
    ).all()
    return sorted({0, *(r.group_id for r in rows)})


# -- customers -------------------------------------------------------------------------


def insert_customer(conn: Connection, customer: Customer) -> None:
    with chat_cache.scope(conn, customer_id=customer.id):
        conn.execute(s.customers.insert().values(values_of(s.customers, customer)))


# A customer's every message looks them up (are they banned?).
_GET_CUSTOMER = Compiled(
    sa.select(s.customers).where(
        s.customers.c.id == sa.bindparam("b_customer_id"),
        s.customers.c.license_id == sa.bindparam("b_license"),
    )
)


def get_customer(conn: Connection, license_id: int, customer_id: str) -> Customer | None:
    row = _GET_CUSTOMER.first(conn, {"b_customer_id": customer_id, "b_license": license_id})
    return to_customer(row) if row is not None else None


_TOUCH = {
    # cache_aware: touch_customer updates the writer's cached chats of the customer.
    column: Compiled(
        s.customers.update()
        .where(s.customers.c.id == sa.bindparam("b_customer_id"))
        .values({column: sa.bindparam("b_at")}),
        cache_aware=True,
    )
    for column in ("customer_last_event_created_at", "agent_last_event_created_at")
}


def touch_customer(conn: Connection, customer_id: str, column: str, at: float) -> None:
    """When the customer, or an agent, last wrote in one of the customer's chats."""
    _TOUCH[column].execute(conn, {"b_customer_id": customer_id, "b_at": at})
    cache = chat_cache.of(conn)
    if cache is not None:
        cache.customer_touched(customer_id, column, at)


def update_customer(conn: Connection, customer_id: str, **values: Any) -> None:
    with chat_cache.scope(conn, customer_id=customer_id):
        conn.execute(s.customers.update().where(s.customers.c.id == customer_id).values(**values))


def bump_customer_counters(conn: Connection, customer_id: str, **deltas: int) -> None:
    values = {name: getattr(s.customers.c, name) + delta for name, delta in deltas.items()}
    with chat_cache.scope(conn, customer_id=customer_id):
        conn.execute(s.customers.update().where(s.customers.c.id == customer_id).values(**values))


def insert_customer_cookie(
    conn: Connection, secret_hash: str, customer_id: str, license_id: int, now: float
) -> None:
    conn.execute(
        s.customer_cookies.insert().values(
            secret_hash=secret_hash, customer_id=customer_id, license_id=license_id, created_at=now
        )
    )


def customer_by_cookie(conn: Connection, secret_hash: str, license_id: int) -> str | None:
    return conn.execute(
        sa.select(s.customer_cookies.c.customer_id).where(
            s.customer_cookies.c.secret_hash == secret_hash,
            s.customer_cookies.c.license_id == license_id,
        )
    ).scalar()


# -- tokens ----------------------------------------------------------------------------


def insert_token(conn: Connection, **values: Any) -> None:
    conn.execute(s.tokens.insert().values(revoked=False, **values))


def get_token(conn: Connection, token_hash: str) -> Any | None:
    return conn.execute(sa.select(s.tokens).where(s.tokens.c.token_hash == token_hash)).first()


def revoke_token(conn: Connection, token_hash: str) -> None:
    conn.execute(
        s.tokens.update()
        .where(sa.or_(s.tokens.c.token_hash == token_hash, s.tokens.c.refresh_hash == token_hash))
        .values(revoked=True)
    )


def set_push_device(
    conn: Connection,
    license_id: int,
    agent_id: str,
    firebase_token: str,
    platform: str,
    enabled: bool,
) -> None:
    now = time.time()
    key = (
        (s.push_devices.c.license_id == license_id)
        & (s.push_devices.c.agent_id == agent_id)
        & (s.push_devices.c.firebase_token == firebase_token)
    )
    updated = conn.execute(
        s.push_devices.update()
        .where(key)
        .values(platform=platform, enabled=enabled, updated_at=now)
    ).rowcount
    if not updated:
        conn.execute(
            s.push_devices.insert().values(
                license_id=license_id,
                agent_id=agent_id,
                firebase_token=firebase_token,
                platform=platform,
                enabled=enabled,
                updated_at=now,
            )
        )


def push_devices(conn: Connection, license_id: int, agent_id: str) -> list[Any]:
    return list(
        conn.execute(
            sa.select(s.push_devices).where(
                s.push_devices.c.license_id == license_id, s.push_devices.c.agent_id == agent_id
            )
        )
    )
