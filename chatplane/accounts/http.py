"""The accounts service: token look-up, the OAuth token endpoint, customer tokens, the v3.0
SDK's token page and personal access tokens.

Served under `/accounts/...` on every host name, and at the root of the paths on the host
names listed in CHATPLANE_ACCOUNTS_HOSTS (`accounts.<domain>`), where the SDKs call
`https://accounts.livechatinc.com/...`: `routes()` returns both sets.

Errors here follow OAuth 2.0 (`{"error": "invalid_grant", "error_description": ...}`),
as the spec's authorization/errors.md lists them.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

from chatplane import jsondecode
from chatplane.accounts import page, tokens
from chatplane.accounts.passwords import verify_password
from chatplane.domain import users
from chatplane.domain.access import parse_scopes, role_scopes
from chatplane.domain.ids import new_secret
from chatplane.domain.models import AGENT, CUSTOMER, Agent, Principal
from chatplane.errors import ApiError
from chatplane.limits import TokenBucket
from chatplane.services import Services
from chatplane.storage import Tx
from chatplane.storage import accounts as repo

COOKIE = "chatplane_customer"
# The spec's customer cookies live two years, extended at every token request.
COOKIE_MAX_AGE = 2 * 365 * 86400
# One path covers every place a customer SDK asks for a token: `/accounts/customer...`,
# and `/customer`, `/customer/token`, `/v2/customer/token` at an accounts host's root.
COOKIE_PATH = "/"
MAX_BODY = 64 * 1024
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
    """Parameters from the query string and the body, merged (the body wins).

    A body that starts with `{` is JSON whatever its Content-Type says: the current customer
    SDK sends JSON with no Content-Type (so that the browser makes no preflight request),
    and the spec's own curl examples send JSON with curl's form type. Other bodies are
    form-encoded (`multipart/form-data` too)."""
    params: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    if len(body) > MAX_BODY:
        raise OAuthError("invalid_request", "Request body too large", 413)
    stripped = body.strip()
    if not stripped:
        return params
    ctype = request.headers.get("content-type", "").lower()
    if stripped[:1] == b"{" or "json" in ctype:
        try:
            data = jsondecode.decode(body)
        except ApiError as err:
            raise OAuthError("invalid_request", err.message) from None
        if not isinstance(data, dict):
            raise OAuthError("invalid_request", "The JSON body must be an object")
        params.update(data)
    elif "multipart/form-data" in ctype:
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    else:
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            raise OAuthError("invalid_request", "Malformed form body") from None
        params.update(dict(pairs))
    return params


def _str_param(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise OAuthError("invalid_request", f"{name} must be a string")
    return value


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


class HostRoute(Route):
    """A route that matches only when the request's Host is one of `hosts` (any port)."""

    def __init__(
        self,
        hosts: frozenset[str],
        path: str,
        endpoint: Callable[[Request], Awaitable[Response]],
        methods: list[str],
    ) -> None:
        super().__init__(path, endpoint, methods=methods)
        self.hosts = hosts

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if request_host(scope) not in self.hosts:
            return Match.NONE, {}
        return super().matches(scope)


def request_host(scope: Scope) -> str:
    """The Host header's name, lower-case, without its port."""
    for key, value in scope.get("headers", ()):
        if key == b"host":
            host = bytes(value).decode("latin-1").strip().lower()
            if host.startswith("["):  # [::1]:8080
                return host.split("]", 1)[0] + "]"
            return host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return ""


@dataclass
class CookieCustomer:
    issued: tokens.IssuedToken
    cookie: str  # the secret to (re)set: the one the browser sent, or a new one
    organization_id: str


