"""Agent Chat API v3.6 over real sockets: chats, threads, the archives, users and
transfers, in v3.6's shapes, with v3.6's paging and errors."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Env
from .harness import expect_error, unique
from .v3x import RFC3339_MICRO, Rtm3x, Web3x, customer_chat, join, rtm3x

__all__ = ["rtm3x"]

V = "3.6"


@pytest.fixture
def web(env: Env) -> Web3x:
    return Web3x(env, V)


def test_start_chat_send_event_and_get_chat_answer_ids_and_v36_shapes(env: Env, web: Web3x) -> None:
    started = web.call(
        env.admin,
        "start_chat",
        {"chat": {"thread": {"events": [{"type": "message", "text": "first"}]}}},
    )
    assert set(started) == {"chat_id", "thread_id", "event_ids"}, started
    assert len(started["event_ids"]) == 1
    sent = web.call(
        env.admin,
        "send_event",
        {
            "chat_id": started["chat_id"],
            "event": {"type": "message", "text": "to agents", "visibility": "agents"},
        },
    )
    assert set(sent) == {"event_id"}
    chat = web.call(env.admin, "get_chat", {"chat_id": started["chat_id"]})
    assert chat["id"] == started["chat_id"]
    thread = chat["thread"]
    assert thread["id"] == started["thread_id"] and thread["active"] is True
    assert RFC3339_MICRO.match(thread["created_at"])
    events = thread["events"]
    assert [e["id"] for e in events] == [*started["event_ids"], sent["event_id"]]
    assert [e["visibility"] for e in events] == ["all", "agents"]
    for e in events:
        assert RFC3339_MICRO.match(e["created_at"])
        assert not {"order", "timestamp", "recipients"} & set(e)
    me = next(u for u in chat["users"] if u["id"] == env.admin.id)
    assert me["visibility"] == "all" and me["present"] is True
    # Writing counts as seeing: the requester has seen up to its last event.
    assert me["events_seen_up_to"] == events[-1]["created_at"]


def test_an_inactive_thread_can_be_started_and_resumed(env: Env, web: Web3x) -> None:
    started = web.call(env.admin, "start_chat", {"active": False, "continuous": True})
    chat = web.call(env.admin, "get_chat", {"chat_id": started["chat_id"]})
    assert chat["thread"]["active"] is False
    err = expect_error(
        web.call,
        env.admin,
        "send_event",
        {"chat_id": started["chat_id"], "event": {"type": "message", "text": "x"}},
        status=400,
        type="chat_inactive",
    )
    assert started["chat_id"] in err.message
    # attach_to_last_thread puts it in the last thread without reopening the chat.
    web.call(
        env.admin,
        "send_event",
        {
            "chat_id": started["chat_id"],
            "event": {"type": "message", "text": "late note"},
            "attach_to_last_thread": True,
        },
    )
    resumed = web.call(
        env.admin,
        "resume_chat",
        {
            "chat": {
                "id": started["chat_id"],
                "thread": {"events": [{"type": "message", "text": "back"}]},
            }
        },
    )
    assert set(resumed) == {"thread_id", "event_ids"}
    chat = web.call(env.admin, "get_chat", {"chat_id": started["chat_id"]})
    assert chat["thread"]["id"] == resumed["thread_id"] and chat["thread"]["active"]
    assert chat["thread"]["previous_thread_id"] == started["thread_id"]
    first = web.call(
        env.admin, "get_chat", {"chat_id": started["chat_id"], "thread_id": started["thread_id"]}
    )
    assert first["thread"]["next_thread_id"] == resumed["thread_id"]
    assert [e["text"] for e in first["thread"]["events"]] == ["late note"]
    expect_error(
        web.call,
        env.admin,
        "resume_chat",
        {"chat": {"id": started["chat_id"]}},
        status=400,
        type="validation",
    )


def test_deactivate_chat_asks_the_requester_to_be_in_the_chat(env: Env, web: Web3x) -> None:
    _cust, chat_id, thread_id = customer_chat(env)
    err = expect_error(
        web.call, env.admin, "deactivate_chat", {"id": chat_id}, status=400, type="validation"
    )
    assert "ignore_requester_presence" in err.message
    web.call(env.admin, "deactivate_chat", {"id": chat_id, "ignore_requester_presence": True})
    chat = web.call(env.admin, "get_chat", {"chat_id": chat_id})
    assert chat["thread"]["id"] == thread_id and chat["thread"]["active"] is False
    expect_error(
        web.call,
        env.admin,
        "deactivate_chat",
        {"id": chat_id, "ignore_requester_presence": True},
        status=400,
        type="chat_inactive",
    )


def test_v36_answers_its_own_error_types_where_v30_answered_validation(
    env: Env, web: Web3x
) -> None:
    missing = unique("NOCHAT")[:10].upper()
    expect_error(
        web.call, env.admin, "get_chat", {"chat_id": missing}, status=404, type="not_found"
    )
    # v3.0 answers the same request as it always did.
    expect_error(
        env.agent,
        env.admin,
        "get_chat_threads",
        {"chat_id": missing},
        status=404,
        type="validation",
    )
    _cust, chat_id, _thread = customer_chat(env)
    expect_error(
        web.call,
        env.admin,
        "get_chat",
        {"chat_id": chat_id, "thread_id": "NOTATHREAD"},
        status=404,
        type="not_found",
    )
    # An agent with no access to the chat's groups, writing to it.
    other = env.b.owner
    expect_error(web.call, other, "get_chat", {"chat_id": chat_id}, status=404, type="not_found")
    expect_error(
        web.call,
        env.admin,
        "list_chats",
        {"filters": {"active": "yes"}},
        status=400,
        type="validation",
    )
    err = expect_error(
        web.call, env.admin, "list_chats", {"unknown": 1}, status=400, type="validation"
    )
    assert "unknown" in err.message


def _chat_ids(page: dict[str, Any]) -> list[str]:
    return [c["id"] for c in page["chats_summary"]]


def test_list_chats_pages_with_signed_page_ids(env: Env, web: Web3x) -> None:
    made = [web.call(env.admin, "start_chat", {})["chat_id"] for _ in range(3)]
    first = web.call(env.admin, "list_chats", {"limit": 2})
    assert len(first["chats_summary"]) == 2 and "previous_page_id" not in first
    assert first["found_chats"] >= 3
    assert _chat_ids(first) == made[::-1][:2]  # newest first
    second = web.call(env.admin, "list_chats", {"page_id": first["next_page_id"]})
    assert _chat_ids(second)[0] == made[0]
    back = web.call(env.admin, "list_chats", {"page_id": second["previous_page_id"]})
    assert _chat_ids(back) == _chat_ids(first)
    summary = first["chats_summary"][0]
    assert {"id", "users", "last_event_per_type", "last_thread_summary", "access"} <= set(summary)
    assert RFC3339_MICRO.match(summary["last_thread_summary"]["created_at"])
    for key in ("filters", "limit", "sort_order"):
        value: Any = {"filters": {}, "limit": 5, "sort_order": "asc"}[key]
        err = expect_error(
            web.call,
            env.admin,
            "list_chats",
            {"page_id": first["next_page_id"], key: value},
            status=400,
            type="validation",
        )
        assert key in err.message
    forged = first["next_page_id"][:-4] + (
        "AAAA" if not first["next_page_id"].endswith("AAAA") else "BBBB"
    )
    expect_error(
        web.call, env.admin, "list_chats", {"page_id": forged}, status=400, type="validation"
    )
    # Another agent cannot use the admin's page id.
    expect_error(
        web.call,
        env.a.owner,
        "list_chats",
        {"page_id": first["next_page_id"]},
        status=400,
        type="validation",
    )
    # Oldest first, over as many pages as the shared server's chats fill.
    ids: list[str] = []
    page = web.call(env.admin, "list_chats", {"sort_order": "asc", "limit": 100})
    while True:
        ids += _chat_ids(page)
        if made[2] in ids or "next_page_id" not in page:
            break
        page = web.call(env.admin, "list_chats", {"page_id": page["next_page_id"]})
    assert ids.index(made[0]) < ids.index(made[2])
    inactive = web.call(env.admin, "list_chats", {"filters": {"active": False}, "limit": 100})
    assert not set(_chat_ids(inactive)) & set(made)


def test_list_threads_pages_and_counts_events(env: Env, web: Web3x) -> None:
    chat_id = web.call(env.admin, "start_chat", {})["chat_id"]
    threads = [web.call(env.admin, "get_chat", {"chat_id": chat_id})["thread"]["id"]]
    for i in range(2):
        web.call(
            env.admin,
            "send_event",
            {"chat_id": chat_id, "event": {"type": "message", "text": f"m{i}"}},
        )
        web.call(env.admin, "deactivate_chat", {"id": chat_id})
        threads.append(web.call(env.admin, "resume_chat", {"chat": {"id": chat_id}})["thread_id"])
    page = web.call(env.admin, "list_threads", {"chat_id": chat_id, "limit": 2})
    assert [t["id"] for t in page["threads"]] == threads[::-1][:2]
    assert page["found_threads"] == 3
    rest = web.call(
        env.admin, "list_threads", {"chat_id": chat_id, "page_id": page["next_page_id"]}
    )
    assert [t["id"] for t in rest["threads"]] == [threads[0]]
    asc = web.call(env.admin, "list_threads", {"chat_id": chat_id, "sort_order": "asc"})
    assert [t["id"] for t in asc["threads"]] == threads
    enough = web.call(env.admin, "list_threads", {"chat_id": chat_id, "min_events_count": 1})
    assert sum(len(t["events"]) for t in enough["threads"]) >= 1
    expect_error(
        web.call,
        env.admin,
        "list_threads",
        {"chat_id": chat_id, "min_events_count": 1, "limit": 2},
        status=400,
        type="validation",
    )
    far = web.call(
        env.admin,
        "list_threads",
        {"chat_id": chat_id, "filters": {"from": "2999-01-01T00:00:00.000000Z"}},
    )
    assert far["threads"] == [] and far["found_threads"] == 0
    expect_error(
        web.call,
        env.admin,
        "list_threads",
        {"chat_id": chat_id, "filters": {"from": "yesterday at noon"}},
        status=400,
        type="validation",
    )


def test_list_archives_filters_pages_and_highlights(env: Env, web: Web3x) -> None:
    word = unique("zebra")
    chat_ids = []
    for i in range(3):
        chat_id = web.call(
            env.admin,
            "start_chat",
            {"chat": {"thread": {"events": [{"type": "message", "text": f"{word} {i}"}]}}},
        )["chat_id"]
        chat_ids.append(chat_id)
    found = web.call(env.admin, "list_archives", {"filters": {"query": word}, "limit": 2})
    assert found["found_chats"] == 3 and len(found["chats"]) == 2
    rest = web.call(env.admin, "list_archives", {"page_id": found["next_page_id"]})
    assert [c["id"] for c in rest["chats"]] == [chat_ids[0]]
    chat = found["chats"][0]
    assert {"id", "users", "thread", "properties", "access"} <= set(chat)
    assert RFC3339_MICRO.match(chat["thread"]["created_at"])
    by_chat = web.call(
        env.admin, "list_archives", {"filters": {"chat_ids": [chat_ids[1]]}, "sort_order": "asc"}
    )
    assert [c["id"] for c in by_chat["chats"]] == [chat_ids[1]]
    thread_id = by_chat["chats"][0]["thread"]["id"]
    by_thread = web.call(env.admin, "list_archives", {"filters": {"thread_ids": [thread_id]}})
    assert [c["thread"]["id"] for c in by_thread["chats"]] == [thread_id]
    expect_error(
        web.call,
        env.admin,
        "list_archives",
        {"filters": {"thread_ids": [thread_id], "query": word}},
        status=400,
        type="validation",
    )
    marked = web.call(
        env.admin,
        "list_archives",
        {"filters": {"query": word, "chat_ids": [chat_ids[2]]}, "highlights": {}},
    )
    assert marked["chats"][0]["thread"]["events"][0]["text"] == f"<em>{word}</em> 2"
    assigned = web.call(
        env.admin,
        "list_archives",
        {"filters": {"query": word, "agents": {"values": [env.admin.id]}}},
    )
    assert assigned["found_chats"] == 3
    typed = web.call(
        env.admin,
        "list_archives",
        {"filters": {"query": word, "event_types": {"exclude_values": ["message"]}}},
    )
    assert typed["found_chats"] == 0
    err = expect_error(
        web.call,
        env.admin,
        "list_archives",
        {"filters": {"sales": {"values": ["x"]}}},
        status=400,
        type="validation",
    )
    assert "sales" in err.message


async def test_users_join_and_leave_with_a_reason_and_the_requester(
    env: Env, web: Web3x, rtm3x: Rtm3x
) -> None:
    _cust, chat_id, _thread = customer_chat(env)
    watcher = await rtm3x.agent(env.admin)
    join(env, chat_id, env.admin)
    added = await watcher.wait_push(
        "user_added_to_chat", lambda p: p["chat_id"] == chat_id and p["user"]["id"] == env.admin.id
    )
    assert added["version"] == V
    assert added["payload"]["reason"] == "manual"
    assert added["payload"]["requester_id"] == env.admin.id
    assert added["payload"]["user"]["visibility"] == "all"
    err = expect_error(
        web.call,
        env.admin,
        "add_user_to_chat",
        {
            "chat_id": chat_id,
            "user_id": env.normal.id,
            "user_type": "agent",
            "visibility": "agents",
        },
        status=400,
        type="validation",
    )
    assert "visibility" in err.message
    web.call(
        env.admin,
        "add_user_to_chat",
        {"chat_id": chat_id, "user_id": env.normal.id, "user_type": "agent", "visibility": "all"},
    )
    web.call(
        env.admin,
        "remove_user_from_chat",
        {"chat_id": chat_id, "user_id": env.normal.id, "user_type": "agent"},
    )
    removed = await watcher.wait_push(
        "user_removed_from_chat",
        lambda p: p["chat_id"] == chat_id and p["user_id"] == env.normal.id,
    )
    assert removed["payload"]["requester_id"] == env.admin.id
    assert "user_type" not in removed["payload"]


async def test_transfer_chat_to_an_agent_and_the_agents_to_transfer_to(
    env: Env, web: Web3x, rtm3x: Rtm3x
) -> None:
    _cust, chat_id, _thread = customer_chat(env)
    target = await rtm3x.agent(env.normal)  # logged in: accepting chats
    watcher = await rtm3x.agent(env.admin)
    join(env, chat_id, env.admin)
    candidates = web.call(env.admin, "list_agents_for_transfer", {"chat_id": chat_id})
    assert isinstance(candidates, list)
    mine = next(c for c in candidates if c["agent_id"] == env.normal.id)
    assert isinstance(mine["total_active_chats"], int)
    assert env.admin.id not in [c["agent_id"] for c in candidates]  # already in the chat
    web.call(
        env.admin,
        "transfer_chat",
        {"id": chat_id, "target": {"type": "agent", "ids": [env.normal.id]}},
    )
    pushed = await watcher.wait_push("chat_transferred", lambda p: p["chat_id"] == chat_id)
    p = pushed["payload"]
    assert p["requester_id"] == env.admin.id and p["reason"] == "manual"
    assert p["transferred_to"]["agent_ids"] == [env.normal.id]
    assert "type" not in p and "ids" not in p
    await target.wait_push("chat_transferred", lambda p: p["chat_id"] == chat_id)
    expect_error(
        web.call,
        env.admin,
        "transfer_chat",
        {"id": chat_id, "target": {"type": "agent", "ids": [env.normal.id]}},
        status=400,
        type="validation",  # the requester left the chat with the transfer
    )
