"""lc-sdk-python's ConfigurationApi (3.6 and 3.5) registers, publishes and unregisters
properties, and sets, lists and deletes license and group property values."""

from __future__ import annotations

from .configuration_support import Server, ok, refused, unique
from .conftest import Client

# Every test that takes `version` runs in both (conftest.py).
VERSIONS = ["3.6", "3.5"]


def test_properties_are_registered_published_listed_and_unregistered(
    server: Server, client: Client
) -> None:
    c = client()
    owner = server.client_id
    name = unique("color").replace("-", "_")
    access = {
        "license": {"agent": ["read", "write"], "customer": ["read"]},
        "group": {"agent": ["read", "write"]},
    }
    ok(
        c.register_property(
            name=name,
            owner_client_id=owner,
            type="string",
            access=access,
            description="The widget's color",
            domain=["blue", "red"],
            default_value="blue",
        )
    )
    refused(
        c.register_property(name=name, owner_client_id=owner, type="string", access=access),
        "already_exists",
    )
    refused(
        c.register_property(
            name=unique("bad"), owner_client_id=owner, type="int", access={"chat": {}}
        ),
        "validation",
    )
    listed = ok(c.list_properties(owner_client_id=owner))
    assert listed[name] == {
        "type": "string",
        "description": "The widget's color",
        "access": access,
        "public_access": [],
        "domain": ["blue", "red"],
        "default_value": "blue",
    }
    ok(c.publish_property(name=name, owner_client_id=owner, access_type=["read"]))
    assert ok(c.list_properties(owner_client_id=owner))[name]["public_access"] == ["read"]
    refused(c.unregister_property(name=name, owner_client_id=owner), "validation")

    temporary = unique("temp").replace("-", "_")
    ok(c.register_property(name=temporary, owner_client_id=owner, type="bool", access=access))
    ok(c.unregister_property(name=temporary, owner_client_id=owner))
    assert temporary not in ok(c.list_properties(owner_client_id=owner))
    refused(c.unregister_property(name=temporary, owner_client_id=owner), "not_found")


def test_license_and_group_property_values(server: Server, client: Client) -> None:
    c = client()
    owner = server.client_id
    name = unique("limit").replace("-", "_")
    access = {"license": {"agent": ["read", "write"]}, "group": {"agent": ["read", "write"]}}
    ok(
        c.register_property(
            name=name,
            owner_client_id=owner,
            type="int",
            access=access,
            range={"from": 0, "to": 100},
            default_value=10,
        )
    )
    group = ok(c.create_group(name=unique("Props"), agent_priorities={server.owner_id: "normal"}))[
        "id"
    ]

    # Defaults until a value is set.
    assert ok(c.list_license_properties(namespace=owner, name_prefix=name)) == {owner: {name: 10}}
    ok(c.update_license_properties(properties={owner: {name: 42}}))
    assert ok(c.list_license_properties(namespace=owner, name_prefix=name)) == {owner: {name: 42}}
    refused(c.update_license_properties(properties={owner: {name: 101}}), "validation")
    refused(c.update_license_properties(properties={owner: {name: "42"}}), "validation")
    ok(c.delete_license_properties(properties={owner: [name]}))
    assert ok(c.list_license_properties(namespace=owner, name_prefix=name)) == {owner: {name: 10}}

    ok(c.update_group_properties(group_id=group, properties={owner: {name: 7}}))
    found = ok(c.list_groups_properties(group_ids=[0, group], namespace=owner, name_prefix=name))
    assert found == [
        {"id": 0, "properties": {owner: {name: 10}}},
        {"id": group, "properties": {owner: {name: 7}}},
    ]
    ok(c.delete_group_properties(id=group, properties={owner: [name]}))
    found = ok(c.list_groups_properties(group_ids=[group], namespace=owner, name_prefix=name))
    assert found == [{"id": group, "properties": {owner: {name: 10}}}]
    refused(
        c.update_group_properties(group_id=9999, properties={owner: {name: 1}}), "group_not_found"
    )
