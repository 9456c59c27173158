"""License and group property values set through the Configuration API v3.6 are what the
Customer Chat API's widget bootstrap answers (v3.6 and v3.5 `list_license_properties`,
`list_group_properties`, `get_configuration`): the values customers may read by the
properties' access rules, defaults filling what is not set.

On the shared server's license B (license A's bootstrap is checked empty by
test_customer_v3x.py).
"""

from __future__ import annotations

from typing import Any

from .conftest import Env

VERSIONS = ["3.6", "3.5"]


def configure(env: Env, method: str, body: dict[str, Any]) -> Any:
    resp = env.http.post_raw(
        f"/v3.6/configuration/action/{method}", token=env.b.owner.token, json_body=body
    )
    assert resp.status_code == 200, (method, resp.text)
    return resp.json()


def widget(env: Env, api_version: str, action: str, **query: Any) -> Any:
    """A tokenless GET of the widget's bootstrap (license B)."""
    resp = env.http.client.get(
        f"/v{api_version}/customer/action/{action}",
        params={"license_id": env.b.license_id, **query},
    )
    assert resp.status_code == 200, (action, resp.text)
    return resp.json()


def test_the_widget_reads_the_license_and_group_values_customers_may_read(env: Env) -> None:
    ns = env.b.client_id
    both = {"agent": ["read", "write"], "customer": ["read"]}
    configure(
        env,
        "register_property",
        {
            "name": "widget_color",
            "owner_client_id": ns,
            "type": "string",
            "access": {"license": both, "group": both},
            "default_value": "blue",
        },
    )
    configure(
        env,
        "register_property",
        {
            "name": "agents_only",
            "owner_client_id": ns,
            "type": "string",
            "access": {"license": {"agent": ["read", "write"]}},
            "default_value": "hidden",
        },
    )
    for version in VERSIONS:
        assert widget(env, version, "list_license_properties") == {ns: {"widget_color": "blue"}}
    before = widget(env, "3.6", "get_dynamic_configuration")["livechat"]["config_version"]

    configure(env, "update_license_properties", {"properties": {ns: {"widget_color": "red"}}})
    group = configure(
        env,
        "create_group",
        {"name": "Shoes", "agent_priorities": {env.b.owner.id: "normal"}},
    )["id"]
    configure(
        env,
        "update_group_properties",
        {"group_id": group, "properties": {ns: {"widget_color": "green"}}},
    )
    for version in VERSIONS:
        assert widget(env, version, "list_license_properties") == {ns: {"widget_color": "red"}}
        assert widget(env, version, "list_group_properties", id=group) == {
            ns: {"widget_color": "green"}
        }
        # A group without a value of its own shows the property's default.
        assert widget(env, version, "list_group_properties", id=0) == {ns: {"widget_color": "blue"}}
    assert widget(env, "3.6", "list_license_properties", namespace="other") == {}
    assert widget(env, "3.6", "list_license_properties", name="agents_only") == {}

    dynamic = widget(env, "3.6", "get_dynamic_configuration", group_id=group)["livechat"]
    assert dynamic["config_version"] != before  # the configuration changed with the values
    config = widget(
        env, "3.6", "get_configuration", group_id=group, version=dynamic["config_version"]
    )
    assert config["properties"] == {
        "group": {ns: {"widget_color": "green"}},
        "license": {ns: {"widget_color": "red"}},
    }

    configure(env, "delete_license_properties", {"properties": {ns: ["widget_color"]}})
    assert widget(env, "3.5", "list_license_properties") == {ns: {"widget_color": "blue"}}
