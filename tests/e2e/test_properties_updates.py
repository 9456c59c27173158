"""Writing properties: update_*/delete_* in both chat APIs, over the Web API and RTM, and the
properties of start_chat, activate_chat and send_event.

Spec: agent-chat-api and customer-chat-api "Update chat properties" ... "Delete event
properties" (flat `{"ns": {"name": value}}` to set, `{"ns": ["name"]}` to delete; no
response payload; pushes `chat_properties_updated` ... `event_properties_deleted` that show
only what was changed, as `{"ns": {"name": {"value": v}}}`), about-apis.md "Properties".
Each value is checked against its configuration: registered, allowed at that location,
writable by the caller's user type, of the right type, inside the domain or range; a refused
write changes nothing.
"""

from __future__ import annotations

import pytest

from .harness import expect_error
from .properties_helpers import config, create, prop_name


def without_routing(properties: dict) -> dict:
    """Properties without the server's own `routing` namespace (set as routing works)."""
    return {ns: names for ns, names in properties.items() if ns != "routing"}


@pytest.fixture(scope="module")
def props(env):
    """Properties of the license's application, one per rule the tests exercise."""
    names = {
        "score": prop_name("score"),  # int in 0..10, chat/thread/event, everyone rw
        "mood": prop_name("mood"),  # string in a domain, chat only, everyone rw
        "agent_note": prop_name("note"),  # string, chat/event, agents rw, customers nothing
        "verdict": prop_name("verdict"),  # bool on chat: customers read only
    }
    create(
        env.http,
        env.a.owner.token,
        {
            names["score"]: config("int", ("chat", "thread", "event"), range={"from": 0, "to": 10}),
            names["mood"]: config("string", ("chat",), domain=["happy", "sad"]),
            names["agent_note"]: config(
                "string", ("chat", "event"), agent=(True, True), customer=None
            ),
            names["verdict"]: config("bool", ("chat",), customer=(True, False)),
        },
    )
    return {"ns": env.a.client_id, **names}


@pytest.fixture
def chat(env):
    """A customer's chat with the owner in it: (customer, chat_id, thread_id, event_id)."""
    customer = env.new_customer()
    started = env.start_chat(customer, "hello there")["chat"]
    env.agent(
        env.a.owner,
        "send_event",
        {"chat_id": started["id"], "event": {"type": "message", "text": "hi, how can I help"}},
    )
    return customer, started["id"], started["thread"]["id"], started["thread"]["events"][0]["id"]


def test_agent_sets_chat_thread_and_event_properties_and_objects_show_them(env, chat):
    _customer, chat_id, thread_id, event_id = chat
    owner = env.a.owner

    assert (
        env.agent(
            owner,
            "update_chat_properties",
            {"chat_id": chat_id, "properties": {"test": {"string_property": "vip"}}},
        )
        == {}
    )
    env.agent(
        owner,
        "update_chat_thread_properties",
        {"chat_id": chat_id, "thread_id": thread_id, "properties": {"test": {"int_property": 7}}},
    )
    env.agent(
        owner,
        "update_event_properties",
        {
            "chat_id": chat_id,
            "thread_id": thread_id,
            "event_id": event_id,
            "properties": {"test": {"bool_property": True}},
        },
    )

    view = env.agent(owner, "get_chat_threads", {"chat_id": chat_id, "thread_ids": [thread_id]})[
        "chat"
    ]
    assert view["properties"]["test"] == {"string_property": {"value": "vip"}}
    thread = view["threads"][0]
    assert thread["properties"]["test"] == {"int_property": {"value": 7}}
    event = next(e for e in thread["events"] if e["id"] == event_id)
    assert event["properties"]["test"] == {"bool_property": {"value": True}}


def test_update_merges_with_what_is_set_and_overwrites_the_same_name(env, chat):
    customer, chat_id, thread_id, _ = chat
    for props in ({"int_property": 1, "string_property": "a"}, {"int_property": 2}):
        env.customer(
            customer, "update_chat_properties", {"chat_id": chat_id, "properties": {"test": props}}
        )
    view = env.customer(
        customer, "get_chat_threads", {"chat_id": chat_id, "thread_ids": [thread_id]}
    )
    assert view["chat"]["properties"]["test"] == {
        "int_property": {"value": 2},
        "string_property": {"value": "a"},
    }


