"""get_archives: query over message text, pagination, date and agent filters; get_filtered_chats.

Spec: agent-chat-api "Get archives" (filters.query, date_from/date_to `YYYY-MM-DD`, agent_ids,
pagination.page default 1 min 1 max 1000, pagination.limit default 25 min 0 max 100; response
{"chats": [{"chat": {"id", "users", "thread"}}], "pagination": {"page", "total"}} where total is
the number of threads matching the filters) and "Get filtered chats".
"""

from __future__ import annotations

import datetime as dt

import pytest

from .harness import expect_error, unique
from .shapes import assert_thread, assert_users_include


@pytest.fixture(scope="module")
def archive(env):
    """Three closed chats whose messages contain WORD (the first also has the archivist in it),
    and one closed chat without WORD."""
    word = unique("zebra")
    chats = []
    customers = []
    for i in range(3):
        cust = env.new_customer()
        chat = env.start_chat(cust, f"please help with {word} number {i}")["chat"]
        if i == 0:
            env.agent(
                env.admin,
                "add_user_to_chat",
                {"chat_id": chat["id"], "user_id": env.archivist.id, "user_type": "agent"},
            )
            env.agent(
                env.archivist,
                "send_event",
                {"chat_id": chat["id"], "event": {"type": "message", "text": "archivist here"}},
            )
        env.agent(
            env.a.owner,
            "send_event",
            {"chat_id": chat["id"], "event": {"type": "message", "text": "on it"}},
        )
        env.agent(env.a.owner, "close_thread", {"chat_id": chat["id"]})
        chats.append(chat)
        customers.append(cust)
    other = env.new_customer()
    unrelated = env.start_chat(other, "something else entirely")["chat"]
    env.agent(env.a.owner, "close_thread", {"chat_id": unrelated["id"]})
    return {"word": word, "chats": chats, "customers": customers, "unrelated": unrelated}


def _archives(env, **filters):
    pagination = filters.pop("pagination", None)
    payload = {"filters": filters}
    if pagination is not None:
        payload["pagination"] = pagination
    return env.agent(env.a.owner, "get_archives", payload)


def _ids(resp):
    return [item["chat"]["id"] for item in resp["chats"]]


def test_get_archives_query_finds_threads_by_message_text_with_spec_shape(env, archive):
    resp = _archives(env, query=archive["word"])

    assert set(resp) >= {"chats", "pagination"}
    assert resp["pagination"]["total"] == 3
    assert resp["pagination"]["page"] == 1
    assert sorted(_ids(resp)) == sorted(c["id"] for c in archive["chats"])
    for item in resp["chats"]:
        assert set(item) == {"chat"}, item
        chat = item["chat"]
        assert {"id", "users", "thread"} <= set(chat)
        assert_thread(chat["thread"])
        assert any(archive["word"] in (e.get("text") or "") for e in chat["thread"]["events"])
    by_id = {item["chat"]["id"]: item["chat"] for item in resp["chats"]}
    for chat, cust in zip(archive["chats"], archive["customers"], strict=True):
        assert_users_include(by_id[chat["id"]]["users"], cust.id, "customer")
        assert by_id[chat["id"]]["thread"]["id"] == chat["thread"]["id"]
    assert archive["unrelated"]["id"] not in _ids(resp)


def test_get_archives_query_with_no_match_returns_nothing(env, archive):
    resp = _archives(env, query=unique("nomatch"))
    assert resp["chats"] == []
    assert resp["pagination"]["total"] == 0


def test_get_archives_paginates_with_page_and_limit(env, archive):
    word = archive["word"]
    p1 = _archives(env, query=word, pagination={"page": 1, "limit": 2})
    p2 = _archives(env, query=word, pagination={"page": 2, "limit": 2})
    p3 = _archives(env, query=word, pagination={"page": 3, "limit": 2})

    assert len(p1["chats"]) == 2 and len(p2["chats"]) == 1 and p3["chats"] == []
    assert p1["pagination"]["page"] == 1 and p1["pagination"]["total"] == 3
    assert p2["pagination"]["page"] == 2 and p2["pagination"]["total"] == 3
    seen = _ids(p1) + _ids(p2)
    assert sorted(seen) == sorted(c["id"] for c in archive["chats"])

    singles = [
        _ids(_archives(env, query=word, pagination={"page": n, "limit": 1})) for n in (1, 2, 3)
    ]
    assert sorted(i for page in singles for i in page) == sorted(c["id"] for c in archive["chats"])


def test_get_archives_default_limit_is_25(env, archive):
    resp = _archives(env)
    assert len(resp["chats"]) <= 25
    assert resp["pagination"]["page"] == 1


def test_get_archives_filters_by_date(env, archive):
    word = archive["word"]
    today = dt.datetime.now(dt.UTC).date()
    day = dt.timedelta(days=1)

    around = _archives(env, query=word, date_from=str(today - day), date_to=str(today + day))
    assert around["pagination"]["total"] == 3
    future = _archives(env, query=word, date_from=str(today + 2 * day))
    assert future["pagination"]["total"] == 0 and future["chats"] == []
    past = _archives(env, query=word, date_to=str(today - 2 * day))
    assert past["pagination"]["total"] == 0 and past["chats"] == []
    long_ago = _archives(env, query=word, date_from="2016-09-01", date_to="2016-10-01")
    assert long_ago["chats"] == []


def test_get_archives_filters_by_agent(env, archive):
    word = archive["word"]
    first = archive["chats"][0]["id"]

    resp = _archives(env, query=word, agent_ids=[env.archivist.id])
    assert _ids(resp) == [first]
    assert resp["pagination"]["total"] == 1

    without_query = _ids(_archives(env, agent_ids=[env.archivist.id], pagination={"limit": 100}))
    assert first in without_query
    assert archive["chats"][1]["id"] not in without_query

    nobody = _archives(env, query=word, agent_ids=["nobody@example.com"])
    assert nobody["chats"] == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"pagination": {"page": 0}}, "page"),
        ({"pagination": {"page": 1001}}, "page"),
        ({"pagination": {"limit": 101}}, "limit"),
        ({"pagination": {"limit": -1}}, "limit"),
        ({"pagination": {"page": "one"}}, "page"),
        ({"filters": {"date_from": "01/09/2016"}}, "date_from"),
        ({"filters": {"date_to": "2016-13-45"}}, "date_to"),
        ({"filters": {"agent_ids": "agent1@example.com"}}, "agent_ids"),
        ({"filters": {"query": 5}}, "query"),
    ],
)
def test_get_archives_refuses_out_of_range_or_mistyped_filters(env, payload, field):
    err = expect_error(
        env.agent, env.a.owner, "get_archives", payload, status=400, type="validation"
    )
    assert field in err.message, err.message


def test_get_filtered_chats_returns_chat_summaries(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, unique("filtered "))["chat"]

    resp = env.agent(env.a.owner, "get_filtered_chats", {"filters": {"include_active": True}})

    assert "chats_summary" in resp
    [mine] = [c for c in resp["chats_summary"] if c["id"] == chat["id"]]
    assert {"id", "users", "last_event_per_type", "last_thread_summary"} <= set(mine), mine
    assert_users_include(mine["users"], cust.id, "customer")
    last = mine["last_thread_summary"]
    assert {"id", "timestamp", "user_ids", "order"} <= set(last), last
    assert last["id"] == chat["thread"]["id"]
    msg = mine["last_event_per_type"]["message"]
    assert {"thread_id", "thread_order", "event"} <= set(msg)
    assert msg["thread_id"] == chat["thread"]["id"]
    assert msg["event"]["text"] == chat["thread"]["events"][-1]["text"]
