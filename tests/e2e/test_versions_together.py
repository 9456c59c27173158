"""Agents speaking different API versions in one chat with a customer: each hears every
push in its own version's shape, and an event for agents only reaches no customer,
whatever version either side speaks. Also the v3.x RTM session: the login answer, the
frames, and the choices a login or a request may make."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Env, RtmFactory
from .harness import Rtm, unique
from .v3x import RFC3339_MICRO, Rtm3x, Web3x, customer_chat, join, rtm3x

__all__ = ["rtm3x"]


async def test_each_agent_hears_each_push_in_its_versions_shape(
    env: Env, rtm: RtmFactory, rtm3x: Rtm3x
) -> None:
    cust, chat_id, thread_id = customer_chat(env)
    customer = await rtm3x.customer(cust)
    v30 = await rtm.agent(env.normal)
    v36 = await rtm3x.agent(env.admin, "3.6")
    v35 = await rtm3x.agent(env.a.owner, "3.5")
    web = Web3x(env, "3.6")
    for who in (env.admin, env.normal, env.a.owner):
        join(env, chat_id, who)

    # A message to all, from the v3.0 agent.
    env.agent(
        env.normal, "send_event", {"chat_id": chat_id, "event": {"type": "message", "text": "all"}}
    )

    def said_all(p: dict[str, Any]) -> bool:
        return bool(p["chat_id"] == chat_id and p["event"].get("text") == "all")

    old = await v30.wait_push("incoming_event", said_all)
    assert {"order", "timestamp", "recipients"} <= set(old["payload"]["event"])
    assert "version" not in old
    for client, version in ((v36, "3.6"), (v35, "3.5")):
        new = await client.wait_push("incoming_event", said_all)
        assert new["version"] == version
        event = new["payload"]["event"]
        assert event["visibility"] == "all" and RFC3339_MICRO.match(event["created_at"])
        assert not {"order", "timestamp", "recipients"} & set(event)
    await customer.wait_push("incoming_event", said_all)

    # A message to agents only, from the v3.6 agent, and one from the v3.0 agent.
    hidden = unique("agents only ")
    web.call(
        env.admin,
        "send_event",
        {"chat_id": chat_id, "event": {"type": "message", "text": hidden, "visibility": "agents"}},
    )
    env.agent(
        env.normal,
        "send_event",
        {"chat_id": chat_id, "event": {"type": "message", "text": hidden, "recipients": "agents"}},
    )
    for client in (v30, v36, v35):
        for _ in range(2):
            await client.wait_push(
                "incoming_event",
                lambda p: p["chat_id"] == chat_id and p["event"].get("text") == hidden,
            )

    # The chat closes: thread_closed in v3.0, chat_deactivated in v3.x.
    web.call(env.admin, "deactivate_chat", {"id": chat_id})
    closed = await v30.wait_push("thread_closed", lambda p: p["chat_id"] == chat_id)
    assert closed["payload"]["thread_id"] == thread_id
    for client in (v36, v35):
        done = await client.wait_push("chat_deactivated", lambda p: p["chat_id"] == chat_id)
        assert done["payload"] == {
            "chat_id": chat_id,
            "thread_id": thread_id,
            "user_id": env.admin.id,
        }
    await customer.wait_push("thread_closed")
    # The customer never saw the agents' messages, in pushes or in the chat.
    assert not [p for p in customer.pushes if hidden in str(p)]
    threads = env.customer(
        cust, "get_chat_threads", {"chat_id": chat_id, "thread_ids": [thread_id]}
    )
    assert hidden not in str(threads)
    # ... while every agent reads them in its own shape.
    events = web.call(env.admin, "get_chat", {"chat_id": chat_id})["thread"]["events"]
    assert [e["visibility"] for e in events if e.get("text") == hidden] == ["agents", "agents"]


async def test_v3x_login_answers_the_license_my_profile_and_chats(env: Env, rtm3x: Rtm3x) -> None:
    chat_id = Web3x(env, "3.6").call(env.admin, "start_chat", {})["chat_id"]
    for version in ("3.6", "3.5"):
        c = await rtm3x.agent(env.admin, version)
        answer = c.login_payload  # type: ignore[attr-defined]
        lic = answer["license"]
        assert lic["id"] == str(env.a.license_id) and len(lic["organization_id"]) == 36
        assert {"plan", "expiration_timestamp", "creation_timestamp", "in_trial"} <= set(lic)
        me = answer["my_profile"]
        assert me["id"] == env.admin.id and me["routing_status"] == "accepting_chats"
        assert me["permission"] == "administrator"
        summary = next(s for s in answer["chats_summary"] if s["id"] == chat_id)
        assert RFC3339_MICRO.match(summary["last_thread_summary"]["created_at"])


async def test_a_login_may_choose_its_pushes(env: Env, rtm3x: Rtm3x) -> None:
    picky = await rtm3x.agent(env.admin, pushes={"3.6": ["incoming_event"]})
    everything = await rtm3x.agent(env.admin, pushes={"3.6": ["all"]})
    web = Web3x(env, "3.6")
    chat_id = web.call(env.admin, "start_chat", {})["chat_id"]
    web.call(
        env.admin, "send_event", {"chat_id": chat_id, "event": {"type": "message", "text": "x"}}
    )
    await everything.wait_push("incoming_chat", lambda p: p["chat"]["id"] == chat_id)
    await everything.wait_push("incoming_event", lambda p: p["chat_id"] == chat_id)
    await picky.wait_push("incoming_event", lambda p: p["chat_id"] == chat_id)
    assert {p["action"] for p in picky.pushes} == {"incoming_event"}
    for pushes, word in (
        ({"3.5": ["incoming_event"]}, "v3.5"),
        ({"3.6": ["no_such_push"]}, "no_such"),
    ):
        c = await rtm3x.raw("3.6")
        resp = await c.request("login", {"token": f"Bearer {env.admin.token}", "pushes": pushes})
        assert resp["success"] is False and word in resp["payload"]["error"]["message"]
    c = await rtm3x.raw("3.6")
    resp = await c.request(
        "login", {"token": f"Bearer {env.admin.token}", "customer_monitoring_level": "online"}
    )
    assert resp["success"] is False and resp["payload"]["error"]["type"] == "validation"


async def test_a_request_may_name_a_higher_version(env: Env, rtm3x: Rtm3x) -> None:
    c = await rtm3x.agent(env.admin, "3.5")
    # request_thread_summary is a v3.6 method: unknown on v3.5, served when asked for v3.6.
    plain = await c.request("request_thread_summary", {"chat_id": "X", "thread_id": "Y"})
    assert plain["payload"]["error"]["type"] == "validation"
    asked = await c.request(
        "request_thread_summary", {"chat_id": "X", "thread_id": "Y"}, extra={"version": "3.6"}
    )
    assert asked["payload"]["error"]["type"] == "service_unavailable"
    lower = await c.request("list_chats", {}, extra={"version": "3.0"})
    assert lower["success"] is False and "lower" in lower["payload"]["error"]["message"]
    unknown = await c.request("list_chats", {}, extra={"version": "3.9"})
    assert unknown["payload"]["error"]["type"] == "unsupported_version"
    served = await c.request("list_chats", {"limit": 1}, extra={"version": "3.6"})
    assert served["success"] is True


@pytest.mark.parametrize("version", ["3.5", "3.6"])
async def test_agent_rtm_needs_no_organization_id(env: Env, version: str) -> None:
    c = await Rtm(f"{env.server.ws_base}/v{version}/agent/rtm/ws").connect()
    try:
        await c.call("login", {"token": f"Bearer {env.admin.token}"})
    finally:
        await c.close()