def _refused_cases(p):
    ns = p["ns"]
    return {
        "not configured": (
            "chat",
            {ns: {"nope_not_configured": 1}},
            "validation",
            f"{ns}.nope_not_configured is not configured",
        ),
        "wrong type": (
            "chat",
            {ns: {p["score"]: "ten"}},
            "validation",
            "must be an int, not string",
        ),
        "float for int": ("chat", {ns: {p["score"]: 1.5}}, "validation", "must be an int"),
        "out of range": ("chat", {ns: {p["score"]: 11}}, "validation", "out of its range 0..10"),
        "out of domain": ("chat", {ns: {p["mood"]: "angry"}}, "validation", "not in its domain"),
        "location not allowed": (
            "thread",
            {ns: {p["mood"]: "happy"}},
            "validation",
            "cannot be set on a thread",
        ),
        "not writable by a customer": (
            "chat",
            {ns: {p["verdict"]: True}},
            "authorization",
            "is not writable by a customer on a chat",
        ),
        "no access at all for customers": (
            "chat",
            {ns: {p["agent_note"]: "x"}},
            "authorization",
            "is not writable by a customer",
        ),
        "int32 overflow": ("thread", {"test": {"int_property": 2**31}}, "validation", "int32"),
        "bool for string": ("chat", {"test": {"string_property": True}}, "validation", "string"),
    }


CASES = [
    "not configured",
    "wrong type",
    "float for int",
    "out of range",
    "out of domain",
    "location not allowed",
    "not writable by a customer",
    "no access at all for customers",
    "int32 overflow",
    "bool for string",
]


@pytest.mark.parametrize("case", CASES)
def test_customer_write_is_refused_with_the_rule_it_broke_and_changes_nothing(
    env, props, chat, case
):
    customer, chat_id, thread_id, _ = chat
    location, values, error_type, words = _refused_cases(props)[case]
    action = "update_chat_properties" if location == "chat" else "update_chat_thread_properties"
    payload = {"chat_id": chat_id, "properties": values}
    if location == "thread":
        payload["thread_id"] = thread_id
    # A valid value in the same request is not written either: all or nothing.
    payload["properties"] = {**values, "test": {**values.get("test", {}), "bool_property": True}}

    err = expect_error(
        env.customer,
        customer,
        action,
        payload,
        status=400 if error_type == "validation" else 403,
        type=error_type,
    )

    assert words in err.message, err.message
    ns, names = next((k, v) for k, v in values.items())
    assert f"{ns}.{next(iter(names))}" in err.message, err.message
    view = env.agent(
        env.a.owner, "get_chat_threads", {"chat_id": chat_id, "thread_ids": [thread_id]}
    )["chat"]
    assert without_routing(view["properties"]) == {}
    assert without_routing(view["threads"][0]["properties"]) == {}


def test_agent_write_refused_where_agents_may_only_read(env, props, chat):
    # The customer may write `verdict`'s opposite: agents rw, customers read only.
    _, chat_id, _, _ = chat
    env.agent(
        env.a.owner,
        "update_chat_properties",
        {"chat_id": chat_id, "properties": {props["ns"]: {props["verdict"]: True}}},
    )
    name = prop_name("ro")
    create(env.http, env.a.owner.token, {name: config("int", agent=(True, False))})
    err = expect_error(
        env.agent,
        env.a.owner,
        "update_chat_properties",
        {"chat_id": chat_id, "properties": {props["ns"]: {name: 1}}},
        status=403,
        type="authorization",
    )
    assert f"{props['ns']}.{name} is not writable by an agent on a chat" in err.message


