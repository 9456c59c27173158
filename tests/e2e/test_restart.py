"""A `success: true` response means the change is committed: everything acknowledged survives a
clean restart (SIGTERM) and a kill (SIGKILL). SIGTERM exits cleanly.
"""

from __future__ import annotations

import signal
import time

from .harness import Rtm, unique

# A graceful shutdown may end with status 0 or by re-raising the SIGTERM it handled
# (uvicorn does the latter); both are clean. A hang or a crash is not.
CLEAN_EXIT = (0, -signal.SIGTERM)


def _customer(http, owner_token):
    body = http.create_customer(owner_token)
    return body["entity_id"], body["access_token"]


def _snapshot(http, owner_token, chat_id):
    summary = http.agent(owner_token, "get_chat_threads", {"chat_id": chat_id})["chat"]
    ids = [s["thread_id"] for s in summary["threads_summary"]]
    chat = http.agent(owner_token, "get_chat_threads", {"chat_id": chat_id, "thread_ids": ids})[
        "chat"
    ]
    threads = sorted(chat["threads"], key=lambda t: t["order"])
    return {
        "threads": [
            {
                "id": t["id"],
                "active": t["active"],
                "order": t["order"],
                "events": sorted(
                    (
                        (
                            e["id"],
                            e["order"],
                            e["type"],
                            e.get("author_id"),
                            e.get("text"),
                            e.get("recipients"),
                            e.get("custom_id"),
                            e.get("annotation_type"),
                            e.get("timestamp"),
                        )
                        for e in t["events"]
                    ),
                    key=lambda x: x[1],
                ),
            }
            for t in threads
        ],
        "users": sorted(u["id"] for u in chat["users"]),
    }


def _populate(http, lic, agent_id):
    owner = lic.owner.token
    cust_id, cust_token = _customer(http, owner)
    lid = lic.license_id
    chat = http.customer(
        cust_token,
        lid,
        "start_chat",
        {"chat": {"thread": {"events": [{"type": "message", "text": "first"}]}}},
    )["chat"]
    cid = chat["id"]
    http.agent(
        owner,
        "send_event",
        {"chat_id": cid, "event": {"type": "message", "text": "reply", "custom_id": "c-1"}},
    )
    http.agent(
        owner,
        "send_event",
        {"chat_id": cid, "event": {"type": "message", "text": "psst", "recipients": "agents"}},
    )
    http.agent(owner, "close_thread", {"chat_id": cid})
    http.agent(
        owner,
        "send_event",
        {"chat_id": cid, "event": {"type": "annotation", "text": "5", "annotation_type": "rating"}},
    )
    http.customer(
        cust_token,
        lid,
        "send_event",
        {"chat_id": cid, "event": {"type": "message", "text": "back again"}},
    )
    http.agent(
        owner, "add_user_to_chat", {"chat_id": cid, "user_id": agent_id, "user_type": "agent"}
    )
    http.customer(
        cust_token, lid, "update_last_seen_timestamp", {"chat_id": cid, "timestamp": 1700000000}
    )
    return cust_id, cust_token, cid


async def test_sigterm_exits_cleanly_and_restart_keeps_chats_threads_events_and_tokens(
    server_factory,
):
    inst = server_factory()
    http = inst.start()
    lic = inst.lic
    cust_id, cust_token, cid = _populate(http, lic, lic.owner.id)
    before = _snapshot(http, lic.owner.token, cid)
    cust_before = http.customer(cust_token, lic.license_id, "get_chats_summary", {})
    archives_before = http.agent(lic.owner.token, "get_archives", {"filters": {"query": "back"}})

    code = inst.server.stop()

    assert code in CLEAN_EXIT, f"SIGTERM should exit cleanly, got {code}\n{inst.server.log_tail()}"
    http = inst.start()
    assert http.info(lic.owner.token).status_code == 200, "agent token survives a restart"
    info = http.info(cust_token)
    assert info.status_code == 200 and info.json()["entity_id"] == cust_id, (
        "customer token survives"
    )
    assert _snapshot(http, lic.owner.token, cid) == before
    assert http.customer(cust_token, lic.license_id, "get_chats_summary", {}) == cust_before
    archives_after = http.agent(lic.owner.token, "get_archives", {"filters": {"query": "back"}})
    assert [c["chat"]["id"] for c in archives_after["chats"]] == [
        c["chat"]["id"] for c in archives_before["chats"]
    ]

    # order keeps increasing after the restart; the active thread is still the active one
    last_order = max(e[1] for t in before["threads"] for e in t["events"])
    sent = http.customer(
        cust_token,
        lic.license_id,
        "send_event",
        {"chat_id": cid, "event": {"type": "message", "text": "after"}},
    )
    assert sent["event"]["order"] > last_order
    assert sent["thread_id"] == before["threads"][-1]["id"]
    assert inst.server.stop() in CLEAN_EXIT


async def test_sigterm_with_open_websockets_exits_cleanly(server_factory):
    inst = server_factory()
    inst.start()
    agent = await Rtm(inst.server.ws_base + "/v3.0/agent/rtm/ws").connect()
    await agent.call("login", {"token": f"Bearer {inst.lic.owner.token}"})
    try:
        started = time.monotonic()
        code = inst.server.stop(timeout=20)
        assert code in CLEAN_EXIT, inst.server.log_tail()
        assert time.monotonic() - started < 20
    finally:
        await agent.close()


async def test_sigkill_loses_nothing_that_was_acknowledged(server_factory):
    inst = server_factory()
    http = inst.start()
    lic = inst.lic
    owner = lic.owner.token
    _, cust_token = _customer(http, owner)
    chat = http.customer(
        cust_token,
        lic.license_id,
        "start_chat",
        {"chat": {"thread": {"events": [{"type": "message", "text": "0"}]}}},
    )["chat"]
    cid = chat["id"]

    acked = []
    for i in range(15):
        acked.append(
            http.customer(
                cust_token,
                lic.license_id,
                "send_event",
                {"chat_id": cid, "event": {"type": "message", "text": f"web {i}"}},
            )["event"]["id"]
        )
    agent = await Rtm(inst.server.ws_base + "/v3.0/agent/rtm/ws").connect()
    await agent.call("login", {"token": f"Bearer {owner}"})
    for i in range(15):
        acked.append(
            (
                await agent.call(
                    "send_event", {"chat_id": cid, "event": {"type": "message", "text": f"rtm {i}"}}
                )
            )["event"]["id"]
        )
    await agent.call("close_thread", {"chat_id": cid})
    word = unique("afterclose")
    new = await agent.call(
        "send_event", {"chat_id": cid, "event": {"type": "message", "text": word}}
    )
    acked.append(new["event"]["id"])
    second_customer = _customer(http, owner)

    inst.server.kill()  # SIGKILL right after the last acknowledgement
    await agent.close()

    http = inst.start()
    snap = _snapshot(http, owner, cid)
    stored = [e[0] for t in snap["threads"] for e in t["events"]]
    missing = [i for i in acked if i not in stored]
    assert not missing, f"{len(missing)} acknowledged events lost after SIGKILL"
    assert [t["active"] for t in snap["threads"]] == [False, True], "the thread close survived"
    assert snap["threads"][1]["id"] == new["thread_id"]
    assert http.info(cust_token).status_code == 200
    assert http.info(second_customer[1]).status_code == 200, (
        "a customer created just before the kill survives"
    )
    found = http.agent(owner, "get_archives", {"filters": {"query": word}})
    assert [c["chat"]["id"] for c in found["chats"]] == [cid]
