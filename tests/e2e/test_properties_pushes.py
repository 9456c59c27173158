"""Reading access and pushes of properties.

Spec: `chat_properties_updated`, `chat_thread_properties_updated`, `event_properties_updated`
and the `*_deleted` pushes (agent-chat-api and customer-chat-api "Pushes"): they show only
what the request changed. Properties appear in objects and pushes only where the reader's
user type has read access; a property a customer may not read never reaches a customer.
"""

from __future__ import annotations

import pytest

from .harness import expect_error, unique
from .properties_helpers import config, create, prop_name


def _not_routing_only(push: dict) -> bool:
    """Routing updates its own `routing` properties as it assigns chats; skip those pushes."""
    props = push.get("properties")
    return not (isinstance(props, dict) and set(props) == {"routing"})


@pytest.fixture(scope="module")
def secret(env):
    """A chat and event property that agents read and write and customers do not see."""
    name = prop_name("secret")
    create(
        env.http,
        env.a.owner.token,
        {name: config("string", ("chat", "thread", "event"), agent=(True, True), customer=None)},
    )
    return env.a.client_id, name


async def _chat_with_both_connected(env, rtm):
    customer = env.new_customer()
    started = env.start_chat(customer, "hello")["chat"]
    chat_id, thread_id = started["id"], started["thread"]["id"]
    env.agent(
        env.a.owner,
        "send_event",
        {"chat_id": chat_id, "event": {"type": "message", "text": "hi"}},
    )
    agent_ws = await rtm.agent(env.a.owner)
    customer_ws = await rtm.customer(customer)
    return customer, chat_id, thread_id, started["thread"]["events"][0]["id"], agent_ws, customer_ws


async def test_each_push_shows_what_changed_to_agent_and_customer(env, rtm):
    (
        _customer,
        chat_id,
        thread_id,
        event_id,
        agent_ws,
        customer_ws,
    ) = await _chat_with_both_connected(env, rtm)
    where = {"chat_id": chat_id, "thread_id": thread_id, "event_id": event_id}
    steps = [
        ("update_chat_properties", {"chat_id": chat_id}, "chat_properties_updated"),
        (
            "update_chat_thread_properties",
            {"chat_id": chat_id, "thread_id": thread_id},
            "chat_thread_properties_updated",
        ),
        ("update_event_properties", where, "event_properties_updated"),
    ]
    for action, ids, push_action in steps:
        # The customer writes over RTM: its response comes first, then its push.
        await customer_ws.call(action, {**ids, "properties": {"test": {"int_property": 4}}})
        expected = {**ids, "properties": {"test": {"int_property": {"value": 4}}}}
        for ws in (agent_ws, customer_ws):
            push = await ws.wait_push(
                push_action,
                lambda p, ids=ids: p["chat_id"] == ids["chat_id"] and _not_routing_only(p),
            )
            assert push["payload"] == expected
    deletes = [
        ("delete_chat_properties", {"chat_id": chat_id}, "chat_properties_deleted"),
        (
            "delete_chat_thread_properties",
            {"chat_id": chat_id, "thread_id": thread_id},
            "chat_thread_properties_deleted",
        ),
        ("delete_event_properties", where, "event_properties_deleted"),
    ]
    for action, ids, push_action in deletes:
        # The agent deletes over the Web API.
        env.agent(env.a.owner, action, {**ids, "properties": {"test": ["int_property"]}})
        expected = {**ids, "properties": {"test": ["int_property"]}}
        for ws in (agent_ws, customer_ws):
            push = await ws.wait_push(
                push_action, lambda p: p["chat_id"] == chat_id and _not_routing_only(p)
            )
            assert push["payload"] == expected


async def test_the_requester_over_rtm_gets_its_request_id_on_the_push(env, rtm):
    _customer, chat_id, _, _, _agent_ws, customer_ws = await _chat_with_both_connected(env, rtm)
    request_id = unique("req")
    resp = await customer_ws.request(
        "update_chat_properties",
        {"chat_id": chat_id, "properties": {"test": {"bool_property": True}}},
        request_id=request_id,
    )
    assert resp["success"] is True and resp["payload"] == {}
    push = await customer_ws.wait_push(
        "chat_properties_updated", lambda p: p["chat_id"] == chat_id and _not_routing_only(p)
    )
    assert push.get("request_id") == request_id


