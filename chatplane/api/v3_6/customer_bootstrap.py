"""Customer Chat API v3.6, what a chat widget reads before anything else, by GET with the
query string as payload and no token: get_dynamic_configuration, get_configuration,
get_localization, list_license_properties and list_group_properties.

Filled from what the license has: its groups (and which have an agent accepting chats),
its pre-chat form, its phrases (api/v3_6/localization.py) and the license and group
property values customers may read (set through the Configuration API v3.x). Chatplane
has no chat buttons, ticket forms or integrations: those answer empty. A configuration's
and a localization's `version` is a digest of their content, so it changes when they do;
get_configuration and get_localization answer the current content whichever version is
asked for (Chatplane keeps no older ones).

`dynamic_configuration(shape)` serves v3.5's flat shape of get_dynamic_configuration
(api/v3_5).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_6 import customer_structs as cst
from chatplane.api.v3_6 import localization
from chatplane.domain import availability, forms, license_properties
from chatplane.errors import ApiError, validation
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo

CUSTOMER = "customer"


def _license(ctx: Context) -> int:
    assert ctx.license_id is not None  # the GET endpoint always names the license
    return ctx.license_id


def _check_group(tx: Tx, license_id: int, group_id: int) -> None:
    if not availability.group_exists(tx, license_id, group_id):
        raise ApiError("group_not_found", f"Group {group_id} not found", status=404)


def _property_values(tx: Tx, license_id: int, group_id: int | None) -> dict[str, Any]:
    """The license's (group_id None) or a group's property values customers may read: the
    values the Configuration API sets (update_license_properties, update_group_properties)
    or the properties' defaults (domain/license_properties.py)."""
    return license_properties.widget_values(tx, license_id, group_id)


def _configuration(tx: Tx, license_id: int, group_id: int) -> dict[str, Any]:
    out: dict[str, Any] = {"buttons": []}
    prechat = forms.get_form(tx, license_id, group_id, "prechat")
    if prechat["enabled"]:
        out["prechat_form"] = prechat["form"]
    out["integrations"] = {}
    out["properties"] = {
        "group": _property_values(tx, license_id, group_id),
        "license": _property_values(tx, license_id, None),
    }
    return out


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:32]


def _domain_allowed(ctx: Context, url: str | None) -> bool:
    """Whether the site `url` is one the server lets use the Customer Chat API with a
    customer's cookie (CHATPLANE_CORS_ORIGINS; none listed: every site may)."""
    listed = ctx.services.settings.cors_origin_list
    if url is None or not listed or listed == ["*"]:
        return True
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() in {o.lower() for o in listed}


async def _dynamic(ctx: Context, p: cst.GetDynamicConfiguration) -> dict[str, Any]:
    """The group's dynamic configuration (the `livechat` object of v3.6)."""
    lic = _license(ctx)
    group_id = p.group_id or 0

    def run(tx: Tx) -> tuple[dict[str, Any], list[int]]:
        _check_group(tx, lic, group_id)
        return _configuration(tx, lic, group_id), availability.online_group_ids(tx, lic)

    config, online = await ctx.services.read(run)
    out: dict[str, Any] = {
        "group_id": group_id,
        "client_limit_exceeded": False,
        "domain_allowed": _domain_allowed(ctx, p.url),
    }
    if online:  # the reference leaves it out when no group is online
        out["online_group_ids"] = online
    out["config_version"] = _digest(config)
    out["localization_version"] = localization.version()
    out["language"] = localization.LANGUAGE
    return out


async def _organization_id(ctx: Context) -> str:
    lic = _license(ctx)
    row = await ctx.services.read(lambda tx: accounts_repo.get_license(tx.conn, lic))
    return str(row.organization_id) if row is not None else ""


async def get_dynamic_configuration_v36(
    ctx: Context, p: cst.GetDynamicConfiguration
) -> dict[str, Any]:
    return {
        "organization_id": await _organization_id(ctx),
        "default_widget": "livechat",
        "livechat_active": True,
        "livechat": await _dynamic(ctx, p),
    }


async def get_dynamic_configuration_v35(
    ctx: Context, p: cst.GetDynamicConfiguration
) -> dict[str, Any]:
    return await _dynamic(ctx, p)


async def get_configuration(ctx: Context, p: cst.GetConfiguration) -> dict[str, Any]:
    lic = _license(ctx)

    def run(tx: Tx) -> dict[str, Any]:
        _check_group(tx, lic, p.group_id)
        return _configuration(tx, lic, p.group_id)

    return await ctx.services.read(run)


async def get_localization(ctx: Context, p: cst.GetLocalization) -> dict[str, Any]:
    lic = _license(ctx)
    language = p.language.lower()
    if language not in localization.PHRASES:
        raise validation(
            f"language {p.language!r}: Chatplane has its phrases in "
            f"{', '.join(sorted(localization.PHRASES))} only"
        )
    await ctx.services.read(lambda tx: _check_group(tx, lic, p.group_id))
    return dict(localization.PHRASES[language])


def _filtered(values: dict[str, Any], namespace: str | None, name: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for ns, props in values.items():
        if namespace is not None and ns != namespace:
            continue
        kept = {k: v for k, v in props.items() if name is None or k == name}
        if kept:
            out[ns] = kept
    return out


async def list_license_properties(ctx: Context, p: cst.ListLicenseProperties) -> dict[str, Any]:
    lic = _license(ctx)
    values = await ctx.services.read(lambda tx: _property_values(tx, lic, None))
    return _filtered(values, p.namespace, p.name)


async def list_group_properties(ctx: Context, p: cst.ListGroupProperties) -> dict[str, Any]:
    lic = _license(ctx)

    def run(tx: Tx) -> dict[str, Any]:
        _check_group(tx, lic, p.id)
        return _property_values(tx, lic, p.id)

    return _filtered(await ctx.services.read(run), p.namespace, p.name)


def actions_for(
    dynamic_configuration: Callable[[Context, cst.GetDynamicConfiguration], Any],
) -> Actions:
    """The widget's GET methods, with a version's get_dynamic_configuration."""
    actions = Actions()
    get = partial(actions, CUSTOMER, rtm=False, needs_login=False, method="GET")
    get("get_dynamic_configuration", cst.GetDynamicConfiguration)(dynamic_configuration)
    get("get_configuration", cst.GetConfiguration)(get_configuration)
    get("get_localization", cst.GetLocalization)(get_localization)
    get("list_license_properties", cst.ListLicenseProperties)(list_license_properties)
    get("list_group_properties", cst.ListGroupProperties)(list_group_properties)
    return actions


actions = actions_for(get_dynamic_configuration_v36)
