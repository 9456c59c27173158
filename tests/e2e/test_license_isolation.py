"""One server holds many licenses; nothing of one license is visible or writable through another
license's tokens (issue 2, "license create").
"""

from __future__ import annotations

import json

from .harness import expect_error, run_cli, unique

# A chat of another license looks exactly like a missing one (docs/decisions.md).
NOT_FOUND = {"status": 404, "type": "validation"}
# A customer token names its license; another license_id in the query is refused.
WRONG_LICENSE = {"status": 401, "type": "authentication"}


def test_tokens_carry_their_own_license(env):
    for lic in (env.a, env.b):
        info = env.http.info(lic.owner.token)
        assert info.status_code == 200
        assert info.json()["license_id"] == lic.license_id
    cust_b = env.new_customer(env.b)
    info = env.http.info(cust_b.token)
    assert info.json()["license_id"] == env.b.license_id


def test_other_license_agent_cannot_read_or_write_a_chat(env):
    cust = env.new_customer()
    secret = unique("license-a-only ")
    chat = env.start_chat(cust, secret)["chat"]
    cid, tid = chat["id"], chat["thread"]["id"]
    b = env.b.owner

    for action, payload in [
        ("get_chat_threads", {"chat_id": cid}),
        ("get_chat_threads", {"chat_id": cid, "thread_ids": [tid]}),
        ("send_event", {"chat_id": cid, "event": {"type": "message", "text": "intrusion"}}),
        (
            "send_event",
            {"chat_id": cid, "event": {"type": "annotation", "text": "x", "annotation_type": "x"}},
        ),
        ("close_thread", {"chat_id": cid}),
        ("add_user_to_chat", {"chat_id": cid, "user_id": b.id, "user_type": "agent"}),
        (
            "remove_user_from_chat",
            {"chat_id": cid, "user_id": env.a.owner.id, "user_type": "agent"},
        ),
        ("update_last_seen_timestamp", {"chat_id": cid}),
        ("activate_chat", {"chat": {"id": cid}}),
    ]:
        err = expect_error(env.agent, b, action, payload, **NOT_FOUND)
        assert secret not in err.text

    archives = env.agent(b, "get_archives", {"filters": {"query": secret.split()[0]}})
    assert archives["chats"] == [] and archives["pagination"]["total"] == 0
    filtered = env.agent(b, "get_filtered_chats", {"filters": {"include_active": True}})
    assert cid not in [c["id"] for c in filtered["chats_summary"]]

    view = env.agent(env.a.owner, "get_chat_threads", {"chat_id": cid, "thread_ids": [tid]})["chat"]
    [thread] = view["threads"]
    assert thread["active"] is True
    assert [e.get("text") for e in thread["events"] if e["type"] in ("message", "annotation")] == [
        secret
    ]
    # (both owners are owner@chatplane.local in their own license: compare the whole list)
    assert [u["id"] for u in view["users"]] == [cust.id]


def test_other_license_agent_cannot_start_a_chat_with_this_license_customer(env):
    cust = env.new_customer()
    expect_error(
        env.agent,
        env.b.owner,
        "start_chat",
        {"chat": {"users": [{"id": cust.id, "type": "customer"}]}},
        status=404,  # that customer does not exist in license B
        type="validation",
    )
    assert env.customer(cust, "get_chats_summary", {})["total_chats"] == 0


def test_other_license_customer_cannot_read_or_write_a_chat(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, "a only")["chat"]
    cust_b = env.new_customer(env.b)

    expect_error(
        env.customer,
        cust_b,
        "get_chat_threads",
        {"chat_id": chat["id"], "thread_ids": [chat["thread"]["id"]]},
        **NOT_FOUND,
    )
    expect_error(
        env.customer,
        cust_b,
        "send_event",
        {"chat_id": chat["id"], "event": {"type": "message", "text": "x"}},
        **NOT_FOUND,
    )
    assert env.customer(cust_b, "get_chats_summary", {})["total_chats"] == 0


def test_customer_token_is_refused_with_another_license_id(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, "a only")["chat"]
    expect_error(
        env.http.customer,
        cust.token,
        env.b.license_id,
        "get_chat_threads",
        {"chat_id": chat["id"], "thread_ids": [chat["thread"]["id"]]},
        **WRONG_LICENSE,
    )
    expect_error(env.http.customer, cust.token, env.b.license_id, "start_chat", {}, **WRONG_LICENSE)
    assert env.customer(cust, "get_chats_summary", {})["total_chats"] == 1


async def test_other_license_rtm_agent_gets_no_pushes_about_this_license(env, rtm):
    b_agent = await rtm.agent(env.b.owner)
    cust = env.new_customer()
    secret = unique("a-push ")
    chat = env.start_chat(cust, secret)["chat"]
    env.agent(
        env.a.owner,
        "send_event",
        {"chat_id": chat["id"], "event": {"type": "message", "text": secret}},
    )
    env.agent(env.a.owner, "close_thread", {"chat_id": chat["id"]})

    # barrier: license B's own chat reaches its agent after all of the above
    cust_b = env.new_customer(env.b)
    chat_b = env.start_chat(cust_b, "b chat")["chat"]
    await b_agent.wait_push("incoming_chat_thread", lambda p: p["chat"]["id"] == chat_b["id"])
    assert not b_agent.pushes_for_chat(chat["id"])
    assert secret not in json.dumps(b_agent.pushes)


async def test_customer_rtm_login_with_token_of_another_license_fails(env, rtm):
    cust = env.new_customer()
    client = await rtm.raw_customer(env.b.license_id)
    resp = await client.request("login", {"token": f"Bearer {cust.token}"})
    assert resp["success"] is False
    assert resp["payload"]["error"]["type"] == "authentication", resp


def test_agent_created_with_license_id_belongs_to_that_license(env):
    email = f"{unique('b-agent')}@example.com"
    out = run_cli(
        env.server.data_dir,
        "agent",
        "create",
        "--email",
        email,
        "--name",
        "Bea",
        "--license-id",
        str(env.b.license_id),
    )
    assert out["id"] == email
    info = env.http.info(out["access_token"]).json()
    assert info["license_id"] == env.b.license_id
    assert info["entity_id"] == email
    cust = env.new_customer()
    chat = env.start_chat(cust, "a only")["chat"]
    expect_error(
        env.http.agent,
        out["access_token"],
        "get_chat_threads",
        {"chat_id": chat["id"]},
        **NOT_FOUND,
    )
