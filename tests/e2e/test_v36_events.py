"""Agent Chat API v3.6 over real sockets: events, files, postbacks, properties, customers,
statuses and signals, with the pushes each causes (in v3.6's shapes and frames)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from . import properties_helpers as props
from .conftest import Env
from .harness import expect_error
from .v3x import RFC3339_MICRO, Rtm3x, Web3x, customer_chat, join, rtm3x

__all__ = ["rtm3x"]

V = "3.6"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x03\x08\x02"
    b"\x00\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00"
    b"\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def web(env: Env) -> Web3x:
    return Web3x(env, V)


def started(env: Env, web: Web3x) -> str:
    return str(web.call(env.admin, "start_chat", {})["chat_id"])


def test_upload_file_then_send_it_as_a_file_event(env: Env, web: Web3x) -> None:
    resp = env.http.client.post(
        f"/v{V}/agent/action/upload_file",
        headers={"Authorization": f"Bearer {env.admin.token}"},
        files={"file": ("dot.png", PNG, "image/png")},
    )
    assert resp.status_code == 200, resp.text
    url = resp.json()["url"]
    assert set(resp.json()) == {"url"} and "/files/" in url
    chat_id = started(env, web)
    web.call(
        env.admin,
        "send_event",
        {"chat_id": chat_id, "event": {"type": "file", "url": url, "alternative_text": "a dot"}},
    )
    event = web.call(env.admin, "get_chat", {"chat_id": chat_id})["thread"]["events"][-1]
    assert event["type"] == "file" and event["url"] == url
    assert event["name"] == "dot.png" and event["content_type"] == "image/png"
    assert event["size"] == len(PNG) and (event["width"], event["height"]) == (2, 3)
    assert event["alternative_text"] == "a dot"
    assert httpx.get(url, timeout=10).content == PNG
    err = expect_error(
        web.call,
        env.admin,
        "send_event",
        {"chat_id": chat_id, "event": {"type": "file", "url": "https://elsewhere.example/x.png"}},
        status=400,
        type="validation",
    )
    assert "upload_file" in err.message
    # A part upload_file does not take is refused, not dropped.
    resp = env.http.client.post(
        f"/v{V}/agent/action/upload_file",
        headers={"Authorization": f"Bearer {env.admin.token}"},
        files={"file": ("dot.png", PNG, "image/png"), "other": ("x", b"x", "text/plain")},
    )
    assert resp.status_code == 400 and "other" in resp.json()["error"]["message"]


async def test_rich_message_postback_pushes_the_button_it_names(
    env: Env, web: Web3x, rtm3x: Rtm3x
) -> None:
    chat_id = started(env, web)
    event_id = web.call(
        env.admin,
        "send_event",
        {
            "chat_id": chat_id,
            "event": {
                "type": "rich_message",
                "template_id": "quick_replies",
                "elements": [
                    {
                        "title": "Pizza?",
                        "buttons": [
                            {"text": "yes", "type": "message", "value": "yes", "postback_id": "y"}
                        ],
                    }
                ],
            },
        },
    )["event_id"]
    thread_id = web.call(env.admin, "get_chat", {"chat_id": chat_id})["thread"]["id"]
    me = await rtm3x.agent(env.admin)
    web.call(
        env.admin,
        "send_rich_message_postback",
        {
            "chat_id": chat_id,
            "thread_id": thread_id,
            "event_id": event_id,
            "postback": {
                "id": "y",
                "toggled": True,
                "button_type": "message",
                "button_value": "yes",
                "ecommerce": {"product_id": "p1", "quantity": 2},
            },
        },
    )
    push = await me.wait_push("incoming_rich_message_postback", lambda p: p["chat_id"] == chat_id)
    assert push["payload"]["postback"] == {
        "id": "y",
        "toggled": True,
        "button_type": "message",
        "button_value": "yes",
        "ecommerce": {"product_id": "p1", "quantity": 2},
    }
    updated = await me.wait_push("event_updated", lambda p: p["chat_id"] == chat_id)
    button = updated["payload"]["event"]["elements"][0]["buttons"][0]
    assert button["user_ids"] == [env.admin.id]


async def test_property_updates_and_deletes_push_plain_values(
    env: Env, web: Web3x, rtm3x: Rtm3x
) -> None:
    name = props.prop_name()
    ns = env.a.client_id
    props.create(
        env.http,
        env.a.owner.token,
        {name: props.config("string", ("chat", "thread", "event"))},
    )
    chat_id = started(env, web)
    event_id = web.call(
        env.admin, "send_event", {"chat_id": chat_id, "event": {"type": "message", "text": "x"}}
    )["event_id"]
    thread_id = web.call(env.admin, "get_chat", {"chat_id": chat_id})["thread"]["id"]
    me = await rtm3x.agent(env.admin)
    web.call(env.admin, "update_chat_properties", {"id": chat_id, "properties": {ns: {name: "c"}}})
    web.call(
        env.admin,
        "update_thread_properties",
        {"chat_id": chat_id, "thread_id": thread_id, "properties": {ns: {name: "t"}}},
    )
    web.call(
        env.admin,
        "update_event_properties",
        {
            "chat_id": chat_id,
            "thread_id": thread_id,
            "event_id": event_id,
            "properties": {ns: {name: "e"}},
        },
    )
    for action, value in (
        ("chat_properties_updated", "c"),
        ("thread_properties_updated", "t"),
        ("event_properties_updated", "e"),
    ):
        push = await me.wait_push(action, lambda p: p["chat_id"] == chat_id)
        assert push["payload"]["properties"] == {ns: {name: value}}
    chat = web.call(env.admin, "get_chat", {"chat_id": chat_id})
    assert chat["properties"][ns] == {name: "c"}
    assert chat["thread"]["properties"][ns] == {name: "t"}
    assert chat["thread"]["events"][-1]["properties"] == {ns: {name: "e"}}
    web.call(env.admin, "delete_chat_properties", {"id": chat_id, "properties": {ns: [name]}})
    web.call(
        env.admin,
        "delete_thread_properties",
        {"chat_id": chat_id, "thread_id": thread_id, "properties": {ns: [name]}},
    )
    web.call(
        env.admin,
        "delete_event_properties",
        {
            "chat_id": chat_id,
            "thread_id": thread_id,
            "event_id": event_id,
            "properties": {ns: [name]},
        },
    )
    for action in (
        "chat_properties_deleted",
        "thread_properties_deleted",
        "event_properties_deleted",
    ):
        push = await me.wait_push(action, lambda p: p["chat_id"] == chat_id)
        assert push["payload"]["properties"] == {ns: [name]}
    expect_error(
        web.call,
        env.admin,
        "update_thread_properties",
        {"chat_id": chat_id, "thread_id": "NOPE", "properties": {ns: {name: "x"}}},
        status=404,
        type="not_found",
    )


async def test_customers_are_read_updated_and_banned(env: Env, web: Web3x, rtm3x: Rtm3x) -> None:
    cust, chat_id, _thread = customer_chat(env)
    await rtm3x.customer(cust)  # a visit
    me = await rtm3x.agent(env.admin)
    join(env, chat_id, env.admin)
    found = web.call(env.admin, "get_customer", {"id": cust.id})
    assert found["id"] == cust.id and found["type"] == "customer"
    assert found["chat_ids"] == [chat_id]
    assert RFC3339_MICRO.match(found["created_at"])
    assert "visit" in found and "last_visit" not in found
    assert set(found["statistics"]) >= {"chats_count", "threads_count", "visits_count"}
    web.call(
        env.admin,
        "update_customer",
        {"id": cust.id, "name": "Thomas", "session_fields": [{"plan": "gold"}, {"tier": "2"}]},
    )
    push = await me.wait_push("customer_updated", lambda p: p["id"] == cust.id)
    assert push["payload"]["name"] == "Thomas"
    assert push["payload"]["session_fields"] == [{"plan": "gold"}, {"tier": "2"}]
    assert web.call(env.admin, "get_customer", {"id": cust.id})["session_fields"] == [
        {"plan": "gold"},
        {"tier": "2"},
    ]
    err = expect_error(
        web.call,
        env.admin,
        "update_customer",
        {"id": cust.id, "phone_number": "+18008529001"},
        status=400,
        type="validation",
    )
    assert "phone_number" in err.message
    expect_error(
        web.call, env.admin, "update_customer", {"id": cust.id}, status=400, type="validation"
    )
    missing = "b7eff798-f8df-4364-8059-649c35c9ed0c"
    expect_error(web.call, env.admin, "get_customer", {"id": missing}, status=404, type="not_found")
    web.call(env.admin, "ban_customer", {"id": cust.id, "ban": {"days": 2}})
    banned = await me.wait_push("customer_banned", lambda p: p["customer_id"] == cust.id)
    assert banned["payload"]["ban"] == {"days": 2}


async def test_routing_statuses_are_set_and_listed(env: Env, web: Web3x, rtm3x: Rtm3x) -> None:
    me = await rtm3x.agent(env.admin)
    web.call(env.admin, "set_routing_status", {"status": "not_accepting_chats"})
    push = await me.wait_push("routing_status_set", lambda p: p["agent_id"] == env.admin.id)
    assert push["payload"] == {"agent_id": env.admin.id, "status": "not_accepting_chats"}
    listed = web.call(env.a.owner, "list_routing_statuses", {})
    assert isinstance(listed, list)
    assert {"agent_id": env.admin.id, "status": "not_accepting_chats"} in listed
    assert {"agent_id": env.archivist.id, "status": "offline"} in listed
    in_group = web.call(env.a.owner, "list_routing_statuses", {"filters": {"group_ids": [0]}})
    assert {r["agent_id"] for r in in_group} == {r["agent_id"] for r in listed}
    expect_error(
        web.call,
        env.admin,
        "set_routing_status",
        {"status": "offline"},
        status=400,
        type="validation",
    )
    over_rtm = await me.call("list_routing_statuses", {})
    assert {"agent_id": env.admin.id, "status": "not_accepting_chats"} in over_rtm
    web.call(env.admin, "set_routing_status", {"status": "accepting_chats"})


async def test_seen_typing_and_multicast_reach_the_right_users(
    env: Env, web: Web3x, rtm3x: Rtm3x
) -> None:
    cust, chat_id, _thread = customer_chat(env)
    customer = await rtm3x.customer(cust)
    me = await rtm3x.agent(env.admin)
    other = await rtm3x.agent(env.normal)
    join(env, chat_id, env.admin)
    seen = "2031-01-02T03:04:05.123456Z"
    web.call(env.admin, "mark_events_as_seen", {"chat_id": chat_id, "seen_up_to": seen})
    push = await me.wait_push("events_marked_as_seen", lambda p: p["chat_id"] == chat_id)
    assert push["payload"] == {"user_id": env.admin.id, "chat_id": chat_id, "seen_up_to": seen}
    # The customer (v3.0) hears of it in v3.0's shape: whole seconds.
    v30 = await customer.wait_push("last_seen_timestamp_updated")
    when = dt.datetime.fromisoformat(seen.replace("Z", "+00:00")).timestamp()
    assert v30["payload"]["timestamp"] == int(when)
    user = next(
        u
        for u in web.call(env.admin, "get_chat", {"chat_id": chat_id})["users"]
        if u["id"] == env.admin.id
    )
    assert user["events_seen_up_to"] == seen
    expect_error(
        web.call,
        env.admin,
        "mark_events_as_seen",
        {"chat_id": chat_id, "seen_up_to": "2031-01-02 03:04:05"},
        status=400,
        type="validation",
    )
    web.call(
        env.admin,
        "send_typing_indicator",
        {"chat_id": chat_id, "visibility": "agents", "is_typing": True},
    )
    web.call(env.admin, "send_typing_indicator", {"chat_id": chat_id, "is_typing": False})
    typing = await customer.wait_push("incoming_typing_indicator")
    assert typing["payload"]["typing_indicator"]["is_typing"] is False  # never the agents' one
    web.call(
        env.admin,
        "multicast",
        {"recipients": {"agents": {"ids": [env.normal.id]}}, "content": {"hello": 1}, "type": "t"},
    )
    got = await other.wait_push("incoming_multicast")
    assert got["version"] == V
    assert got["payload"] == {"author_id": env.admin.id, "content": {"hello": 1}, "type": "t"}
    expect_error(
        web.call,
        env.admin,
        "multicast",
        {"recipients": {"agents": {}}, "content": {"a": 1}},
        status=400,
        type="validation",
    )
    # v3.6 multicasts reach agents only (customers.ids is not a v3.6 recipient).
    expect_error(
        web.call,
        env.admin,
        "multicast",
        {"recipients": {"agents": {"all": True}, "customers": {"ids": [cust.id]}}, "content": 1},
        status=400,
        type="validation",
    )


async def test_methods_of_hosted_services_say_why_they_are_unavailable(
    env: Env, web: Web3x, rtm3x: Rtm3x
) -> None:
    chat_id = started(env, web)
    thread_id = web.call(env.admin, "get_chat", {"chat_id": chat_id})["thread"]["id"]
    err = expect_error(
        web.call,
        env.admin,
        "request_thread_summary",
        {"chat_id": chat_id, "thread_id": thread_id},
        status=501,
        type="service_unavailable",
    )
    assert "AI" in err.message
    me = await rtm3x.agent(env.admin)
    for action, payload in (
        ("subscribe_customers", {"group_ids": [0]}),
        ("unsubscribe_customers", {"subscription_id": "s1"}),
    ):
        resp = await me.request(action, payload)
        assert resp["success"] is False
        assert resp["payload"]["error"]["type"] == "service_unavailable", resp
