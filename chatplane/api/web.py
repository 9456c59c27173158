"""The Web API transport: one HTTP POST per action, the response payload as the body."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from chatplane.api.dispatch import Context, describe, dispatch, lookup
from chatplane.errors import ApiError, authentication, validation
from chatplane.services import Services

log = logging.getLogger(__name__)

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def json_response(body: Any, status: int = 200) -> Response:
    return Response(_encode(body), status_code=status, media_type="application/json")


def error_response(err: ApiError) -> Response:
    return json_response(err.payload(), err.status)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing one over `limit` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise ApiError("entity_too_large", f"Request body over {limit} bytes")
        except ValueError:
            raise validation("Content-Length is not a number") from None
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError("entity_too_large", f"Request body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_envelope(body: bytes) -> tuple[Any, str | None]:
    """(payload, author_id) of a Web API request body `{"payload": ..., "author_id": ...}`."""
    if not body.strip():
        return {}, None
    try:
        data = _decode(body)
    except msgspec.DecodeError as exc:
        raise validation(f"Malformed JSON: {describe(exc)}") from None
    if not isinstance(data, dict):
        raise validation("The request body must be a JSON object")
    author_id = data.get("author_id")
    if author_id is not None and not isinstance(author_id, str):
        raise validation("author_id must be a string")
    payload = data.get("payload", {})
    if payload is None:
        payload = {}
    return payload, author_id


def parse_seed_body(body: bytes) -> Any:
    """The body of the seed's `/<api>/v0.5/action/<action>` form: the payload itself."""
    if not body.strip():
        return {}
    try:
        return _decode(body)
    except msgspec.DecodeError as exc:
        raise validation(f"Malformed JSON: {describe(exc)}") from None


def license_param(request: Request, *, required: bool = True) -> int | None:
    raw = request.query_params.get("license_id")
    if raw is None:
        if not required:
            return None
        raise validation("The license_id query parameter is required")
    try:
        return int(raw)
    except ValueError:
        raise validation(f"license_id {raw!r} is not an integer") from None


def make_endpoint(services: Services, api: str) -> Any:
    async def endpoint(request: Request) -> Response:
        try:
            act = lookup(api, request.path_params["action"], "web")
            # about-apis.md's examples post the payload itself, with no license_id: the
            # customer's token names the license.
            seed_form = "/v0.5/" in request.url.path
            license_id = (
                license_param(request, required=not seed_form) if api == "customer" else None
            )
            body = await read_body(request, services.settings.max_body_bytes)
            header = request.headers.get("authorization")
            if not header:
                raise authentication("Missing Authorization header with a Bearer token")
            principal = await services.authenticate(header)
            if principal.user_type != api:
                raise authentication(f"This token is not valid for the {api} API")
            if license_id is not None and principal.license_id != license_id:
                raise authentication(f"This token is not valid for license {license_id}")
            payload, author_id = (
                (parse_seed_body(body), None) if seed_form else parse_envelope(body)
            )
            ctx = Context(
                services=services,
                api=api,
                transport="web",
                principal=principal,
                author_id=author_id,
                client_ip=request.client.host if request.client else None,
                user_agent=request.headers.get("user-agent"),
                license_id=license_id,
            )
            if author_id is not None:
                from chatplane.api.bots import act_as

                ctx.principal = await act_as(services, principal, author_id)
            result = await dispatch(ctx, act, payload)
            return json_response(result)
        except ApiError as err:
            return error_response(err)
        except Exception:
            log.exception("internal error in %s/%s", api, request.path_params.get("action"))
            return error_response(ApiError("internal"))

    return endpoint
