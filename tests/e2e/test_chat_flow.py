"""A customer starts a chat, an agent on RTM sees it and replies, threads open and close.

Spec: core-info.md "Rules and conditions"; agent/customer api-reference: start_chat,
send_event, close_thread, activate_chat, incoming_chat_thread, incoming_event, thread_closed.
"""

from __future__ import annotations

import asyncio
import itertools

from .harness import ApiError, assert_error_response, expect_error, unique
from .shapes import assert_event, assert_thread, assert_users_include


def _message(text: str, **kw):
    return {"type": "message", "text": text, **kw}


async def test_customer_start_chat_over_web_reaches_rtm_agent_and_agent_reply_reaches_customer(
    env, rtm
):
    agent = await rtm.agent(env.a.owner)
    cust = env.new_customer()
    crtm = await rtm.customer(cust)
    text = unique("hello from web ")

    started = env.start_chat(cust, text)

    chat = started["chat"]
    assert {"id", "users", "thread"} <= set(chat), chat
    assert isinstance(chat["id"], str) and chat["id"]
    assert_users_include(chat["users"], cust.id, "customer")
    assert_thread(chat["thread"], api="customer", active=True)
    [first] = [e for e in chat["thread"]["events"] if e["type"] == "message"]
    assert_event(first, type="message", author_id=cust.id, text=text, api="customer")

    push = await agent.wait_push("incoming_chat_thread", lambda p: p["chat"]["id"] == chat["id"])
    assert push["type"] == "push"
    pchat = push["payload"]["chat"]
    assert {"id", "users", "thread"} <= set(pchat)
    assert_users_include(pchat["users"], cust.id, "customer")
    assert_thread(pchat["thread"], api="agent", active=True)
    assert pchat["thread"]["id"] == chat["thread"]["id"]
    [pushed] = [e for e in pchat["thread"]["events"] if e["type"] == "message"]
    assert_event(pushed, type="message", author_id=cust.id, text=text)
    assert pushed["id"] == first["id"]

    reply_text = unique("agent reply ")
    reply = await agent.call("send_event", {"chat_id": chat["id"], "event": _message(reply_text)})
    assert set(reply) >= {"thread_id", "event"}, reply
    assert reply["thread_id"] == chat["thread"]["id"]
    assert_event(reply["event"], type="message", author_id=env.a.owner.id, text=reply_text)
    assert reply["event"]["order"] > first["order"]

    got = await crtm.wait_push("incoming_event", lambda p: p["event"]["id"] == reply["event"]["id"])
    payload = got["payload"]
    assert set(payload) >= {"chat_id", "thread_id", "event"}
    assert payload["chat_id"] == chat["id"]
    assert payload["thread_id"] == chat["thread"]["id"]
    assert_event(
        payload["event"], type="message", author_id=env.a.owner.id, text=reply_text, api="customer"
    )


async def test_customer_start_chat_over_rtm_pushes_incoming_chat_thread_to_agent_and_customer(
    env, rtm
):
    agent = await rtm.agent(env.a.owner)
    cust = env.new_customer()
    crtm = await rtm.customer(cust)
    text = unique("hello from rtm ")

    resp = await crtm.request("start_chat", {"chat": {"thread": {"events": [_message(text)]}}})

    assert resp["success"] is True, resp
    assert resp["type"] == "response" and resp["action"] == "start_chat"
    chat = resp["payload"]["chat"]
    assert_thread(chat["thread"], api="customer", active=True)
    assert_users_include(chat["users"], cust.id, "customer")

    apush = await agent.wait_push("incoming_chat_thread", lambda p: p["chat"]["id"] == chat["id"])
    assert [
        e["text"] for e in apush["payload"]["chat"]["thread"]["events"] if e["type"] == "message"
    ] == [text]
    cpush = await crtm.wait_push("incoming_chat_thread", lambda p: p["chat"]["id"] == chat["id"])
    assert cpush["payload"]["chat"]["thread"]["id"] == chat["thread"]["id"]
    env.join(chat["id"], env.a.owner)

    # the customer's following message lands in the same thread as incoming_event
    sent = await crtm.call("send_event", {"chat_id": chat["id"], "event": _message("second")})
    assert sent["thread_id"] == chat["thread"]["id"]
    ev = await agent.wait_push("incoming_event", lambda p: p["event"]["id"] == sent["event"]["id"])
    assert ev["payload"]["thread_id"] == chat["thread"]["id"]
    assert ev["payload"]["chat_id"] == chat["id"]


