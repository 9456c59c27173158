"""The accounts service at /accounts: token look-up, OAuth token endpoint, customer tokens.

Errors here follow OAuth 2.0 (`{"error": "invalid_grant", "error_description": ...}`),
as the spec's authorization/errors.md lists them.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chatplane.accounts import tokens
from chatplane.accounts.passwords import verify_password
from chatplane.domain import users
from chatplane.domain.access import role_scopes
from chatplane.domain.ids import new_secret
from chatplane.domain.models import AGENT, CUSTOMER
from chatplane.errors import ApiError
from chatplane.limits import TokenBucket
from chatplane.services import Services
from chatplane.storage import Tx
from chatplane.storage import accounts as repo

COOKIE = "chatplane_customer"
_encode = msgspec.json.Encoder().encode


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def _json(body: Any, status: int = 200) -> Response:
    return Response(
        _encode(body),
        status_code=status,
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def _oauth_error(err: OAuthError) -> Response:
    return _json({"error": err.error, "error_description": err.description}, err.status)


async def _params(request: Request) -> dict[str, Any]:
    """Parameters from the query string, a form body or a JSON body, merged."""
    params: dict[str, Any] = dict(request.query_params)
    ctype = request.headers.get("content-type", "")
    body = await request.body()
    if len(body) > 64 * 1024:
        raise OAuthError("invalid_request", "Request body too large", 413)
    if not body:
        return params
    if "application/json" in ctype:
        try:
            data = msgspec.json.decode(body)
        except msgspec.DecodeError:
            raise OAuthError("invalid_request", "Malformed JSON body") from None
        if not isinstance(data, dict):
            raise OAuthError("invalid_request", "The JSON body must be an object")
        params.update(data)
    else:
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


class RateLimiter:
    """At most `limit` hits per key in any 60 seconds (sliding window)."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self.hits: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        if self.limit <= 0:
            return True
        now = time.monotonic()
        q = self.hits.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        if len(q) >= self.limit:
            return False
        q.append(now)
        if len(self.hits) > 100_000:
            self.hits.clear()
        return True


