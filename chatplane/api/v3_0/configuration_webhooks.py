"""Configuration API: webhooks (`webhooks/*`), configuration-api/readme.md "Webhooks"."""

from __future__ import annotations

import secrets
import time
from typing import Annotated, Any

from msgspec import Meta, Struct

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.domain.access import Wider
from chatplane.errors import ApiError, not_found
from chatplane.storage import Tx
from chatplane.storage import webhooks as repo
from chatplane.webhooks import outbox
from chatplane.webhooks.actions import Filters, SecretKey, Url, check_trigger, filters_json
from chatplane.webhooks.addresses import check_url

actions = Actions()

CONFIGURATION = "configuration"
# Registered webhooks per license: enough for every action many times over, and a bound
# on the work each change does in its transaction.
MAX_WEBHOOKS_PER_LICENSE = 200


class RegisterWebhook(Struct, kw_only=True):
    url: Url
    action: str
    secret_key: SecretKey
    description: Annotated[str, Meta(max_length=1024)] | None = None
    filters: Filters | None = None
    additional_data: list[str] | None = None


class GetWebhooksConfig(Struct, kw_only=True):
    # Not in the readme's request (which is `{}`): `all: true` with webhooks--all:ro lists
    # every application's webhooks, as get_bot_agents does for bots (docs/decisions.md).
    all: bool = False


class UnregisterWebhook(Struct, kw_only=True):
    webhook_id: Annotated[str, Meta(min_length=1, max_length=64)]


@actions(CONFIGURATION, "webhooks/register_webhook", RegisterWebhook, scopes=("webhooks--my:rw",))
async def register_webhook(ctx: Context, p: RegisterWebhook) -> dict[str, Any]:
    caller = ctx.caller
    check_url(p.url, ctx.services.settings.webhook_allow_private)
    check_trigger(p.action, p.filters, p.additional_data)
    webhook_id = secrets.token_hex(16)

    def run(tx: Tx) -> None:
        if repo.count_webhooks(tx.conn, caller.license_id) >= MAX_WEBHOOKS_PER_LICENSE:
            raise ApiError(
                "validation",
                f"This license has {MAX_WEBHOOKS_PER_LICENSE} webhooks, the most it may have; "
                "unregister one first",
            )
        repo.insert_webhook(
            tx.conn,
            id=webhook_id,
            license_id=caller.license_id,
            client_id=caller.client_id,
            url=p.url,
            description=p.description,
            action=p.action,
            secret_key=p.secret_key,
            filters=filters_json(p.filters),
            additional_data=list(p.additional_data) if p.additional_data else None,
            created_at=time.time(),
        )

    await ctx.commit(run)
    outbox.forget(ctx.caller.license_id)  # this process sees it at once
    return {"webhook_id": webhook_id}


@actions(
    CONFIGURATION,
    "webhooks/get_webhooks_config",
    GetWebhooksConfig,
    scopes=("webhooks--my:ro", "webhooks--all:ro"),
    wider=Wider("listing every application's webhooks (`all: true`)", ("webhooks--all:ro",)),
)
async def get_webhooks_config(ctx: Context, p: GetWebhooksConfig) -> dict[str, Any]:
    caller = ctx.caller
    if p.all:
        ctx.require_wider()
    client_id = None if p.all else caller.client_id
    # Only v3.0's own registrations: v3.x ones have fields this shape cannot show.
    rows = await ctx.services.read(
        lambda tx: repo.list_webhooks(tx.conn, caller.license_id, client_id, ("3.0",))
    )
    return {"webhooks_config": [_config(r) for r in rows]}


def _config(r: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"webhook_id": r.id, "url": r.url}
    if r.description is not None:
        out["description"] = r.description
    out["action"] = r.action
    out["secret_key"] = r.secret_key
    if r.filters:
        out["filters"] = r.filters
    if r.additional_data:
        out["additional_data"] = r.additional_data
    return out


@actions(
    CONFIGURATION,
    "webhooks/unregister_webhook",
    UnregisterWebhook,
    scopes=("webhooks--my:rw", "webhooks--all:rw"),
    wider=Wider("unregistering another application's webhook", ("webhooks--all:rw",)),
)
async def unregister_webhook(ctx: Context, p: UnregisterWebhook) -> dict[str, Any]:
    caller = ctx.caller

    def run(tx: Tx) -> None:
        row = repo.get_webhook(tx.conn, caller.license_id, p.webhook_id)
        if row is None or row.version != "3.0":  # v3.x ones are unregistered through v3.x
            raise not_found("Webhook", p.webhook_id)
        if row.client_id != caller.client_id:
            ctx.require_wider(f"webhook {p.webhook_id!r} belongs to another application")
        repo.delete_webhook(tx.conn, caller.license_id, p.webhook_id)

    await ctx.commit(run)
    outbox.forget(ctx.caller.license_id)  # this process sees it at once
    return {}