async def test_customer_message_during_active_thread_is_incoming_event_not_new_thread(env, rtm):
    agent = await rtm.agent(env.a.owner)
    cust = env.new_customer()
    chat = env.start_chat(cust, "first")["chat"]
    await agent.wait_push("incoming_chat_thread", lambda p: p["chat"]["id"] == chat["id"])
    env.join(chat["id"], env.a.owner)

    sent = env.customer(cust, "send_event", {"chat_id": chat["id"], "event": _message("second")})

    assert sent["thread_id"] == chat["thread"]["id"]
    await agent.wait_push("incoming_event", lambda p: p["event"]["id"] == sent["event"]["id"])
    assert len(agent.pushes_for_chat(chat["id"], "incoming_chat_thread")) == 1


async def test_close_thread_pushes_thread_closed_and_next_event_starts_new_thread(env, rtm):
    agent = await rtm.agent(env.a.owner)
    cust = env.new_customer()
    crtm = await rtm.customer(cust)
    chat = env.start_chat(cust, "before close")["chat"]
    old_thread = chat["thread"]["id"]
    await agent.wait_push("incoming_chat_thread", lambda p: p["chat"]["id"] == chat["id"])
    env.join(chat["id"], env.a.owner)

    closed = env.agent(env.a.owner, "close_thread", {"chat_id": chat["id"]})
    assert closed == {} or isinstance(closed, dict)

    cpush = await crtm.wait_push("thread_closed", lambda p: p["chat_id"] == chat["id"])
    assert cpush["payload"] == {
        "chat_id": chat["id"],
        "thread_id": old_thread,
        "user_id": env.a.owner.id,
    }
    apush = await agent.wait_push("thread_closed", lambda p: p["chat_id"] == chat["id"])
    assert apush["payload"]["thread_id"] == old_thread

    threads = env.agent(env.a.owner, "get_chat_threads", {"chat_id": chat["id"]})["chat"]
    assert [t["thread_id"] for t in threads["threads_summary"]] == [old_thread]

    # the next event has no active thread to go to: it starts a new one
    text = unique("after close ")
    sent = env.customer(cust, "send_event", {"chat_id": chat["id"], "event": _message(text)})
    new_thread = sent["thread_id"]
    assert new_thread != old_thread

    push = await agent.wait_push("incoming_chat_thread", lambda p: p["chat"]["id"] == chat["id"])
    thread = push["payload"]["chat"]["thread"]
    assert thread["id"] == new_thread
    assert thread["active"] is True
    assert sent["event"]["id"] in [e["id"] for e in thread["events"]]

    # barrier: a later event in the same thread is an incoming_event; the first one never was
    later = env.customer(cust, "send_event", {"chat_id": chat["id"], "event": _message("later")})
    assert later["thread_id"] == new_thread
    await agent.wait_push("incoming_event", lambda p: p["event"]["id"] == later["event"]["id"])
    assert not [
        p
        for p in agent.pushes_for_chat(chat["id"], "incoming_event")
        if p["payload"]["event"]["id"] == sent["event"]["id"]
    ]

    got = env.agent(env.a.owner, "get_chat_threads", {"chat_id": chat["id"]})["chat"]
    summary = got["threads_summary"]
    assert [s["thread_id"] for s in summary] == [old_thread, new_thread]
    assert summary[0]["order"] < summary[1]["order"]
    both = env.agent(
        env.a.owner,
        "get_chat_threads",
        {"chat_id": chat["id"], "thread_ids": [old_thread, new_thread]},
    )["chat"]["threads"]
    by_id = {t["id"]: t for t in both}
    assert by_id[old_thread]["active"] is False
    assert by_id[new_thread]["active"] is True


