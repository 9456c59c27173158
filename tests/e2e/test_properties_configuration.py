"""Configuration API, properties (configuration-api/readme.md, "Properties"; about-apis.md).

create_properties validates a configuration in full: type one of int, bool, string,
tokenized_string; at least one location of chat, thread, event; access read/write per
agent and customer; domain (values of the type) or range (from/to, numeric only), never
both. A property's namespace is the client_id of the token's application. Every license has
the `test` namespace with four properties, read and write for everyone everywhere.
"""

from __future__ import annotations

import pytest

from .harness import assert_error_response
from .properties_helpers import config, configuration, configuration_error, create, prop_name


def _configs(env, token=None, **body):
    resp = configuration(env.http, token or env.a.owner.token, "get_property_configs", body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_created_properties_appear_in_the_applications_namespace(env):
    name = prop_name()
    wanted = config("int", ("chat", "event"), agent=(True, True), customer=(True, False))
    wanted["description"] = "how happy the customer is"
    wanted["range"] = {"from": 0, "to": 10}
    create(env.http, env.a.owner.token, {name: wanted})

    mine = _configs(env)

    assert list(mine) == [env.a.client_id]
    assert mine[env.a.client_id][name] == wanted


def test_unversioned_configuration_path_serves_the_same_methods(env):
    name = prop_name()
    resp = configuration(
        env.http,
        env.a.owner.token,
        "create_properties",
        {name: config("bool")},
        versioned=False,
    )
    assert resp.status_code == 200, resp.text
    resp = configuration(env.http, env.a.owner.token, "get_property_configs", {}, versioned=False)
    assert name in resp.json()[env.a.client_id]


def test_get_property_configs_all_lists_every_namespace_with_the_test_namespace(env):
    everything = _configs(env, all=True)

    assert env.a.client_id in everything
    rw = {"read": True, "write": True}
    everywhere = {
        loc: {"access": {"agent": rw, "customer": rw}} for loc in ("chat", "thread", "event")
    }
    assert everything["test"] == {
        "bool_property": {"type": "bool", "locations": everywhere},
        "int_property": {"type": "int", "locations": everywhere},
        "string_property": {"type": "string", "locations": everywhere},
        "tokenized_string_property": {"type": "tokenized_string", "locations": everywhere},
    }
    # Without `all`, only the caller's namespace.
    assert "test" not in _configs(env)


def test_each_license_has_its_own_configurations(env):
    name = prop_name()
    create(env.http, env.a.owner.token, {name: config("string")})

    other = _configs(env, env.b.owner.token, all=True)

    assert "test" in other
    assert all(name not in props for props in other.values())


def _agent_rw():
    return {"agent": {"read": True, "write": True}}


REFUSED = {
    "unknown type": ({"type": "float", "locations": {"chat": {"access": _agent_rw()}}}, "type"),
    "missing type": ({"locations": {"chat": {"access": _agent_rw()}}}, "type"),
    "no location": ({"type": "int", "locations": {}}, "at least one of chat, thread, event"),
    "unknown location": (
        {"type": "int", "locations": {"visit": {"access": _agent_rw()}}},
        "location 'visit'",
    ),
    "no user in access": ({"type": "int", "locations": {"chat": {"access": {}}}}, "access"),
    "unknown user type": (
        {"type": "int", "locations": {"chat": {"access": {"bot": {"read": True, "write": True}}}}},
        "not a user type",
    ),
    "access without write": (
        {"type": "int", "locations": {"chat": {"access": {"agent": {"read": True}}}}},
        "write",
    ),
    "domain and range": (
        config("int", domain=[1, 2], range={"from": 1, "to": 2}),
        "domain or range, not both",
    ),
    "range on a string": (config("string", range={"from": 1, "to": 2}), "numeric types"),
    "range from above to": (config("int", range={"from": 5, "to": 1}), "above range.to"),
    "domain of another type": (config("int", domain=[1, "two"]), "domain[1] must be an int"),
    "empty domain": (config("bool", domain=[]), "at least one value"),
    "int32 overflow in domain": (config("int", domain=[2**31]), "int32"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_create_properties_refuses_an_invalid_configuration(env, case):
    body, words = REFUSED[case]
    name = prop_name()

    resp = configuration(env.http, env.a.owner.token, "create_properties", {name: body})

    err = configuration_error(resp)
    assert_error_response(err, status=400, type="validation")
    assert words in err.message, err.message
    assert name in err.message, err.message
    assert name not in _configs(env).get(env.a.client_id, {})


def test_create_properties_refuses_a_bad_property_name(env):
    resp = configuration(
        env.http, env.a.owner.token, "create_properties", {"no spaces!": config("int")}
    )
    err = configuration_error(resp)
    assert_error_response(err, status=400, type="validation")
    assert "no spaces!" in err.message


def test_create_properties_is_all_or_nothing(env):
    good, bad = prop_name(), prop_name()

    resp = configuration(
        env.http,
        env.a.owner.token,
        "create_properties",
        {good: config("int"), bad: config("int", domain=["x"])},
    )

    assert_error_response(configuration_error(resp), status=400, type="validation")
    mine = _configs(env).get(env.a.client_id, {})
    assert good not in mine and bad not in mine


def test_creating_again_is_accepted_with_the_same_configuration_only(env):
    name = prop_name()
    create(env.http, env.a.owner.token, {name: config("int")})
    create(env.http, env.a.owner.token, {name: config("int")})

    resp = configuration(env.http, env.a.owner.token, "create_properties", {name: config("string")})

    err = configuration_error(resp)
    assert_error_response(err, status=400, type="validation")
    assert f"{env.a.client_id}.{name} already exists" in err.message
    assert _configs(env)[env.a.client_id][name]["type"] == "int"


def test_properties_scopes_are_required(env):
    # A normal agent holds none of the properties--* scopes (scopes.md: administrators).
    resp = configuration(
        env.http, env.normal.token, "create_properties", {prop_name(): config("int")}
    )
    err = configuration_error(resp)
    assert_error_response(err, status=403, type="authorization")
    assert "properties--my:rw" in err.message
    resp = configuration(env.http, env.normal.token, "get_property_configs", {"all": True})
    assert_error_response(configuration_error(resp), status=403, type="authorization")


def test_configuration_api_refuses_a_customer_token(env):
    customer = env.new_customer()
    resp = configuration(env.http, customer.token, "get_property_configs", {})
    assert_error_response(configuration_error(resp), status=401, type="authentication")


def test_create_properties_refuses_a_body_that_is_not_an_object(env):
    resp = configuration(env.http, env.a.owner.token, "create_properties", [1, 2])
    assert_error_response(configuration_error(resp), status=400, type="validation")
