"""The v3.x agent capabilities over real sockets: thread tags, following chats, thinking
indicators, event previews, the away state of a connection, and updating a session's
token; v3.5 has all but the last three."""

from __future__ import annotations

import pytest

from .conftest import Agent, Env
from .harness import expect_error, run_cli, unique
from .v3x import RFC3339_MICRO, Rtm3x, Web3x, customer_chat, join, rtm3x

__all__ = ["rtm3x"]

VERSIONS = ["3.6", "3.5"]


def new_agent(env: Env, role: str = "normal") -> Agent:
    email = f"{unique('agent')}@example.com"
    out = run_cli(
        env.server.data_dir, "agent", "create", "--email", email, "--name", "Al", "--role", role
    )
    return Agent(id=out["id"], token=out["access_token"], license_id=env.a.license_id)


@pytest.mark.parametrize("version", VERSIONS)
async def test_threads_are_tagged_untagged_and_found_by_tag(
    env: Env, rtm3x: Rtm3x, version: str
) -> None:
    web = Web3x(env, version)
    started = web.call(env.admin, "start_chat", {})
    chat_id, thread_id = started["chat_id"], started["thread_id"]
    me = await rtm3x.agent(env.admin, version)
    tag = unique("Support ")
    where = {"chat_id": chat_id, "thread_id": thread_id}
    web.call(env.admin, "tag_thread", {**where, "tag": tag})
    tagged = await me.wait_push("thread_tagged", lambda p: p["chat_id"] == chat_id)
    assert tagged["payload"] == {**where, "tag": tag}
    assert web.call(env.admin, "get_chat", {"chat_id": chat_id})["thread"]["tags"] == [tag]
    found = web.call(env.admin, "list_archives", {"filters": {"tags": {"values": [tag]}}})
    assert [c["id"] for c in found["chats"]] == [chat_id]
    err = expect_error(
        web.call,
        env.admin,
        "untag_thread",
        {**where, "tag": tag.upper()},
        status=400,
        type="validation",
    )
    assert "case sensitive" in err.message
    web.call(env.admin, "untag_thread", {**where, "tag": tag})
    untagged = await me.wait_push("thread_untagged", lambda p: p["chat_id"] == chat_id)
    assert untagged["payload"]["tag"] == tag
    assert "tags" not in web.call(env.admin, "get_chat", {"chat_id": chat_id})["thread"]
    gone = web.call(env.admin, "list_archives", {"filters": {"tags": {"values": [tag]}}})
    assert gone["chats"] == []


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_follower_hears_a_chat_until_it_unfollows(
    env: Env, rtm3x: Rtm3x, version: str
) -> None:
    web = Web3x(env, version)
    _cust, chat_id, _thread = customer_chat(env)
    join(env, chat_id, env.a.owner)  # the chat is served: no longer in the queue
    follower = await rtm3x.agent(env.admin, version)
    web.call(env.admin, "follow_chat", {"id": chat_id})
    got = await follower.wait_push("incoming_chat", lambda p: p["chat"]["id"] == chat_id)
    assert got["payload"]["requester_id"] == env.admin.id
    assert got["payload"]["chat"]["is_followed"] is True
    assert web.call(env.admin, "get_chat", {"chat_id": chat_id})["is_followed"] is True
    text = unique("for followers ")
    Web3x(env, "3.6").call(
        env.a.owner,
        "send_event",
        {"chat_id": chat_id, "event": {"type": "message", "text": text}},
    )
    await follower.wait_push("incoming_event", lambda p: p["event"].get("text") == text)
    web.call(env.admin, "unfollow_chat", {"id": chat_id})
    await follower.wait_push("chat_unfollowed", lambda p: p == {"chat_id": chat_id})
    assert web.call(env.admin, "get_chat", {"chat_id": chat_id})["is_followed"] is False
    # A user of the chat cannot unfollow it.
    expect_error(
        web.call, env.a.owner, "unfollow_chat", {"id": chat_id}, status=400, type="validation"
    )


async def test_thinking_indicators_and_event_previews(env: Env, rtm3x: Rtm3x) -> None:
    web = Web3x(env, "3.6")
    _cust, chat_id, thread_id = customer_chat(env)
    join(env, chat_id, env.a.owner)
    join(env, chat_id, env.admin)
    other = await rtm3x.agent(env.a.owner)
    web.call(
        env.admin,
        "send_thinking_indicator",
        {"chat_id": chat_id, "title": "Thinking...", "description": "Billing", "custom_id": "t1"},
    )
    push = await other.wait_push("incoming_thinking_indicator", lambda p: p["chat_id"] == chat_id)
    p = push["payload"]
    assert (p["thread_id"], p["author_id"], p["title"]) == (thread_id, env.admin.id, "Thinking...")
    assert p["description"] == "Billing" and p["custom_id"] == "t1"
    assert RFC3339_MICRO.match(p["sent_at"])
    web.call(
        env.admin,
        "send_event_preview",
        {"chat_id": chat_id, "event": {"type": "message", "text": "Preview of a longer answer"}},
    )
    err = expect_error(
        web.call,
        env.admin,
        "send_event_preview",
        {"chat_id": chat_id, "event": {"type": "custom", "content": {}}},
        status=400,
        type="validation",
    )
    assert "message" in err.message
    web.call(env.admin, "deactivate_chat", {"id": chat_id})
    expect_error(
        web.call,
        env.admin,
        "send_thinking_indicator",
        {"chat_id": chat_id},
        status=400,
        type="chat_inactive",
    )
    # v3.5 has neither.
    for action in ("send_thinking_indicator", "send_event_preview"):
        expect_error(Web3x(env, "3.5").call, env.admin, action, {}, status=404, type="validation")


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_connection_away_takes_the_agent_out_of_routing(
    env: Env, rtm3x: Rtm3x, version: str
) -> None:
    agent = new_agent(env)
    watcher = await rtm3x.agent(env.admin, version)
    first = await rtm3x.agent(agent, version)
    second = await rtm3x.agent(agent, version, away=True)  # one away, one not: accepting
    answer = second.login_payload  # type: ignore[attr-defined]
    assert answer["my_profile"]["routing_status"] == "accepting_chats"
    await first.call("set_away_status", {"away": True})
    status = await watcher.wait_push(
        "routing_status_set",
        lambda p: p["agent_id"] == agent.id and p["status"] == "not_accepting_chats",
    )
    assert status["version"] == version
    await second.call("set_away_status", {"away": False})
    await watcher.wait_push(
        "routing_status_set",
        lambda p: p["agent_id"] == agent.id and p["status"] == "accepting_chats",
    )
    resp = await first.request("set_away_status", {"away": "yes"})
    assert resp["payload"]["error"]["type"] == "validation"


async def test_update_session_takes_a_newer_token_of_the_same_agent(env: Env, rtm3x: Rtm3x) -> None:
    agent = new_agent(env)
    session = await rtm3x.agent(agent)
    newer = run_cli(
        env.server.data_dir, "token", "create", "--agent", agent.id, "--ttl", str(20 * 365 * 86400)
    )
    await session.call("update_session", {"token": f"Bearer {newer['access_token']}"})
    assert await session.alive()
    other = await session.request("update_session", {"token": f"Bearer {env.admin.token}"})
    assert other["success"] is False
    assert other["payload"]["error"]["type"] == "authorization"
    # v3.5 has no update_session.
    old = await rtm3x.agent(agent, "3.5")
    resp = await old.request("update_session", {"token": f"Bearer {newer['access_token']}"})
    assert resp["success"] is False
