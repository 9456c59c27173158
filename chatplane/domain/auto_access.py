"""Auto access (Configuration API v3.3+): rules that give a new chat its groups from the
customer's page URL, its domain and the customer's geolocation.

Rules form an ordered list (each points at the next with `next_id`); a new chat a customer
starts without `access` gets the groups of the first rule whose conditions all hold for
the page the customer is on (the last page of the visit: `customer_page` at login, then
`update_customer_page`). No rule matching, or no page known: group 0, as before.

A condition on `url` or `domain` holds when one of its `values` matches (a substring of
the URL or domain, or all of it with `exact_match`), or when none of its
`exclude_values` does. `geolocation` holds when one of its values has every field it
names equal (ignoring case) to the visit's geolocation; Chatplane has no geolocation
database, so this holds only for visits that carry one.
"""

from __future__ import annotations

import itertools
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chatplane.domain import changes
from chatplane.domain.group_refs import check_exist
from chatplane.domain.models import Customer, Principal
from chatplane.errors import limit_reached, not_found, validation
from chatplane.storage import Tx
from chatplane.storage import auto_access as repo

MAX_RULES = 500
MATCHED = ("url", "domain")
GEO_FIELDS = ("country", "country_code", "region", "city")


@dataclass
class Rule:
    id: str
    description: str | None
    group_ids: list[int]
    conditions: dict[str, Any]
    next_id: str | None = None


def _rule(row: Any) -> Rule:
    return Rule(
        row.id,
        row.description,
        [int(g) for g in (row.access or {}).get("groups", [])],
        dict(row.conditions or {}),
    )


def rules(tx: Tx, license_id: int) -> list[Rule]:
    """The license's rules in order, each pointing at the next (the last at None)."""
    found = [_rule(r) for r in repo.rules(tx.conn, license_id)]
    for rule, following in itertools.pairwise(found):
        rule.next_id = following.id
    return found


def check_conditions(conditions: dict[str, Any]) -> dict[str, Any]:
    """The conditions normalised (`exact_match` given everywhere); `validation` naming the
    first rule they break."""
    if not any(conditions.get(k) is not None for k in (*MATCHED, "geolocation")):
        raise validation("conditions must set at least one of url, domain, geolocation")
    out: dict[str, Any] = {}
    for kind in MATCHED:
        spec = conditions.get(kind)
        if spec is None:
            continue
        values, excluded = spec.get("values"), spec.get("exclude_values")
        if values is not None and excluded is not None:
            raise validation(f"conditions.{kind}: give values or exclude_values, not both")
        if not values and not excluded:
            raise validation(f"conditions.{kind} needs values or exclude_values")
        key = "values" if values else "exclude_values"
        out[kind] = {
            key: [
                {
                    # Host names are matched ignoring case; URLs as written.
                    "value": m["value"].casefold() if kind == "domain" else m["value"],
                    "exact_match": bool(m.get("exact_match", False)),
                }
                for m in (values or excluded)
            ]
        }
    geo = conditions.get("geolocation")
    if geo is not None:
        values = geo.get("values") or []
        if not values:
            raise validation("conditions.geolocation.values must list at least one location")
        cleaned = []
        for i, place in enumerate(values):
            given = {k: place[k] for k in GEO_FIELDS if place.get(k)}
            if not given:
                raise validation(
                    f"conditions.geolocation.values[{i}] must set one of {', '.join(GEO_FIELDS)}"
                )
            cleaned.append(given)
        out["geolocation"] = {"values": cleaned}
    return out


def _check_groups(tx: Tx, license_id: int, group_ids: list[int]) -> list[int]:
    if not group_ids:
        raise validation("access.groups must list at least one group")
    unique = list(dict.fromkeys(group_ids))
    check_exist(tx, license_id, unique)
    return unique


def _reorder(tx: Tx, license_id: int, order: list[str]) -> None:
    for position, rule_id in enumerate(order):
        repo.update(tx.conn, license_id, rule_id, position=position)


def _place(order: list[str], rule_id: str, next_id: str | None) -> list[str]:
    """`order` with `rule_id` put just before `next_id` (at the end when None or "")."""
    rest = [r for r in order if r != rule_id]
    if not next_id:
        return [*rest, rule_id]
    if next_id == rule_id:
        raise validation("next_id must name another auto access, not this one")
    if next_id not in rest:
        raise not_found("Auto access", next_id)
    i = rest.index(next_id)
    return [*rest[:i], rule_id, *rest[i:]]


