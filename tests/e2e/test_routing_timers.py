"""Inactivity timers: `routing.idle`, then `routing.archived` and the thread closed by the
router; the deadlines are stored, so they fire after a restart too.

Spec: backend-apis/core-info.md "Chat routing" (system messages), "Chats and threads"
(a thread closes after inactivity), agent-chat-api thread_closed (no user_id: the router).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .harness import Http
from .routing_env import RoutingEnv, eventually, serve, system_messages


@pytest.fixture(scope="module")
def renv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RoutingEnv]:
    yield from serve(tmp_path_factory, idle_timeout="1", archive_timeout="3")


async def test_an_unanswered_chat_goes_idle_then_is_archived_by_the_router(renv):
    team = renv.team("Ida")
    ida = await renv.agent_rtm(team.agents["Ida"])
    _cid, token = renv.customer(team)
    started = renv.start_chat(team, token)["chat"]
    chat_id, thread_id = started["id"], started["thread"]["id"]

    idle = await ida.wait_push(
        "incoming_event", lambda p: p["event"].get("system_message_type") == "routing.idle"
    )
    assert idle["payload"]["event"]["text"] == "Chat is idle due to 1 minutes of inactivity"
    props = await ida.wait_push("chat_properties_updated", lambda p: p["chat_id"] == chat_id)
    assert props["payload"]["properties"] == {"routing": {"idle": {"value": True}}}

    # Activity clears the idle state.
    renv.http.customer(
        token, team.license_id, "send_event",
        {"chat_id": chat_id, "event": {"type": "message", "text": "still there?"}},
    )  # fmt: skip
    cleared = await ida.wait_push(
        "chat_properties_updated",
        lambda p: p["chat_id"] == chat_id and p["properties"]["routing"]["idle"]["value"] is False,
    )
    assert cleared["payload"]["properties"] == {"routing": {"idle": {"value": False}}}

    archived = await ida.wait_push(
        "incoming_event", lambda p: p["event"].get("system_message_type") == "routing.archived"
    )
    assert archived["payload"]["event"]["text"] == "Chat archived due to long inactivity"
    closed = await ida.wait_push("thread_closed", lambda p: p["chat_id"] == chat_id)
    assert closed["payload"] == {"chat_id": chat_id, "thread_id": thread_id}
    chat = renv.threads(team, chat_id)
    assert chat["threads"][0]["active"] is False
    kinds = [k for k, _ in system_messages(chat)]
    assert kinds[0] == "routing.assigned" and kinds[-1] == "routing.archived"
    assert "routing.idle" in kinds
    await ida.close()


async def test_stored_deadlines_fire_after_a_restart(renv):
    team = renv.team("Rex")
    _cid, token = renv.customer(team)
    chat_id = renv.start_chat(team, token)["chat"]["id"]
    renv.server.kill()  # no goodbye: only what is stored survives
    renv.server.start()
    renv.http.close()
    renv.http = Http(renv.server.base_url)

    def archived() -> bool:
        chat = renv.threads(team, chat_id)
        return chat["threads"][0]["active"] is False

    await eventually(archived, timeout=20)
    assert system_messages(renv.threads(team, chat_id))[-1] == (
        "routing.archived",
        "Chat archived due to long inactivity",
    )
