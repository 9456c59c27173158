"""Administrator endpoints for webhook delivery, and `/metrics`.

- `GET /admin/webhooks/deliveries?status=pending,failed&limit=100`: deliveries of the
  caller's license with their attempts;
- `POST /admin/webhooks/redeliver` `{"delivery_id": "..."}` or `{"all_failed": true}`;
- `GET /metrics`: delivered, retried, failed, pending, oldest pending (Prometheus text).
The admin endpoints take an owner's or administrator's token (`webhooks--all:rw`).
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from chatplane import jsondecode
from chatplane.api.web import error_response, json_response, read_body
from chatplane.domain.access import require_scope
from chatplane.domain.models import Principal
from chatplane.errors import ApiError, authentication, validation
from chatplane.services import Services
from chatplane.webhooks import operations

ADMIN_SCOPE = "webhooks--all:rw"


class Redeliver(msgspec.Struct, kw_only=True):
    delivery_id: str | None = None
    all_failed: bool = False


def routes(services: Services) -> list[BaseRoute]:
    async def caller(request: Request) -> Principal:
        header = request.headers.get("authorization")
        if not header:
            raise authentication("Missing Authorization header with a Bearer token")
        principal = await services.authenticate(header)
        if not principal.is_agent:
            raise authentication("This endpoint takes an administrator's token")
        require_scope(principal.scopes, ADMIN_SCOPE)
        return principal

    async def deliveries(request: Request) -> Response:
        try:
            principal = await caller(request)
            statuses = operations.parse_statuses(request.query_params.get("status"))
            raw_limit = request.query_params.get("limit", "100")
            if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 1000:
                raise validation("limit must be an integer from 1 to 1000")
            found = await services.read(
                lambda tx: operations.list_deliveries(
                    tx, principal.license_id, statuses, int(raw_limit)
                )
            )
            return json_response({"deliveries": found})
        except ApiError as err:
            return error_response(err)

    async def redeliver(request: Request) -> Response:
        try:
            principal = await caller(request)
            body = await read_body(request, services.settings.max_body_bytes)
            try:
                p = msgspec.convert(jsondecode.decode(body or b"{}"), Redeliver)
            except msgspec.ValidationError as exc:
                raise validation(str(exc)) from None
            if (p.delivery_id is None) == (not p.all_failed):
                raise validation("Give either delivery_id or all_failed: true")
            retry_for = services.settings.webhook_retry_for
            count = await services.commit(
                lambda tx: operations.redeliver(
                    tx, retry_for, license_id=principal.license_id, delivery_id=p.delivery_id
                )
            )
            _wake(request)
            return json_response({"redelivered": count})
        except ApiError as err:
            return error_response(err)

    async def metrics(_request: Request) -> Response:
        text = await services.read(operations.metrics_text)
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

    return [
        Route("/admin/webhooks/deliveries", deliveries, methods=["GET"]),
        Route("/admin/webhooks/redeliver", redeliver, methods=["POST"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]


def _wake(request: Request) -> None:
    worker: Any = getattr(request.app.state, "webhook_worker", None)
    if worker is not None:
        worker.wake.set()