async def test_a_property_customers_may_not_read_never_reaches_them(env, rtm, secret):
    ns, name = secret
    customer, chat_id, thread_id, _, agent_ws, customer_ws = await _chat_with_both_connected(
        env, rtm
    )
    sent = env.agent(
        env.a.owner,
        "send_event",
        {
            "chat_id": chat_id,
            "event": {"type": "message", "text": "noted", "properties": {ns: {name: "s1"}}},
        },
    )
    event_id = sent["event"]["id"]
    # One request sets a readable and an unreadable property: the customer's push has
    # only the readable one; a request with only the unreadable one pushes nothing to them.
    env.agent(
        env.a.owner,
        "update_chat_properties",
        {"chat_id": chat_id, "properties": {ns: {name: "s2"}, "test": {"int_property": 1}}},
    )
    env.agent(
        env.a.owner,
        "update_chat_thread_properties",
        {"chat_id": chat_id, "thread_id": thread_id, "properties": {ns: {name: "s3"}}},
    )
    env.agent(
        env.a.owner,
        "delete_chat_properties",
        {"chat_id": chat_id, "properties": {ns: [name]}},
    )
    # A marker the customer does get, after all of the above.
    env.agent(
        env.a.owner,
        "update_chat_properties",
        {"chat_id": chat_id, "properties": {"test": {"int_property": 2}}},
    )

    agent_push = await agent_ws.wait_push(
        "chat_properties_updated", lambda p: p["chat_id"] == chat_id and _not_routing_only(p)
    )
    assert agent_push["payload"]["properties"] == {
        ns: {name: {"value": "s2"}},
        "test": {"int_property": {"value": 1}},
    }
    await agent_ws.wait_push(
        "chat_thread_properties_updated", lambda p: p["chat_id"] == chat_id and _not_routing_only(p)
    )
    await agent_ws.wait_push(
        "chat_properties_deleted", lambda p: p["chat_id"] == chat_id and _not_routing_only(p)
    )

    first = await customer_ws.wait_push(
        "chat_properties_updated", lambda p: p["chat_id"] == chat_id and _not_routing_only(p)
    )
    assert first["payload"]["properties"] == {"test": {"int_property": {"value": 1}}}
    await customer_ws.wait_push(
        "chat_properties_updated",
        lambda p: p["chat_id"] == chat_id and p["properties"]["test"]["int_property"]["value"] == 2,
    )
    seen = [p for p in customer_ws.pushes if p["payload"].get("chat_id") == chat_id]
    assert not [
        p
        for p in seen
        if p["action"] in ("chat_thread_properties_updated", "chat_properties_deleted")
    ]
    assert all(name not in str(p) for p in seen), seen
    incoming = [p for p in seen if p["action"] == "incoming_event"]
    assert incoming and all("properties" not in p["payload"]["event"] for p in incoming)

    # Objects: the customer's view has no trace of it, the agent's has.
    env.agent(
        env.a.owner,
        "update_chat_properties",
        {"chat_id": chat_id, "properties": {ns: {name: "s4"}}},
    )
    mine = env.customer(
        customer, "get_chat_threads", {"chat_id": chat_id, "thread_ids": [thread_id]}
    )
    assert name not in str(mine)
    summary = env.customer(customer, "get_chats_summary", {})
    assert name not in str(summary)
    theirs = env.agent(
        env.a.owner, "get_chat_threads", {"chat_id": chat_id, "thread_ids": [thread_id]}
    )["chat"]
    assert theirs["properties"][ns] == {name: {"value": "s4"}}
    assert theirs["threads"][0]["properties"][ns] == {name: {"value": "s3"}}
    event = next(e for e in theirs["threads"][0]["events"] if e["id"] == event_id)
    assert event["properties"][ns] == {name: {"value": "s1"}}


async def test_properties_of_an_agents_only_event_are_not_pushed_to_the_customer(env, rtm):
    _customer, chat_id, thread_id, _, agent_ws, customer_ws = await _chat_with_both_connected(
        env, rtm
    )
    whisper = env.agent(
        env.a.owner,
        "send_event",
        {"chat_id": chat_id, "event": {"type": "message", "text": "psst", "recipients": "agents"}},
    )["event"]["id"]
    env.agent(
        env.a.owner,
        "update_event_properties",
        {
            "chat_id": chat_id,
            "thread_id": thread_id,
            "event_id": whisper,
            "properties": {"test": {"int_property": 3}},
        },
    )
    env.agent(
        env.a.owner,
        "update_chat_properties",
        {"chat_id": chat_id, "properties": {"test": {"int_property": 9}}},
    )
    await agent_ws.wait_push("event_properties_updated", lambda p: p["event_id"] == whisper)
    await customer_ws.wait_push(
        "chat_properties_updated", lambda p: p["chat_id"] == chat_id and _not_routing_only(p)
    )
    assert not [p for p in customer_ws.pushes if p["action"] == "event_properties_updated"]
    # Nor may the customer write to it: for them it does not exist.
    resp = await customer_ws.request(
        "update_event_properties",
        {
            "chat_id": chat_id,
            "thread_id": thread_id,
            "event_id": whisper,
            "properties": {"test": {"int_property": 1}},
        },
    )
    assert resp["success"] is False
    assert resp["payload"]["error"]["type"] == "validation"
    assert whisper in resp["payload"]["error"]["message"]


async def test_the_routing_namespace_is_read_only_and_hidden_from_customers(env, rtm):
    customer = env.new_customer()
    chat_id = env.start_chat(customer, "hi")["chat"]["id"]
    resp = env.http.customer(customer.token, customer.license_id, "get_chats_summary", {})
    for summary in resp["chats_summary"]:
        assert "routing" not in summary["properties"]
    err = expect_error(
        env.agent,
        env.a.owner,
        "update_chat_properties",
        {"chat_id": chat_id, "properties": {"routing": {"pinned": True}}},
        status=403,
        type="authorization",
    )
    assert "routing.pinned is not writable by an agent" in err.message
