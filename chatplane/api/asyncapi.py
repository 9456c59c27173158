"""The realtime half of the API as an AsyncAPI 3.0 document (`/asyncapi.json`).

Generated from what the server runs, so it cannot drift:
- every RTM action of every version, from the registry, with its request payload's JSON
  Schema from the msgspec struct that validates it (as `/openapi.json` does);
- every push of every version, found by putting a sample of each domain change
  (api/push_samples.py) through the real fan-out rules and the version's own renderer, with
  one agent and one customer connected: a push appears for an API exactly when a session of
  that API would get it, and its payload schema is inferred from what was rendered;
- every webhook of every version, from the version's webhook format, the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from chatplane import __version__
from chatplane.api import push_samples
from chatplane.api.registry import Action, Registry
from chatplane.api.versions import WireVersion
from chatplane.bus import Origin
from chatplane.domain.access import role_scopes
from chatplane.domain.models import AGENT, CUSTOMER, Principal
from chatplane.realtime.fanout import Fanout, PushRenderer
from chatplane.realtime.hub import Hub, Session
from chatplane.webhooks.outbox import LicenseInfo, Target, WebhookFormat

# Pushes that do not come from domain changes (realtime/hub.py `disconnect`).
DISCONNECT = {AGENT: "agent_disconnected", CUSTOMER: "customer_disconnected"}
DISCONNECT_PAYLOAD = {"reason": "agent_logged_out_remotely"}


def infer(value: Any) -> dict[str, Any]:
    """A JSON Schema that `value` (and values of its shape) satisfies."""
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string"}
    if isinstance(value, list):
        items: dict[str, Any] | None = None
        for item in value:
            items = infer(item) if items is None else merge(items, infer(item))
        return {"type": "array", "items": items or {}}
    if isinstance(value, dict):
        return {
            "type": "object",
            "properties": {str(k): infer(v) for k, v in value.items()},
            "required": sorted(str(k) for k in value),
        }
    raise TypeError(f"not JSON: {type(value).__name__}")


def merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """A schema both samples satisfy: objects keep every property, requiring the common ones."""
    if a == b:
        return a
    if a.get("type") == "object" and b.get("type") == "object":
        props = dict(a["properties"])
        for key, schema in b["properties"].items():
            props[key] = merge(props[key], schema) if key in props else schema
        required = sorted(set(a["required"]) & set(b["required"]))
        return {"type": "object", "properties": props, "required": required}
    if a.get("type") == "array" and b.get("type") == "array":
        return {
            "type": "array",
            "items": merge(a["items"], b["items"]) if a["items"] else b["items"],
        }
    options = [*a.get("oneOf", [a]), *b.get("oneOf", [b])]
    unique: list[dict[str, Any]] = []
    for option in options:
        if option not in unique:
            unique.append(option)
    return {"oneOf": unique}


def _recording_session(api: str, version: str, principal: Principal) -> Session:
    async def ignore_send(_text: str) -> None:
        return None

    async def ignore_close(_code: int) -> None:
        return None

    session = Session(api=api, version=version, send_text=ignore_send, close=ignore_close)
    session.principal = principal
    session.agent_group_ids = (0,)
    return session


def pushes_of(
    renderers: Mapping[str, PushRenderer], version: str
) -> dict[str, dict[str, dict[str, Any]]]:
    """{api: {push action: payload schema}} of one version, from the samples through fan-out."""
    hub = Hub()
    lic = push_samples.LICENSE
    agent = Principal(lic, AGENT, "smith@example.com", "app", role_scopes("owner"), "owner")
    customer = Principal(
        lic, CUSTOMER, "b7eff798-f8df-4364-8059-649c35c9ed0c", "app", frozenset(), "normal"
    )
    sessions = {
        AGENT: _recording_session(AGENT, version, agent),
        CUSTOMER: _recording_session(CUSTOMER, version, customer),
    }
    for session in sessions.values():
        hub.register(session)
    fanout = Fanout(hub, lambda _lic, user_type: push_samples.view(user_type), renderers)
    found: dict[str, dict[str, dict[str, Any]]] = {AGENT: {}, CUSTOMER: {}}
    for change in push_samples.samples():
        fanout.deliver(change, Origin())
        for api, session in sessions.items():
            while not session._queue.empty():
                text = session._queue.get_nowait()
                if text is None:
                    continue
                frame = msgspec.json.decode(text)
                name, schema = frame["action"], infer(frame["payload"])
                known = found[api].get(name)
                found[api][name] = schema if known is None else merge(known, schema)
    for api, name in DISCONNECT.items():
        found[api][name] = infer(DISCONNECT_PAYLOAD)
    return found


def webhooks_of(fmt: WebhookFormat) -> dict[str, dict[str, Any]]:
    """{webhook action: body schema} of one version's webhook format."""
    found: dict[str, dict[str, Any]] = {}
    view = push_samples.view(AGENT)
    info = LicenseInfo(push_samples.LICENSE, "7d4b4f3a-1c3e-4a55-9a6f-1f5e2c3d4b5a")
    for change in push_samples.samples():
        occurred = fmt.occurrence(change, view)
        if occurred is None:
            continue
        for occ in occurred if isinstance(occurred, list) else [occurred]:
            target = Target(
                "ab5c1c1e5f3d1c2b8a6d4e2f0a9b8c7d",
                "webhook",
                "https://example.com/webhook",
                "secret",
                occ.action,
                additional_data=[],
            )
            schema = infer(fmt.body(target, occ, view, info))
            known = found.get(occ.action)
            found[occ.action] = schema if known is None else merge(known, schema)
    return found


