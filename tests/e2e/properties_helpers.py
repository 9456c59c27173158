"""Helpers for the property tests: Configuration API calls and configurations to create."""

from __future__ import annotations

import json
from typing import Any

import httpx

from .harness import ApiError, Http, unique


def prop_name(prefix: str = "p") -> str:
    """A property name no other test uses (the e2e server is shared)."""
    return unique(prefix)


def config(
    type: str,
    locations: tuple[str, ...] = ("chat",),
    agent: tuple[bool, bool] | None = (True, True),
    customer: tuple[bool, bool] | None = (True, True),
    **extra: Any,
) -> dict[str, Any]:
    """A configuration as create_properties takes it: (read, write) per user type."""
    access: dict[str, Any] = {}
    if agent is not None:
        access["agent"] = {"read": agent[0], "write": agent[1]}
    if customer is not None:
        access["customer"] = {"read": customer[0], "write": customer[1]}
    out: dict[str, Any] = {
        "type": type,
        "locations": {loc: {"access": json.loads(json.dumps(access))} for loc in locations},
    }
    out.update(extra)
    return out


def configuration(
    http: Http, token: str, method: str, body: Any, *, versioned: bool = True
) -> httpx.Response:
    prefix = "/v3.0/configuration" if versioned else "/configuration"
    return http.client.post(
        f"{prefix}/properties/{method}",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        content=json.dumps(body),
    )


def create(http: Http, token: str, configs: dict[str, Any]) -> None:
    resp = configuration(http, token, "create_properties", configs)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {}


def configuration_error(resp: httpx.Response) -> ApiError:
    try:
        body = resp.json()
    except ValueError:
        body = None
    return ApiError(resp.status_code, body, resp.text)
