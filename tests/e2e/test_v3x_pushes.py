"""Pushes a v3.6 or v3.5 agent hears of what others do (a customer's visit and pages, a
customer typing, access moving with a transfer or a v3.0 agent's set_access, another
connection logging out), each in its version's shape."""

from __future__ import annotations

import pytest

from .conftest import Agent, Env, RtmFactory
from .harness import Rtm, run_cli, unique
from .v3x import RFC3339_MICRO, Rtm3x, Web3x, customer_chat, join, rtm3x
from .webhook_support import configuration

__all__ = ["rtm3x"]

VERSIONS = ["3.6", "3.5"]


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_customers_visit_and_pages(env: Env, rtm3x: Rtm3x, version: str) -> None:
    cust, chat_id, _thread = customer_chat(env)
    agent = await rtm3x.agent(env.admin, version)
    join(env, chat_id, env.admin)
    url = f"{env.server.ws_base}/v3.0/customer/rtm/ws?license_id={cust.license_id}"
    me = await Rtm(url).connect()
    try:
        await me.call(
            "login",
            {"token": cust.token, "customer_page": {"url": "https://shop.example/a", "title": "A"}},
        )
        came = await agent.wait_push("incoming_customer", lambda p: p["id"] == cust.id)
        assert came["version"] == version
        visit = came["payload"]["visit" if version == "3.6" else "last_visit"]
        assert RFC3339_MICRO.match(visit["started_at"])
        await me.call("update_customer_page", {"url": "https://shop.example/b", "title": "B"})
        page = await agent.wait_push(
            "customer_page_updated", lambda p: p["url"] == "https://shop.example/b"
        )
        assert page["payload"]["customer_id"] == cust.id and page["payload"]["title"] == "B"
        assert RFC3339_MICRO.match(page["payload"]["opened_at"])
    finally:
        await me.close()
    left = await agent.wait_push("customer_left", lambda p: p["id"] == cust.id)
    assert RFC3339_MICRO.match(left["payload"]["left_at"])


@pytest.mark.parametrize("version", VERSIONS)
async def test_agents_see_what_a_customer_is_typing(
    env: Env, rtm: RtmFactory, rtm3x: Rtm3x, version: str
) -> None:
    cust, chat_id, thread_id = customer_chat(env)
    agent = await rtm3x.agent(env.admin, version)
    join(env, chat_id, env.admin)
    me = await rtm.customer(cust)
    await me.call("send_sneak_peek", {"chat_id": chat_id, "sneak_peek_text": "I am typ"})
    push = await agent.wait_push("incoming_sneak_peek", lambda p: p["chat_id"] == chat_id)
    assert push["payload"]["thread_id"] == thread_id
    peek = push["payload"]["sneak_peek"]
    assert peek["author_id"] == cust.id and peek["text"] == "I am typ"
    assert isinstance(peek["timestamp"], int) and "recipients" not in peek


@pytest.mark.parametrize("version", VERSIONS)
async def test_access_moves_with_a_transfer_and_with_set_access(
    env: Env, rtm: RtmFactory, rtm3x: Rtm3x, version: str
) -> None:
    # An agent of its own: the shared server's agents may have no free slot left.
    email = f"{unique('sales')}@example.com"
    out = run_cli(env.server.data_dir, "agent", "create", "--email", email, "--name", "Sal Es")
    seller = Agent(id=out["id"], token=out["access_token"], license_id=env.a.license_id)
    group_id = configuration(
        env.http,
        env.a.owner.token,
        "groups/create_group",
        {"name": unique("Sales "), "agent_priorities": {seller.id: "normal"}},
    )["id"]
    _cust, chat_id, _thread = customer_chat(env)
    await rtm.agent(seller)  # accepting chats in the group
    watcher = await rtm3x.agent(env.admin, version)
    join(env, chat_id, env.admin)
    Web3x(env, version).call(
        env.admin, "transfer_chat", {"id": chat_id, "target": {"type": "group", "ids": [group_id]}}
    )
    moved = await watcher.wait_push("chat_transferred", lambda p: p["chat_id"] == chat_id)
    assert moved["payload"]["transferred_to"] == {
        "group_ids": [group_id],
        "agent_ids": [seller.id],
    }
    access = await watcher.wait_push("chat_access_updated", lambda p: p["id"] == chat_id)
    assert access["payload"] == {"id": chat_id, "access": {"group_ids": [group_id]}}
    # A v3.0 agent sets the access: v3.x has no access_set, it hears chat_access_updated.
    env.agent(
        env.a.owner,
        "set_access",
        {"resource": "chat", "id": chat_id, "access": {"type": "group", "id": 0}},
    )
    again = await watcher.wait_push(
        "chat_access_updated", lambda p: p["id"] == chat_id and p["access"]["group_ids"] == [0]
    )
    assert again["version"] == version
    assert not [p for p in watcher.pushes if p["action"].startswith("access_")]


@pytest.mark.parametrize("version", VERSIONS)
async def test_logout_tells_the_agents_other_connections(
    env: Env, rtm3x: Rtm3x, version: str
) -> None:
    email = f"{unique('leaver')}@example.com"
    out = run_cli(env.server.data_dir, "agent", "create", "--email", email, "--name", "Lee Ver")
    leaver = Agent(id=out["id"], token=out["access_token"], license_id=env.a.license_id)
    here = await rtm3x.agent(leaver, version)
    elsewhere = await rtm3x.agent(leaver, version)
    assert await here.call("ping", {}) == {}
    await here.call(
        "change_push_notifications",
        {"firebase_token": unique("fcm"), "platform": "android", "enabled": True},
    )
    await here.call("logout", {})
    push = await elsewhere.wait_push("agent_disconnected")
    assert push["version"] == version
    assert push["payload"]["reason"] == "agent_logged_out_remotely"


@pytest.mark.parametrize("version", VERSIONS)
async def test_agents_hear_that_a_bot_made_through_v3_0_came_and_went(
    env: Env, rtm3x: Rtm3x, version: str
) -> None:
    watcher = await rtm3x.agent(env.admin, version)
    bot = configuration(
        env.http,
        env.a.owner.token,
        "agents/create_bot_agent",
        {"name": unique("Gone Bot "), "status": "not accepting chats"},
    )["bot_agent_id"]
    came = await watcher.wait_push("bot_created", lambda p: p["id"] == bot)
    assert came["payload"]["owner_client_id"] == env.a.client_id
    configuration(env.http, env.a.owner.token, "agents/remove_bot_agent", {"bot_agent_id": bot})
    # A bot's deletion is `bot_deleted` (rtm-pushes, Configuration), not `agent_deleted`.
    push = await watcher.wait_push("bot_deleted", lambda p: p["id"] == bot)
    assert push["payload"] == {"id": bot}
    assert push["version"] == version