def routes(services: Services) -> list[Route]:
    settings = services.settings
    limiter = RateLimiter(settings.customer_token_rate_limit)
    # Password guessing: every try spends one; `login_attempts_per_minute` per account.
    per_minute = settings.login_attempts_per_minute
    login_attempts = TokenBucket(per_minute / 60.0, burst=per_minute)

    async def info(request: Request) -> Response:
        header = request.headers.get("authorization", "")
        raw = tokens.strip_bearer(header)
        if not raw:
            return _json({"error": "invalid_request", "error_description": "Missing token"}, 401)
        found = await services.read(
            lambda tx: (
                tokens.lookup(tx.conn, raw),
                repo.get_token(tx.conn, tokens.token_hash(raw)),
            )
        )
        principal, row = found
        if principal is None or row is None:
            return _json(
                {"error": "invalid_token", "error_description": "Invalid or expired token"}, 401
            )
        body: dict[str, Any] = {
            "access_token": raw,
            "expires_in": max(0, int(row.expires_at - time.time())),
            "client_id": row.client_id,
            "scope": row.scopes,
            "token_type": "Bearer",
            "entity_id": row.entity_id,
            "license_id": row.license_id,
        }
        return _json(body)

    async def token(request: Request) -> Response:
        try:
            params = await _params(request)
            grant = params.get("grant_type")
            if grant == "password":
                account = str(params.get("email") or params.get("username") or "").lower()
                if account and login_attempts.take(account):
                    raise OAuthError(
                        "access_denied",
                        "Too many login attempts for this account; retry later",
                        429,
                    )
                issued = await _password_grant(services, params)
            elif grant == "refresh_token":
                issued = await services.commit(lambda tx: _refresh_grant(tx, services, params))
            elif not grant:
                raise OAuthError("invalid_request", "grant_type is required")
            else:
                raise OAuthError("unsupported_grant_type", f"grant_type {grant!r} is not supported")
        except OAuthError as err:
            return _oauth_error(err)
        return _json(_token_body(issued))

    async def revoke(request: Request) -> Response:
        raw = request.query_params.get("token") or tokens.strip_bearer(
            request.headers.get("authorization", "")
        )
        if not raw:
            return _oauth_error(OAuthError("invalid_request", "token is required"))
        h = tokens.token_hash(raw)
        await services.commit(lambda tx: repo.revoke_token(tx.conn, h))
        services.forget_token(raw)
        return _json({})

    async def create_customer(request: Request) -> Response:
        try:
            principal = await services.authenticate(request.headers.get("authorization"))
        except ApiError as err:
            return _oauth_error(OAuthError("unauthorized", err.message, 401))
        if not principal.is_agent or "customers:own" not in principal.scopes:
            return _oauth_error(
                OAuthError("access_denied", "Creating customer identities needs customers:own", 403)
            )
        try:
            params = await _params(request)
            valid_for = _int_param(params, "valid_for", settings.customer_token_ttl)
        except OAuthError as err:
            return _oauth_error(err)
        customer_id = params.get("customer_id") or None

        def run(tx: Tx) -> tokens.IssuedToken:
            if customer_id:
                if repo.get_customer(tx.conn, principal.license_id, str(customer_id)) is None:
                    raise OAuthError("invalid_request", f"Customer {customer_id!r} not found", 404)
                cid = str(customer_id)
            else:
                cid = users.create_customer(tx, principal.license_id).id
            return tokens.issue(
                tx.conn,
                license_id=principal.license_id,
                entity_type=CUSTOMER,
                entity_id=cid,
                client_id=principal.client_id,
                scopes=frozenset({"customer"}),
                ttl=valid_for,
            )

        try:
            issued = await services.commit(run)
        except OAuthError as err:
            return _oauth_error(err)
        return _json(
            {
                "access_token": issued.access_token,
                "client_id": issued.client_id,
                "entity_id": issued.entity_id,
                "expires_in": issued.expires_in,
                "license_id": issued.license_id,
                "token_type": "Bearer",
            }
        )

    async def customer_token(request: Request) -> Response:
        client = request.client.host if request.client else "unknown"
        if not limiter.allow(client):
            return _json(
                {
                    "error": "too_many_requests",
                    "error_description": "Too many customer tokens from this address; retry later",
                },
                429,
            )
        try:
            params = await _params(request)
            license_id = _int_param(params, "license_id", None)
        except OAuthError as err:
            return _oauth_error(err)
        cookie = request.cookies.get(COOKIE)

        def run(tx: Tx) -> tuple[tokens.IssuedToken, str | None]:
            if repo.get_license(tx.conn, license_id) is None:
                raise OAuthError("invalid_request", f"License {license_id} not found", 404)
            customer_id = None
            if cookie:
                customer_id = repo.customer_by_cookie(
                    tx.conn, tokens.token_hash(cookie), license_id
                )
            new_cookie = None
            if customer_id is None:
                customer_id = users.create_customer(tx, license_id).id
                new_cookie = new_secret()
                repo.insert_customer_cookie(
                    tx.conn, tokens.token_hash(new_cookie), customer_id, license_id, time.time()
                )
            client_id = repo.default_client_id(tx.conn, license_id) or ""
            issued = tokens.issue(
                tx.conn,
                license_id=license_id,
                entity_type=CUSTOMER,
                entity_id=customer_id,
                client_id=client_id,
                scopes=frozenset({"customer"}),
                ttl=settings.customer_token_ttl,
            )
            return issued, new_cookie

        try:
            issued, new_cookie = await services.commit(run)
        except OAuthError as err:
            return _oauth_error(err)
        response = _json(
            {
                "access_token": issued.access_token,
                "entity_id": issued.entity_id,
                "expires_in": issued.expires_in,
                "license_id": issued.license_id,
                "client_id": issued.client_id,
                "token_type": "Bearer",
            }
        )
        if new_cookie:
            # A widget on another site (CORS) needs a third-party cookie: SameSite=None,
            # which browsers accept only with Secure (HTTPS). Same-site pages get Lax.
            secure = request.url.scheme == "https"
            response.set_cookie(
                COOKIE,
                new_cookie,
                max_age=365 * 86400,
                httponly=True,
                samesite="none" if secure else "lax",
                secure=secure,
                path="/accounts/customer",
            )
        return response

    return [
        Route("/accounts/info", info, methods=["GET", "POST"]),
        Route("/accounts/token", token, methods=["POST"]),
        Route("/accounts/token", revoke, methods=["DELETE"]),
        Route("/accounts/customer/", create_customer, methods=["POST"]),
        Route("/accounts/customer", create_customer, methods=["POST"]),
        Route("/accounts/customer/token", customer_token, methods=["POST"]),
    ]