def test_properties_in_start_chat_activate_chat_and_send_event_are_checked(env, props):
    customer = env.new_customer()
    ns = props["ns"]
    started = env.start_chat(
        customer,
        "with properties",
        properties={ns: {props["mood"]: "happy"}},
    )["chat"]
    assert started["properties"][ns] == {props["mood"]: {"value": "happy"}}
    chat_id = started["id"]

    sent = env.customer(
        customer,
        "send_event",
        {
            "chat_id": chat_id,
            "event": {"type": "message", "text": "rated", "properties": {ns: {props["score"]: 9}}},
        },
    )
    assert sent["event"]["properties"][ns] == {props["score"]: {"value": 9}}

    err = expect_error(
        env.customer,
        customer,
        "send_event",
        {
            "chat_id": chat_id,
            "event": {"type": "message", "text": "x", "properties": {ns: {props["mood"]: "sad"}}},
        },
        status=400,
        type="validation",
    )
    assert f"{ns}.{props['mood']} cannot be set on an event" in err.message

    env.customer(customer, "close_thread", {"chat_id": chat_id})
    err = expect_error(
        env.customer,
        customer,
        "activate_chat",
        {"chat": {"id": chat_id, "properties": {ns: {props["mood"]: "furious"}}}},
        status=400,
        type="validation",
    )
    assert props["mood"] in err.message
    activated = env.customer(
        customer,
        "activate_chat",
        {
            "chat": {
                "id": chat_id,
                "properties": {ns: {props["mood"]: "sad"}},
                "thread": {"properties": {ns: {props["score"]: 3}}},
            }
        },
    )["chat"]
    assert activated["properties"][ns] == {props["mood"]: {"value": "sad"}}
    assert activated["threads"][0]["properties"][ns] == {props["score"]: {"value": 3}}

    before = env.customer(customer, "get_chats_summary", {})["total_chats"]
    expect_error(
        env.customer,
        customer,
        "start_chat",
        {"chat": {"properties": {ns: {props["score"]: 99}}}},
        status=400,
        type="validation",
    )
    assert env.customer(customer, "get_chats_summary", {})["total_chats"] == before


def test_delete_removes_properties_and_is_checked_like_a_write(env, props, chat):
    customer, chat_id, thread_id, event_id = chat
    ns = props["ns"]
    env.agent(
        env.a.owner,
        "update_chat_properties",
        {
            "chat_id": chat_id,
            "properties": {ns: {props["verdict"]: False}, "test": {"int_property": 5}},
        },
    )
    env.customer(
        customer,
        "update_event_properties",
        {
            "chat_id": chat_id,
            "thread_id": thread_id,
            "event_id": event_id,
            "properties": {"test": {"string_property": "s"}},
        },
    )

    err = expect_error(
        env.customer,
        customer,
        "delete_chat_properties",
        {"chat_id": chat_id, "properties": {ns: [props["verdict"]], "test": ["int_property"]}},
        status=403,
        type="authorization",
    )
    assert f"{ns}.{props['verdict']} is not writable by a customer" in err.message
    err = expect_error(
        env.customer,
        customer,
        "delete_chat_properties",
        {"chat_id": chat_id, "properties": {"test": ["no_such_property"]}},
        status=400,
        type="validation",
    )
    assert "test.no_such_property is not configured" in err.message

    assert (
        env.customer(
            customer,
            "delete_chat_properties",
            {"chat_id": chat_id, "properties": {"test": ["int_property"]}},
        )
        == {}
    )
    env.customer(
        customer,
        "delete_event_properties",
        {
            "chat_id": chat_id,
            "thread_id": thread_id,
            "event_id": event_id,
            "properties": {"test": ["string_property"]},
        },
    )
    view = env.agent(
        env.a.owner, "get_chat_threads", {"chat_id": chat_id, "thread_ids": [thread_id]}
    )["chat"]
    assert without_routing(view["properties"]) == {ns: {props["verdict"]: {"value": False}}}
    event = next(e for e in view["threads"][0]["events"] if e["id"] == event_id)
    assert "properties" not in event or event["properties"] == {}


