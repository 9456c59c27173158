"""The Web API transport: one HTTP POST per action, the response payload as the body (in
v3.0 with the same payload under `payload` as well: `enveloped_body`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import msgspec
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from chatplane import jsondecode
from chatplane.api import idempotency
from chatplane.api.bots import act_as
from chatplane.api.dispatch import (
    NOT_DECODED,
    Context,
    dispatch,
    may_be_unstorable,
    refuse_unstorable,
)
from chatplane.api.registry import CONFIGURATION, Registry, describe
from chatplane.api.versions import WireVersion
from chatplane.domain.models import AGENT
from chatplane.errors import ApiError, authentication, validation
from chatplane.services import Services

log = logging.getLogger(__name__)

_encode = msgspec.json.Encoder().encode


JSON = b"application/json"


# Serves one action's Web API request (by its name): the `make_action_server` of an API and
# version.
ActionServer = Callable[[Request, str], Awaitable["Answer"]]


class Answer(NamedTuple):
    """A Web API answer, whichever way it is sent: a JSON body with its status, and the
    headers beyond `content-length` and `content-type` (lower-case names)."""

    status: int
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...] = ()

    def response(self) -> Response:
        """As a Starlette `Response` (the same status, headers and body `send` writes)."""
        response = Response(self.body, status_code=self.status, media_type="application/json")
        response.raw_headers.extend(self.headers)
        return response

    async def send(self, send: Send) -> None:
        """Written with the two ASGI messages, the headers in `Response`'s order."""
        headers = [(b"content-length", str(len(self.body)).encode()), (b"content-type", JSON)]
        if self.headers:
            headers.extend(self.headers)
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


def json_response(body: Any, status: int = 200) -> Response:
    return Response(_encode(body), status_code=status, media_type="application/json")


def enveloped_body(result: dict[str, Any]) -> bytes:
    """A v3.0 Web API success body: the response payload's own fields, as the spec's sample
    responses show them (and Chatplane's clients read them), and the same payload under
    `payload`, where LiveChat's v3.0 customer SDK reads it (`send_file`'s URL). The payload
    is encoded once and spliced in twice."""
    if "payload" in result:  # no v3.0 payload has one; the envelope's own wins
        return _encode({**result, "payload": result})
    inner = _encode(result)
    if inner == b"{}":
        return b'{"payload":{}}'
    return inner[:-1] + b',"payload":' + inner + b"}"


def error_answer(err: ApiError, allow: str | None = None) -> Answer:
    """An error's answer; `allow`: the method a 405 names (the one the action is served by)."""
    headers: list[tuple[bytes, bytes]] = []
    if err.data and "retry_after" in err.data:
        headers.append((b"retry-after", str(max(1, round(err.data["retry_after"]))).encode()))
    if allow is not None and err.status == 405:
        headers.append((b"allow", allow.encode()))
    return Answer(err.status, _encode(err.payload()), tuple(headers))


def error_response(err: ApiError) -> Response:
    return error_answer(err).response()


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing one over `limit` bytes without reading it all. Read from
    the ASGI `receive` itself: a small body is one message (no async generator per
    request, as `Request.stream` has)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise ApiError("entity_too_large", f"Request body over {limit} bytes")
        except ValueError:
            raise validation("Content-Length is not a number") from None
    receive = request.receive
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnect()
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise ApiError("entity_too_large", f"Request body over {limit} bytes")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


ENVELOPE_KEYS = frozenset({"payload", "author_id"})
ENVELOPE_SHAPE = '{"payload": {...}, "author_id": "..."}'


def decode_body(body: bytes) -> dict[str, Any]:
    """A JSON object body (an empty body is `{}`)."""
    if not body.strip():
        return {}
    data = jsondecode.decode(body)
    if not isinstance(data, dict):
        raise validation("The request body must be a JSON object")
    refuse_unstorable(body, data)
    return data


def parse_envelope(body: bytes, bare: bool = False) -> tuple[Any, str | None]:
    """(payload, author_id) of a Web API request body `{"payload": ..., "author_id": ...}`.

    `bare` (the seed's v0.5 paths, whose examples post the payload itself): a body that is
    not such an envelope is the payload."""
    if not body.strip():
        return {}, None
    data = decode_body(body)
    if bare and not ("payload" in data and set(data) <= ENVELOPE_KEYS):
        return data, None
    jsondecode.refuse_unknown_keys(data, ENVELOPE_KEYS, ENVELOPE_SHAPE)
    author_id = data.get("author_id")
    if author_id is not None and not isinstance(author_id, str):
        raise validation("author_id must be a string")
    payload = data.get("payload", {})
    if payload is None:
        payload = {}
    return payload, author_id


