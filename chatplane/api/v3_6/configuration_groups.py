"""Configuration API v3.6: groups (`create_group`, `update_group`, `delete_group`,
`get_group`, `list_groups`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_6.configuration_common import CONFIGURATION, GroupId, Priority, Request
from chatplane.domain import groups
from chatplane.domain.access import Wider
from chatplane.storage import Tx

actions = Actions()

Name = Annotated[str, Meta(min_length=1, max_length=180)]
Language = Annotated[str, Meta(min_length=2, max_length=16)]
Field = Literal["agent_priorities", "routing_status"]
MY_RW, ALL_RW = "groups--my:rw", "groups--all:rw"
MY_RO, ALL_RO = "groups--my:ro", "groups--all:ro"
# `groups--my:*` reach the groups the caller is a member of; `groups--all:*` any group.
OTHER_GROUP_RW = Wider("a group you are not a member of", (ALL_RW,))
OTHER_GROUP_RO = Wider("a group you are not a member of", (ALL_RO,))


class CreateGroup(Request, kw_only=True):
    name: Name
    language_code: Language | None = None
    agent_priorities: dict[str, Priority]


class UpdateGroup(Request, kw_only=True):
    id: GroupId
    name: Name | None = None
    language_code: Language | None = None
    agent_priorities: dict[str, Priority] | None = None


class GroupRef(Request, kw_only=True):
    id: GroupId


class GetGroup(Request, kw_only=True):
    id: GroupId
    fields: list[Field] = []


class ListGroups(Request, kw_only=True):
    fields: list[Field] = []


def _member_or_wider(ctx: Context, tx: Tx, group_id: int) -> None:
    """A group the caller is not a member of takes the wider scope (`groups--all`)."""
    caller = ctx.caller
    if group_id not in groups.member_group_ids(tx, caller.license_id, caller.user_id):
        ctx.require_wider(f"you are not a member of group {group_id}")


def group_object(g: groups.Group, fields: list[str], status: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": g.id, "name": g.name, "language_code": g.language_code}
    if "agent_priorities" in fields:
        out["agent_priorities"] = dict(g.agent_priorities)
    if "routing_status" in fields and status is not None:
        out["routing_status"] = status
    return out


async def create_group_checked(ctx: Context, p: CreateGroup) -> dict[str, Any]:
    caller = ctx.caller
    group_id = await ctx.commit(
        lambda tx: groups.create_group(
            tx,
            caller.license_id,
            p.name,
            dict(p.agent_priorities),
            language_code=p.language_code,
            requester=caller,
        )
    )
    return {"id": group_id}


@actions(CONFIGURATION, "create_group", CreateGroup, scopes=(ALL_RW,))
async def create_group(ctx: Context, p: CreateGroup) -> dict[str, Any]:
    return await create_group_checked(ctx, p)


@actions(CONFIGURATION, "update_group", UpdateGroup, scopes=(MY_RW, ALL_RW), wider=OTHER_GROUP_RW)
async def update_group(ctx: Context, p: UpdateGroup) -> None:
    caller = ctx.caller

    def run(tx: Tx) -> None:
        _member_or_wider(ctx, tx, p.id)
        priorities: dict[str, str] | None = None
        if p.agent_priorities is not None:
            priorities = dict(p.agent_priorities)
        groups.update_group(
            tx,
            caller.license_id,
            p.id,
            p.name,
            priorities,
            language_code=p.language_code,
            requester=caller,
        )

    await ctx.commit(run)


@actions(CONFIGURATION, "delete_group", GroupRef, scopes=(MY_RW, ALL_RW), wider=OTHER_GROUP_RW)
async def delete_group(ctx: Context, p: GroupRef) -> None:
    caller = ctx.caller

    def run(tx: Tx) -> None:
        _member_or_wider(ctx, tx, p.id)
        groups.delete_group(tx, caller.license_id, p.id, requester=caller)

    await ctx.commit(run)


@actions(CONFIGURATION, "get_group", GetGroup, scopes=(MY_RO, ALL_RO), wider=OTHER_GROUP_RO)
async def get_group(ctx: Context, p: GetGroup) -> dict[str, Any]:
    caller = ctx.caller

    def run(tx: Tx) -> dict[str, Any]:
        group = groups.get_group(tx, caller.license_id, p.id)
        _member_or_wider(ctx, tx, p.id)
        status = None
        if "routing_status" in p.fields:
            status = groups.routing_statuses(tx, caller.license_id, [p.id])[p.id]
        return group_object(group, list(p.fields), status)

    return await ctx.services.read(run)


@actions(CONFIGURATION, "list_groups", ListGroups, scopes=(ALL_RO,))
async def list_groups(ctx: Context, p: ListGroups) -> list[dict[str, Any]]:
    caller = ctx.caller

    def run(tx: Tx) -> list[dict[str, Any]]:
        found = groups.list_groups(tx, caller.license_id)
        statuses: dict[int, str] = {}
        if "routing_status" in p.fields:
            statuses = groups.routing_statuses(tx, caller.license_id, [g.id for g in found])
        return [group_object(g, list(p.fields), statuses.get(g.id)) for g in found]

    return await ctx.services.read(run)