def add(
    tx: Tx,
    caller: Principal,
    group_ids: list[int],
    conditions: dict[str, Any],
    description: str | None,
    next_id: str | None,
) -> str:
    lic = caller.license_id
    wanted = _check_groups(tx, lic, group_ids)
    checked = check_conditions(conditions)
    before = rules(tx, lic)
    order = [r.id for r in before]
    if len(order) >= MAX_RULES:
        raise limit_reached(f"This license has {MAX_RULES} auto access rules, the most it may")
    rule_id = uuid.uuid4().hex
    new_order = _place(order, rule_id, next_id)
    repo.insert(
        tx.conn,
        id=rule_id,
        license_id=lic,
        position=new_order.index(rule_id),
        description=description,
        access={"groups": wanted},
        conditions=checked,
        created_at=time.time(),
    )
    _reorder(tx, lic, new_order)
    _emit(tx, caller, before)
    return rule_id


def update(
    tx: Tx,
    caller: Principal,
    rule_id: str,
    *,
    group_ids: list[int] | None = None,
    conditions: dict[str, Any] | None = None,
    description: str | None = None,
    next_id: str | None = None,
    move: bool = False,
) -> None:
    """Change the fields given; `move` places the rule before `next_id` (at the end when
    it is empty)."""
    lic = caller.license_id
    before = rules(tx, lic)
    order = [r.id for r in before]
    if rule_id not in order:
        raise not_found("Auto access", rule_id)
    values: dict[str, Any] = {}
    if group_ids is not None:
        values["access"] = {"groups": _check_groups(tx, lic, group_ids)}
    if conditions is not None:
        values["conditions"] = check_conditions(conditions)
    if description is not None:
        values["description"] = description
    if values:
        repo.update(tx.conn, lic, rule_id, **values)
    if move:
        _reorder(tx, lic, _place(order, rule_id, next_id))
    _emit(tx, caller, before)


def delete(tx: Tx, caller: Principal, rule_id: str) -> None:
    lic = caller.license_id
    before = rules(tx, lic)
    order = [r.id for r in before]
    if rule_id not in order:
        raise not_found("Auto access", rule_id)
    repo.delete(tx.conn, lic, rule_id)
    _reorder(tx, lic, [r for r in order if r != rule_id])
    _emit(tx, caller, before)


# -- matching --------------------------------------------------------------------------


def _matches(spec: dict[str, Any], text: str | None) -> bool:
    if text is None:
        return False

    def hit(m: dict[str, Any]) -> bool:
        value = str(m["value"])
        if m.get("exact_match"):
            return text == value
        return value in text

    if "values" in spec:
        return any(hit(m) for m in spec["values"])
    return not any(hit(m) for m in spec.get("exclude_values", []))


def _geo_matches(spec: dict[str, Any], geo: dict[str, Any] | None) -> bool:
    if not geo:
        return False
    for place in spec.get("values", []):
        if all(str(geo.get(k, "")).casefold() == str(v).casefold() for k, v in place.items()):
            return True
    return False


def page_url(customer: Customer | None) -> str | None:
    """The page the customer is on: the last page of its visit."""
    visit = (customer.last_visit if customer else None) or {}
    pages = visit.get("last_pages") or []
    url = pages[-1].get("url") if pages else None
    return str(url) if url else None


def rule_matches(rule: Rule, url: str | None, geolocation: dict[str, Any] | None) -> bool:
    c = rule.conditions
    if "url" in c and not _matches(c["url"], url):
        return False
    if "domain" in c:
        host = (urlsplit(url).hostname or "") if url else None
        if not _matches(c["domain"], host.casefold() if host is not None else None):
            return False
    return not ("geolocation" in c and not _geo_matches(c["geolocation"], geolocation))


def groups_for(tx: Tx, license_id: int, customer: Customer | None) -> list[int] | None:
    """The groups of the first rule the customer's page and geolocation match, or None."""
    found = repo.rules(tx.conn, license_id)
    if not found:
        return None
    url = page_url(customer)
    geolocation = ((customer.last_visit if customer else None) or {}).get("geolocation")
    for row in found:
        rule = _rule(row)
        if rule_matches(rule, url, geolocation if isinstance(geolocation, dict) else None):
            return sorted(set(rule.group_ids))
    return None


def _listed(found: list[Rule]) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "description": r.description,
            "access": {"groups": r.group_ids},
            "conditions": r.conditions,
            "next_id": r.next_id,
        }
        for r in found
    ]


def _emit(tx: Tx, caller: Principal, before: list[Rule]) -> None:
    tx.emit(
        changes.AutoAccessesUpdated(
            caller.license_id,
            rules=_listed(rules(tx, caller.license_id)),
            previous=_listed(before),
            requester_id=caller.user_id,
            requester_client_id=caller.client_id,
        )
    )
