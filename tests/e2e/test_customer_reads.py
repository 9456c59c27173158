"""Customer reads: get_chats_summary, get_chat_threads_summary, get_chat_threads; a customer
sees only their own chats.

Spec: customer-chat-api "Get chats summary" (offset default 0, limit default 10 max 25; response
{"chats_summary": [{"id", "order", "last_thread_id", "users", "last_event_per_type", ...}],
"total_chats"}), "Get chat threads summary" ({"threads_summary": [{"id", "order",
"total_events"}], "total_threads"}), "Get chat threads"; core-info "A customer sees only their
own chats".
"""

from __future__ import annotations

from .harness import expect_error, unique
from .shapes import assert_thread, assert_users_include


def _send(env, cust, chat_id, text):
    return env.customer(
        cust, "send_event", {"chat_id": chat_id, "event": {"type": "message", "text": text}}
    )


def test_get_chats_summary_lists_only_the_customers_own_chats(env):
    cust = env.new_customer()
    stranger = env.new_customer()
    c1 = env.start_chat(cust, "first chat")["chat"]
    c2 = env.start_chat(cust, "second chat")["chat"]
    last = _send(env, cust, c2["id"], unique("latest "))["event"]
    theirs = env.start_chat(stranger, "not yours")["chat"]

    resp = env.customer(cust, "get_chats_summary", {})

    assert set(resp) >= {"chats_summary", "total_chats"}
    assert resp["total_chats"] == 2
    assert sorted(c["id"] for c in resp["chats_summary"]) == sorted([c1["id"], c2["id"]])
    assert theirs["id"] not in [c["id"] for c in resp["chats_summary"]]
    by_id = {c["id"]: c for c in resp["chats_summary"]}
    s2 = by_id[c2["id"]]
    assert {"id", "order", "last_thread_id", "users", "last_event_per_type"} <= set(s2), s2
    assert s2["last_thread_id"] == c2["thread"]["id"]
    assert_users_include(s2["users"], cust.id, "customer")
    msg = s2["last_event_per_type"]["message"]
    assert {"thread_id", "thread_order", "event"} <= set(msg)
    assert msg["event"]["id"] == last["id"]
    assert msg["thread_id"] == c2["thread"]["id"]
    assert isinstance(msg["thread_order"], int)

    other = env.customer(stranger, "get_chats_summary", {})
    assert [c["id"] for c in other["chats_summary"]] == [theirs["id"]]
    assert other["total_chats"] == 1


def test_get_chats_summary_paginates_with_offset_and_limit(env):
    cust = env.new_customer()
    ids = {env.start_chat(cust, f"chat {i}")["chat"]["id"] for i in range(3)}

    page1 = env.customer(cust, "get_chats_summary", {"offset": 0, "limit": 2})
    page2 = env.customer(cust, "get_chats_summary", {"offset": 2, "limit": 2})

    assert len(page1["chats_summary"]) == 2 and len(page2["chats_summary"]) == 1
    assert page1["total_chats"] == page2["total_chats"] == 3
    assert {c["id"] for c in page1["chats_summary"] + page2["chats_summary"]} == ids


def test_get_chats_summary_refuses_limit_over_25(env):
    cust = env.new_customer()
    err = expect_error(
        env.customer, cust, "get_chats_summary", {"limit": 26}, status=400, type="validation"
    )
    assert "limit" in err.message


def test_get_chat_threads_summary_lists_threads_with_event_counts(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, "one")["chat"]
    cid = chat["id"]
    _send(env, cust, cid, "two")
    env.agent(env.a.owner, "close_thread", {"chat_id": cid})
    second = _send(env, cust, cid, "three")["thread_id"]

    resp = env.customer(cust, "get_chat_threads_summary", {"chat_id": cid})

    assert set(resp) >= {"threads_summary", "total_threads"}
    assert resp["total_threads"] == 2
    summary = resp["threads_summary"]
    by_id = {s["id"]: s for s in summary}
    assert set(by_id) == {chat["thread"]["id"], second}
    for s in summary:
        assert {"id", "order", "total_events"} <= set(s), s
        assert isinstance(s["order"], int) and isinstance(s["total_events"], int)
    assert by_id[chat["thread"]["id"]]["order"] < by_id[second]["order"]
    assert by_id[chat["thread"]["id"]]["total_events"] >= 2
    assert by_id[second]["total_events"] >= 1

    limited = env.customer(
        cust, "get_chat_threads_summary", {"chat_id": cid, "offset": 1, "limit": 1}
    )
    assert len(limited["threads_summary"]) == 1
    assert limited["total_threads"] == 2


def test_customer_get_chat_threads_returns_requested_threads(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, "one")["chat"]
    cid, first = chat["id"], chat["thread"]["id"]
    env.agent(env.a.owner, "close_thread", {"chat_id": cid})
    second = _send(env, cust, cid, "two")["thread_id"]

    resp = env.customer(cust, "get_chat_threads", {"chat_id": cid, "thread_ids": [first]})

    out = resp["chat"]
    assert {"id", "users", "threads"} <= set(out)
    assert out["id"] == cid
    assert [t["id"] for t in out["threads"]] == [first]
    assert_thread(out["threads"][0], api="customer", active=False)
    assert [e["text"] for e in out["threads"][0]["events"] if e["type"] == "message"] == ["one"]

    both = env.customer(cust, "get_chat_threads", {"chat_id": cid, "thread_ids": [first, second]})
    assert sorted(t["id"] for t in both["chat"]["threads"]) == sorted([first, second])


def test_customer_cannot_read_or_write_another_customers_chat(env):
    owner = env.new_customer()
    intruder = env.new_customer()
    secret = unique("private ")
    chat = env.start_chat(owner, secret)["chat"]
    cid, tid = chat["id"], chat["thread"]["id"]
    # Another customer's chat is not one of the caller's.
    denied = {"status": 403, "type": "authorization"}

    for action, payload in [
        ("get_chat_threads", {"chat_id": cid, "thread_ids": [tid]}),
        ("get_chat_threads_summary", {"chat_id": cid}),
        ("send_event", {"chat_id": cid, "event": {"type": "message", "text": "let me in"}}),
        ("close_thread", {"chat_id": cid}),
        ("update_last_seen_timestamp", {"chat_id": cid}),
        ("activate_chat", {"chat": {"id": cid}}),
    ]:
        err = expect_error(env.customer, intruder, action, payload, **denied)
        assert secret not in err.text

    summary = env.customer(intruder, "get_chats_summary", {})
    assert cid not in [c["id"] for c in summary["chats_summary"]]
    view = env.customer(owner, "get_chat_threads", {"chat_id": cid, "thread_ids": [tid]})
    [thread] = view["chat"]["threads"]
    assert thread["active"] is True, "the intruder's close_thread did nothing"
    assert [e.get("text") for e in thread["events"] if e["type"] == "message"] == [secret]
    assert_users_include(view["chat"]["users"], owner.id, "customer")
    assert intruder.id not in [u["id"] for u in view["chat"]["users"]]
