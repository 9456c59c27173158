"""The rating example of about-apis.md ("Example: using properties to create a basic chat
rating"), end to end as written, against our host with real ids and tokens.

1. The application creates `rating_score` (int) and `rating_comment` (string), both on the
   chat, readable by agents but not writable by them, read/write for customers, with
   `POST /configuration/properties/create_properties`.
2. It looks up its application id (the namespace) with `/accounts/info`.
3. The customer sets both through `POST /customer/v0.5/action/update_chat_properties`.
4. The agent sees them in `get_archives` and in the `chat_properties_updated` push.
5. An agent's write is refused: the configuration gives agents read access only.
"""

from __future__ import annotations

import json

from .harness import expect_error

RATING_CONFIG = {
    "rating_score": {
        "type": "int",
        "locations": {
            "chat": {
                "access": {
                    "agent": {"read": True, "write": False},
                    "customer": {"read": True, "write": True},
                }
            }
        },
    },
    "rating_comment": {
        "type": "string",
        "locations": {
            "chat": {
                "access": {
                    "agent": {"read": True, "write": False},
                    "customer": {"read": True, "write": True},
                }
            }
        },
    },
}
COMMENT = "This guy is a support hero, he helped me a lot."


def _not_routing_only(push: dict) -> bool:
    """Routing updates its own `routing` properties as it assigns chats; skip those pushes."""
    props = push.get("properties")
    return not (isinstance(props, dict) and set(props) == {"routing"})


async def test_rating_example_of_about_apis_works_end_to_end(env, rtm):
    app_token = env.a.owner.token
    created = env.http.client.post(
        "/configuration/properties/create_properties",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {app_token}"},
        content=json.dumps(RATING_CONFIG),
    )
    assert created.status_code == 200, created.text
    assert created.json() == {}

    info = env.http.info(app_token)
    assert info.status_code == 200, info.text
    namespace = info.json()["client_id"]
    assert namespace == env.a.client_id

    configs = env.http.client.post(
        "/v3.0/configuration/properties/get_property_configs",
        headers={"Authorization": f"Bearer {app_token}"},
        content=b"{}",
    ).json()
    assert configs[namespace]["rating_score"] == RATING_CONFIG["rating_score"]
    assert configs[namespace]["rating_comment"] == RATING_CONFIG["rating_comment"]

    # An existing chat, with the agent in it and connected over RTM.
    customer = env.new_customer()
    chat_id = env.start_chat(customer, "I need help")["chat"]["id"]
    env.agent(
        env.a.owner,
        "send_event",
        {"chat_id": chat_id, "event": {"type": "message", "text": "Sure, here you go."}},
    )
    agent_ws = await rtm.agent(env.a.owner)
    customer_ws = await rtm.customer(customer)

    resp = env.http.client.post(
        "/customer/v0.5/action/update_chat_properties",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {customer.token}"},
        content=json.dumps(
            {
                "chat_id": chat_id,
                "properties": {namespace: {"rating_score": 10, "rating_comment": COMMENT}},
            }
        ),
    )
    assert resp.status_code == 200, resp.text
    assert resp.json() == {}

    expected = {namespace: {"rating_score": {"value": 10}, "rating_comment": {"value": COMMENT}}}
    for ws in (agent_ws, customer_ws):
        push = await ws.wait_push(
            "chat_properties_updated", lambda p: p["chat_id"] == chat_id and _not_routing_only(p)
        )
        assert push["payload"] == {"chat_id": chat_id, "properties": expected}

    archives = env.agent(
        env.a.owner,
        "get_archives",
        {"filters": {"properties": {namespace: {"rating_score": {"values": [10]}}}}},
    )
    found = [c["chat"] for c in archives["chats"] if c["chat"]["id"] == chat_id]
    assert found, archives
    assert found[0]["properties"][namespace] == expected[namespace]
    assert set(found[0]) >= {"id", "users", "thread", "properties"}

    err = expect_error(
        env.agent,
        env.a.owner,
        "update_chat_properties",
        {"chat_id": chat_id, "properties": {namespace: {"rating_score": 1}}},
        status=403,
        type="authorization",
    )
    assert f"{namespace}.rating_score" in err.message
    assert "not writable by an agent" in err.message
    # The refused write changed nothing.
    threads = env.agent(env.a.owner, "get_chat_threads", {"chat_id": chat_id})
    assert threads["chat"]["properties"][namespace]["rating_score"] == {"value": 10}


def test_every_license_comes_with_the_rating_properties_the_widget_uses(env):
    # `init` made license A, `license create` license B: both have the example's configuration
    # in their default application's namespace, so the Chat Widget can rate chats at once.
    for lic in (env.a, env.b):
        resp = env.http.client.post(
            "/v3.0/configuration/properties/get_property_configs",
            headers={"Authorization": f"Bearer {lic.owner.token}"},
            content=b"{}",
        )
        assert resp.status_code == 200, resp.text
        mine = resp.json()[lic.client_id]
        assert mine["rating_score"] == RATING_CONFIG["rating_score"]
        assert mine["rating_comment"] == RATING_CONFIG["rating_comment"]
