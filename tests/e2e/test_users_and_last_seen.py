"""add_user_to_chat / remove_user_from_chat and update_last_seen_timestamp, with their pushes.

Spec: agent-chat-api "Add user to chat" ("It's forbidden to add more than one customer user
type to chat"), "Remove user from chat" ("Removing customer user type is forbidden"), pushes
chat_user_added {"chat_id", "thread_id", "user", "user_type"} and chat_user_removed
{"chat_id", "thread_id", "user_id", "user_type"}; "Update last seen timestamp" and push
last_seen_timestamp_updated (agent: user_id, chat_id, timestamp; customer: user_id, chat_id,
thread_id, timestamp); scopes.md (add/remove need chats--*:rw).
"""

from __future__ import annotations

import time

from .harness import expect_error
from .shapes import assert_users_include, user_ids


async def test_add_user_to_chat_pushes_chat_user_added_to_customer_and_agents(env, rtm):
    cust = env.new_customer()
    owner = await rtm.agent(env.a.owner)
    crtm = await rtm.customer(cust)
    chat = env.start_chat(cust, "need help")["chat"]
    cid, tid = chat["id"], chat["thread"]["id"]
    env.join(cid, env.a.owner)

    resp = env.agent(
        env.admin,
        "add_user_to_chat",
        {"chat_id": cid, "user_id": env.normal.id, "user_type": "agent"},
    )

    assert resp == {} or isinstance(resp, dict)
    for client in (crtm, owner):
        push = await client.wait_push(
            "chat_user_added", lambda p: p["chat_id"] == cid and p["user"]["id"] == env.normal.id
        )
        p = push["payload"]
        assert set(p) >= {"chat_id", "thread_id", "user", "user_type"}, p
        assert p["thread_id"] == tid
        assert p["user_type"] == "agent"
        assert p["user"]["id"] == env.normal.id
        assert p["user"]["type"] == "agent"
    view = env.agent(env.a.owner, "get_chat_threads", {"chat_id": cid})
    assert_users_include(view["chat"]["users"], env.normal.id, "agent")
    cview = env.customer(cust, "get_chat_threads", {"chat_id": cid, "thread_ids": [tid]})
    assert_users_include(cview["chat"]["users"], env.normal.id, "agent")


async def test_remove_user_from_chat_pushes_chat_user_removed(env, rtm):
    cust = env.new_customer()
    crtm = await rtm.customer(cust)
    chat = env.start_chat(cust, "need help")["chat"]
    cid, tid = chat["id"], chat["thread"]["id"]
    env.agent(
        env.admin,
        "add_user_to_chat",
        {"chat_id": cid, "user_id": env.normal.id, "user_type": "agent"},
    )
    await crtm.wait_push("chat_user_added", lambda p: p["chat_id"] == cid)

    resp = env.agent(
        env.admin,
        "remove_user_from_chat",
        {"chat_id": cid, "user_id": env.normal.id, "user_type": "agent"},
    )

    assert isinstance(resp, dict)
    push = await crtm.wait_push("chat_user_removed", lambda p: p["chat_id"] == cid)
    assert push["payload"] == {
        "chat_id": cid,
        "thread_id": tid,
        "user_id": env.normal.id,
        "user_type": "agent",
    }
    view = env.agent(env.a.owner, "get_chat_threads", {"chat_id": cid})
    # the removed agent is gone from the chat's users, or listed as no longer present
    assert all(
        u.get("present") is False for u in view["chat"]["users"] if u["id"] == env.normal.id
    ), view["chat"]["users"]
    assert cust.id in user_ids(view["chat"]["users"])


def test_adding_a_second_customer_to_a_chat_is_forbidden(env):
    cust, other = env.new_customer(), env.new_customer()
    chat = env.start_chat(cust, "mine")["chat"]
    expect_error(
        env.agent,
        env.admin,
        "add_user_to_chat",
        {"chat_id": chat["id"], "user_id": other.id, "user_type": "customer"},
        status=400,
        type="validation",
    )
    users = env.agent(env.a.owner, "get_chat_threads", {"chat_id": chat["id"]})["chat"]["users"]
    assert other.id not in user_ids(users)


