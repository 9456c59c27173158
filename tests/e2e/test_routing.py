"""Routing over RTM: automatic assignment by priority and load, slots, the queue in
arrival order, reassignment when an agent goes offline, manual routing, statuses.

Spec: backend-apis/core-info.md "Chat routing" (system messages), platform-overview/routing.md,
agent-chat-api/api-reference.md (login, update_agent, agent_updated, chat_user_added).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .harness import Http, expect_error, run_cli
from .routing_env import (
    RoutingEnv,
    RoutingServer,
    Team,
    eventually,
    present_agents,
    system_messages,
)


@pytest.fixture(scope="module")
def renv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RoutingEnv]:
    data_dir = tmp_path_factory.mktemp("routing") / "data"
    run_cli(data_dir, "init")
    server = RoutingServer(data_dir, {"offline_grace": "1", "timer_poll_interval": "0.2"})
    server.start()
    http = Http(server.base_url)
    try:
        yield RoutingEnv(server, http, data_dir)
    finally:
        http.close()
        server.kill()


def _assigned(name: str) -> tuple[str, str]:
    return ("routing.assigned", f"Chat assigned to {name}")


UNASSIGNED = ("routing.unassigned", "Chat is unassigned")


def _group(renv: RoutingEnv, team: Team, name: str, priorities: dict[str, str]) -> int:
    ids = {team.agents[n].id: p for n, p in priorities.items()}
    body = {"name": name, "agent_priorities": ids}
    return renv.configuration(team.owner.token, "groups/create_group", body)["id"]


async def test_new_chat_is_assigned_to_an_accepting_agent_with_push_and_system_message(renv):
    team = renv.team("Alice")
    alice = await renv.agent_rtm(team.agents["Alice"])
    assert alice.login_payload["my_profile"]["routing_status"] == "accepting_chats"
    _cid, token = renv.customer(team)
    customer = await renv.customer_rtm(team, token)

    chat_id = renv.start_chat(team, token)["chat"]["id"]

    added = await alice.wait_push("chat_user_added", lambda p: p["chat_id"] == chat_id)
    assert added["payload"]["user"]["id"] == team.agents["Alice"].id
    assert added["payload"]["user_type"] == "agent"
    sysmsg = await alice.wait_push(
        "incoming_event", lambda p: p["event"].get("system_message_type") == "routing.assigned"
    )
    event = sysmsg["payload"]["event"]
    assert event["text"] == "Chat assigned to Alice"
    assert event["text_vars"] == {"agent": "Alice"}
    # The customer is told too, in the customer's shape.
    seen = await customer.wait_push("incoming_event", lambda p: p["chat_id"] == chat_id)
    assert seen["payload"]["event"]["text"] == "Chat assigned to Alice"
    chat = renv.threads(team, chat_id)
    assert present_agents(chat) == [team.agents["Alice"].id]
    assert system_messages(chat) == [_assigned("Alice")]
    await alice.close()
    await customer.close()


async def test_first_priority_before_normal_before_last(renv):
    team = renv.team("Fiona", "Nora", "Lars")
    group = _group(renv, team, "Sales", {"Fiona": "first", "Nora": "normal", "Lars": "last"})
    sockets = {n: await renv.agent_rtm(m) for n, m in team.agents.items()}
    got = []
    for name in ("Fiona", "Nora"):
        _cid, token = renv.customer(team)
        chat_id = renv.start_chat(team, token, access={"group_ids": [group]})["chat"]["id"]
        got.append(present_agents(renv.threads(team, chat_id)))
        # The agent that got it stops accepting; the next chat goes one priority down.
        await sockets[name].call("update_agent", {"routing_status": "not_accepting_chats"})
    _cid, token = renv.customer(team)
    chat_id = renv.start_chat(team, token, access={"group_ids": [group]})["chat"]["id"]
    got.append(present_agents(renv.threads(team, chat_id)))
    ids = team.agents
    assert got == [[ids["Fiona"].id], [ids["Nora"].id], [ids["Lars"].id]]
    for s in sockets.values():
        await s.close()


async def test_chats_go_to_the_least_loaded_agent(renv):
    team = renv.team("Ann", "Bob")
    sockets = [await renv.agent_rtm(m) for m in team.agents.values()]
    owners = []
    for _ in range(4):
        _cid, token = renv.customer(team)
        owners.append(
            present_agents(renv.threads(team, renv.start_chat(team, token)["chat"]["id"]))
        )
    flat = [o[0] for o in owners]
    assert sorted(flat.count(a.id) for a in team.agents.values()) == [2, 2]
    assert flat[0] != flat[1]  # the second chat went to the one with none
    for s in sockets:
        await s.close()


async def test_a_full_agent_leaves_chats_queued_and_they_are_served_in_arrival_order(renv):
    team = renv.team("Sam")
    sam = await renv.agent_rtm(team.agents["Sam"])
    chats = []
    for i in range(8):
        _cid, token = renv.customer(team)
        chats.append(renv.start_chat(team, token, text=f"hi {i}")["chat"]["id"])
    # max_chats_count is 6: the first six are Sam's, the 7th and 8th wait.
    for chat_id in chats[:6]:
        assert present_agents(renv.threads(team, chat_id)) == [team.agents["Sam"].id]
    for chat_id in chats[6:]:
        chat = renv.threads(team, chat_id)
        assert present_agents(chat) == []
        assert system_messages(chat) == [UNASSIGNED]
        assert chat["properties"]["routing"]["unassigned"] == {"value": True}
        assert chat["threads"][0]["properties"]["routing"]["unassigned"] == {"value": True}

    # A slot frees up: the oldest waiting chat gets it, not the newer one.
    await sam.call("close_thread", {"chat_id": chats[0]})
    await sam.wait_push("chat_user_added", lambda p: p["chat_id"] == chats[6], timeout=10)
    chat7 = renv.threads(team, chats[6])
    assert present_agents(chat7) == [team.agents["Sam"].id]
    assert system_messages(chat7) == [UNASSIGNED, _assigned("Sam")]
    assert chat7["properties"]["routing"]["unassigned"] == {"value": False}
    assert present_agents(renv.threads(team, chats[7])) == []

    await sam.call("close_thread", {"chat_id": chats[1]})
    await sam.wait_push("chat_user_added", lambda p: p["chat_id"] == chats[7], timeout=10)
    await sam.close()


async def test_an_agent_going_offline_has_its_chats_rerouted(renv):
    team = renv.team("Olga", "Pete")
    olga_m, pete_m = team.agents["Olga"], team.agents["Pete"]
    renv.configuration(
        team.owner.token, "groups/update_group", {"id": 0, "agent_priorities": {olga_m.id: "first"}}
    )
    olga = await renv.agent_rtm(olga_m)
    pete = await renv.agent_rtm(pete_m)
    _cid, token = renv.customer(team)
    customer = await renv.customer_rtm(team, token)
    chat_id = renv.start_chat(team, token)["chat"]["id"]
    assert present_agents(renv.threads(team, chat_id)) == [olga_m.id]

    await olga.close()  # her last connection: offline after the grace period
    status = await pete.wait_push("agent_updated", lambda p: p["agent_id"] == olga_m.id)
    assert status["payload"] == {"agent_id": olga_m.id, "routing_status": "offline"}
    removed = await customer.wait_push("chat_user_removed", lambda p: p["chat_id"] == chat_id)
    assert removed["payload"]["user_id"] == olga_m.id
    await pete.wait_push("chat_user_added", lambda p: p["chat_id"] == chat_id)
    chat = renv.threads(team, chat_id)
    assert present_agents(chat) == [pete_m.id]
    assert system_messages(chat) == [_assigned("Olga"), _assigned("Pete")]

    # Nobody else: the chat is unassigned and waits.
    await pete.close()
    await eventually(lambda: system_messages(renv.threads(team, chat_id))[-1] == UNASSIGNED)
    assert present_agents(renv.threads(team, chat_id)) == []

    # Olga comes back: the waiting chat is hers.
    olga = await renv.agent_rtm(olga_m)
    await olga.wait_push("chat_user_added", lambda p: p["chat_id"] == chat_id)
    assert system_messages(renv.threads(team, chat_id))[-1] == _assigned("Olga")
    await olga.close()
    await customer.close()


async def test_login_with_reconnect_restores_the_last_status_and_update_agent_pushes(renv):
    team = renv.team("Rita", "Ted")
    rita_m = team.agents["Rita"]
    ted = await renv.agent_rtm(team.agents["Ted"])
    rita = await renv.agent_rtm(rita_m)
    await rita.call("update_agent", {"routing_status": "not_accepting_chats"})
    for client in (rita, ted):
        push = await client.wait_push(
            "agent_updated",
            lambda p: p == {"agent_id": rita_m.id, "routing_status": "not_accepting_chats"},
        )
        assert push["type"] == "push"
    second = await renv.agent_rtm(rita_m, reconnect=True)
    assert second.login_payload["my_profile"]["routing_status"] == "not_accepting_chats"
    third = await renv.agent_rtm(rita_m)
    assert third.login_payload["my_profile"]["routing_status"] == "accepting_chats"
    # An administrator may set another agent's status; a normal agent may not.
    renv.http.agent(
        team.owner.token, "update_agent",
        {"agent_id": rita_m.id, "routing_status": "not_accepting_chats"},
    )  # fmt: skip
    await ted.wait_push(
        "agent_updated",
        lambda p: p == {"agent_id": rita_m.id, "routing_status": "not_accepting_chats"},
    )
    expect_error(
        renv.http.agent, team.agents["Ted"].token, "update_agent",
        {"agent_id": rita_m.id, "routing_status": "accepting_chats"},
        status=403, type="authorization",
    )  # fmt: skip
    for client in (rita, ted, second, third):
        await client.close()


def test_update_agent_validates_its_payload(renv):
    team = renv.team("Uma")
    token = team.agents["Uma"].token
    err = expect_error(
        renv.http.agent, token, "update_agent", {"routing_status": "offline"},
        status=400, type="validation",
    )  # fmt: skip
    assert "routing_status" in err.message
    err = expect_error(
        renv.http.agent, team.owner.token, "update_agent",
        {"agent_id": "nobody@example.com", "routing_status": "accepting_chats"},
        status=404, type="validation",
    )  # fmt: skip
    assert "nobody@example.com" in err.message


async def test_manual_routing_leaves_chats_in_the_queue_for_agents_to_take(renv):
    team = renv.team("Mia")
    renv.configuration(team.owner.token, "routing/update_routing_settings", {"mode": "manual"})
    assert renv.configuration(team.owner.token, "routing/get_routing_settings", {}) == {
        "mode": "manual"
    }
    mia_m = team.agents["Mia"]
    mia = await renv.agent_rtm(mia_m)
    _cid, token = renv.customer(team)
    chat_id = renv.start_chat(team, token)["chat"]["id"]
    # Mia is accepting chats, but in manual mode she sees the chat in the queue.
    push = await mia.wait_push("incoming_chat_thread", lambda p: p["chat"]["id"] == chat_id)
    assert push["payload"]["chat"]["thread"]["events"][0]["text"] == "hello"
    chat = renv.threads(team, chat_id)
    assert present_agents(chat) == []
    assert system_messages(chat) == [UNASSIGNED]

    # An agent takes a queued chat by answering it (writing joins the chat).
    await mia.call(
        "send_event", {"chat_id": chat_id, "event": {"type": "message", "text": "Mia here"}}
    )
    await eventually(
        lambda: (
            renv.threads(team, chat_id)["properties"]["routing"]["unassigned"] == {"value": False}
        )
    )
    assert present_agents(renv.threads(team, chat_id)) == [mia_m.id]

    # Back to automatic: a new chat is assigned at once.
    renv.configuration(team.owner.token, "routing/update_routing_settings", {"mode": "automatic"})
    _cid, token = renv.customer(team)
    other = renv.start_chat(team, token)["chat"]["id"]
    assert present_agents(renv.threads(team, other)) == [mia_m.id]
    await mia.close()


def test_groups_from_the_configuration_api_and_the_command_line(renv):
    team = renv.team("Gil", "Hal")
    gil, hal = team.agents["Gil"], team.agents["Hal"]
    gid = _group(renv, team, "Support", {"Gil": "first"})
    out = renv.cli(
        "group", "add-agent", "--group-id", str(gid), "--agent-id", hal.id,
        "--priority", "last", "--license-id", str(team.license_id),
    )  # fmt: skip
    assert out == {"group_id": gid, "agent_id": hal.id, "priority": "last"}
    made = renv.cli(
        "group", "create", "--name", "Night", "--agent", f"{hal.id}:first",
        "--license-id", str(team.license_id),
    )  # fmt: skip
    groups = renv.configuration(team.owner.token, "groups/get_groups", {})["groups"]
    by_id = {g["id"]: g for g in groups}
    assert by_id[gid] == {
        "id": gid,
        "name": "Support",
        "agent_priorities": {gil.id: "first", hal.id: "last"},
    }
    assert by_id[made["id"]]["agent_priorities"] == {hal.id: "first"}
    assert 0 in by_id  # group 0 holds every agent

    renv.configuration(
        team.owner.token,
        "groups/update_group",
        {"id": gid, "name": "Help", "agent_priorities": {gil.id: "normal"}},
    )
    by_id = {
        g["id"]: g for g in renv.configuration(team.owner.token, "groups/get_groups", {})["groups"]
    }
    assert by_id[gid]["name"] == "Help"
    assert by_id[gid]["agent_priorities"] == {gil.id: "normal"}

    renv.configuration(team.owner.token, "groups/delete_group", {"id": made["id"]})
    ids = [g["id"] for g in renv.configuration(team.owner.token, "groups/get_groups", {})["groups"]]
    assert made["id"] not in ids


def test_group_methods_validate_and_need_an_administrator(renv):
    team = renv.team("Ivy")
    owner = team.owner.token

    def config(token: str, method: str, body: dict) -> object:
        return renv.configuration(token, method, body)

    err = expect_error(
        config, owner, "groups/delete_group", {"id": 0}, status=400, type="validation"
    )
    assert "Group 0" in err.message
    err = expect_error(
        config, owner, "groups/create_group",
        {"name": "X", "agent_priorities": {team.agents["Ivy"].id: "sometimes"}},
        status=400, type="validation",
    )  # fmt: skip
    assert "agent_priorities" in err.message
    err = expect_error(
        config, owner, "groups/create_group",
        {"name": "X", "agent_priorities": {"ghost@x.com": "first"}},
        status=404, type="validation",
    )  # fmt: skip
    assert "ghost@x.com" in err.message
    expect_error(config, owner, "groups/update_group", {"id": 999}, status=404, type="validation")
    expect_error(config, owner, "groups/create_group", {}, status=400, type="validation")
    expect_error(
        config, team.agents["Ivy"].token, "groups/create_group", {"name": "Mine"},
        status=403, type="authorization",
    )  # fmt: skip
