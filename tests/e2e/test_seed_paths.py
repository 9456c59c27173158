"""The seed's URL form `/customer/v0.5/action/<action>` and `/agent/v0.5/action/<action>`.

spec/README.md: "The request examples in about-apis.md must still work as written, against our
host, with real ids and tokens substituted: ... `/customer/v0.5/action/update_chat_properties`".
That example posts the payload object itself as the body, with no `license_id` parameter.
"""

from __future__ import annotations

import json

from .harness import unique


def test_customer_v05_path_accepts_the_payload_as_the_body(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, "hi")["chat"]
    text = unique("seed form ")

    resp = env.http.client.post(
        "/customer/v0.5/action/send_event",
        headers={"Authorization": f"Bearer {cust.token}", "Content-Type": "application/json"},
        content=json.dumps({"chat_id": chat["id"], "event": {"type": "message", "text": text}}),
    )

    assert resp.status_code == 200, resp.text
    assert resp.json()["thread_id"] == chat["thread"]["id"]
    view = env.agent(
        env.a.owner,
        "get_chat_threads",
        {"chat_id": chat["id"], "thread_ids": [chat["thread"]["id"]]},
    )
    assert text in [e.get("text") for e in view["chat"]["threads"][0]["events"]]


def test_agent_v05_path_serves_the_same_actions(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, "hi")["chat"]

    resp = env.http.client.post(
        "/agent/v0.5/action/get_chat_threads",
        headers={
            "Authorization": f"Bearer {env.a.owner.token}",
            "Content-Type": "application/json",
        },
        content=json.dumps({"payload": {"chat_id": chat["id"]}}),
    )

    assert resp.status_code == 200, resp.text
    assert resp.json()["chat"]["id"] == chat["id"]


def test_customer_v05_path_starts_a_chat_from_the_bare_payload_with_its_message(env):
    """The bare form a v3.0 path refuses (test_bad_input.py) is the v0.5 paths' own."""
    cust = env.new_customer()
    text = unique("seed start ")
    resp = env.http.client.post(
        "/customer/v0.5/action/start_chat",
        headers={"Authorization": f"Bearer {cust.token}", "Content-Type": "application/json"},
        content=json.dumps({"chat": {"thread": {"events": [{"type": "message", "text": text}]}}}),
    )
    assert resp.status_code == 200, resp.text
    assert text in [e.get("text") for e in resp.json()["chat"]["thread"]["events"]]
