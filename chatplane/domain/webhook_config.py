"""Webhooks as the Configuration API v3.x registers them: owned by an application
(`owner_client_id`), of `type` license or bot, in the version they were registered through,
and switched off and on per application on the license (`disable_license_webhooks`).

The action names, filters and additional data a version allows are checked by that
version's handlers; this module keeps the rules that do not depend on the wire: at most
three webhooks per application and action, at most 200 per license, reachable URLs.
The outbox (webhooks/outbox.py) skips the `license` webhooks of a disabled application;
v3.0 registrations are license webhooks of the application that made them.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from chatplane.domain import applications
from chatplane.domain.models import Principal
from chatplane.errors import ApiError, limit_reached, not_found
from chatplane.storage import Tx
from chatplane.storage import webhooks as repo

# Versions whose registrations the v3.x methods list and count (v3.0's are listed by
# v3.0's own get_webhooks_config).
V3_VERSIONS = ("3.5", "3.6")
MAX_PER_ACTION = 3
MAX_PER_LICENSE = 200
TYPES = ("license", "bot")


@dataclass
class Registration:
    action: str
    secret_key: str
    url: str
    type: str
    description: str | None = None
    filters: dict[str, Any] | None = None
    additional_data: list[str] = field(default_factory=list)


def register(
    tx: Tx, caller: Principal, owner_client_id: str, reg: Registration, version: str
) -> str:
    owner = applications.owner_application(tx, caller, owner_client_id)
    if reg.type not in TYPES:
        raise ApiError("validation", f"type must be license or bot, not {reg.type!r}")
    if repo.count_webhooks(tx.conn, caller.license_id) >= MAX_PER_LICENSE:
        raise limit_reached(
            f"This license has {MAX_PER_LICENSE} webhooks, the most it may have; "
            "unregister one first"
        )
    if repo.count_for_action(tx.conn, caller.license_id, owner, reg.action, V3_VERSIONS) >= (
        MAX_PER_ACTION
    ):
        raise limit_reached(
            f"Application {owner!r} has {MAX_PER_ACTION} webhooks for {reg.action}, the most "
            "it may have"
        )
    webhook_id = secrets.token_hex(16)
    repo.insert_webhook(
        tx.conn,
        id=webhook_id,
        license_id=caller.license_id,
        client_id=owner,
        url=reg.url,
        description=reg.description,
        action=reg.action,
        secret_key=reg.secret_key,
        filters=reg.filters or None,
        additional_data=list(reg.additional_data) or None,
        created_at=time.time(),
        version=version,
        type=reg.type,
    )
    return webhook_id


def list_registered(
    tx: Tx, caller: Principal, owner_client_id: str, versions: Sequence[str] = V3_VERSIONS
) -> list[Any]:
    owner = applications.owner_application(tx, caller, owner_client_id)
    return repo.list_webhooks(tx.conn, caller.license_id, owner, versions)


def unregister(
    tx: Tx,
    caller: Principal,
    owner_client_id: str,
    webhook_id: str,
    versions: Sequence[str] = V3_VERSIONS,
) -> None:
    owner = applications.owner_application(tx, caller, owner_client_id)
    row = repo.get_webhook(tx.conn, caller.license_id, webhook_id)
    if row is None or row.client_id != owner or row.version not in versions:
        raise not_found("Webhook", webhook_id)
    repo.delete_webhook(tx.conn, caller.license_id, webhook_id)


def set_enabled(tx: Tx, caller: Principal, owner_client_id: str | None, enabled: bool) -> None:
    """Switch the application's license webhooks on this license on or off."""
    owner = applications.owner_application(tx, caller, owner_client_id)
    repo.set_license_webhooks_enabled(tx.conn, caller.license_id, owner, enabled, time.time())


def enabled(tx: Tx, caller: Principal, owner_client_id: str | None) -> bool:
    owner = applications.owner_application(tx, caller, owner_client_id)
    return repo.license_webhooks_enabled(tx.conn, caller.license_id, owner)
