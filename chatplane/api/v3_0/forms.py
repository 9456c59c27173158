"""get_form and check_goals (Customer Chat API)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_0.structs import GroupId
from chatplane.domain import forms

actions = Actions()


class GetForm(Struct, kw_only=True):
    group_id: GroupId
    type: Literal["prechat", "postchat"]


class CheckGoals(Struct, kw_only=True):
    page_url: Annotated[str, Meta(min_length=1, max_length=2048)]
    group_id: GroupId
    # The spec's table says string, its sample an object of fields: both are taken.
    customer_fields: dict[str, str] | str | None = None


@actions("customer", "get_form", GetForm)
async def get_form(ctx: Context, p: GetForm) -> dict[str, Any]:
    caller = ctx.caller
    return await ctx.services.read(
        lambda tx: forms.get_form(tx, caller.license_id, p.group_id, p.type)
    )


@actions("customer", "check_goals", CheckGoals, rtm=False)
async def check_goals(ctx: Context, p: CheckGoals) -> None:
    caller = ctx.caller
    await ctx.commit(
        lambda tx: forms.check_goals(tx, caller.license_id, caller.user_id, p.group_id, p.page_url)
    )
    return None
