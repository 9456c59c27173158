"""What the Configuration API v3.6 handlers share: the request base, times, the spellings of
statuses, batch requests, and the answer of methods that belong to the hosted product.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from chatplane.api.dispatch import Context
from chatplane.api.registry import Handler, decode_payload
from chatplane.api.v3_6.version import VERSION
from chatplane.errors import ApiError

CONFIGURATION = "configuration"


class Request(Struct, kw_only=True, forbid_unknown_fields=True):
    """A v3.x Configuration API request: a field the method does not know is refused
    naming it, rather than dropped (docs/decisions.md)."""


class Empty(Request, kw_only=True):
    pass


# The Configuration API's spelling of routing statuses; the domain keeps the Agent Chat
# API's (`accepting_chats`), translated at this edge.
LoginStatus = Literal["accepting chats", "not accepting chats"]
Priority = Literal["first", "normal", "last", "supervisor"]
GroupId = Annotated[int, Meta(ge=0)]
ClientId = Annotated[str, Meta(min_length=1, max_length=64)]


def to_domain_status(status: str) -> str:
    return status.replace(" ", "_")


def to_wire_status(status: str) -> str:
    return status.replace("_", " ")


def rfc3339(ts: float | None) -> str | None:
    """RFC 3339 with microseconds, UTC (`2019-12-09T12:01:18.909000Z`)."""
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def groups_of(memberships: list[tuple[int, str]]) -> list[dict[str, Any]]:
    return [{"id": g, "priority": p} for g, p in memberships]


# -- batch requests (configuration-api, "Batch requests") --------------------------------

MAX_BATCH = 100


class BatchRequest(Request, kw_only=True):
    requests: Annotated[list[Any], Meta(max_length=MAX_BATCH)]


def batch(payload_type: type, handler: Handler) -> Handler:
    """A `batch_*` method over a single one: each request is decoded and run on its own
    (one after another, each in its own transaction) and answered on its own, with its
    response object or its error, in the order of the requests. The single method's
    scopes apply (the batch action is declared with them)."""

    async def run(ctx: Context, p: BatchRequest) -> dict[str, Any]:
        responses: list[Any] = []
        for request in p.requests:
            try:
                decoded = decode_payload(request, payload_type)
                result = await handler(ctx, decoded)
                responses.append(result if result is not None else {})
            except ApiError as err:
                responses.append(VERSION.answer(err).payload())  # v3.5 names errors alike
        return {"responses": responses}

    return run


# -- the hosted product's methods -------------------------------------------------------


def hosted_only(
    method: str, why: str, reason: str = "not_self_hosted"
) -> Callable[[Context, Any], Awaitable[None]]:
    """A method this server does not serve: `service_unavailable` with HTTP 501, as the
    chat APIs' hosted-only methods answer (nothing the caller sends can make it succeed
    here, and 503 would say "come back later"), saying why, with `data.reason`:
    `not_self_hosted` for the hosted product's own methods, `not_implemented` for what
    Chatplane does not have yet."""

    async def refuse(_ctx: Context, _p: Any) -> None:
        raise ApiError(
            "service_unavailable",
            f"{method} is not available on a self-hosted Chatplane server: {why}",
            status=NOT_IMPLEMENTED,
            data={"reason": reason},
        )

    return refuse


NOT_IMPLEMENTED = 501
