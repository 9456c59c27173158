"""The Configuration API transport: `POST /v3.0/configuration/<group>/<method>`.

Also served unversioned (`/configuration/<group>/<method>`), as the seed's example uses.
The body is the request object itself (no `payload` envelope), the response the
response object; errors are the same `{"error": {"type", "message"}}` payloads.
Methods are collected with `Actions()("configuration", "<group>/<method>", Struct)` and
wired by the app into the registry under version 3.0.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from chatplane import jsondecode
from chatplane.api import idempotency
from chatplane.api.dispatch import Context, dispatch, refuse_unstorable
from chatplane.api.registry import CONFIGURATION, Registry
from chatplane.api.web import error_response, json_response, read_body
from chatplane.errors import ApiError, authentication
from chatplane.services import Services

log = logging.getLogger(__name__)

PREFIXES = ("/v3.0/configuration", "/configuration")


def make_endpoint(services: Services, registry: Registry) -> Any:
    async def endpoint(request: Request) -> Response:
        name = f"{request.path_params['group']}/{request.path_params['method']}"
        try:
            act = registry.lookup(CONFIGURATION, "3.0", name, "web")
            body = await read_body(request, services.settings.max_body_bytes)
            header = request.headers.get("authorization")
            if not header:
                raise authentication("Missing Authorization header with a Bearer token")
            principal = await services.authenticate(header)
            if not principal.is_agent:
                raise authentication(
                    "The Configuration API takes an agent's or application's token"
                )
            payload: Any = {}
            if body.strip():
                payload = jsondecode.decode(body)
                refuse_unstorable(body, payload)
            ctx = Context(
                services=services, api=CONFIGURATION, transport="web", principal=principal
            )
            key = request.headers.get(idempotency.HEADER)
            if key is not None:
                ctx.idempotency_key = idempotency.check_key(key, "The Idempotency-Key header")
            return json_response(await dispatch(ctx, act, payload))
        except ApiError as err:
            return error_response(err)
        except Exception:
            log.exception("internal error in configuration/%s", name)
            return error_response(ApiError("internal"))

    return endpoint
