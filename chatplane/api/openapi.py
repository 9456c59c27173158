"""The Web API described as OpenAPI 3.1, generated from the action registry.

Every action served over HTTP appears with its payload's JSON Schema (from the msgspec
structs that validate it), so the document cannot drift from what the server accepts.
"""

from __future__ import annotations

from typing import Any

import msgspec

from chatplane import __version__
from chatplane.api.dispatch import REGISTRY, Action

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["type", "message"],
            "properties": {
                "type": {"type": "string"},
                "message": {"type": "string"},
                "data": {"type": "object"},
            },
        }
    },
}

# Act as a bot (author_id); null is the same as leaving it out.
AUTHOR_ID = {"type": ["string", "null"]}

PATHS = {
    "agent": "/v3.0/agent/action/{name}",
    "customer": "/v3.0/customer/action/{name}",
    "configuration": "/v3.0/configuration/{name}",
}


def _error_responses() -> dict[str, Any]:
    ref = {"$ref": "#/components/schemas/Error"}
    body = {"application/json": {"schema": ref}}
    return {
        str(code): {"description": text, "content": body}
        for code, text in (
            (400, "validation: the request is malformed or breaks a rule"),
            (401, "authentication: missing, invalid or expired token"),
            (403, "authorization: the caller may not do this"),
            (404, "validation: unknown action or missing resource"),
            (413, "entity_too_large: the body is too large"),
            (429, "too_many_requests: slow down; see Retry-After"),
        )
    }


def _operation(act: Action, content: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": f"{act.api}_{act.name}".replace("/", "_"),
        "tags": [act.api],
        "summary": f"{act.api} API: {act.name}",
        "security": [{"bearer": []}],
        # An empty body is an empty payload (`{}`), as the server takes it.
        "requestBody": {"required": act.multipart, "content": content},
        "responses": {
            "200": {
                "description": "The response payload ({} when the action has none)",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            **_error_responses(),
        },
    }
    if act.api == "customer":
        operation["parameters"] = [
            {
                "name": "license_id",
                "in": "query",
                "required": True,
                "schema": {"type": "integer"},
            }
        ]
    return operation


def document() -> dict[str, Any]:
    actions: list[Action] = sorted(
        (a for a in REGISTRY.values() if a.web), key=lambda a: (a.api, a.name)
    )
    types = [a.payload_type for a in actions if a.payload_type is not None]
    schemas, components = msgspec.json.schema_components(
        types, ref_template="#/components/schemas/{name}"
    )
    components["Error"] = ERROR_SCHEMA
    paths: dict[str, Any] = {}
    for act, schema in zip(
        [a for a in actions if a.payload_type is not None], schemas, strict=True
    ):
        path = PATHS[act.api].format(name=act.name)
        if act.api == "configuration":
            body_schema = schema
        else:
            body_schema = {
                "type": "object",
                "properties": {"payload": schema, "author_id": AUTHOR_ID},
            }
        operation = _operation(act, {"application/json": {"schema": body_schema}})
        paths[path] = {"post": operation}
    for act in (a for a in actions if a.payload_type is None and a.multipart):
        # A multipart/form-data body of `payload.<field>` parts (files among them).
        multipart = {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "properties": {"author_id": {"type": "string"}},
        }
        path = PATHS[act.api].format(name=act.name)
        paths[path] = {"post": _operation(act, {"multipart/form-data": {"schema": multipart}})}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Chatplane Web API (LiveChat Platform v3.0)",
            "version": __version__,
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
