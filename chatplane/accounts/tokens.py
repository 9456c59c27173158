"""Access and refresh tokens, and personal access tokens: random, stored only as SHA-256
hashes.

Tokens are 256-bit random strings, so a fast hash is enough (no dictionary to guess
from); the hash is the key of the look-up, so a look-up compares no secrets in Python.

An `Authorization` header is `Bearer <access token>` (a bare token is read the same way) or,
for a personal access token (authorization/personal-access-tokens), `Basic
base64(<account id>:<token>)`, the account id being the agent's id.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import math
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from chatplane.domain.access import (
    CUSTOMER_SCOPES,
    SCOPES,
    format_scopes,
    parse_scopes,
    role_scopes,
)
from chatplane.domain.ids import new_secret
from chatplane.domain.models import AGENT, Agent, Principal
from chatplane.errors import ApiError
from chatplane.storage import accounts as repo
from chatplane.storage import personal_tokens as pat_repo


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
    role, is_bot, blocked = "normal", False, None
    if row.entity_type == AGENT:
        agent = repo.get_agent(conn, row.license_id, row.entity_id)
        if agent is None:
            return None
        role, is_bot, blocked = agent.role, agent.is_bot, blocked_reason(agent)
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
        blocked=blocked,
    )


# -- the Authorization header ---------------------------------------------------------


class MalformedCredentials(ValueError):
    """An Authorization header that names no token at all (its message says why)."""


@dataclass(frozen=True)
class Credentials:
    """What an Authorization header carries: an access token (`account_id` None) or a
    personal access token with the account id it claims to belong to."""

    secret: str
    account_id: str | None = None

    @property
    def personal(self) -> bool:
        return self.account_id is not None

    @property
    def cache_key(self) -> str:
        """The key of the principal cache; a personal token's is its stored hash with a
        prefix (never equal to an access token's), so that revoking can drop it."""
        h = token_hash(self.secret)
        return personal_cache_key(h) if self.personal else h


def personal_cache_key(hashed: str) -> str:
    return f"pat:{hashed}"


def parse_authorization(value: str) -> Credentials:
    """`Bearer <token>`, a bare token, or `Basic base64(<account id>:<token>)`."""
    value = value.strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() != "basic":
        return Credentials(strip_bearer(value))
    encoded = rest.strip()
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise MalformedCredentials(
            "Basic credentials must be base64(<account id>:<personal access token>)"
        ) from None
    # Split at the last colon: an account id may hold one (an e-mail cannot, a token never).
    account_id, colon, secret = decoded.rpartition(":")
    if not colon or not account_id or not secret:
        raise MalformedCredentials(
            "Basic credentials must be base64(<account id>:<personal access token>)"
        )
    return Credentials(secret, account_id)


def basic_value(account_id: str, secret: str) -> str:
    """The base64 text that follows `Basic ` for a personal access token."""
    return base64.b64encode(f"{account_id}:{secret}".encode()).decode("ascii")


# -- personal access tokens -----------------------------------------------------------


@dataclass
class PersonalToken:
    """A personal access token as listed: never its secret."""

    id: str
    name: str
    account_id: str
    license_id: int
    scopes: frozenset[str]
    created_at: float
    last_used_at: float | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "account_id": self.account_id,
            "scopes": sorted(self.scopes),
            "created_at": _iso(self.created_at),
            "last_used_at": _iso(self.last_used_at),
        }


@dataclass
class IssuedPersonalToken:
    token: PersonalToken
    secret: str

    @property
    def base64(self) -> str:
        return basic_value(self.token.account_id, self.secret)

    def as_json(self) -> dict[str, Any]:
        """The only time the secret is shown: with the ready `Authorization` value."""
        return {
            **self.token.as_json(),
            "token": self.secret,
            "base64_encoded_token": self.base64,
            "authorization": f"Basic {self.base64}",
        }


def _iso(ts: float | None) -> str | None:
    """RFC 3339 with microseconds, as the v3.x APIs write `created_at`."""
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# Longer than anything a person types; short enough for a list on one screen.
MAX_NAME_LENGTH = 200


class ScopeError(ApiError):
    """Scopes that are unknown, or beyond what the requester holds (OAuth's invalid_scope)."""

    def __init__(self, message: str) -> None:
        super().__init__("validation", message)


