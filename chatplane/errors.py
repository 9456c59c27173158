"""Errors as values of the spec's error types.

Every failure a client can cause is one of these; the transports turn it into the
`{"error": {"type", "message"}}` payload (and an HTTP status on the Web API).
"""

from __future__ import annotations

from typing import Any

# The spec's default message for each error type (agent-chat-api, "Possible errors").
DEFAULT_MESSAGES = {
    "internal": "Internal server error",
    "validation": "Wrong format of request",
    "authorization": "Authorization error",
    "authentication": "Authentication error",
    "request_timeout": "Request timed out",
    "license_expired": "License expired",
    "unsupported_version": "Unsupported version",
    "misdirected_request": "Wrong region",
    "entity_too_large": "Upload limit exceeded (10MB)",
    "wrong_product_version": "Wrong product version",
    "license_not_found": "License not found",
    "requester_offline": "Requester offline",
    "customer_banned": "Customer is banned",
    "group_unavailable": "Group unavailable",
    "group_offline": "Group offline",
    "users_limit_reached": "users limit reached",
    "too_many_requests": "Too many requests",
    # The newer versions' own types (v3.x "Possible errors"), where v3.0 answers
    # `validation` or `authorization`.
    "not_found": "Not found",
    "chat_inactive": "Chat is inactive",
    "missing_access": "Missing access",
    "agent_offline": "Agent is offline",
    "service_unavailable": "Service unavailable",
    # The Configuration API v3.x adds these (management/configuration-api, "Errors").
    "already_exists": "Already exists",
    "group_not_found": "Group not found",
    "limit_reached": "Limit reached",
}

HTTP_STATUS = {
    "internal": 500,
    "validation": 400,
    "authorization": 403,
    "authentication": 401,
    "request_timeout": 504,
    "license_expired": 402,
    "unsupported_version": 400,
    "misdirected_request": 421,
    "entity_too_large": 413,
    "wrong_product_version": 400,
    "license_not_found": 404,
    "requester_offline": 403,
    "customer_banned": 403,
    "group_unavailable": 400,
    "group_offline": 400,
    "users_limit_reached": 400,
    "too_many_requests": 429,
    "not_found": 404,
    "chat_inactive": 400,
    "missing_access": 403,
    "agent_offline": 400,
    "service_unavailable": 503,
    "already_exists": 409,
    "group_not_found": 404,
    "limit_reached": 400,
}


class ApiError(Exception):
    """An error the client can act on. `status` overrides the HTTP status of the type."""

    def __init__(
        self,
        type: str,
        message: str | None = None,
        *,
        status: int | None = None,
        data: dict[str, Any] | None = None,
        kind: str | None = None,
    ) -> None:
        self.type = type
        self.message = message or DEFAULT_MESSAGES.get(type, type)
        self.status = status or HTTP_STATUS.get(type, 400)
        self.data = data
        # The precise type the newer versions answer (`not_found`, `chat_inactive`,
        # `missing_access`, `agent_offline`) where v3.0 has only `type`: each version's
        # transport picks one (WireVersion.answer), so v3.0 answers exactly as it did.
        self.kind = kind
        super().__init__(f"{type}: {self.message}")

    def payload(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.data:
            error["data"] = self.data
        return {"error": error}


def validation(message: str) -> ApiError:
    return ApiError("validation", message)


def not_found(what: str, ident: object) -> ApiError:
    # The v3.0 spec has no `not_found` type: a missing resource is a request the
    # caller must fix, so it is a `validation` error, with HTTP 404 on the Web API.
    return ApiError("validation", f"{what} {ident!r} not found", status=404, kind="not_found")


def chat_inactive(message: str) -> ApiError:
    """The chat has no active thread where one is needed (v3.0: `validation`)."""
    return ApiError("validation", message, kind="chat_inactive")


def missing_access(message: str) -> ApiError:
    """The caller may not use this chat (v3.0: `authorization`)."""
    return ApiError("authorization", message, kind="missing_access")


def agent_offline(type: str, message: str) -> ApiError:
    """No agent can take the chat now (v3.0: `type`, a validation or group error)."""
    return ApiError(type, message, kind="agent_offline")


def already_exists(what: str, ident: object) -> ApiError:
    """A resource of that name exists (Configuration API v3.x)."""
    return ApiError("already_exists", f"{what} {ident!r} already exists")


def limit_reached(message: str) -> ApiError:
    return ApiError("limit_reached", message)


def authorization(message: str) -> ApiError:
    return ApiError("authorization", message)


def authentication(message: str = "Invalid or expired access token") -> ApiError:
    return ApiError("authentication", message)


def blocked_agent(principal: Any) -> ApiError:
    """A suspended agent, or one awaiting approval, tries to work. `authentication` (its
    credentials no longer open anything), with the reason as `data.reason` (the v3.x
    names `requester_suspended`, `requester_awaiting_approval`)."""
    if principal.blocked == "suspended":
        return ApiError(
            "authentication",
            f"Agent {principal.user_id!r} is suspended: an administrator must unsuspend it "
            "(it may still ask with request_agent_unsuspension)",
            data={"reason": "requester_suspended"},
        )
    return ApiError(
        "authentication",
        f"Agent {principal.user_id!r} is awaiting approval: an administrator must approve it",
        data={"reason": "requester_awaiting_approval"},
    )
