"""An event with `recipients: "agents"` never reaches a customer: not in a push, not in any read.

Spec: about-apis.md events table (`recipients`: "all" (default) and "agents");
agent-chat-api Event objects; issue 2 "Rules that must hold".
"""

from __future__ import annotations

import asyncio
import json

from .harness import unique


def _msg(text, recipients=None):
    ev = {"type": "message", "text": text}
    if recipients:
        ev["recipients"] = recipients
    return ev


def _leaks(pushes, needle):
    return [p for p in pushes if needle in json.dumps(p)]


async def test_agents_only_event_is_pushed_to_agents_but_never_to_the_customer(env, rtm):
    cust = env.new_customer()
    owner = await rtm.agent(env.a.owner)
    admin = await rtm.agent(env.admin)
    crtm = await rtm.customer(cust)
    chat = env.start_chat(cust, "hi")["chat"]
    cid = chat["id"]
    env.join(cid, env.admin)
    secret = unique("secret-")

    sent = await owner.call("send_event", {"chat_id": cid, "event": _msg(secret, "agents")})

    assert sent["event"]["recipients"] == "agents"
    apush = await admin.wait_push(
        "incoming_event", lambda p: p["event"]["id"] == sent["event"]["id"]
    )
    assert apush["payload"]["event"]["recipients"] == "agents"
    assert apush["payload"]["event"]["text"] == secret

    # barrier: a public event sent afterwards reaches the customer; the secret never did
    public = await owner.call("send_event", {"chat_id": cid, "event": _msg("public")})
    await crtm.wait_push("incoming_event", lambda p: p["event"]["id"] == public["event"]["id"])
    assert not _leaks(crtm.pushes, secret)
    assert not _leaks(crtm.pushes, sent["event"]["id"])


def test_agents_only_event_is_absent_from_customer_reads(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, "hi")["chat"]
    cid, tid = chat["id"], chat["thread"]["id"]
    public = env.agent(env.a.owner, "send_event", {"chat_id": cid, "event": _msg("public reply")})[
        "event"
    ]
    secret = unique("whisper-")
    hidden = env.agent(
        env.a.owner, "send_event", {"chat_id": cid, "event": _msg(secret, "agents")}
    )["event"]
    note = unique("note-")
    hidden_note = env.agent(
        env.a.owner,
        "send_event",
        {
            "chat_id": cid,
            "event": {
                "type": "annotation",
                "text": note,
                "annotation_type": "x",
                "recipients": "agents",
            },
        },
    )["event"]

    # the customer's reads
    threads = env.customer(cust, "get_chat_threads", {"chat_id": cid, "thread_ids": [tid]})
    ids = [e["id"] for t in threads["chat"]["threads"] for e in t["events"]]
    assert public["id"] in ids
    assert hidden["id"] not in ids and hidden_note["id"] not in ids
    assert secret not in json.dumps(threads) and note not in json.dumps(threads)

    summary = env.customer(cust, "get_chats_summary", {})
    [mine] = [c for c in summary["chats_summary"] if c["id"] == cid]
    assert secret not in json.dumps(summary) and note not in json.dumps(summary)
    last_message = mine["last_event_per_type"]["message"]
    assert last_message["event"]["id"] == public["id"], (
        "the customer's last message is the last public one"
    )
    assert last_message["thread_id"] == tid

    threads_summary = env.customer(cust, "get_chat_threads_summary", {"chat_id": cid})
    assert secret not in json.dumps(threads_summary)

    # the agent's reads still have it
    agent_view = env.agent(env.a.owner, "get_chat_threads", {"chat_id": cid, "thread_ids": [tid]})
    agent_ids = [e["id"] for t in agent_view["chat"]["threads"] for e in t["events"]]
    assert hidden["id"] in agent_ids and hidden_note["id"] in agent_ids


async def test_agents_only_event_starting_a_new_thread_does_not_reveal_it_to_the_customer(env, rtm):
    cust = env.new_customer()
    crtm = await rtm.customer(cust)
    chat = env.start_chat(cust, "hi")["chat"]
    cid = chat["id"]
    env.agent(env.a.owner, "close_thread", {"chat_id": cid})
    await crtm.wait_push("thread_closed", lambda p: p["chat_id"] == cid)
    secret = unique("internal-")

    hidden = env.agent(env.a.owner, "send_event", {"chat_id": cid, "event": _msg(secret, "agents")})
    public = env.agent(env.a.owner, "send_event", {"chat_id": cid, "event": _msg("welcome back")})

    assert public["thread_id"] == hidden["thread_id"]
    await _wait_event_seen(crtm, cid, public["event"]["id"])
    assert not _leaks(crtm.pushes, secret)
    view = env.customer(
        cust, "get_chat_threads", {"chat_id": cid, "thread_ids": [hidden["thread_id"]]}
    )
    assert secret not in json.dumps(view)


async def _wait_event_seen(client, chat_id, event_id, timeout=8.0):
    """The event reached the client, as incoming_event or inside incoming_chat_thread."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if _thread_push_has(client, chat_id, event_id) or [
            p
            for p in client.pushes_for_chat(chat_id, "incoming_event")
            if p["payload"]["event"]["id"] == event_id
        ]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"event {event_id} never pushed to the client")


def _thread_push_has(client, chat_id, event_id):
    for p in client.pushes_for_chat(chat_id, "incoming_chat_thread"):
        if event_id in [e["id"] for e in p["payload"]["chat"]["thread"].get("events", [])]:
            return True
    return False