# Decoders of a Web API body straight into an action's struct, by (payload type,
# enveloped); None for a payload type that is not a struct.
_typed_decoders: dict[tuple[Any, bool], msgspec.json.Decoder[Any] | None] = {}


def _typed_decoder(payload_type: Any, enveloped: bool) -> msgspec.json.Decoder[Any] | None:
    key = (payload_type, enveloped)
    if key in _typed_decoders:
        return _typed_decoders[key]
    decoder = None
    if isinstance(payload_type, type) and issubclass(payload_type, msgspec.Struct):
        target: Any = payload_type
        if enveloped:  # v3.0: `{"payload": {...}, "author_id": "..."}`, nothing else
            target = msgspec.defstruct(
                f"Enveloped{payload_type.__name__}",
                [("payload", payload_type | None, None), ("author_id", str | None, None)],
                forbid_unknown_fields=True,
            )
        decoder = msgspec.json.Decoder(target)
    _typed_decoders[key] = decoder
    return decoder


def typed_payload(
    body: bytes, payload_type: type | None, enveloped: bool
) -> tuple[Any, str | None] | None:
    """(the payload's struct, author_id) decoded straight from the body, without the dicts
    that `parse_envelope` and `Action.decode` go through (issue 19), or None: not a body
    this takes (empty, nested past a glance, spelling what `refuse_unstorable` walks, or
    anything refused). The caller then takes that long way, which answers the same
    errors, in the same order, and the same struct for what both accept."""
    decoder = _typed_decoder(payload_type, enveloped)
    if decoder is None:
        return None
    if (
        not body
        or body.count(b"[") + body.count(b"{") > jsondecode.MAX_JSON_DEPTH
        or may_be_unstorable(body)
    ):
        return None
    try:
        decoded = decoder.decode(body)
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        return None
    if not enveloped:
        return decoded, None
    if decoded.payload is None:  # `{}` or `"payload": null`: the long way decides
        return None
    return decoded.payload, decoded.author_id


# Room for the multipart framing and the small fields around a file of the maximum size.
MULTIPART_OVERHEAD = 64 * 1024


async def parse_upload(request: Request, max_file: int) -> tuple[dict[str, Any], str | None]:
    """A multipart body's `payload.*` fields; files are spooled to disk as they arrive
    (never wholly in memory) and the body is cut off once it passes the limit."""
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        raise validation("This action takes a multipart/form-data body")
    limit = max_file + MULTIPART_OVERHEAD
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError("entity_too_large", f"Upload limit exceeded ({max_file} bytes)")
    received = 0
    receive = request.receive

    async def limited_receive() -> Any:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise ApiError("entity_too_large", f"Upload limit exceeded ({max_file} bytes)")
        return message

    limited = Request(request.scope, limited_receive)
    try:
        form = await limited.form(max_files=2, max_fields=20)
    except ApiError:
        raise
    except Exception as exc:
        raise validation(f"Malformed multipart body: {exc}") from None
    payload: dict[str, Any] = {}
    author_id = None
    for key, value in form.multi_items():
        if key == "author_id" and isinstance(value, str):
            author_id = value
            continue
        name = key[len("payload.") :] if key.startswith("payload.") else key
        payload[name] = value
    for value in payload.values():
        size = getattr(value, "size", None)
        if size is not None and size > max_file:
            raise ApiError("entity_too_large", f"Upload limit exceeded ({max_file} bytes)")
    return payload, author_id


def header_values(request: Request) -> dict[str, str]:
    """The request's headers by (lower-case) name, the first of a repeated one, as
    `request.headers.get` answers: one pass, then each look-up is a dict's (Starlette's
    `Headers` scans the list per look-up, and raises and catches for a missing one)."""
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in reversed(request.scope["headers"])}


async def license_param(services: Services, request: Request, version: WireVersion) -> int:
    """The customer's license, named in the query string (`license_id` in v3.0,
    `organization_id` in v3.x)."""
    for name in version.license_params:
        raw = request.query_params.get(name)
        if raw is None:
            continue
        if name == "organization_id":
            return await services.license_of_organization(raw)
        try:
            return int(raw)
        except ValueError:
            raise validation(f"{name} {raw!r} is not an integer") from None
    raise validation(f"The {version.license_params[0]} query parameter is required")