def asyncapi_schema(schema: Any) -> Any:
    """msgspec's JSON Schema in AsyncAPI's schema format: its `discriminator` is the
    property's name, where msgspec writes OpenAPI's `{"propertyName": ..., "mapping": ...}`."""
    if isinstance(schema, list):
        return [asyncapi_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: asyncapi_schema(value) for key, value in schema.items()}
    discriminator = out.get("discriminator")
    if isinstance(discriminator, dict):
        out["discriminator"] = discriminator["propertyName"]
    return out


# Resumable sessions (docs/resume.md): the extension fields of push frames and of login.
RESUME_MARK = {
    "type": "object",
    "description": "This push's place in its session: log in with it to resume after it",
    "properties": {"session_id": {"type": "string"}, "seq": {"type": "integer", "minimum": 1}},
    "required": ["session_id", "seq"],
}
RESUME_REQUEST = {
    "type": "object",
    "description": "Resume the session of a dropped connection after the last push seen",
    "properties": {"session_id": {"type": "string"}, "seq": {"type": "integer", "minimum": 0}},
    "required": ["session_id", "seq"],
}
RESUME_OUTCOME = {
    "type": "object",
    "description": "The session this connection has, and whether it resumed the one asked for",
    "properties": {
        "session_id": {"type": "string"},
        "resumed": {"type": "boolean"},
        "replayed": {"type": "integer", "minimum": 0},
        "reason": {"enum": ["unknown_session", "pushes_dropped", "another_user"]},
    },
    "required": ["session_id", "resumed"],
}


def _frame(kind: str, action: str, payload: dict[str, Any], **extra: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "request_id": {"type": "string"},
        "action": {"const": action},
        "type": {"const": kind},
        **extra,
        "payload": payload,
    }
    required = ["action", "type"] if kind != "request" else ["action"]
    if kind == "request":
        del props["type"]
        # Retry-safe writes (docs/idempotency.md).
        props["idempotency_key"] = {"type": "string", "minLength": 1, "maxLength": 255}
        if action == "login":
            props["resume"] = RESUME_REQUEST
    elif kind == "push":
        props["resume"] = RESUME_MARK
    elif action == "login":
        props["resume"] = RESUME_OUTCOME
    return {"type": "object", "properties": props, "required": required}


