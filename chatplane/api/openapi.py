"""The Web API described as OpenAPI 3.1, generated from the action registry.

Every action served over HTTP appears with its payload's JSON Schema (from the msgspec
structs that validate it), so the document cannot drift from what the server accepts.
"""

from __future__ import annotations

from typing import Any

import msgspec

from chatplane import __version__
from chatplane.api.registry import Action, Registry
from chatplane.api.versions import WireVersion

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


def path_of(act: Action) -> str:
    if act.api == "configuration":
        if act.version == "3.0":  # v3.0's own paths: `<group>/<method>`
            return f"/v{act.version}/configuration/{act.name}"
        return f"/v{act.version}/configuration/action/{act.name}"
    return f"/v{act.version}/{act.api}/action/{act.name}"


def _error_responses() -> dict[str, Any]:
    ref = {"$ref": "#/components/schemas/Error"}
    body = {"application/json": {"schema": ref}}
    return {
        str(code): {"description": text, "content": body}
        for code, text in (
            (400, "validation: the request is malformed or breaks a rule"),
            (401, "authentication: missing, invalid or expired token"),
            (403, "authorization: the caller may not do this"),
            (404, "validation (v3.x: not_found, group_not_found): unknown action or resource"),
            (409, "already_exists (Configuration API v3.x): the name is taken"),
            (413, "entity_too_large: the body is too large"),
            (429, "too_many_requests: slow down; see Retry-After"),
            (501, "service_unavailable (v3.x): the method needs a service this server has not"),
        )
    }


def _operation(act: Action, content: dict[str, Any], enveloped: bool = False) -> dict[str, Any]:
    # v3.x list_routing_statuses, list_agents_for_transfer and some Configuration API
    # methods (list_agents, list_tags, ...) answer arrays.
    ok: dict[str, Any] = {"type": "object"} if enveloped else {"type": ["object", "array"]}
    described = "The response payload ({} when the action has none)"
    if enveloped:
        ok = {"type": "object", "properties": {"payload": {"type": "object"}}}
        described += ", its fields and the same payload again as `payload`"
    operation: dict[str, Any] = {
        "operationId": f"{act.api}_v{act.version}_{act.name}".replace("/", "_").replace(".", "_"),
        "tags": [f"{act.api} v{act.version}"],
        "summary": f"{act.api} API v{act.version}: {act.name}",
        # A method that needs no token (list_webhook_names) still takes one.
        "security": [{"bearer": []}] if act.needs_login else [{}, {"bearer": []}],
        # An empty body is an empty payload (`{}`), as the server takes it.
        "requestBody": {"required": act.multipart, "content": content},
        "responses": {
            "200": {
                "description": described,
                "content": {"application/json": {"schema": ok}},
            },
            **_error_responses(),
        },
    }
    # Retry-safe writes (docs/idempotency.md): the same key within 24 hours gets the first
    # answer back, with no second write.
    parameters: list[dict[str, Any]] = [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": "A key naming this request: a retry with the same key from the "
            "same caller within 24 hours gets the first answer back and writes nothing again",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        }
    ]
    if act.api == "customer":
        parameters.append(
            {
                "name": "license_id",
                "in": "query",
                "required": True,
                "schema": {"type": "integer"},
            }
        )
    operation["parameters"] = parameters
    return operation


def _enveloped(act: Action, versions: dict[str, WireVersion]) -> bool:
    """The chat APIs of an enveloped version (v3.0) answer with `payload` too (api/web.py)."""
    return act.api != "configuration" and versions[act.version].enveloped


def _query_operation(
    act: Action, schema: dict[str, Any], components: dict[str, Any], license_param: str
) -> dict[str, Any]:
    """A GET action (the v3.x customer widget's configuration): its payload's fields are
    query parameters, beside the one naming the license; no token is needed."""
    operation = _operation(act, {})
    del operation["requestBody"]
    operation["security"] = []
    struct = components[schema["$ref"].rsplit("/", 1)[-1]]
    required = set(struct.get("required", []))
    operation["parameters"] = [
        {"name": license_param, "in": "query", "required": True, "schema": {"type": "string"}},
        *(
            {"name": name, "in": "query", "required": name in required, "schema": prop}
            for name, prop in struct.get("properties", {}).items()
        ),
    ]
    return operation


def document(registry: Registry, versions: dict[str, WireVersion]) -> dict[str, Any]:
    actions = [a for a in registry.actions() if a.web]
    types = [a.payload_type for a in actions if a.payload_type is not None]
    schemas, components = msgspec.json.schema_components(
        types, ref_template="#/components/schemas/{name}"
    )
    components["Error"] = ERROR_SCHEMA
    paths: dict[str, Any] = {}
    for act, schema in zip(
        [a for a in actions if a.payload_type is not None], schemas, strict=True
    ):
        path = path_of(act)
        if act.method == "GET":
            license_param = versions[act.version].license_params[0]
            paths[path] = {"get": _query_operation(act, schema, components, license_param)}
            continue
        if not _enveloped(act, versions):
            body_schema = schema
        else:
            body_schema = {
                "type": "object",
                "properties": {"payload": schema, "author_id": AUTHOR_ID},
                # Any other top-level key is refused (a payload sent without its envelope).
                "additionalProperties": False,
            }
        operation = _operation(
            act, {"application/json": {"schema": body_schema}}, _enveloped(act, versions)
        )
        paths[path] = {"post": operation}
    for act in (a for a in actions if a.payload_type is None and a.multipart):
        # A multipart/form-data body of `payload.<field>` parts (files among them).
        multipart = {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "properties": {"author_id": {"type": "string"}},
        }
        path = path_of(act)
        form = {"multipart/form-data": {"schema": multipart}}
        paths[path] = {"post": _operation(act, form, _enveloped(act, versions))}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Chatplane Web API (LiveChat Platform "
            + ", ".join(f"v{v}" for v in versions)
            + ")",
            "version": __version__,
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