def make_endpoint(
    services: Services, registry: Registry, api: str, version: WireVersion, seed: bool = False
) -> Any:
    """The Web API endpoint of one API in one version, as a Starlette endpoint. `seed`: the
    v0.5 paths of the spec's examples, which take the payload itself as the body and the
    license from the token."""
    return endpoint_of(make_action_server(services, registry, api, version, seed))


def endpoint_of(serve: ActionServer) -> Any:
    """A Starlette endpoint answering what `serve` answers."""

    async def endpoint(request: Request) -> Response:
        return (await serve(request, request.path_params["action"])).response()

    return endpoint


def make_action_server(
    services: Services, registry: Registry, api: str, version: WireVersion, seed: bool = False
) -> ActionServer:
    """What the Web API endpoint of one API in one version does, answering an `Answer`:
    called by the Starlette endpoint (`make_endpoint`) and by `ActionPaths` on ASGI."""

    async def serve(request: Request, action: str) -> Answer:
        try:
            act = registry.lookup(api, version.name, action, "web")
            license_id = None
            # The query string is parsed only where it may name the license.
            if api == "customer" and (
                not seed or any(p in request.query_params for p in version.license_params)
            ):
                license_id = await license_param(services, request, version)
            body = (
                b"" if act.multipart else await read_body(request, services.settings.max_body_bytes)
            )
            headers = header_values(request)
            header = headers.get("authorization")
            principal = None
            if header or act.needs_login:  # a method that needs no token may still get one
                if not header:
                    raise authentication("Missing Authorization header with a Bearer token")
                principal = await services.authenticate(header, allow_blocked=act.blocked_ok)
                # The Configuration API is called with an agent's (or application's) token.
                if principal.user_type != (AGENT if api == CONFIGURATION else api):
                    raise authentication(f"This token is not valid for the {api} API")
            if (
                license_id is not None
                and principal is not None
                and principal.license_id != license_id
            ):
                raise authentication(f"This token is not valid for license {license_id}")
            key = headers.get(idempotency.HEADER)
            typed = None
            if key is None and not act.multipart and not seed:
                typed = typed_payload(body, act.payload_type, version.enveloped)
            decoded, payload = NOT_DECODED, None
            if typed is not None:
                decoded, author_id = typed
            elif act.multipart:
                payload, author_id = await parse_upload(request, services.settings.max_file_bytes)
            elif version.enveloped:
                payload, author_id = parse_envelope(body, bare=seed)
            else:
                payload, author_id = decode_body(body), None
            if version.author_header is not None and api != CONFIGURATION:
                author_id = headers.get(version.author_header.lower()) or author_id
            ctx = Context(
                services=services,
                api=api,
                transport="web",
                version=version.name,
                principal=principal,
                author_id=author_id,
                client_ip=request.client.host if request.client else None,
                user_agent=headers.get("user-agent"),
                license_id=license_id,
            )
            if key is not None:
                ctx.idempotency_key = idempotency.check_key(key, "The Idempotency-Key header")
            if act.multipart:  # uploads answer with the file's URL; building it costs
                ctx.extra["base_url"] = str(request.base_url)
            if author_id is not None and principal is not None:
                ctx.principal = await act_as(services, principal, author_id)
            try:
                result = await dispatch(ctx, act, payload, decoded)
            finally:
                if act.multipart:
                    for value in (payload or {}).values():
                        if hasattr(value, "close"):
                            await value.close()
            if version.enveloped and not seed and isinstance(result, dict):
                return Answer(200, enveloped_body(result))
            return Answer(200, _encode(result))
        except ApiError as err:
            return error_answer(version.answer(err), allow="GET")
        except Exception:
            log.exception("internal error in %s/%s", api, action)
            return error_answer(ApiError("internal"))

    return serve