async def test_customer_close_thread_pushes_thread_closed_with_customer_as_user(env, rtm):
    agent = await rtm.agent(env.a.owner)
    cust = env.new_customer()
    chat = env.start_chat(cust, "bye soon")["chat"]
    env.join(chat["id"], env.a.owner)

    resp = env.customer(cust, "close_thread", {"chat_id": chat["id"]})

    assert isinstance(resp, dict)
    push = await agent.wait_push("thread_closed", lambda p: p["chat_id"] == chat["id"])
    assert push["payload"]["thread_id"] == chat["thread"]["id"]
    assert push["payload"]["user_id"] == cust.id
    threads = env.customer(
        cust, "get_chat_threads", {"chat_id": chat["id"], "thread_ids": [chat["thread"]["id"]]}
    )["chat"]["threads"]
    assert threads[0]["active"] is False


def test_thread_list_shows_one_active_thread_and_closed_ones_inactive(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, "t1")["chat"]
    for _ in range(2):
        env.agent(env.a.owner, "close_thread", {"chat_id": chat["id"]})
        env.customer(cust, "send_event", {"chat_id": chat["id"], "event": _message("again")})

    got = env.agent(env.a.owner, "get_chat_threads", {"chat_id": chat["id"]})["chat"]
    ids = [s["thread_id"] for s in got["threads_summary"]]
    assert len(ids) == 3 and len(set(ids)) == 3
    threads = env.agent(
        env.a.owner, "get_chat_threads", {"chat_id": chat["id"], "thread_ids": ids}
    )["chat"]["threads"]
    for t in threads:
        assert_thread(t)
    active = [t["id"] for t in threads if t["active"]]
    assert active == [ids[-1]], "only the last thread is active"


async def test_annotation_after_close_goes_to_last_thread_and_starts_no_thread(env, rtm):
    agent = await rtm.agent(env.a.owner)
    cust = env.new_customer()
    crtm = await rtm.customer(cust)
    chat = env.start_chat(cust, "rate me")["chat"]
    thread_id = chat["thread"]["id"]
    env.join(chat["id"], env.a.owner)
    env.agent(env.a.owner, "close_thread", {"chat_id": chat["id"]})
    await agent.wait_push("thread_closed", lambda p: p["chat_id"] == chat["id"])

    note = env.agent(
        env.a.owner,
        "send_event",
        {
            "chat_id": chat["id"],
            "event": {"type": "annotation", "text": "good", "annotation_type": "rating"},
        },
    )

    assert note["thread_id"] == thread_id
    assert_event(note["event"], type="annotation", author_id=env.a.owner.id, text="good")
    assert note["event"]["annotation_type"] == "rating"
    got = env.agent(
        env.a.owner, "get_chat_threads", {"chat_id": chat["id"], "thread_ids": [thread_id]}
    )["chat"]
    assert [s["thread_id"] for s in got["threads_summary"]] == [thread_id]
    [thread] = got["threads"]
    assert thread["active"] is False, "an annotation does not reopen the thread"
    assert note["event"]["id"] in [e["id"] for e in thread["events"]]

    # barrier: a message now starts the second thread; no thread was started by the annotation
    msg = env.customer(cust, "send_event", {"chat_id": chat["id"], "event": _message("new topic")})
    assert msg["thread_id"] != thread_id
    await agent.wait_push(
        "incoming_chat_thread",
        lambda p: p["chat"]["id"] == chat["id"] and p["chat"]["thread"]["id"] == msg["thread_id"],
    )
    starts = agent.pushes_for_chat(chat["id"], "incoming_chat_thread")
    assert [p["payload"]["chat"]["thread"]["id"] for p in starts] == [thread_id, msg["thread_id"]]
    assert not [
        p
        for p in crtm.pushes_for_chat(chat["id"], "incoming_chat_thread")
        if p["payload"]["chat"]["thread"]["id"] not in (thread_id, msg["thread_id"])
    ]