def document(
    registry: Registry,
    versions: Mapping[str, WireVersion],
    renderers: Mapping[str, PushRenderer],
    webhook_formats: Mapping[str, WebhookFormat],
) -> dict[str, Any]:
    rtm_actions: list[Action] = [a for a in registry.actions() if a.rtm]
    typed = [a for a in rtm_actions if a.payload_type is not None]
    refs, schemas = msgspec.json.schema_components(
        [a.payload_type for a in typed], ref_template="#/components/schemas/{name}"
    )
    payload_ref = {
        (a.api, a.version, a.name): asyncapi_schema(ref) for a, ref in zip(typed, refs, strict=True)
    }
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for version in versions.values():
        v = version.name
        tag = "v" + v.replace(".", "_")
        pushes = pushes_of(renderers, v)
        for api in (AGENT, CUSTOMER):
            channel_id = f"{api}_rtm_{tag}"
            channel_messages: dict[str, Any] = {}
            for act in (a for a in rtm_actions if a.api == api and a.version == v):
                payload = payload_ref.get((act.api, v, act.name), {"type": "object"})
                extra: dict[str, Any] = {}
                if version.enveloped:
                    extra["author_id"] = {"type": "string"}
                request_id = f"{channel_id}.{act.name}.request"
                response_id = f"{channel_id}.{act.name}.response"
                messages[request_id] = {
                    "name": act.name,
                    "title": f"{act.name} request",
                    "payload": _frame("request", act.name, payload, **extra),
                }
                messages[response_id] = {
                    "name": act.name,
                    "title": f"{act.name} response",
                    "payload": _frame(
                        "response", act.name, {"type": "object"}, success={"type": "boolean"}
                    ),
                }
                channel_messages[f"{act.name}.request"] = {
                    "$ref": f"#/components/messages/{request_id}"
                }
                channel_messages[f"{act.name}.response"] = {
                    "$ref": f"#/components/messages/{response_id}"
                }
                operations[f"{channel_id}.{act.name}"] = {
                    "action": "receive",
                    "channel": {"$ref": f"#/channels/{channel_id}"},
                    "summary": f"{api} RTM API v{v}: {act.name}",
                    "messages": [{"$ref": f"#/channels/{channel_id}/messages/{act.name}.request"}],
                    "reply": {
                        "channel": {"$ref": f"#/channels/{channel_id}"},
                        "messages": [
                            {"$ref": f"#/channels/{channel_id}/messages/{act.name}.response"}
                        ],
                    },
                }
            for name, schema in sorted(pushes[api].items()):
                push_id = f"{channel_id}.{name}.push"
                messages[push_id] = {
                    "name": name,
                    "title": f"{name} push",
                    "payload": _frame("push", name, schema),
                }
                channel_messages[f"{name}.push"] = {"$ref": f"#/components/messages/{push_id}"}
                operations[f"{channel_id}.{name}.push"] = {
                    "action": "send",
                    "channel": {"$ref": f"#/channels/{channel_id}"},
                    "summary": f"{api} RTM API v{v}: the {name} push",
                    "messages": [{"$ref": f"#/channels/{channel_id}/messages/{name}.push"}],
                }
            channels[channel_id] = {
                "address": f"/v{v}/{api}/rtm/ws",
                "title": f"{api.capitalize()} Chat RTM API v{v}",
                "description": (
                    f"A websocket at /v{v}/{api}/rtm/ws; the same messages travel over SockJS "
                    f"at /v{v}/{api}/rtm/sjs and over socket.io (`message` events) at "
                    f"/v{v}/{api}/rtm/sio."
                ),
                "messages": channel_messages,
            }
        fmt = webhook_formats.get(v)
        if fmt is not None:
            channel_id = f"webhooks_{tag}"
            channel_messages = {}
            for name, schema in sorted(webhooks_of(fmt).items()):
                webhook_id = f"{channel_id}.{name}"
                messages[webhook_id] = {"name": name, "title": f"{name} webhook", "payload": schema}
                channel_messages[name] = {"$ref": f"#/components/messages/{webhook_id}"}
                operations[webhook_id] = {
                    "action": "send",
                    "channel": {"$ref": f"#/channels/{channel_id}"},
                    "summary": f"webhook v{v}: {name} (HTTP POST to the registered URL)",
                    "messages": [{"$ref": f"#/channels/{channel_id}/messages/{name}"}],
                }
            channels[channel_id] = {
                "address": None,  # each webhook's own URL
                "title": f"Webhooks v{v}",
                "messages": channel_messages,
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Chatplane realtime API (RTM and webhooks)",
            "version": __version__,
            "description": (
                "Requests, responses and pushes of the Agent and Customer Chat RTM APIs, and "
                "the webhooks, of every API version this server speaks."
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": asyncapi_schema(schemas)},
    }
