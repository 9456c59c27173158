"""Agent Chat API v3.5 over real sockets: what it has that v3.6 does not (X-Author-Id,
list_customers, create_customer, get_license_info), and what it names or shapes its own
way (`last_visit`, `include_active`, rich message postbacks)."""

from __future__ import annotations

import pytest

from .conftest import Env
from .harness import expect_error, unique
from .v3x import RFC3339_MICRO, Rtm3x, Web3x, customer_chat, join, rtm3x
from .webhook_support import configuration

__all__ = ["rtm3x"]

V = "3.5"


@pytest.fixture
def web(env: Env) -> Web3x:
    return Web3x(env, V)


def test_a_bot_acts_through_the_web_api_with_x_author_id(env: Env, web: Web3x) -> None:
    bot_id = configuration(
        env.http,
        env.a.owner.token,
        "agents/create_bot_agent",
        {"name": unique("Bot "), "status": "accepting chats"},
    )["bot_agent_id"]
    chat_id = web.call(env.a.owner, "start_chat", {})["chat_id"]
    join(env, chat_id, env.admin)
    web.call(
        env.admin,
        "add_user_to_chat",
        {"chat_id": chat_id, "user_id": bot_id, "user_type": "agent", "visibility": "all"},
    )
    sent = web.call(
        env.a.owner,
        "send_event",
        {"chat_id": chat_id, "event": {"type": "message", "text": "beep"}},
        headers={"X-Author-Id": bot_id},
    )
    event = web.call(env.admin, "get_chat", {"chat_id": chat_id})["thread"]["events"][-1]
    assert event["id"] == sent["event_id"] and event["author_id"] == bot_id
    expect_error(
        web.call,
        env.a.owner,
        "send_event",
        {"chat_id": chat_id, "event": {"type": "message", "text": "x"}},
        headers={"X-Author-Id": env.normal.id},
        status=403,
        type="authorization",
    )


def test_create_customer_then_list_customers_with_filters_sort_and_pages(
    env: Env, web: Web3x
) -> None:
    tag = unique("who")
    made = [
        web.call(
            env.admin,
            "create_customer",
            {
                "name": f"{tag} {i}",
                "email": f"{tag}{i}@example.com",
                "session_fields": [{"n": str(i)}],
            },
        )
        for i in range(3)
    ]
    assert all(set(m) == {"customer_id"} for m in made)
    ids = [m["customer_id"] for m in made]
    names = {"values": [f"{tag} {i}" for i in range(3)]}
    first = web.call(
        env.admin, "list_customers", {"filters": {"name": names}, "limit": 2, "sort_order": "asc"}
    )
    assert first["total_customers"] == 3
    assert [c["id"] for c in first["customers"]] == ids[:2]
    rest = web.call(env.admin, "list_customers", {"page_id": first["next_page_id"]})
    assert [c["id"] for c in rest["customers"]] == ids[2:]
    back = web.call(env.admin, "list_customers", {"page_id": rest["previous_page_id"]})
    assert [c["id"] for c in back["customers"]] == ids[:2]
    by_visits = web.call(
        env.admin, "list_customers", {"filters": {"name": names}, "sort_by": "visits_count"}
    )
    assert by_visits["total_customers"] == 3
    with_chats = web.call(
        env.admin,
        "list_customers",
        {"filters": {"name": names, "include_customers_without_chats": False}},
    )
    assert with_chats["total_customers"] == 0
    customer = first["customers"][0]
    assert customer["session_fields"] == [{"n": "0"}] and RFC3339_MICRO.match(
        customer["created_at"]
    )
    expect_error(
        web.call,
        env.admin,
        "list_customers",
        {"page_id": first["next_page_id"], "sort_by": "created_at"},
        status=400,
        type="validation",
    )
    # v3.6 removed both.
    for action in ("list_customers", "create_customer"):
        expect_error(Web3x(env, "3.6").call, env.admin, action, {}, status=404, type="validation")


async def test_v35_names_a_customers_visit_last_visit(env: Env, web: Web3x, rtm3x: Rtm3x) -> None:
    cust, chat_id, _thread = customer_chat(env)
    await rtm3x.customer(cust)
    found = web.call(env.admin, "get_customer", {"id": cust.id})
    assert "last_visit" in found and "visit" not in found
    join(env, chat_id, env.admin)
    chat = web.call(env.admin, "get_chat", {"chat_id": chat_id})
    user = next(u for u in chat["users"] if u["id"] == cust.id)
    assert "last_visit" in user and "visit" not in user
    archived = web.call(
        env.admin, "list_archives", {"filters": {"thread_ids": [chat["thread"]["id"]]}}
    )
    assert "last_visit" in next(u for u in archived["chats"][0]["users"] if u["id"] == cust.id)
    # ... and reads `include_active` where v3.6 reads `active`.
    inactive = web.call(
        env.admin, "list_chats", {"filters": {"include_active": False}, "limit": 100}
    )
    assert chat_id not in [c["id"] for c in inactive["chats_summary"]]
    expect_error(
        web.call,
        env.admin,
        "list_chats",
        {"filters": {"active": True}},
        status=400,
        type="validation",
    )


def test_get_license_info(env: Env, web: Web3x) -> None:
    info = web.call(env.admin, "get_license_info", {})
    assert info["license_id"] == str(env.a.license_id) and info["in_trial"] is False
    assert RFC3339_MICRO.match(info["expires_at"]) and RFC3339_MICRO.match(info["created_at"])
    assert info["expires_at"] > info["created_at"]


async def test_v35_postbacks_say_only_the_button_and_its_state(
    env: Env, web: Web3x, rtm3x: Rtm3x
) -> None:
    chat_id = web.call(env.admin, "start_chat", {})["chat_id"]
    event_id = web.call(
        env.admin,
        "send_event",
        {
            "chat_id": chat_id,
            "event": {
                "type": "rich_message",
                "template_id": "cards",
                "elements": [{"buttons": [{"text": "ok", "postback_id": "ok"}]}],
            },
        },
    )["event_id"]
    thread_id = web.call(env.admin, "get_chat", {"chat_id": chat_id})["thread"]["id"]
    v35 = await rtm3x.agent(env.admin, V)
    v36 = await rtm3x.agent(env.admin, "3.6")
    where = {"chat_id": chat_id, "thread_id": thread_id, "event_id": event_id}
    expect_error(
        web.call,
        env.admin,
        "send_rich_message_postback",
        {**where, "postback": {"id": "ok", "toggled": True, "button_type": "postback"}},
        status=400,
        type="validation",
    )
    web.call(
        env.admin,
        "send_rich_message_postback",
        {**where, "postback": {"id": "ok", "toggled": True}},
    )
    for client in (v35, v36):
        push = await client.wait_push(
            "incoming_rich_message_postback", lambda p: p["chat_id"] == chat_id
        )
        assert push["payload"]["postback"] == {"id": "ok", "toggled": True}