def test_removing_the_customer_from_a_chat_is_forbidden(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, "mine")["chat"]
    expect_error(
        env.agent,
        env.admin,
        "remove_user_from_chat",
        {"chat_id": chat["id"], "user_id": cust.id, "user_type": "customer"},
        status=400,
        type="validation",
    )
    users = env.agent(env.a.owner, "get_chat_threads", {"chat_id": chat["id"]})["chat"]["users"]
    assert cust.id in user_ids(users)


def test_add_user_to_chat_refuses_unknown_user_type(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, "mine")["chat"]
    err = expect_error(
        env.agent,
        env.admin,
        "add_user_to_chat",
        {"chat_id": chat["id"], "user_id": env.normal.id, "user_type": "robot"},
        status=400,
        type="validation",
    )
    assert "user_type" in err.message


def test_normal_agent_cannot_add_users_to_a_chat_they_are_not_in(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, "mine")["chat"]
    expect_error(
        env.agent,
        env.normal,
        "add_user_to_chat",
        {"chat_id": chat["id"], "user_id": env.archivist.id, "user_type": "agent"},
        status=403,
        type="authorization",
    )
    users = env.agent(env.a.owner, "get_chat_threads", {"chat_id": chat["id"]})["chat"]["users"]
    assert env.archivist.id not in user_ids(users)


async def test_customer_update_last_seen_timestamp_pushes_to_agents(env, rtm):
    cust = env.new_customer()
    owner = await rtm.agent(env.a.owner)
    chat = env.start_chat(cust, "seen?")["chat"]
    cid = chat["id"]
    env.join(cid, env.a.owner)
    ts = int(time.time()) + 5

    resp = env.customer(cust, "update_last_seen_timestamp", {"chat_id": cid, "timestamp": ts})

    assert resp == {"timestamp": ts}
    push = await owner.wait_push(
        "last_seen_timestamp_updated", lambda p: p["chat_id"] == cid and p["user_id"] == cust.id
    )
    assert push["payload"]["timestamp"] == ts
    assert set(push["payload"]) >= {"user_id", "chat_id", "timestamp"}
    users = env.agent(env.a.owner, "get_chat_threads", {"chat_id": cid})["chat"]["users"]
    me = assert_users_include(users, cust.id, "customer")
    if "last_seen_timestamp" in me:
        assert me["last_seen_timestamp"] == ts


async def test_agent_update_last_seen_timestamp_pushes_to_customer_with_thread_id(env, rtm):
    cust = env.new_customer()
    crtm = await rtm.customer(cust)
    chat = env.start_chat(cust, "seen?")["chat"]
    cid, tid = chat["id"], chat["thread"]["id"]
    env.agent(
        env.admin,
        "add_user_to_chat",
        {"chat_id": cid, "user_id": env.a.owner.id, "user_type": "agent"},
    )
    ts = int(time.time())

    resp = await (await rtm.agent(env.a.owner)).call(
        "update_last_seen_timestamp", {"chat_id": cid, "timestamp": ts}
    )

    assert resp == {"timestamp": ts}
    push = await crtm.wait_push(
        "last_seen_timestamp_updated",
        lambda p: p["chat_id"] == cid and p["user_id"] == env.a.owner.id,
    )
    assert push["payload"] == {
        "user_id": env.a.owner.id,
        "chat_id": cid,
        "thread_id": tid,
        "timestamp": ts,
    }


def test_update_last_seen_timestamp_without_timestamp_uses_now(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, "now")["chat"]
    before = int(time.time())
    resp = env.customer(cust, "update_last_seen_timestamp", {"chat_id": chat["id"]})
    after = int(time.time())
    assert isinstance(resp["timestamp"], int)
    assert before - 1 <= resp["timestamp"] <= after + 1
