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


# The rating of LiveChat's customer SDK 2.0 (`rateChat` writes `rating.score` and
# `rating.comment` on the chat's last thread, `cancelRate` deletes `rating.score`;
# customer-sdk/methods.md: "score: 0 or 1", an optional comment).
SDK_RATING_ACCESS = {
    "thread": {
        "access": {
            "agent": {"read": True, "write": False},
            "customer": {"read": True, "write": True},
        }
    }
}
SDK_RATING_CONFIG = {
    "score": {"type": "int", "locations": SDK_RATING_ACCESS, "domain": [0, 1]},
    "comment": {"type": "string", "locations": SDK_RATING_ACCESS},
}


def _all_configs(http, token: str) -> dict:
    resp = http.post(
        "/v3.0/configuration/properties/get_property_configs",
        headers={"Authorization": f"Bearer {token}"},
        json={"all": True},
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_every_license_comes_with_the_sdks_rating_namespace(env):
    for lic in (env.a, env.b):  # made by `init` and by `license create`
        assert _all_configs(env.http.client, lic.owner.token)["rating"] == SDK_RATING_CONFIG

    customer = env.new_customer()
    chat = env.start_chat(customer, "rate me")["chat"]
    where = {"chat_id": chat["id"], "thread_id": chat["thread"]["id"]}
    rating = {"rating": {"score": 1, "comment": "Agent helped me a lot!"}}
    env.customer(customer, "update_chat_thread_properties", {**where, "properties": rating})
    thread = env.agent(env.a.owner, "get_chat_threads", {"chat_id": chat["id"]})["chat"]["threads"][
        -1
    ]
    assert thread["properties"]["rating"] == {
        "score": {"value": 1},
        "comment": {"value": "Agent helped me a lot!"},
    }
    env.customer(
        customer, "delete_chat_thread_properties", {**where, "properties": {"rating": ["score"]}}
    )
    mine = env.customer(
        customer, "get_chat_threads", {"chat_id": chat["id"], "thread_ids": [where["thread_id"]]}
    )["chat"]
    assert mine["threads"][-1]["properties"]["rating"] == {
        "comment": {"value": "Agent helped me a lot!"}
    }

    # Its rules: 0 or 1, on the thread, agents read only.
    err = expect_error(
        env.customer,
        customer,
        "update_chat_thread_properties",
        {**where, "properties": {"rating": {"score": 5}}},
        status=400,
        type="validation",
    )
    assert "rating.score value 5 is not in its domain" in err.message
    err = expect_error(
        env.customer,
        customer,
        "update_chat_properties",
        {"chat_id": chat["id"], "properties": {"rating": {"score": 1}}},
        status=400,
        type="validation",
    )
    assert "rating.score cannot be set on a chat" in err.message
    err = expect_error(
        env.agent,
        env.a.owner,
        "update_chat_thread_properties",
        {**where, "properties": {"rating": {"score": 0}}},
        status=403,
        type="authorization",
    )
    assert "rating.score is not writable by an agent" in err.message


def test_init_gives_an_older_license_the_sdks_rating_namespace(tmp_path):
    """A license made before the namespace existed gets it from `chatplane init` (as the
    widget's rating properties), and `init` leaves a property of that name alone."""
    import sqlite3

    from .harness import run_cli

    data_dir = tmp_path / "data"
    lic = run_cli(data_dir, "init")
    db = data_dir / "chatplane.db"  # a data dir of its own: always SQLite
    assert db.exists()
    with sqlite3.connect(db) as conn:  # as a license made before this release
        conn.execute(
            "DELETE FROM property_configs WHERE namespace = 'rating' OR "
            "(namespace = ? AND name = 'rating_comment')",
            (lic["client_id"],),
        )
        conn.execute(
            "INSERT INTO property_configs (license_id, namespace, name, type, locations, "
            "created_at) VALUES (?, 'rating', 'comment', 'tokenized_string', ?, 0)",
            (lic["license_id"], json.dumps(SDK_RATING_ACCESS)),
        )
    again = run_cli(data_dir, "init")
    assert again["license_id"] == lic["license_id"]
    with sqlite3.connect(db) as conn:
        rows = dict(
            conn.execute(
                "SELECT namespace || '.' || name, type FROM property_configs "
                "WHERE namespace IN ('rating', ?)",
                (lic["client_id"],),
            ).fetchall()
        )
    assert rows == {
        "rating.score": "int",
        "rating.comment": "tokenized_string",  # the operator's own, kept
        f"{lic['client_id']}.rating_score": "int",
        f"{lic['client_id']}.rating_comment": "string",
    }
