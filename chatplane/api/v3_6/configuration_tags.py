"""Configuration API v3.6: tags (`create_tag`, `update_tag`, `delete_tag`, `list_tags`)."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_6.configuration_common import CONFIGURATION, GroupId, Request, rfc3339
from chatplane.domain import tag_config
from chatplane.domain.access import Wider

actions = Actions()

ALL_RW, GROUPS_RW = "tags--all:rw", "tags--groups:rw"
ALL_RO, GROUPS_RO = "tags--all:ro", "tags--groups:ro"
# `tags--groups:*` reach the tags of the caller's own groups; `tags--all:*` every group's.
OTHER_GROUPS_RW = Wider("tags of groups you are not a member of", (ALL_RW,))
OTHER_GROUPS_RO = Wider("tags of groups you are not a member of", (ALL_RO,))

TagName = Annotated[str, Meta(min_length=1, max_length=tag_config.MAX_NAME)]


class TagChange(Request, kw_only=True):
    name: TagName
    group_ids: list[GroupId] | None = None


class TagRef(Request, kw_only=True):
    name: TagName


class TagFilters(Request, kw_only=True):
    group_ids: list[GroupId]


class ListTags(Request, kw_only=True):
    filters: TagFilters | None = None


def tag_object(tag: tag_config.Tag) -> dict[str, Any]:
    return {
        "name": tag.name,
        "group_ids": tag.group_ids,
        "author_id": tag.author_id or "",
        "created_at": rfc3339(tag.created_at),
    }


@actions(CONFIGURATION, "create_tag", TagChange, scopes=(ALL_RW, GROUPS_RW), wider=OTHER_GROUPS_RW)
async def create_tag(ctx: Context, p: TagChange) -> None:
    caller = ctx.caller
    await ctx.commit(
        lambda tx: tag_config.create_tag(tx, caller, p.name, p.group_ids, ctx.require_wider)
    )


@actions(CONFIGURATION, "update_tag", TagChange, scopes=(ALL_RW, GROUPS_RW), wider=OTHER_GROUPS_RW)
async def update_tag(ctx: Context, p: TagChange) -> None:
    caller = ctx.caller
    await ctx.commit(
        lambda tx: tag_config.update_tag(tx, caller, p.name, p.group_ids, ctx.require_wider)
    )


@actions(CONFIGURATION, "delete_tag", TagRef, scopes=(ALL_RW, GROUPS_RW), wider=OTHER_GROUPS_RW)
async def delete_tag(ctx: Context, p: TagRef) -> None:
    caller = ctx.caller
    await ctx.commit(lambda tx: tag_config.delete_tag(tx, caller, p.name, ctx.require_wider))


@actions(CONFIGURATION, "list_tags", ListTags, scopes=(ALL_RO, GROUPS_RO), wider=OTHER_GROUPS_RO)
async def list_tags(ctx: Context, p: ListTags) -> list[dict[str, Any]]:
    caller = ctx.caller
    group_ids = list(p.filters.group_ids) if p.filters is not None else None
    every = ctx.may_reach()
    found = await ctx.services.read(
        lambda tx: tag_config.list_tags(tx, caller, group_ids, every_group=every)
    )
    return [tag_object(t) for t in found]