async def test_deleting_what_is_not_set_is_announced_to_the_requester_like_any_delete(
    env, rtm, chat
):
    """A v3.0 RTM client takes the push carrying its request_id as the answer to a write
    (LiveChat's customer SDK waits for it: `cancelRate` twice would never resolve), so a
    delete of a property that is not set pushes the names it was given, as an update that
    changes nothing pushes its values."""
    customer, chat_id, thread_id, _ = chat
    ws = await rtm.customer(customer)
    where = {"chat_id": chat_id, "thread_id": thread_id}
    for rid in ("set", "first", "again"):
        action = "update" if rid == "set" else "delete"
        props = {"test": {"int_property": 3}} if rid == "set" else {"test": ["int_property"]}
        resp = await ws.request(
            f"{action}_chat_thread_properties", {**where, "properties": props}, request_id=rid
        )
        assert resp["success"] is True, resp
        push = await ws.wait_push(
            f"chat_thread_properties_{action}d", lambda p: p["thread_id"] == thread_id
        )
        assert push["request_id"] == rid, push
        if action == "delete":
            assert push["payload"]["properties"] == {"test": ["int_property"]}, push
    resp = await ws.request(
        "delete_chat_properties",
        {"chat_id": chat_id, "properties": {"test": ["string_property"]}},
        request_id="chat-level",
    )
    assert resp["success"] is True, resp
    push = await ws.wait_push("chat_properties_deleted", lambda p: p["chat_id"] == chat_id)
    assert push["request_id"] == "chat-level"
    assert push["payload"]["properties"] == {"test": ["string_property"]}


def test_writes_name_missing_threads_and_events_and_refuse_system_messages(env, chat):
    customer, chat_id, thread_id, _ = chat
    err = expect_error(
        env.customer,
        customer,
        "update_chat_thread_properties",
        {
            "chat_id": chat_id,
            "thread_id": "NOSUCHTHRD",
            "properties": {"test": {"int_property": 1}},
        },
        status=404,
        type="validation",
    )
    assert "NOSUCHTHRD" in err.message
    err = expect_error(
        env.customer,
        customer,
        "update_event_properties",
        {
            "chat_id": chat_id,
            "thread_id": thread_id,
            "event_id": "no-such-event",
            "properties": {"test": {"int_property": 1}},
        },
        status=404,
        type="validation",
    )
    assert "no-such-event" in err.message
    env.customer(customer, "close_thread", {"chat_id": chat_id})
    events = env.agent(
        env.a.owner, "get_chat_threads", {"chat_id": chat_id, "thread_ids": [thread_id]}
    )["chat"]["threads"][0]["events"]
    system = next(e for e in events if e["type"] == "system_message")
    err = expect_error(
        env.agent,
        env.a.owner,
        "update_event_properties",
        {
            "chat_id": chat_id,
            "thread_id": thread_id,
            "event_id": system["id"],
            "properties": {"test": {"int_property": 1}},
        },
        status=400,
        type="validation",
    )
    assert "system message" in err.message


def test_payload_errors_name_the_field(env, chat):
    customer, chat_id, _, _ = chat
    err = expect_error(
        env.customer,
        customer,
        "update_chat_properties",
        {"chat_id": chat_id},
        status=400,
        type="validation",
    )
    assert "properties" in err.message
    err = expect_error(
        env.customer,
        customer,
        "update_chat_properties",
        {"chat_id": chat_id, "properties": {}},
        status=400,
        type="validation",
    )
    assert "at least one property" in err.message
    err = expect_error(
        env.customer,
        customer,
        "delete_chat_properties",
        {"chat_id": chat_id, "properties": {"test": "int_property"}},
        status=400,
        type="validation",
    )
    assert "properties" in err.message


def test_a_customer_cannot_touch_another_customers_chat(env, chat):
    _, chat_id, _, _ = chat
    stranger = env.new_customer()
    err = expect_error(
        env.customer,
        stranger,
        "update_chat_properties",
        {"chat_id": chat_id, "properties": {"test": {"int_property": 1}}},
        status=403,
        type="authorization",
    )
    assert chat_id in err.message


def test_agent_of_another_license_cannot_see_the_chat(env, chat):
    _, chat_id, _, _ = chat
    expect_error(
        env.agent,
        env.b.owner,
        "update_chat_properties",
        {"chat_id": chat_id, "properties": {"test": {"int_property": 1}}},
        status=404,
        type="validation",
    )
