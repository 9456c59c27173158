"""Configuration API v3.6: properties (`register_property`, `unregister_property`,
`publish_property`, `list_properties`) and license and group property values
(`update_license_properties`, `list_license_properties`, `delete_license_properties`,
`update_group_properties`, `list_groups_properties`, `delete_group_properties`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_6.configuration_common import CONFIGURATION, ClientId, GroupId, Request
from chatplane.domain import license_properties as lp
from chatplane.domain.access import Wider
from chatplane.domain.properties import PropertyConfig
from chatplane.storage import Tx

actions = Actions()

Name = Annotated[str, Meta(min_length=1, max_length=100)]
Namespace = Annotated[str, Meta(min_length=1, max_length=64)]
Right = Literal["read", "write"]
Value = int | bool | str
Values = dict[Namespace, dict[Name, Value]]
Names = dict[Namespace, list[Name]]
CONFIG = "properties.configuration:rw"
LICENSE_RW = ("properties.license.value--my:rw", "properties.license.value--all:rw")
LICENSE_RO = ("properties.license.value--my:ro", "properties.license.value--all:ro")
GROUP_RW = ("properties.group.value--my:rw", "properties.group.value--all:rw")
GROUP_RO = ("properties.group.value--all:ro",)
# Another application's property (published for it): the `--all` scope of the location.
OTHERS_LICENSE_RW = Wider("another application's license values", (LICENSE_RW[1],))
OTHERS_LICENSE_RO = Wider("another application's license values", (LICENSE_RO[1],))
OTHERS_GROUP_RW = Wider("another application's group values", (GROUP_RW[1],))
OTHERS_GROUP_RO = Wider("another application's group values", (GROUP_RO[0],))


class Range(Request, kw_only=True):
    from_: int | None = msgspec.field(name="from", default=None)
    to: int | None = None


class RegisterProperty(Request, kw_only=True):
    name: Name
    owner_client_id: ClientId
    type: Literal["int", "bool", "string", "tokenized_string"]
    # {location: {user type: [rights]}}; locations and user types are checked by name.
    access: dict[str, dict[str, list[Right]]]
    description: Annotated[str, Meta(max_length=1024)] | None = None
    domain: list[Value] | None = None
    range: Range | None = None
    default_value: Value | None = None


class PropertyRef(Request, kw_only=True):
    name: Name
    owner_client_id: ClientId


class PublishProperty(Request, kw_only=True):
    name: Name
    owner_client_id: ClientId
    access_type: list[Right]


class ListProperties(Request, kw_only=True):
    owner_client_id: ClientId


class UpdateLicenseProperties(Request, kw_only=True):
    properties: Values


class ListLicenseProperties(Request, kw_only=True):
    namespace: Namespace | None = None
    name_prefix: Annotated[str, Meta(max_length=100)] | None = None


class DeleteLicenseProperties(Request, kw_only=True):
    properties: Names


class UpdateGroupProperties(Request, kw_only=True):
    group_id: GroupId
    properties: Values


class ListGroupsProperties(Request, kw_only=True):
    group_ids: list[GroupId]
    namespace: Namespace | None = None
    name_prefix: Annotated[str, Meta(max_length=100)] | None = None


class DeleteGroupProperties(Request, kw_only=True):
    id: GroupId
    properties: Names


def property_object(config: PropertyConfig) -> dict[str, Any]:
    """A property as list_properties shows it."""
    out: dict[str, Any] = {
        "type": config.type,
        "description": config.description or "",
        "access": lp.access_lists(config),
    }
    out["public_access"] = (
        list(lp.RIGHTS) if config.public_access is None else list(config.public_access)
    )
    if config.domain is not None:
        out["domain"] = list(config.domain)
    if config.range is not None:
        out["range"] = dict(config.range)
    if config.default_value is not None:
        out["default_value"] = config.default_value
    return out


@actions(CONFIGURATION, "register_property", RegisterProperty, scopes=(CONFIG,))
async def register_property(ctx: Context, p: RegisterProperty) -> None:
    caller = ctx.caller
    rng: dict[str, int] | None = None
    if p.range is not None:
        rng = {k: v for k, v in (("from", p.range.from_), ("to", p.range.to)) if v is not None}
    reg = lp.Registration(
        name=p.name,
        type=p.type,
        access={loc: {ut: list(r) for ut, r in users.items()} for loc, users in p.access.items()},
        description=p.description,
        domain=list(p.domain) if p.domain is not None else None,
        range=rng,
        default_value=p.default_value,
    )
    await ctx.commit(lambda tx: lp.register(tx, caller, p.owner_client_id, reg))
    await ctx.services.reload_configs(caller.license_id)  # this process sees it at once


@actions(CONFIGURATION, "unregister_property", PropertyRef, scopes=(CONFIG,))
async def unregister_property(ctx: Context, p: PropertyRef) -> None:
    caller = ctx.caller
    await ctx.commit(lambda tx: lp.unregister(tx, caller, p.owner_client_id, p.name))
    await ctx.services.reload_configs(caller.license_id)


@actions(CONFIGURATION, "publish_property", PublishProperty, scopes=(CONFIG,))
async def publish_property(ctx: Context, p: PublishProperty) -> None:
    caller = ctx.caller
    await ctx.commit(
        lambda tx: lp.publish(tx, caller, p.owner_client_id, p.name, list(p.access_type))
    )
    await ctx.services.reload_configs(caller.license_id)


@actions(CONFIGURATION, "list_properties", ListProperties, scopes=(CONFIG,))
async def list_properties(ctx: Context, p: ListProperties) -> dict[str, Any]:
    caller = ctx.caller
    found = await ctx.services.read(lambda tx: lp.owned_configs(tx, caller, p.owner_client_id))
    return {c.name: property_object(c) for c in found}


@actions(
    CONFIGURATION,
    "update_license_properties",
    UpdateLicenseProperties,
    scopes=LICENSE_RW,
    wider=OTHERS_LICENSE_RW,
)
async def update_license_properties(ctx: Context, p: UpdateLicenseProperties) -> None:
    caller = ctx.caller
    await ctx.commit(lambda tx: lp.update_values(tx, caller, None, p.properties, ctx.require_wider))


@actions(
    CONFIGURATION,
    "list_license_properties",
    ListLicenseProperties,
    scopes=LICENSE_RO,
    wider=OTHERS_LICENSE_RO,
)
async def list_license_properties(ctx: Context, p: ListLicenseProperties) -> dict[str, Any]:
    caller = ctx.caller
    others = ctx.may_reach()
    return await ctx.services.read(
        lambda tx: lp.license_values(tx, caller, p.namespace, p.name_prefix, others=others)
    )


@actions(
    CONFIGURATION,
    "delete_license_properties",
    DeleteLicenseProperties,
    scopes=LICENSE_RW,
    wider=OTHERS_LICENSE_RW,
)
async def delete_license_properties(ctx: Context, p: DeleteLicenseProperties) -> None:
    caller = ctx.caller
    await ctx.commit(lambda tx: lp.delete_values(tx, caller, None, p.properties, ctx.require_wider))


@actions(
    CONFIGURATION,
    "update_group_properties",
    UpdateGroupProperties,
    scopes=GROUP_RW,
    wider=OTHERS_GROUP_RW,
)
async def update_group_properties(ctx: Context, p: UpdateGroupProperties) -> None:
    caller = ctx.caller
    await ctx.commit(
        lambda tx: lp.update_values(tx, caller, p.group_id, p.properties, ctx.require_wider)
    )


@actions(
    CONFIGURATION,
    "list_groups_properties",
    ListGroupsProperties,
    scopes=GROUP_RO,
    wider=OTHERS_GROUP_RO,
)
async def list_groups_properties(ctx: Context, p: ListGroupsProperties) -> list[dict[str, Any]]:
    caller = ctx.caller
    others = ctx.may_reach()

    def run(tx: Tx) -> list[dict[str, Any]]:
        found = lp.group_values(
            tx, caller, list(p.group_ids), p.namespace, p.name_prefix, others=others
        )
        return [{"id": g, "properties": values} for g, values in found]

    return await ctx.services.read(run)


@actions(
    CONFIGURATION,
    "delete_group_properties",
    DeleteGroupProperties,
    scopes=GROUP_RW,
    wider=OTHERS_GROUP_RW,
)
async def delete_group_properties(ctx: Context, p: DeleteGroupProperties) -> None:
    caller = ctx.caller
    await ctx.commit(lambda tx: lp.delete_values(tx, caller, p.id, p.properties, ctx.require_wider))