class ActionPaths:
    """The Web API's action paths (`POST <prefix><action>`) served straight on ASGI, in
    front of the Starlette app (`fallback`): the same `ActionServer` as the Starlette
    endpoint, without routing through every route, the middleware's wrappers and a
    `Response` per request (issue 19: they were a third of the event loop's time on
    `send_event`). What it does not take goes to `fallback` unchanged: other methods (a
    preflight, a 405), multipart actions (uploads read the form), a path under a
    `root_path`. `wrap` puts the app's HTTP middleware (CORS) around what it serves, so
    that its answers carry the same headers."""

    def __init__(self, fallback: ASGIApp, wrap: Callable[[ASGIApp], ASGIApp] | None = None):
        self.fallback = fallback
        self._paths: dict[str, tuple[ActionServer, frozenset[str]]] = {}
        self._serve: ASGIApp = wrap(self._serve_action) if wrap is not None else self._serve_action

    def add(self, prefix: str, serve: ActionServer, multipart: frozenset[str]) -> None:
        """Serve `POST <prefix><action>` (prefix ending in `/`) with `serve`, except the
        `multipart` actions."""
        if prefix in self._paths:
            raise RuntimeError(f"{prefix} is served twice")
        self._paths[prefix] = (serve, multipart)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path"):
            path: str = scope["path"]
            cut = path.rfind("/") + 1
            found = self._paths.get(path[:cut])
            if found is not None and cut < len(path) and path[cut:] not in found[1]:
                scope[_ROUTED] = (found[0], path[cut:])
                await self._serve(scope, receive, send)
                return
        await self.fallback(scope, receive, send)

    async def _serve_action(self, scope: Scope, receive: Receive, send: Send) -> None:
        serve, action = scope[_ROUTED]
        answer = await serve(Request(scope, receive), action)
        await answer.send(send)


def multipart_actions(registry: Registry, api: str, version: str) -> frozenset[str]:
    """The actions of an API whose Web API body is multipart (left to Starlette's form)."""
    return frozenset(a.name for a in registry.actions(version) if a.api == api and a.multipart)


# The scope key `ActionPaths` leaves the action's server and name under for `_serve_action`.
_ROUTED = "chatplane.action"


# The methods `by_method` answers (each with the action's own method or a 405 naming it).
EVERY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def by_method(registry: Registry, api: str, version: WireVersion, *, post: Any, get: Any) -> Any:
    """One Web API path for actions served by POST and by GET: each action answers the
    method it is served by (HEAD as GET), and any other with 405 naming that one."""
    methods = {a.name: a.method for a in registry.actions(version.name) if a.api == api}

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        if method == "POST":
            response: Response = await post(request)
            return response
        if method == "GET":
            response = await get(request)
            return response
        name = request.path_params["action"]
        allowed = methods.get(name, "POST")
        err = ApiError(
            "validation", f"The Web API takes {allowed} here, not {request.method}", status=405
        )
        response = error_response(version.answer(err))
        response.headers["Allow"] = allowed
        return response

    return endpoint


def _allowing(response: Response, err: ApiError, other: str) -> Response:
    """A 405 (an action called with the method it is not served by) names the one it is."""
    if err.status == 405:
        response.headers["Allow"] = other
    return response


def make_query_endpoint(
    services: Services, registry: Registry, api: str, version: WireVersion
) -> Any:
    """The Web API's GET endpoint of one API in one version: the v3.x customer widget's
    configuration and public properties, which take their payload from the query string
    and need no token (customer-chat-api, "Methods": `GET` for list_license_properties,
    list_group_properties, get_dynamic_configuration, get_configuration,
    get_localization). The license is the one the query string names."""

    async def endpoint(request: Request) -> Response:
        try:
            act = registry.lookup(
                api, version.name, request.path_params["action"], "web", method="GET"
            )
            client_ip = request.client.host if request.client else None
            # No token names the caller: the address is limited as a caller would be.
            services.request_limit.check(f"address:{client_ip}", "requests")
            license_id = await license_param(services, request, version)
            payload: dict[str, Any] = {}
            for key, value in request.query_params.multi_items():
                if key in version.license_params:
                    continue
                if key in payload:
                    raise validation(f"The query parameter {key!r} is given more than once")
                payload[key] = value
            refuse_unstorable("".join(f"{k}{v}" for k, v in payload.items()), payload)
            ctx = Context(
                services=services,
                api=api,
                transport="web",
                version=version.name,
                client_ip=client_ip,
                user_agent=request.headers.get("user-agent"),
                license_id=license_id,
            )
            if act.payload_type is not None:
                # Query parameters are text: numbers and booleans are read from it.
                try:
                    payload = msgspec.convert(payload, act.payload_type, strict=False)
                except msgspec.ValidationError as exc:
                    raise validation(f"Query string: {describe(exc)}") from None
            result = await act.handler(ctx, payload)
            return json_response(result if result is not None else {})
        except ApiError as err:
            return _allowing(error_response(version.answer(err)), err, "POST")
        except Exception:
            log.exception("internal error in %s/%s", api, request.path_params.get("action"))
            return error_response(ApiError("internal"))

    return endpoint