def set_customer_cookie(response: Response, request: Request, secret: str) -> None:
    """The customer cookie, (re)set at every token so that it lives two years from the last.

    Over HTTPS a widget on another site must get it in a third-party context: SameSite=None
    with Secure, and Partitioned (CHIPS), without which a browser that blocks third-party
    cookies (Debian's Chromium) drops it. Over plain HTTP only same-site pages can use it."""
    parts = [f"{COOKIE}={secret}", f"Max-Age={COOKIE_MAX_AGE}", f"Path={COOKIE_PATH}", "HttpOnly"]
    if request.url.scheme == "https":
        parts += ["Secure", "SameSite=None", "Partitioned"]
    else:
        parts.append("SameSite=Lax")
    response.raw_headers.append((b"set-cookie", "; ".join(parts).encode("latin-1")))


def routes(services: Services, hosts: Iterable[str] = ()) -> list[BaseRoute]:
    """The accounts endpoints under `/accounts`, and at the root of each of `hosts`."""
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

    async def agent_for_customers(request: Request) -> Principal:
        """The agent behind an agent token grant: an OAuth access token (the spec excludes
        personal access tokens from this grant) with `customers:own`."""
        try:
            principal = await services.authenticate(request.headers.get("authorization"))
        except ApiError as err:
            raise OAuthError("unauthorized", err.message, 401) from None
        if principal.personal:
            raise OAuthError(
                "access_denied",
                "Customer identities are made with an agent's access token (Bearer), "
                "not a personal access token",
                403,
            )
        if not principal.is_agent or "customers:own" not in principal.scopes:
            raise OAuthError(
                "access_denied", "Creating customer identities needs customers:own", 403
            )
        return principal

    def agent_customer_token(
        tx: Tx, principal: Principal, customer_id: str | None, client_id: str, ttl: int
    ) -> tokens.IssuedToken:
        if customer_id:
            if repo.get_customer(tx.conn, principal.license_id, customer_id) is None:
                raise OAuthError("invalid_request", f"Customer {customer_id!r} not found", 404)
            cid = customer_id
        else:
            cid = users.create_customer(tx, principal.license_id).id
        return tokens.issue(
            tx.conn,
            license_id=principal.license_id,
            entity_type=CUSTOMER,
            entity_id=cid,
            client_id=client_id,
            scopes=frozenset({"customer"}),
            ttl=ttl,
        )

    async def create_customer(request: Request) -> Response:
        """v3.0's `POST /customer/` with an agent's token (customer-authorization.md)."""
        try:
            principal = await agent_for_customers(request)
            params = await _params(request)
            valid_for = _int_param(params, "valid_for", settings.customer_token_ttl)
            customer_id = _str_param(params, "customer_id")
            issued = await services.commit(
                lambda tx: agent_customer_token(
                    tx, principal, customer_id, principal.client_id, valid_for
                )
            )
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

    def limited(request: Request) -> OAuthError | None:
        client = request.client.host if request.client else "unknown"
        if limiter.allow(client):
            return None
        return OAuthError(
            "too_many_requests", "Too many customer tokens from this address; retry later", 429
        )

    async def cookie_customer(
        request: Request, license_id: int, client_id: str | None
    ) -> CookieCustomer:
        """The customer the request's cookie names in the license (a new one when it names
        none), with a new access token. `client_id` None: the license's default application."""
        sent = request.cookies.get(COOKIE)

        def run(tx: Tx) -> CookieCustomer:
            lic = repo.get_license(tx.conn, license_id)
            if lic is None:
                raise OAuthError("invalid_request", f"License {license_id} not found", 404)
            app_id = client_id or repo.default_client_id(tx.conn, license_id) or ""
            if client_id is not None:
                app = repo.get_application(tx.conn, client_id)
                if app is None or app.license_id != license_id:
                    raise OAuthError(
                        "unauthorized_client",
                        f"client_id {client_id!r} is not an application of license "
                        f"{license_id} (`chatplane init --json` prints its client_id)",
                    )
            customer_id = None
            if sent:
                customer_id = repo.customer_by_cookie(tx.conn, tokens.token_hash(sent), license_id)
            secret = sent or ""
            if customer_id is None:
                customer_id = users.create_customer(tx, license_id).id
                secret = new_secret()
                repo.insert_customer_cookie(
                    tx.conn, tokens.token_hash(secret), customer_id, license_id, time.time()
                )
            issued = tokens.issue(
                tx.conn,
                license_id=license_id,
                entity_type=CUSTOMER,
                entity_id=customer_id,
                client_id=app_id,
                scopes=frozenset({"customer"}),
                ttl=settings.customer_token_ttl,
            )
            return CookieCustomer(issued, secret, str(lic.organization_id))

        return await services.commit(run)

    async def customer_token(request: Request) -> Response:
        """Chatplane's own anonymous customer token (`{"license_id": N}`), for its widget."""
        try:
            refused = limited(request)
            if refused is not None:
                raise refused
            params = await _params(request)
            license_id = _int_param(params, "license_id", None)
            found = await cookie_customer(request, license_id, _str_param(params, "client_id"))
        except OAuthError as err:
            return _oauth_error(err)
        issued = found.issued
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
        set_customer_cookie(response, request, found.cookie)
        return response

    async def license_named(params: dict[str, Any]) -> tuple[int | None, bool]:
        """The license an `organization_id` (v3.x) or a `license_id` names; and whether it
        was named by `license_id`. Both given: they must agree."""
        organization_id = _str_param(params, "organization_id")
        by_number = params.get("license_id") not in (None, "")
        license_id = _int_param(params, "license_id", None) if by_number else None
        if organization_id is not None:
            try:
                of_org = await services.license_of_organization(organization_id)
            except ApiError as err:
                raise OAuthError("invalid_request", err.message, 404) from None
            if license_id is not None and license_id != of_org:
                raise OAuthError(
                    "invalid_request", "organization_id and license_id name different licenses"
                )
            return of_org, False
        return license_id, by_number

    def check_response_type(params: dict[str, Any]) -> None:
        # Required by the reference, absent from its own cookie-grant example: only a
        # value other than `token` is refused.
        response_type = params.get("response_type")
        if response_type not in (None, "", "token"):
            raise OAuthError(
                "unsupported_response_type", f"response_type {response_type!r}: use token"
            )

    async def v2_customer_token(request: Request) -> Response:
        """`POST /v2/customer/token` (authorization/customer-authorization): the cookie grant
        and the agent token grant."""
        try:
            params = await _params(request)
            grant = params.get("grant_type")
            check_response_type(params)
            client_id = _str_param(params, "client_id")
            if grant == "cookie":
                refused = limited(request)
                if refused is not None:
                    raise refused
                if client_id is None:
                    raise OAuthError("invalid_request", "client_id is required")
                license_id, by_number = await license_named(params)
                if license_id is None:
                    raise OAuthError(
                        "invalid_request", "organization_id (or license_id) is required"
                    )
                found = await cookie_customer(request, license_id, client_id)
                body: dict[str, Any] = {
                    "access_token": found.issued.access_token,
                    "entity_id": found.issued.entity_id,
                    "expires_in": found.issued.expires_in,
                    "token_type": "Bearer",
                    "organization_id": found.organization_id,
                }
                if by_number:
                    body["license_id"] = license_id
                response = _json(body)
                set_customer_cookie(response, request, found.cookie)
                return response
            if grant == "agent_token":
                principal = await agent_for_customers(request)
                if client_id is None:
                    raise OAuthError("invalid_request", "client_id is required")
                license_id, _ = await license_named(params)
                if license_id is not None and license_id != principal.license_id:
                    raise OAuthError(
                        "access_denied", "The agent's token is for another organization", 403
                    )
                entity_id = _str_param(params, "entity_id")
                customer_id = _str_param(params, "customer_id")
                if entity_id and customer_id and entity_id != customer_id:
                    raise OAuthError(
                        "invalid_request", "entity_id and customer_id name different customers"
                    )
                app = await services.read(lambda tx: repo.get_application(tx.conn, client_id))
                if app is None or app.license_id != principal.license_id:
                    raise OAuthError(
                        "unauthorized_client",
                        f"client_id {client_id!r} is not an application of the agent's license",
                    )

                def run(tx: Tx) -> tuple[tokens.IssuedToken, str]:
                    issued = agent_customer_token(
                        tx,
                        principal,
                        entity_id or customer_id,
                        client_id,
                        settings.customer_token_ttl,
                    )
                    return issued, users.organization_of(tx, principal.license_id)

                issued, organization_id = await services.commit(run)
                return _json(
                    {
                        "access_token": issued.access_token,
                        "client_id": issued.client_id,
                        "entity_id": issued.entity_id,
                        "expires_in": issued.expires_in,
                        "token_type": "Bearer",
                        "organization_id": organization_id,
                    }
                )
            if not grant:
                raise OAuthError("invalid_request", "grant_type is required")
            raise OAuthError(
                "unsupported_grant_type",
                f"grant_type {grant!r} is not supported here: use cookie or agent_token",
            )
        except OAuthError as err:
            return _oauth_error(err)

    def allowed_origins(request: Request) -> tuple[bool, set[str]]:
        """Who may receive the token page's message (and frame it): any origin when
        CHATPLANE_CORS_ORIGINS is "*", else the listed ones, this server's own origin as
        requested and its public URL's."""
        listed = settings.cors_origin_list
        if listed == ["*"]:
            return True, set()
        mine = {
            page.origin_of(str(request.base_url)),
            page.origin_of(settings.public_url) if settings.public_url else None,
        }
        return False, {o for o in (*map(page.origin_of, listed), *mine) if o}

    async def token_page(request: Request) -> Response:
        """`GET /customer?license_id=N&flow=button&response_type=token&client_id=...&
        redirect_uri=...&post_message_uri=...&state=...`: the v3.0 SDK's hidden iframe."""
        q = request.query_params
        any_origin, origins = allowed_origins(request)
        ancestors = ["*"] if any_origin else sorted(origins)
        target = page.origin_of(q.get("post_message_uri") or q.get("redirect_uri") or "")
        if target is None:
            return page.render(
                message=None,
                target_origin=None,
                text="post_message_uri (an http or https URL) is required",
                frame_ancestors=ancestors,
                status=400,
            )
        if not any_origin and target not in origins:
            # Never post a token to a site the operator did not list.
            return page.render(
                message=None,
                target_origin=None,
                text=f"{target} may not receive customer tokens (CHATPLANE_CORS_ORIGINS)",
                frame_ancestors=ancestors,
                status=403,
            )
        state = q.get("state")

        def answer(message: dict[str, Any], text: str, status: int = 200) -> Response:
            if state is not None:
                message["state"] = state
            return page.render(
                message=message,
                target_origin=target,
                text=text,
                frame_ancestors=ancestors,
                status=status,
            )

        try:
            refused = limited(request)
            if refused is not None:
                raise OAuthError("temporarily_unavailable", refused.description, 429)
            params = dict(q)
            check_response_type(params)
            client_id = _str_param(params, "client_id")
            if client_id is None:
                raise OAuthError("unauthorized_client", "client_id is required")
            license_id, _ = await license_named(params)
            if license_id is None:
                raise OAuthError("invalid_request", "license_id is required")
            found = await cookie_customer(request, license_id, client_id)
        except OAuthError as err:
            return answer(
                {"oauth_exception": err.error, "exception_details": err.description},
                err.description,
                err.status,
            )
        issued = found.issued
        response = answer(
            {
                "access_token": issued.access_token,
                "entity_id": issued.entity_id,
                "expires_in": issued.expires_in,
                "token_type": "Bearer",
            },
            "Signed in.",
        )
        set_customer_cookie(response, request, found.cookie)
        return response

    # -- personal access tokens ---------------------------------------------------------

    async def agent_of(request: Request) -> Principal:
        try:
            principal = await services.authenticate(request.headers.get("authorization"))
        except ApiError as err:
            raise OAuthError("unauthorized", err.message, 401) from None
        if not principal.is_agent or principal.is_bot:
            raise OAuthError("access_denied", "Only an agent has personal access tokens", 403)
        return principal

    async def create_personal_token(request: Request) -> Response:
        try:
            principal = await agent_of(request)
            if principal.personal:
                # Revoking a leaked token must not leave tokens it made behind.
                raise OAuthError(
                    "access_denied",
                    "Personal access tokens are made with an access token (Bearer), "
                    "not with another personal access token",
                    403,
                )
            params = await _params(request)
            name = params.get("name")
            if not isinstance(name, str):
                raise OAuthError("invalid_request", "name is required (a string)")
            raw_scopes = params.get("scopes", params.get("scope"))
            if isinstance(raw_scopes, str):
                requested = parse_scopes(raw_scopes)
            elif isinstance(raw_scopes, list) and all(isinstance(s, str) for s in raw_scopes):
                requested = frozenset(raw_scopes)
            else:
                raise OAuthError(
                    "invalid_request", "scopes is required: a list of scope names (or a,b,c)"
                )

            def run(tx: Tx) -> tokens.IssuedPersonalToken:
                agent = repo.get_agent(tx.conn, principal.license_id, principal.user_id)
                if agent is None:
                    raise OAuthError("unauthorized", "The agent of this token is gone", 401)
                try:
                    return tokens.issue_personal(tx.conn, agent, name, requested, principal.scopes)
                except tokens.ScopeError as err:
                    raise OAuthError("invalid_scope", err.message) from None
                except ApiError as err:
                    raise OAuthError("invalid_request", err.message) from None

            issued = await services.commit(run)
        except OAuthError as err:
            return _oauth_error(err)
        return _json(issued.as_json(), 201)

    async def list_personal_tokens(request: Request) -> Response:
        try:
            principal = await agent_of(request)
        except OAuthError as err:
            return _oauth_error(err)
        found = await services.read(
            lambda tx: tokens.list_personal(tx.conn, principal.license_id, principal.user_id)
        )
        return _json({"personal_access_tokens": [t.as_json() for t in found]})

    async def revoke_personal_token(request: Request) -> Response:
        token_id = request.path_params["token_id"]
        try:
            principal = await agent_of(request)
            hashed = await services.commit(
                lambda tx: tokens.revoke_personal(
                    tx.conn, principal.license_id, token_id, principal.user_id
                )
            )
            if hashed is None:
                raise OAuthError(
                    "invalid_request", f"No personal access token {token_id!r} of yours", 404
                )
        except OAuthError as err:
            return _oauth_error(err)
        services.forget_personal_token(hashed)
        return _json({})

    # path (under /accounts, and at an accounts host's root), endpoint, methods
    table: list[tuple[str, Callable[[Request], Awaitable[Response]], list[str]]] = [
        ("/info", info, ["GET", "POST"]),
        ("/token", token, ["POST"]),
        ("/token", revoke, ["DELETE"]),
        ("/customer/", create_customer, ["POST"]),
        ("/customer", create_customer, ["POST"]),
        ("/customer", token_page, ["GET"]),
        ("/customer/token", customer_token, ["POST"]),
        ("/v2/customer/token", v2_customer_token, ["POST"]),
        ("/personal_access_tokens", create_personal_token, ["POST"]),
        ("/personal_access_tokens", list_personal_tokens, ["GET"]),
        ("/personal_access_tokens/{token_id}", revoke_personal_token, ["DELETE"]),
    ]
    out: list[BaseRoute] = [
        Route("/accounts" + path, endpoint, methods=methods) for path, endpoint, methods in table
    ]
    names = frozenset(h.strip().lower() for h in hosts if h.strip())
    if names:
        out += [HostRoute(names, path, endpoint, methods) for path, endpoint, methods in table]
    return out


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


def _refuse_blocked(agent: Agent) -> None:
    """A suspended agent, or one awaiting approval, gets no token."""
    if agent.suspended:
        raise OAuthError("invalid_grant", f"Agent {agent.id!r} is suspended")
    if agent.awaiting_approval:
        raise OAuthError("invalid_grant", f"Agent {agent.id!r} is awaiting approval")


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
    _refuse_blocked(agent)

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
    _refuse_blocked(agent)
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
