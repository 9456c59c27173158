"""Auto access: the rules' order (a linked list by `next_id`), their conditions, and a new
chat's groups coming from the first rule the customer's page matches."""

from __future__ import annotations

from typing import Any

import pytest

from chatplane.domain import auto_access, chats, customers, groups
from chatplane.domain.chats import ChatRequest, NewEvent, NewThread
from chatplane.errors import ApiError
from tests.unit.support import World


def _write(world: World, fn):  # type: ignore[no-untyped-def]
    return world.store.write_sync(fn).result


def _read(world: World, fn):  # type: ignore[no-untyped-def]
    return world.store.read_sync(fn)


def _domain(value: str, exact: bool = True) -> dict[str, Any]:
    return {"domain": {"values": [{"value": value, "exact_match": exact}]}}


def _order(world: World) -> list[str]:
    return [
        r.description or ""
        for r in _read(world, lambda tx: auto_access.rules(tx, world.license_id))
    ]


def test_rules_keep_their_order_and_move_before_next_id(world: World) -> None:
    ids = {}
    for name in "ABCD":
        ids[name] = _write(
            world,
            lambda tx, name=name: auto_access.add(
                tx, world.owner, [0], _domain(f"{name}.com"), name, None
            ),
        )
    assert _order(world) == list("ABCD")
    _write(
        world, lambda tx: auto_access.update(tx, world.owner, ids["C"], next_id=ids["B"], move=True)
    )
    assert _order(world) == list("ACBD")
    _write(world, lambda tx: auto_access.update(tx, world.owner, ids["A"], next_id="", move=True))
    assert _order(world) == list("CBDA")
    first = _write(
        world, lambda tx: auto_access.add(tx, world.owner, [0], _domain("e.com"), "E", ids["C"])
    )
    assert _order(world) == list("ECBDA")
    rules = _read(world, lambda tx: auto_access.rules(tx, world.license_id))
    assert [r.next_id for r in rules] == [ids["C"], ids["B"], ids["D"], ids["A"], None]
    _write(world, lambda tx: auto_access.delete(tx, world.owner, first))
    assert _order(world) == list("CBDA")
    with pytest.raises(ApiError):
        _write(
            world,
            lambda tx: auto_access.update(tx, world.owner, ids["A"], next_id="nope", move=True),
        )


def test_conditions_are_checked_when_a_rule_is_added(world: World) -> None:
    bad = [
        {},
        {"url": {"values": [{"value": "a"}], "exclude_values": [{"value": "b"}]}},
        {"geolocation": {"values": [{}]}},
    ]
    for conditions in bad:
        with pytest.raises(ApiError) as err:
            _write(
                world, lambda tx, c=conditions: auto_access.add(tx, world.owner, [0], c, None, None)
            )
        assert err.value.type == "validation"
    with pytest.raises(ApiError) as err:
        _write(
            world, lambda tx: auto_access.add(tx, world.owner, [5], _domain("x.com"), None, None)
        )
    assert err.value.type == "group_not_found"


def test_matching_url_domain_exclusions_and_geolocation() -> None:
    def rule(conditions: dict[str, Any]) -> auto_access.Rule:
        return auto_access.Rule("r", None, [1], auto_access.check_conditions(conditions))

    url = "https://Shop.Example.com/cart?x=1"
    assert auto_access.rule_matches(rule(_domain("shop.example.com")), url, None)
    assert auto_access.rule_matches(rule(_domain("EXAMPLE.com", exact=False)), url, None)
    assert not auto_access.rule_matches(rule(_domain("example.com")), url, None)
    assert auto_access.rule_matches(rule({"url": {"values": [{"value": "/cart"}]}}), url, None)
    assert not auto_access.rule_matches(
        rule({"url": {"exclude_values": [{"value": "/cart"}]}}), url, None
    )
    assert auto_access.rule_matches(
        rule({"url": {"exclude_values": [{"value": "/blog"}]}}), url, None
    )
    assert not auto_access.rule_matches(rule({"url": {"values": [{"value": "/cart"}]}}), None, None)
    geo = rule({"geolocation": {"values": [{"country_code": "us"}, {"city": "Berlin"}]}})
    assert auto_access.rule_matches(geo, url, {"country_code": "US", "city": "Austin"})
    assert not auto_access.rule_matches(geo, url, {"country_code": "PL"})
    assert not auto_access.rule_matches(geo, url, None)
    both = rule({**_domain("shop.example.com"), "geolocation": {"values": [{"country": "Poland"}]}})
    assert not auto_access.rule_matches(both, url, {"country": "Germany"})


def test_a_customers_new_chat_gets_the_groups_of_the_first_matching_rule(world: World) -> None:
    lic = world.license_id
    shoes = _write(world, lambda tx: groups.create_group(tx, lic, "Shoes", {}))
    hats = _write(world, lambda tx: groups.create_group(tx, lic, "Hats", {}))
    _write(
        world,
        lambda tx: auto_access.add(
            tx, world.owner, [hats], {"url": {"values": [{"value": "/hats"}]}}, None, None
        ),
    )
    _write(
        world,
        lambda tx: auto_access.add(
            tx, world.owner, [shoes], _domain("shop.example.com"), None, None
        ),
    )
    customer = world.customer()

    def start(page: str | None, access: dict[str, Any] | None = None) -> list[int]:
        def run(tx):  # type: ignore[no-untyped-def]
            customers.start_visit(
                tx,
                customer,
                ip=None,
                user_agent=None,
                referrer=None,
                page={"url": page} if page else None,
            )
            req = ChatRequest(
                access=access,
                thread=NewThread(events=[NewEvent(type="message", text="hi")]),
            )
            chat, _ = chats.start_chat(tx, customer, req)
            chats.close_thread(tx, customer, chat.id)
            return chat.group_ids

        return _write(world, run)

    assert start("https://shop.example.com/shoes") == [shoes]
    assert start("https://shop.example.com/hats/red") == [hats]  # the first rule wins
    assert start("https://elsewhere.example.org/") == [0]
    assert start("https://shop.example.com/", {"group_ids": [hats]}) == [hats]  # access overrides
