"""Configuration API: groups and the routing mode.

v3.0 leaves groups to a later version; these follow the Configuration API's naming
(`<resource>/<verb>_<resource>`), as later versions do (docs/decisions.md).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_0.structs import GroupId
from chatplane.domain import groups, routing

actions = Actions()

CONFIGURATION = "configuration"
Name = Annotated[str, Meta(min_length=1, max_length=255)]
Priority = Literal["first", "normal", "last"]


class CreateGroup(Struct, kw_only=True):
    name: Name
    agent_priorities: dict[str, Priority] = {}


class UpdateGroup(Struct, kw_only=True):
    id: GroupId
    name: Name | None = None
    agent_priorities: dict[str, Priority] | None = None


class DeleteGroup(Struct, kw_only=True):
    id: GroupId


class GetGroups(Struct, kw_only=True):
    pass


class UpdateRoutingSettings(Struct, kw_only=True):
    mode: Literal["automatic", "manual"]


def _admin(ctx: Context) -> int:
    # Groups shape every agent's work: managing them takes the administrators' scope
    # (declared with each action); routing settings take `access_rules:rw`.
    return ctx.caller.license_id


@actions(CONFIGURATION, "groups/create_group", CreateGroup, scopes=("agents--all:rw",))
async def create_group(ctx: Context, p: CreateGroup) -> dict[str, Any]:
    lic = _admin(ctx)
    group_id = await ctx.commit(
        lambda tx: groups.create_group(tx, lic, p.name, dict(p.agent_priorities))
    )
    return {"id": group_id}


@actions(CONFIGURATION, "groups/update_group", UpdateGroup, scopes=("agents--all:rw",))
async def update_group(ctx: Context, p: UpdateGroup) -> None:
    lic = _admin(ctx)
    priorities: dict[str, str] | None = None
    if p.agent_priorities is not None:
        priorities = dict(p.agent_priorities)
    await ctx.commit(lambda tx: groups.update_group(tx, lic, p.id, p.name, priorities))


@actions(CONFIGURATION, "groups/delete_group", DeleteGroup, scopes=("agents--all:rw",))
async def delete_group(ctx: Context, p: DeleteGroup) -> None:
    lic = _admin(ctx)
    await ctx.commit(lambda tx: groups.delete_group(tx, lic, p.id))


@actions(CONFIGURATION, "groups/get_groups", GetGroups, scopes=("agents--my:rw", "agents--all:rw"))
async def get_groups(ctx: Context, _p: GetGroups) -> dict[str, Any]:
    lic = ctx.caller.license_id
    return {"groups": await ctx.services.read(lambda tx: groups.get_groups(tx, lic))}


@actions(
    CONFIGURATION,
    "routing/update_routing_settings",
    UpdateRoutingSettings,
    scopes=("access_rules:rw",),
)
async def update_routing_settings(ctx: Context, p: UpdateRoutingSettings) -> None:
    lic = _admin(ctx)
    await ctx.commit(lambda tx: routing.set_mode(tx, lic, p.mode))


@actions(CONFIGURATION, "routing/get_routing_settings", GetGroups, scopes=("access_rules:ro",))
async def get_routing_settings(ctx: Context, _p: GetGroups) -> dict[str, Any]:
    lic = ctx.caller.license_id
    return {"mode": await ctx.services.read(lambda tx: routing.mode(tx, lic))}
