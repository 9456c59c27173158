"""Access and refresh tokens: random, stored only as SHA-256 hashes, with an expiry.

Tokens are 256-bit random strings, so a fast hash is enough (no dictionary to guess
from); the hash is the primary key, so a look-up compares no secrets in Python.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from chatplane.domain.access import CUSTOMER_SCOPES, format_scopes, parse_scopes
from chatplane.domain.ids import new_secret
from chatplane.domain.models import AGENT, Principal
from chatplane.storage import accounts as repo


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class IssuedToken:
    access_token: str
    expires_in: int
    refresh_token: str | None
    scope: str
    entity_id: str
    license_id: int
    client_id: str


def issue(
    conn: Connection,
    *,
    license_id: int,
    entity_type: str,
    entity_id: str,
    client_id: str,
    scopes: frozenset[str],
    ttl: int,
    refresh_ttl: int | None = None,
) -> IssuedToken:
    now = time.time()
    refresh = None
    refresh_h = None
    scope_text = format_scopes(scopes)
    if refresh_ttl:
        refresh = new_secret()
        refresh_h = token_hash(refresh)
        repo.insert_token(
            conn,
            token_hash=refresh_h,
            kind="refresh",
            license_id=license_id,
            entity_type=entity_type,
            entity_id=entity_id,
            client_id=client_id,
            scopes=scope_text,
            expires_at=now + refresh_ttl,
            created_at=now,
            refresh_hash=None,
        )
    access = new_secret()
    repo.insert_token(
        conn,
        token_hash=token_hash(access),
        kind="access",
        license_id=license_id,
        entity_type=entity_type,
        entity_id=entity_id,
        client_id=client_id,
        scopes=scope_text,
        expires_at=now + ttl,
        created_at=now,
        refresh_hash=refresh_h,
    )
    return IssuedToken(access, ttl, refresh, scope_text, entity_id, license_id, client_id)


def strip_bearer(value: str) -> str:
    value = value.strip()
    if value[:7].lower() == "bearer ":
        return value[7:].strip()
    return value


def lookup(conn: Connection, token: str, kind: str = "access") -> Principal | None:
    """The principal a token stands for, or None when unknown, expired or revoked."""
    row = repo.get_token(conn, token_hash(token))
    if row is None or row.kind != kind or row.revoked or row.expires_at <= time.time():
        return None
    role, is_bot = "normal", False
    if row.entity_type == AGENT:
        agent = repo.get_agent(conn, row.license_id, row.entity_id)
        if agent is None:
            return None
        role, is_bot = agent.role, agent.is_bot
        scopes = parse_scopes(row.scopes)
    else:
        scopes = CUSTOMER_SCOPES
    return Principal(
        license_id=row.license_id,
        user_type=row.entity_type,
        user_id=row.entity_id,
        client_id=row.client_id,
        scopes=scopes,
        role=role,
        is_bot=is_bot,
        token_expires_at=row.expires_at,
    )