def test_annotation_during_active_thread_goes_to_active_thread(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, "hi")["chat"]
    note = env.agent(
        env.a.owner,
        "send_event",
        {
            "chat_id": chat["id"],
            "event": {"type": "annotation", "text": "vip", "annotation_type": "tag"},
        },
    )
    assert note["thread_id"] == chat["thread"]["id"]


def test_annotation_without_annotation_type_is_refused(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, "hi")["chat"]
    for event in (
        {"type": "annotation", "text": "x"},
        {"type": "annotation", "text": "x", "annotation_type": ""},
    ):
        err = expect_error(
            env.agent,
            env.a.owner,
            "send_event",
            {"chat_id": chat["id"], "event": event},
            status=400,
            type="validation",
        )
        assert "annotation_type" in err.message


def test_attach_to_last_thread_adds_event_to_closed_thread_without_new_thread(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, "one")["chat"]
    env.agent(env.a.owner, "close_thread", {"chat_id": chat["id"]})

    sent = env.agent(
        env.a.owner,
        "send_event",
        {"chat_id": chat["id"], "attach_to_last_thread": True, "event": _message("late note")},
    )

    assert sent["thread_id"] == chat["thread"]["id"]
    got = env.agent(env.a.owner, "get_chat_threads", {"chat_id": chat["id"]})["chat"]
    assert [s["thread_id"] for s in got["threads_summary"]] == [chat["thread"]["id"]]


def test_require_active_thread_refuses_event_when_all_threads_are_closed(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, "one")["chat"]
    env.agent(env.a.owner, "close_thread", {"chat_id": chat["id"]})

    expect_error(
        env.agent,
        env.a.owner,
        "send_event",
        {"chat_id": chat["id"], "require_active_thread": True, "event": _message("x")},
        status=400,
        type="validation",
    )
    got = env.agent(env.a.owner, "get_chat_threads", {"chat_id": chat["id"]})["chat"]
    assert len(got["threads_summary"]) == 1, "a refused event starts no thread"


async def test_activate_chat_starts_new_thread_and_pushes_incoming_chat_thread(env, rtm):
    agent = await rtm.agent(env.a.owner)
    cust = env.new_customer()
    chat = env.start_chat(cust, "one")["chat"]
    env.agent(env.a.owner, "close_thread", {"chat_id": chat["id"]})
    text = unique("reactivated ")

    resp = env.customer(
        cust, "activate_chat", {"chat": {"id": chat["id"], "thread": {"events": [_message(text)]}}}
    )

    out = resp["chat"]
    assert out["id"] == chat["id"]
    assert {"id", "users", "threads"} <= set(out), out
    assert len(out["threads"]) == 1, "threads contains only the newly created thread"
    new = out["threads"][0]
    assert_thread(new, api="customer", active=True)
    assert new["id"] != chat["thread"]["id"]
    assert text in [e.get("text") for e in new["events"]]
    push = await agent.wait_push(
        "incoming_chat_thread",
        lambda p: p["chat"]["id"] == chat["id"] and p["chat"]["thread"]["id"] == new["id"],
    )
    assert push["payload"]["chat"]["thread"]["active"] is True


def test_agent_start_chat_with_customer_makes_chat_the_customer_sees(env):
    cust = env.new_customer()

    resp = env.agent(
        env.a.owner,
        "start_chat",
        {
            "chat": {
                "users": [{"id": cust.id, "type": "customer"}],
                "thread": {"events": [_message("we noticed you")]},
            }
        },
    )

    chat = resp["chat"]
    assert {"id", "users", "thread"} <= set(chat)
    assert_users_include(chat["users"], cust.id, "customer")
    assert_thread(chat["thread"], api="agent", active=True)
    summary = env.customer(cust, "get_chats_summary", {})
    assert chat["id"] in [c["id"] for c in summary["chats_summary"]]


