"""Property configurations and values: the rules of configuration-api/readme.md "Properties"
and about-apis.md "Property types / locations / domain", without a database."""

from __future__ import annotations

import pytest

from chatplane.domain import properties as p
from chatplane.errors import ApiError

RW = {"agent": {"read": True, "write": True}, "customer": {"read": True, "write": True}}


def cfg(type: str = "int", **kw: object) -> p.PropertyConfig:
    return p.PropertyConfig(
        "app", "prop", type, kw.pop("locations", {"chat": {"access": RW}}), **kw
    )  # type: ignore[arg-type]


def refused(config: p.PropertyConfig) -> str:
    with pytest.raises(ApiError) as info:
        p.check_config(config)
    assert info.value.type == "validation"
    return info.value.message


def test_a_valid_configuration_passes() -> None:
    p.check_config(cfg("int", range={"from": 0, "to": 10}))
    p.check_config(cfg("string", domain=["hello", "hi"]))
    p.check_config(cfg("tokenized_string", description="free text"))


@pytest.mark.parametrize(
    ("config", "words"),
    [
        (cfg("float"), "type 'float' is not one of int, bool, string, tokenized_string"),
        (cfg(locations={}), "at least one of chat, thread, event"),
        (cfg(locations={"visit": {"access": RW}}), "location 'visit'"),
        (cfg(locations={"chat": {"access": {}}}), "at least one of agent, customer"),
        (cfg(domain=[1], range={"from": 1}), "domain or range, not both"),
        (cfg("bool", range={"to": 1}), "range works only for numeric types"),
        (cfg(range={"from": 3, "to": 2}), "range.from 3 is above range.to 2"),
        (cfg(domain=[True]), "domain[0] must be an int, not bool"),
        (cfg("string", domain=[]), "at least one value"),
    ],
)
def test_invalid_configurations_are_refused_naming_the_rule(
    config: p.PropertyConfig, words: str
) -> None:
    message = refused(config)
    assert words in message
    assert "app.prop" in message


def test_values_are_checked_against_type_domain_and_range() -> None:
    assert p.check_value(cfg("int"), 5) is None
    assert "must be an int, not bool" in (p.check_value(cfg("int"), True) or "")
    assert "int32" in (p.check_value(cfg("int"), 2**31) or "")
    assert "must be a bool" in (p.check_value(cfg("bool"), 1) or "")
    assert "must be a string" in (p.check_value(cfg("string"), None) or "")
    too_long = "x" * (p.MAX_STRING_BYTES + 1)
    assert "longer than" in (p.check_value(cfg("tokenized_string"), too_long) or "")
    assert "not in its domain" in (p.check_value(cfg("string", domain=["a"]), "b") or "")
    open_ended = cfg(range={"from": 1})
    assert p.check_value(open_ended, 10**6) is None
    assert "out of its range 1.." in (p.check_value(open_ended, 0) or "")


def test_reading_hides_what_a_user_type_may_not_read_and_unknown_configurations() -> None:
    hidden = p.PropertyConfig(
        "app", "secret", "int", {"chat": {"access": {"agent": {"read": True, "write": True}}}}
    )
    configs = {("app", "secret"): hidden, ("app", "prop"): cfg()}
    stored = {"app": {"secret": 1, "prop": 2, "unknown": 3}}
    assert p.readable(configs, "chat", "agent", stored) == {"app": {"secret": 1, "prop": 2}}
    assert p.readable(configs, "chat", "customer", stored) == {"app": {"prop": 2}}
    assert p.readable(configs, "thread", "agent", stored) == {}


def test_delete_needs_write_access_and_without_reports_what_was_there() -> None:
    ro = p.PropertyConfig(
        "app", "ro", "int", {"chat": {"access": {"customer": {"read": True, "write": False}}}}
    )
    configs = {("app", "ro"): ro, ("app", "prop"): cfg()}
    with pytest.raises(ApiError) as info:
        p.validate_delete(configs, "customer", "chat", {"app": ["prop", "ro"]})
    assert info.value.type == "authorization"
    assert "app.ro is not writable by a customer on a chat" in info.value.message
    kept, removed = p.without({"app": {"prop": 1}, "x": {"y": 2}}, {"app": ["prop", "gone"]})
    assert kept == {"x": {"y": 2}}
    assert removed == {"app": ["prop"]}


def test_the_test_namespace_is_rw_for_everyone_everywhere_and_routing_is_server_only() -> None:
    builtins = p.builtin_configs()
    for name in ("bool_property", "int_property", "string_property", "tokenized_string_property"):
        c = builtins[("test", name)]
        for location in p.LOCATIONS:
            for user_type in p.USER_TYPES:
                assert c.can(location, user_type, "read") and c.can(location, user_type, "write")
    for (ns, _name), c in builtins.items():
        if ns == "routing":
            assert not c.can("chat", "agent", "write")
            assert not c.can("chat", "customer", "read")
