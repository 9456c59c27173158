"""Licenses, agents and customers: creating and changing them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from chatplane.accounts import tokens
from chatplane.accounts.passwords import hash_password
from chatplane.domain import properties
from chatplane.domain.access import ROLES, role_scopes
from chatplane.domain.ids import new_client_id, new_customer_id
from chatplane.domain.models import AGENT, Agent, Customer
from chatplane.errors import ApiError, validation
from chatplane.storage import Tx
from chatplane.storage import accounts as repo

# A token printed by the command line lives long: it is how an operator bootstraps.
CLI_TOKEN_TTL = 365 * 86400


@dataclass
class LicenseCreated:
    license_id: int
    client_id: str
    owner_id: str
    access_token: str
    organization_id: str = ""


def create_license(tx: Tx, owner_email: str = "owner@chatplane.local") -> LicenseCreated:
    """A license with its owner agent (all scopes), group 0 and a default application
    (with the rating properties the Chat Widget uses)."""
    now = time.time()
    license_id = repo.create_license(tx.conn, now)
    client_id = new_client_id()
    repo.create_application(tx.conn, license_id, client_id, "Default application", True, now)
    # The Chat Widget (the default application) rates chats with these.
    properties.ensure_rating_properties(tx, license_id, client_id)
    repo.ensure_group(tx.conn, license_id, 0, "General", now)
    owner = new_agent(license_id, owner_email, "Owner", "owner")
    repo.insert_agent(tx.conn, owner, None)
    repo.add_agent_to_group(tx.conn, license_id, 0, owner.id)
    token = issue_agent_token(tx, owner, client_id, CLI_TOKEN_TTL)
    return LicenseCreated(license_id, client_id, owner.id, token, organization_of(tx, license_id))


def organization_of(tx: Tx, license_id: int) -> str:
    """The license's organization id (its name in the v3.x APIs)."""
    lic = repo.get_license(tx.conn, license_id)
    if lic is None:
        raise validation(f"License {license_id} does not exist")
    return str(lic.organization_id)


def owner_of(tx: Tx, license_id: int) -> Agent:
    owner = repo.license_owner(tx.conn, license_id)
    if owner is None:
        raise validation(f"License {license_id} has no owner")
    return owner


def new_agent(
    license_id: int,
    agent_id: str,
    name: str,
    role: str,
    *,
    is_bot: bool = False,
    client_id: str | None = None,
    email: str | None = None,
    avatar: str | None = None,
    max_chats_count: int = 6,
    routing_status: str = "accepting_chats",
    webhooks: dict[str, Any] | None = None,
) -> Agent:
    return Agent(
        license_id=license_id,
        id=agent_id,
        name=name,
        email=email if is_bot else (email or agent_id),
        role=role,
        is_bot=is_bot,
        client_id=client_id,
        avatar=avatar,
        job_title=None,
        max_chats_count=max_chats_count,
        routing_status=routing_status,
        webhooks=webhooks,
        created_at=time.time(),
    )


def create_agent(
    tx: Tx, license_id: int, email: str, name: str, role: str, password: str | None
) -> Agent:
    if role not in ROLES or role == "owner":
        raise validation(f"role must be 'normal' or 'administrator', not {role!r}")
    if "@" not in email or len(email) > 254:
        raise validation(f"email {email!r} is not an e-mail address")
    if repo.get_license(tx.conn, license_id) is None:
        raise ApiError("license_not_found", f"License {license_id} not found")
    if repo.get_agent(tx.conn, license_id, email) is not None:
        raise validation(f"Agent {email!r} already exists in license {license_id}")
    agent = new_agent(license_id, email, name, role)
    repo.insert_agent(tx.conn, agent, hash_password(password) if password else None)
    repo.add_agent_to_group(tx.conn, license_id, 0, agent.id)
    return agent


def issue_agent_token(tx: Tx, agent: Agent, client_id: str, ttl: int) -> str:
    issued = tokens.issue(
        tx.conn,
        license_id=agent.license_id,
        entity_type=AGENT,
        entity_id=agent.id,
        client_id=client_id,
        scopes=role_scopes(agent.role),
        ttl=ttl,
    )
    return issued.access_token


def create_customer(
    tx: Tx,
    license_id: int,
    *,
    customer_id: str | None = None,
    name: str | None = None,
    email: str | None = None,
    avatar: str | None = None,
    fields: dict[str, str] | None = None,
) -> Customer:
    customer = Customer(
        id=customer_id or new_customer_id(),
        license_id=license_id,
        name=name,
        email=email,
        avatar=avatar,
        fields=dict(fields or {}),
        last_visit=None,
        chats_count=0,
        threads_count=0,
        visits_count=0,
        agent_last_event_created_at=None,
        customer_last_event_created_at=None,
        banned_until=None,
        created_at=time.time(),
    )
    repo.insert_customer(tx.conn, customer)
    return customer