def test_chat_has_at_most_one_customer_in_start_chat(env):
    c1, c2 = env.new_customer(), env.new_customer()
    expect_error(
        env.agent,
        env.a.owner,
        "start_chat",
        {"chat": {"users": [{"id": c1.id, "type": "customer"}, {"id": c2.id, "type": "customer"}]}},
        status=400,
        type="validation",
    )


def test_every_client_event_type_is_stored_with_its_fields(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, "types")["chat"]
    cid = chat["id"]
    events = [
        {"type": "message", "text": "m", "custom_id": "cid-1"},
        {"type": "custom", "content": {"custom": {"nested": "json"}}, "custom_id": "cid-2"},
        {
            "type": "filled_form",
            "form_id": "1473433500211",
            "fields": [
                {
                    "type": "name",
                    "id": "154417206262603539",
                    "label": "Your name",
                    "answer": "John Doe",
                }
            ],
        },
        {
            "type": "rich_message",
            "template_id": "cards",
            "elements": [
                {
                    "title": "Lorem",
                    "buttons": [{"text": "yes", "postback_id": "action_yes", "user_ids": []}],
                }
            ],
        },
    ]
    sent = [env.customer(cust, "send_event", {"chat_id": cid, "event": e})["event"] for e in events]
    sent.append(
        env.agent(
            env.a.owner,
            "send_event",
            {"chat_id": cid, "event": {"type": "custom", "content": {"a": 1}}},
        )["event"]
    )

    assert sent[0]["custom_id"] == "cid-1"
    assert sent[1]["content"] == {"custom": {"nested": "json"}}
    assert sent[1]["custom_id"] == "cid-2"
    assert sent[2]["form_id"] == "1473433500211"
    assert sent[2]["fields"][0]["answer"] == "John Doe"
    assert sent[3]["template_id"] == "cards"
    assert sent[3]["elements"][0]["title"] == "Lorem"

    stored = env.agent(
        env.a.owner, "get_chat_threads", {"chat_id": cid, "thread_ids": [chat["thread"]["id"]]}
    )
    by_id = {e["id"]: e for e in stored["chat"]["threads"][0]["events"]}
    for s in sent:
        assert s["id"] in by_id
        got = by_id[s["id"]]
        for key in (
            "type",
            "order",
            "author_id",
            "custom_id",
            "content",
            "fields",
            "form_id",
            "template_id",
            "elements",
        ):
            if key in s:
                assert got.get(key) == s[key], (key, got, s)
    assert by_id[sent[4]["id"]]["author_id"] == env.a.owner.id
    assert by_id[sent[0]["id"]]["author_id"] == cust.id


def test_clients_cannot_send_system_message_or_file_events(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, "hi")["chat"]
    for event in (
        {
            "type": "system_message",
            "text": "Mike joined the chat",
            "system_message_type": "agent_joined",
        },
        {
            "type": "file",
            "name": "x.png",
            "url": "https://example.com/x.png",
            "content_type": "image/png",
            "size": 1,
        },
    ):
        expect_error(
            env.customer,
            cust,
            "send_event",
            {"chat_id": chat["id"], "event": event},
            status=400,
            type="validation",
        )
    threads = env.agent(
        env.a.owner,
        "get_chat_threads",
        {"chat_id": chat["id"], "thread_ids": [chat["thread"]["id"]]},
    )
    types = [e["type"] for e in threads["chat"]["threads"][0]["events"]]
    assert "file" not in types
    assert not [
        e
        for e in threads["chat"]["threads"][0]["events"]
        if e["type"] == "system_message" and e.get("text") == "Mike joined the chat"
    ]