def _int_param(params: dict[str, Any], name: str, default: int | None) -> int:
    value = params.get(name)
    if value is None or value == "":
        if default is None:
            raise OAuthError("invalid_request", f"{name} is required")
        return default
    if isinstance(value, bool):
        raise OAuthError("invalid_request", f"{name} must be an integer")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise OAuthError("invalid_request", f"{name} must be an integer") from None
    if number <= 0:
        raise OAuthError("invalid_request", f"{name} must be positive")
    return number


def _token_body(issued: tokens.IssuedToken) -> dict[str, Any]:
    return {
        "access_token": issued.access_token,
        "refresh_token": issued.refresh_token,
        "expires_in": issued.expires_in,
        "token_type": "Bearer",
        "scope": issued.scope,
        "entity_id": issued.entity_id,
        "license_id": issued.license_id,
        "client_id": issued.client_id,
    }


async def _password_grant(services: Services, params: dict[str, Any]) -> tokens.IssuedToken:
    email = params.get("email") or params.get("username")
    password = params.get("password")
    if not email or not password:
        raise OAuthError("invalid_request", "email (or username) and password are required")
    candidates = await services.read(lambda tx: repo.agents_by_email(tx.conn, str(email)))
    license_id = params.get("license_id")
    if license_id is not None:
        candidates = [(a, h) for a, h in candidates if str(a.license_id) == str(license_id)]
    if len(candidates) > 1:
        raise OAuthError(
            "invalid_request", "This e-mail has agents in several licenses: send license_id"
        )
    agent, stored = candidates[0] if candidates else (None, None)
    # scrypt is slow on purpose: run it off the event loop (and off the writer).
    loop = asyncio.get_running_loop()
    ok = await loop.run_in_executor(None, verify_password, str(password), stored)
    if not ok or agent is None:
        raise OAuthError("invalid_grant", "Wrong e-mail or password")

    def issue(tx: Tx) -> tokens.IssuedToken:
        client_id = params.get("client_id") or repo.default_client_id(tx.conn, agent.license_id)
        app = repo.get_application(tx.conn, str(client_id))
        if app is None or app.license_id != agent.license_id:
            raise OAuthError("unauthorized_client", f"client_id {client_id!r} not found")
        return tokens.issue(
            tx.conn,
            license_id=agent.license_id,
            entity_type=AGENT,
            entity_id=agent.id,
            client_id=str(client_id),
            scopes=role_scopes(agent.role),
            ttl=services.settings.access_token_ttl,
            refresh_ttl=services.settings.refresh_token_ttl,
        )

    return await services.commit(issue)


def _refresh_grant(tx: Tx, services: Services, params: dict[str, Any]) -> tokens.IssuedToken:
    raw = params.get("refresh_token")
    if not raw:
        raise OAuthError("invalid_request", "refresh_token is required")
    h = tokens.token_hash(str(raw))
    row = repo.get_token(tx.conn, h)
    if row is None or row.kind != "refresh" or row.revoked or row.expires_at <= time.time():
        raise OAuthError("invalid_grant", "The refresh token is invalid, expired or revoked")
    if params.get("client_id") and params["client_id"] != row.client_id:
        raise OAuthError("invalid_client", "The refresh token was issued to another client")
    agent = repo.get_agent(tx.conn, row.license_id, row.entity_id)
    if agent is None:
        raise OAuthError("invalid_grant", "The agent of this token no longer exists")
    # Rotate: the old refresh token (and its access tokens) stop working.
    repo.revoke_token(tx.conn, h)
    return tokens.issue(
        tx.conn,
        license_id=row.license_id,
        entity_type=AGENT,
        entity_id=row.entity_id,
        client_id=row.client_id,
        scopes=role_scopes(agent.role),
        ttl=services.settings.access_token_ttl,
        refresh_ttl=services.settings.refresh_token_ttl,
    )
