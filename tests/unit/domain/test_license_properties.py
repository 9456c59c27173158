"""Registered properties and license and group values: defaults, privacy to the owning
application until published, and the properties' own access rules."""

from __future__ import annotations

import pytest

from chatplane.domain import groups
from chatplane.domain import license_properties as lp
from chatplane.domain.access import role_scopes
from chatplane.domain.models import Principal
from chatplane.errors import ApiError
from chatplane.storage import accounts as repo
from tests.unit.support import World


def _write(world: World, fn):  # type: ignore[no-untyped-def]
    return world.store.write_sync(fn).result


def _read(world: World, fn):  # type: ignore[no-untyped-def]
    return world.store.read_sync(fn)


def refuse(detail: str) -> None:
    """A caller without the `--all` scope (the API's `ctx.require_wider`)."""
    raise ApiError("authorization", f"refused: {detail}")


def allow(_detail: str) -> None:
    """A caller with the `--all` scope."""


def _register(world: World, name: str, **kw) -> None:  # type: ignore[no-untyped-def]
    reg = lp.Registration(
        name=name,
        type=kw.pop("type", "string"),
        access=kw.pop(
            "access",
            {"license": {"agent": ["read", "write"]}, "group": {"agent": ["read", "write"]}},
        ),
        **kw,
    )
    _write(world, lambda tx: lp.register(tx, world.owner, world.client_id, reg))


def _other_app(world: World) -> Principal:
    """The owner through a second application of the license."""
    _write(
        world,
        lambda tx: repo.create_application(tx.conn, world.license_id, "app-two", "Two", False, 0),
    )
    return Principal(
        world.license_id, "agent", world.owner.user_id, "app-two", role_scopes("owner"), "owner"
    )


def test_defaults_fill_unset_values_and_values_do_not_overwrite_others(world: World) -> None:
    _register(world, "greeting", default_value="hello")
    _register(world, "level", type="int", range={"from": 1, "to": 5})
    ns = world.client_id
    assert _read(world, lambda tx: lp.license_values(tx, world.owner, others=True)) == {
        ns: {"greeting": "hello"}
    }
    _write(world, lambda tx: lp.update_values(tx, world.owner, None, {ns: {"level": 3}}, allow))
    _write(
        world, lambda tx: lp.update_values(tx, world.owner, None, {ns: {"greeting": "hi"}}, allow)
    )
    assert _read(world, lambda tx: lp.license_values(tx, world.owner, others=True)) == {
        ns: {"greeting": "hi", "level": 3}
    }
    with pytest.raises(ApiError) as err:
        _write(world, lambda tx: lp.update_values(tx, world.owner, None, {ns: {"level": 9}}, allow))
    assert err.value.type == "validation"
    _write(world, lambda tx: lp.delete_values(tx, world.owner, None, {ns: ["greeting"]}, allow))
    assert _read(
        world, lambda tx: lp.license_values(tx, world.owner, name_prefix="gre", others=True)
    ) == {ns: {"greeting": "hello"}}
    gid = _write(world, lambda tx: groups.create_group(tx, world.license_id, "G", {}))
    _write(
        world,
        lambda tx: lp.update_values(tx, world.owner, gid, {ns: {"greeting": "group hi"}}, allow),
    )
    found = dict(_read(world, lambda tx: lp.group_values(tx, world.owner, [], others=True)))
    assert found == {0: {ns: {"greeting": "hello"}}, gid: {ns: {"greeting": "group hi"}}}
    with pytest.raises(ApiError) as err:
        _write(
            world, lambda tx: lp.update_values(tx, world.owner, 77, {ns: {"greeting": "x"}}, allow)
        )
    assert err.value.type == "group_not_found"


def test_a_default_needs_a_license_or_group_location(world: World) -> None:
    with pytest.raises(ApiError):
        _register(world, "chatty", access={"chat": {"agent": ["read"]}}, default_value="x")
    _register(world, "chatty", access={"chat": {"agent": ["read"]}})
    with pytest.raises(ApiError) as err:
        _register(world, "chatty", access={"chat": {"agent": ["read"]}})
    assert err.value.type == "already_exists"
    ns = world.client_id
    with pytest.raises(ApiError) as err:
        _write(
            world, lambda tx: lp.update_values(tx, world.owner, None, {ns: {"chatty": "x"}}, allow)
        )
    assert err.value.type == "validation"  # not a license property


def test_another_application_reaches_a_property_only_once_published(world: World) -> None:
    _register(world, "secret", default_value="s")
    other = _other_app(world)
    ns = world.client_id
    assert _read(world, lambda tx: lp.license_values(tx, other, others=True)) == {}
    with pytest.raises(ApiError) as err:
        _write(world, lambda tx: lp.update_values(tx, other, None, {ns: {"secret": "x"}}, allow))
    assert err.value.type == "authorization"
    _write(world, lambda tx: lp.publish(tx, world.owner, ns, "secret", ["read"]))
    assert _read(world, lambda tx: lp.license_values(tx, other, others=True)) == {
        ns: {"secret": "s"}
    }
    # Without the `--all` scope another application's published property is not shown.
    assert _read(world, lambda tx: lp.license_values(tx, other, others=False)) == {}
    with pytest.raises(ApiError):
        _write(world, lambda tx: lp.update_values(tx, other, None, {ns: {"secret": "x"}}, allow))
    my_only = Principal(
        world.license_id,
        "agent",
        world.owner.user_id,
        "app-two",
        frozenset({"properties.license.value--my:rw"}),
    )
    with pytest.raises(ApiError):
        _write(world, lambda tx: lp.update_values(tx, my_only, None, {ns: {"secret": "x"}}, refuse))
    _write(world, lambda tx: lp.publish(tx, world.owner, ns, "secret", ["write"]))
    _write(world, lambda tx: lp.update_values(tx, other, None, {ns: {"secret": "x"}}, allow))
    with pytest.raises(ApiError) as err:
        _write(world, lambda tx: lp.unregister(tx, world.owner, ns, "secret"))
    assert "published" in err.value.message


def test_unregistering_removes_the_property_and_its_values(world: World) -> None:
    _register(world, "gone")
    ns = world.client_id
    _write(world, lambda tx: lp.update_values(tx, world.owner, None, {ns: {"gone": "v"}}, allow))
    _write(world, lambda tx: lp.unregister(tx, world.owner, ns, "gone"))
    assert _read(world, lambda tx: lp.license_values(tx, world.owner, others=True)) == {}
    _register(world, "gone")
    assert _read(world, lambda tx: lp.license_values(tx, world.owner, others=True)) == {}


def test_customers_read_what_the_access_rules_give_them(world: World) -> None:
    _register(
        world,
        "widget_color",
        access={"license": {"agent": ["read", "write"], "customer": ["read"]}},
        default_value="blue",
    )
    _register(
        world, "internal", access={"license": {"agent": ["read", "write"]}}, default_value="x"
    )
    ns = world.client_id
    assert _read(world, lambda tx: lp.values_for(tx, world.license_id, "customer", ns, None)) == {
        ns: {"widget_color": "blue"}
    }
    # Another application's widget sees none of it until it is published.
    assert _read(world, lambda tx: lp.values_for(tx, world.license_id, "customer", "x", None)) == {}