def test_server_generates_event_id_order_and_timestamp(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, "hi")["chat"]
    try:
        sent = env.customer(
            cust,
            "send_event",
            {
                "chat_id": chat["id"],
                "event": {
                    "type": "message",
                    "text": "x",
                    "id": "mine",
                    "order": -5,
                    "timestamp": 1,
                },
            },
        )["event"]
    except ApiError as err:  # refusing client-set server fields is also acceptable
        assert_error_response(err, status=400, type="validation")
        return
    assert sent["id"] != "mine"
    assert sent["order"] > chat["thread"]["events"][-1]["order"]
    assert sent["timestamp"] > 1


async def test_event_order_strictly_increases_within_chat_across_threads_and_senders(env, rtm):
    cust = env.new_customer()
    agent = await rtm.agent(env.a.owner)
    crtm = await rtm.customer(cust)
    chat = env.start_chat(cust, "order 0")["chat"]
    cid = chat["id"]
    orders = [chat["thread"]["events"][-1]["order"]]
    ids = [chat["thread"]["events"][-1]["id"]]

    def record(resp):
        orders.append(resp["event"]["order"])
        ids.append(resp["event"]["id"])

    for i in range(3):
        record(env.customer(cust, "send_event", {"chat_id": cid, "event": _message(f"c{i}")}))
        record(await agent.call("send_event", {"chat_id": cid, "event": _message(f"a{i}")}))
    env.agent(env.a.owner, "close_thread", {"chat_id": cid})
    record(
        env.agent(
            env.a.owner,
            "send_event",
            {"chat_id": cid, "event": {"type": "annotation", "text": "n", "annotation_type": "t"}},
        )
    )
    record(await crtm.call("send_event", {"chat_id": cid, "event": _message("new thread")}))
    record(env.agent(env.a.owner, "send_event", {"chat_id": cid, "event": _message("reply")}))

    assert all(a < b for a, b in itertools.pairwise(orders)), orders

    # concurrent senders on both sockets: every order is distinct
    results = await asyncio.gather(
        *[
            agent.call("send_event", {"chat_id": cid, "event": _message(f"ca{i}")})
            for i in range(10)
        ],
        *[
            crtm.call("send_event", {"chat_id": cid, "event": _message(f"cc{i}")})
            for i in range(10)
        ],
    )
    conc = [r["event"]["order"] for r in results]
    assert len(set(conc)) == len(conc)
    assert min(conc) > orders[-1]

    got = env.agent(env.a.owner, "get_chat_threads", {"chat_id": cid})["chat"]
    thread_ids = [s["thread_id"] for s in got["threads_summary"]]
    threads = env.agent(
        env.a.owner, "get_chat_threads", {"chat_id": cid, "thread_ids": thread_ids}
    )["chat"]["threads"]
    stored = sorted((e for t in threads for e in t["events"]), key=lambda e: e["order"])
    stored_orders = [e["order"] for e in stored]
    assert len(set(stored_orders)) == len(stored_orders), "orders are unique within the chat"
    stored_ids = [e["id"] for e in stored]
    positions = [stored_ids.index(i) for i in ids]
    assert positions == sorted(positions), "sorting by order gives the sending order"


async def test_agent_started_chat_is_pushed_to_the_connected_customer(env, rtm):
    cust = env.new_customer()
    crtm = await rtm.customer(cust)
    text = unique("proactive ")

    resp = env.agent(
        env.a.owner,
        "start_chat",
        {
            "chat": {
                "users": [{"id": cust.id, "type": "customer"}],
                "thread": {"events": [_message(text)]},
            }
        },
    )

    chat = resp["chat"]
    push = await crtm.wait_push("incoming_chat_thread", lambda p: p["chat"]["id"] == chat["id"])
    thread = push["payload"]["chat"]["thread"]
    assert thread["id"] == chat["thread"]["id"]
    assert text in [e.get("text") for e in thread["events"]]
    assert_users_include(push["payload"]["chat"]["users"], cust.id, "customer")
