"""Configuration API v3.6: webhooks (`register_webhook`, `list_webhooks`,
`unregister_webhook`, `list_webhook_names`, `enable_license_webhooks`,
`disable_license_webhooks`, `get_license_webhooks_state`).

A registration is stored with the version it came through (its deliveries take that
version's shape), its `type` and owner; the v3.x webhook bodies are rendered by that
version's webhook format (webhooks/outbox.py), which skips the license webhooks of an
application that disabled them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_6.configuration_common import CONFIGURATION, ClientId, Request
from chatplane.domain import webhook_config
from chatplane.errors import validation
from chatplane.storage import Tx
from chatplane.webhooks import names, outbox
from chatplane.webhooks.addresses import check_url

actions = Actions()

CONFIG_RW = "webhooks.configuration:rw"
STATE_RW, STATE_RO = "webhooks.state:rw", "webhooks.state:ro"
Url = Annotated[str, Meta(min_length=1, max_length=500)]
UserIds = list[Annotated[str, Meta(min_length=1, max_length=255)]]


class IdValues(Request, kw_only=True):
    """Only one of `values` and `exclude_values` (checked by name)."""

    values: UserIds | None = None
    exclude_values: UserIds | None = None


class ChatPresence(Request, kw_only=True):
    user_ids: IdValues | None = None
    my_bots: bool | None = None


class Filters(Request, kw_only=True):
    author_type: Literal["customer", "agent"] | None = None
    only_my_chats: bool | None = None
    chat_presence: ChatPresence | None = None
    source_type: list[Literal["my_client", "other_clients", "system"]] | None = None
    agent_ids: IdValues | None = None


class RegisterWebhook(Request, kw_only=True):
    action: Annotated[str, Meta(min_length=1, max_length=64)]
    secret_key: Annotated[str, Meta(min_length=1, max_length=512)]
    url: Url
    additional_data: list[Literal["chat_properties", "chat_presence_user_ids"]] | None = None
    description: Annotated[str, Meta(max_length=1024)] | None = None
    filters: Filters | None = None
    owner_client_id: ClientId
    type: Literal["bot", "license"]


class OwnerRef(Request, kw_only=True):
    owner_client_id: ClientId


class UnregisterWebhook(Request, kw_only=True):
    id: Annotated[str, Meta(min_length=1, max_length=64)]
    owner_client_id: ClientId


class ListWebhookNames(Request, kw_only=True):
    version: str | None = None


class LicenseWebhooks(Request, kw_only=True):
    # Optional with a Bearer token: the token's application is meant (v3.5 changelog).
    owner_client_id: ClientId | None = None


def _id_values(given: IdValues, path: str) -> dict[str, list[str]]:
    if (given.values is None) == (given.exclude_values is None):
        raise validation(f"{path}: give values or exclude_values (one of them)")
    if given.values is not None:
        return {"values": list(given.values)}
    return {"exclude_values": list(given.exclude_values or [])}


def filters_json(version: str, action: str, f: Filters | None) -> dict[str, Any] | None:
    """The filters as stored, each checked against what the action takes."""
    if f is None:
        return None
    allowed = names.ACTIONS[version][action]
    out: dict[str, Any] = {}
    given = {
        "author_type": f.author_type,
        "only_my_chats": f.only_my_chats,
        "chat_presence": f.chat_presence,
        "source_type": f.source_type,
        "agent_ids": f.agent_ids,
    }
    for name, value in given.items():
        if value is None:
            continue
        if name not in allowed:
            raise validation(
                f"filters.{name} is not available for {action} (it takes: {', '.join(allowed)})"
            )
        if isinstance(value, ChatPresence):
            presence: dict[str, Any] = {}
            if value.user_ids is not None:
                presence["user_ids"] = _id_values(value.user_ids, "filters.chat_presence.user_ids")
            if value.my_bots is not None:
                presence["my_bots"] = value.my_bots
            out[name] = presence
        elif isinstance(value, IdValues):
            out[name] = _id_values(value, f"filters.{name}")
        elif isinstance(value, list):
            out[name] = list(dict.fromkeys(value))
        else:
            out[name] = value
    return out or None


def webhook_object(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row.id, "url": row.url}
    if row.description is not None:
        out["description"] = row.description
    out["action"] = row.action
    if row.filters:
        out["filters"] = row.filters
    if row.additional_data:
        out["additional_data"] = list(row.additional_data)
    out["owner_client_id"] = row.client_id
    out["type"] = row.type
    return out


@actions(CONFIGURATION, "register_webhook", RegisterWebhook, scopes=(CONFIG_RW,))
async def register_webhook(ctx: Context, p: RegisterWebhook) -> dict[str, Any]:
    caller = ctx.caller
    version = ctx.version
    actions_here = names.ACTIONS[version]
    if p.action not in actions_here:
        raise validation(f"action {p.action!r} is not a webhook action of v{version}")
    if p.type == "bot" and p.action in names.CONFIGURATION:
        # A bot webhook follows its application's bots' chats; a configuration change is
        # the license's, and would never fire one (docs/decisions.md).
        raise validation(
            f"action {p.action!r} is a configuration action: register it with type license"
        )
    check_url(p.url, ctx.services.settings.webhook_allow_private)
    extra: list[str] = list(dict.fromkeys(p.additional_data or []))
    allowed = names.additional_data(version, p.action)
    wrong = [a for a in extra if a not in allowed]
    if wrong:
        raise validation(f"additional_data {wrong[0]!r} is not available for {p.action}")
    reg = webhook_config.Registration(
        action=p.action,
        secret_key=p.secret_key,
        url=p.url,
        type=p.type,
        description=p.description,
        filters=filters_json(version, p.action, p.filters),
        additional_data=extra,
    )
    webhook_id = await ctx.commit(
        lambda tx: webhook_config.register(tx, caller, p.owner_client_id, reg, version)
    )
    outbox.forget(caller.license_id)  # this process sees it at once
    return {"id": webhook_id}


@actions(CONFIGURATION, "list_webhooks", OwnerRef, scopes=(CONFIG_RW,))
async def list_webhooks(ctx: Context, p: OwnerRef) -> list[dict[str, Any]]:
    caller = ctx.caller
    rows = await ctx.services.read(
        lambda tx: webhook_config.list_registered(tx, caller, p.owner_client_id)
    )
    return [webhook_object(r) for r in rows]


@actions(CONFIGURATION, "unregister_webhook", UnregisterWebhook, scopes=(CONFIG_RW,))
async def unregister_webhook(ctx: Context, p: UnregisterWebhook) -> None:
    caller = ctx.caller
    await ctx.commit(lambda tx: webhook_config.unregister(tx, caller, p.owner_client_id, p.id))
    outbox.forget(caller.license_id)


# "This method requires no authorization" (a token, when sent, is still checked).
@actions(CONFIGURATION, "list_webhook_names", ListWebhookNames, needs_login=False)
async def list_webhook_names(ctx: Context, p: ListWebhookNames) -> list[dict[str, Any]]:
    version = p.version or ctx.version
    if version not in names.ACTIONS:
        raise validation(f"version {version!r} is not one of {', '.join(sorted(names.ACTIONS))}")
    out: list[dict[str, Any]] = []
    for action, filters in sorted(names.ACTIONS[version].items()):
        item: dict[str, Any] = {"action": action, "filters": list(filters)}
        extra = names.additional_data(version, action)
        if extra:
            item["additional_data"] = list(extra)
        out.append(item)
    return out


async def _switch(ctx: Context, p: LicenseWebhooks, enabled: bool) -> None:
    caller = ctx.caller

    def run(tx: Tx) -> None:
        webhook_config.set_enabled(tx, caller, p.owner_client_id, enabled)

    await ctx.commit(run)


@actions(CONFIGURATION, "enable_license_webhooks", LicenseWebhooks, scopes=(STATE_RW,))
async def enable_license_webhooks(ctx: Context, p: LicenseWebhooks) -> None:
    await _switch(ctx, p, True)


@actions(CONFIGURATION, "disable_license_webhooks", LicenseWebhooks, scopes=(STATE_RW,))
async def disable_license_webhooks(ctx: Context, p: LicenseWebhooks) -> None:
    await _switch(ctx, p, False)


@actions(CONFIGURATION, "get_license_webhooks_state", LicenseWebhooks, scopes=(STATE_RO,))
async def get_license_webhooks_state(ctx: Context, p: LicenseWebhooks) -> dict[str, Any]:
    caller = ctx.caller
    enabled = await ctx.services.read(
        lambda tx: webhook_config.enabled(tx, caller, p.owner_client_id)
    )
    return {"license_webhooks_enabled": enabled}
