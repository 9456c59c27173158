"""Configuration API v3.6: auto access (`add_auto_access`, `list_auto_accesses`,
`update_auto_access`, `delete_auto_access`)."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import UNSET, Meta, UnsetType

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_6.configuration_common import CONFIGURATION, Empty, GroupId, Request
from chatplane.domain import auto_access

actions = Actions()

RW, RO = "access_rules:rw", "access_rules:ro"
RuleId = Annotated[str, Meta(min_length=1, max_length=64)]
Place = Annotated[str, Meta(max_length=255)]


class MatchObject(Request, kw_only=True):
    value: Annotated[str, Meta(min_length=1, max_length=2048)]
    exact_match: bool = False


class MatchCondition(Request, kw_only=True):
    values: list[MatchObject] | None = None
    exclude_values: list[MatchObject] | None = None


class Geolocation(Request, kw_only=True):
    country: Place | None = None
    country_code: Place | None = None
    region: Place | None = None
    city: Place | None = None


class GeolocationCondition(Request, kw_only=True):
    values: list[Geolocation]


class Conditions(Request, kw_only=True):
    url: MatchCondition | None = None
    domain: MatchCondition | None = None
    geolocation: GeolocationCondition | None = None


class Access(Request, kw_only=True):
    groups: list[GroupId]


class AddAutoAccess(Request, kw_only=True):
    access: Access
    conditions: Conditions
    description: Annotated[str, Meta(max_length=1024)] | None = None
    next_id: RuleId | None = None


class UpdateAutoAccess(Request, kw_only=True):
    id: RuleId
    access: Access | None = None
    conditions: Conditions | None = None
    description: Annotated[str, Meta(max_length=1024)] | None = None
    # Absent: the rule stays where it is; "": it moves to the end; an id: before that rule.
    next_id: Annotated[str, Meta(max_length=64)] | UnsetType = UNSET


class RuleRef(Request, kw_only=True):
    id: RuleId


def _match(m: MatchCondition | None) -> dict[str, Any] | None:
    if m is None:
        return None
    out: dict[str, Any] = {}
    for key, given in (("values", m.values), ("exclude_values", m.exclude_values)):
        if given is not None:
            out[key] = [{"value": v.value, "exact_match": v.exact_match} for v in given]
    return out


def conditions_json(c: Conditions) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind, given in (("url", c.url), ("domain", c.domain)):
        match = _match(given)
        if match is not None:
            out[kind] = match
    if c.geolocation is not None:
        out["geolocation"] = {
            "values": [
                {
                    k: v
                    for k, v in (
                        ("country", g.country),
                        ("country_code", g.country_code),
                        ("region", g.region),
                        ("city", g.city),
                    )
                    if v is not None
                }
                for g in c.geolocation.values
            ]
        }
    return out


def rule_object(rule: auto_access.Rule) -> dict[str, Any]:
    out: dict[str, Any] = {"id": rule.id}
    if rule.description is not None:
        out["description"] = rule.description
    out["access"] = {"groups": rule.group_ids}
    out["conditions"] = rule.conditions
    if rule.next_id is not None:
        out["next_id"] = rule.next_id
    return out


@actions(CONFIGURATION, "add_auto_access", AddAutoAccess, scopes=(RW,))
async def add_auto_access(ctx: Context, p: AddAutoAccess) -> dict[str, Any]:
    caller = ctx.caller
    rule_id = await ctx.commit(
        lambda tx: auto_access.add(
            tx,
            caller,
            list(p.access.groups),
            conditions_json(p.conditions),
            p.description,
            p.next_id,
        )
    )
    return {"id": rule_id}


@actions(CONFIGURATION, "list_auto_accesses", Empty, scopes=(RO,))
async def list_auto_accesses(ctx: Context, _p: Empty) -> list[dict[str, Any]]:
    caller = ctx.caller
    found = await ctx.services.read(lambda tx: auto_access.rules(tx, caller.license_id))
    return [rule_object(r) for r in found]


@actions(CONFIGURATION, "update_auto_access", UpdateAutoAccess, scopes=(RW,))
async def update_auto_access(ctx: Context, p: UpdateAutoAccess) -> None:
    caller = ctx.caller
    move = not isinstance(p.next_id, UnsetType)
    await ctx.commit(
        lambda tx: auto_access.update(
            tx,
            caller,
            p.id,
            group_ids=list(p.access.groups) if p.access is not None else None,
            conditions=conditions_json(p.conditions) if p.conditions is not None else None,
            description=p.description,
            next_id=p.next_id if isinstance(p.next_id, str) else None,
            move=move,
        )
    )


@actions(CONFIGURATION, "delete_auto_access", RuleRef, scopes=(RW,))
async def delete_auto_access(ctx: Context, p: RuleRef) -> None:
    caller = ctx.caller
    await ctx.commit(lambda tx: auto_access.delete(tx, caller, p.id))