def personal_scopes(agent: Agent, requested: frozenset[str], ceiling: frozenset[str]) -> str:
    """The scopes a new personal token gets, as stored; `ceiling` is what the requester
    holds (the agent's role, or a narrower access token). Raises `ScopeError` naming the
    scopes that are unknown or beyond the role or the ceiling."""
    if not requested:
        raise ScopeError("scopes must name at least one scope")
    unknown = sorted(requested - set(SCOPES))
    if unknown:
        raise ScopeError(f"Unknown scopes: {', '.join(unknown)}")
    beyond_role = sorted(requested - role_scopes(agent.role))
    if beyond_role:
        raise ScopeError(
            f"Agent {agent.id} (role {agent.role}) cannot grant: {', '.join(beyond_role)}"
        )
    beyond_token = sorted(requested - ceiling)
    if beyond_token:
        raise ScopeError(f"This access token cannot grant: {', '.join(beyond_token)}")
    return format_scopes(requested)


def issue_personal(
    conn: Connection,
    agent: Agent,
    name: str,
    requested: frozenset[str],
    ceiling: frozenset[str] | None = None,
) -> IssuedPersonalToken:
    name = name.strip()
    if not name:
        raise ApiError("validation", "name is required (what the token is for)")
    if len(name) > MAX_NAME_LENGTH:
        raise ApiError("validation", f"name is longer than {MAX_NAME_LENGTH} characters")
    if agent.is_bot:
        raise ApiError(
            "validation",
            "A bot agent has no personal access tokens: it acts with its application's token",
        )
    scopes = personal_scopes(
        agent, requested, role_scopes(agent.role) if ceiling is None else ceiling
    )
    secret = new_secret()
    now = time.time()
    token_id = str(uuid.uuid4())
    pat_repo.insert(
        conn,
        token_id=token_id,
        token_hash=token_hash(secret),
        license_id=agent.license_id,
        agent_id=agent.id,
        name=name,
        scopes=scopes,
        created_at=now,
    )
    listed = PersonalToken(
        token_id, name, agent.id, agent.license_id, parse_scopes(scopes), now, None
    )
    return IssuedPersonalToken(listed, secret)


def _listed(row: Any) -> PersonalToken:
    return PersonalToken(
        id=row.id,
        name=row.name,
        account_id=row.agent_id,
        license_id=row.license_id,
        scopes=parse_scopes(row.scopes),
        created_at=row.created_at,
        last_used_at=row.last_used_at,
    )


def list_personal(conn: Connection, license_id: int, agent_id: str | None) -> list[PersonalToken]:
    return [_listed(r) for r in pat_repo.of_agent(conn, license_id, agent_id)]


def revoke_personal(
    conn: Connection, license_id: int, token_id: str, agent_id: str | None
) -> str | None:
    """Delete the token (only `agent_id`'s when given); its stored hash, or None when no
    such token is there (for this agent)."""
    row = pat_repo.get(conn, license_id, token_id)
    if row is None or (agent_id is not None and row.agent_id != agent_id):
        return None
    pat_repo.delete(conn, license_id, token_id)
    return str(row.token_hash)


# A use is written at most this often per token (one write a minute, not one a request).
LAST_USED_PRECISION = 60.0


@dataclass
class PersonalLookup:
    principal: Principal
    token_hash: str
    last_used_at: float | None


def blocked_reason(agent: Agent) -> str | None:
    """Why an agent's tokens open nothing now (Configuration API v3.x), or None."""
    if agent.suspended:
        return "suspended"
    if agent.awaiting_approval:
        return "awaiting_approval"
    return None


def lookup_personal(conn: Connection, credentials: Credentials) -> PersonalLookup | None:
    """The agent a personal token stands for, or None when the token is unknown, revoked,
    or not the account's it claims to be."""
    h = token_hash(credentials.secret)
    row = pat_repo.by_hash(conn, h)
    if row is None or row.agent_id != credentials.account_id:
        return None
    agent = repo.get_agent(conn, row.license_id, row.agent_id)
    if agent is None or agent.is_bot:
        return None
    # A PAT names no application: where an API needs one (property namespaces, bots,
    # webhooks) it acts as the license's default application (docs/decisions.md).
    client_id = repo.default_client_id(conn, row.license_id) or ""
    # The role may have shrunk since the token was made: never more than it holds now.
    scopes = parse_scopes(row.scopes) & role_scopes(agent.role)
    principal = Principal(
        license_id=row.license_id,
        user_type=AGENT,
        user_id=agent.id,
        client_id=client_id,
        scopes=scopes,
        role=agent.role,
        is_bot=False,
        token_expires_at=math.inf,
        personal=True,
        blocked=blocked_reason(agent),
    )
    return PersonalLookup(principal, h, row.last_used_at)


def touch_personal(conn: Connection, hashed: str, at: float) -> None:
    pat_repo.touch(conn, hashed, at)
