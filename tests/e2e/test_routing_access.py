"""Chat access, restricted threads, transfers and bans.

Spec: agent-chat-api/api-reference.md (Thread `restricted_access`; grant_access, revoke_access,
set_access and their pushes; transfer_chat, chat_transferred; ban_customer, customer_banned),
customer-chat-api/api-reference.md (access_set, chat_transferred, customer_disconnected),
agent-chat-api/scopes.md, backend-apis/core-info.md (the `customer_banned` system message).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .harness import Rtm, expect_error
from .routing_env import RoutingEnv, Team, present_agents, serve, system_messages


@pytest.fixture(scope="module")
def renv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RoutingEnv]:
    yield from serve(tmp_path_factory)


def _group(renv: RoutingEnv, team: Team, name: str, priorities: dict[str, str]) -> int:
    ids = {team.agents[n].id: p for n, p in priorities.items()}
    body = {"name": name, "agent_priorities": ids}
    return renv.configuration(team.owner.token, "groups/create_group", body)["id"]


def _access(chat_id: str, group_id: int | str, *, type: str = "group", resource: str = "chat"):
    return {"resource": resource, "id": chat_id, "access": {"type": type, "id": group_id}}


async def test_access_changes_push_and_agents_without_access_see_restricted_threads(renv):
    team = renv.team("Ann", "Bob")
    ann_m, bob_m = team.agents["Ann"], team.agents["Bob"]
    vip = _group(renv, team, "VIP", {"Ann": "normal"})
    ann = await renv.agent_rtm(ann_m)
    bob = await renv.agent_rtm(bob_m)
    _cid, token = renv.customer(team)
    customer = await renv.customer_rtm(team, token)
    chat_id = renv.start_chat(team, token, access={"group_ids": [vip]})["chat"]["id"]
    assert present_agents(renv.threads(team, chat_id)) == [ann_m.id]

    # Bob may read every chat (chats--all:ro) but has no access to this one.
    seen = renv.http.agent(bob_m.token, "get_chat_threads", {"chat_id": chat_id})["chat"]
    thread = seen["threads"][0]
    assert thread["restricted_access"] is True
    assert "events" not in thread
    listed = renv.http.agent(bob_m.token, "get_filtered_chats", {})["chats_summary"]
    mine = next(c for c in listed if c["id"] == chat_id)
    assert all(
        v["event"] == {"restricted_access": True} for v in mine["last_event_per_type"].values()
    )

    await ann.call("grant_access", _access(chat_id, 0))
    expected = {"resource": "chat", "id": chat_id, "access": {"group_ids": [0]}}
    for client in (ann, bob):
        assert (await client.wait_push("access_granted"))["payload"] == expected
    seen = renv.http.agent(bob_m.token, "get_chat_threads", {"chat_id": chat_id})["chat"]
    assert seen["access"] == {"group_ids": [0, vip]}
    assert "restricted_access" not in seen["threads"][0]
    assert seen["threads"][0]["events"][0]["text"] == "hello"

    await ann.call("revoke_access", _access(chat_id, 0))
    for client in (ann, bob):
        assert (await client.wait_push("access_revoked"))["payload"] == expected
    assert renv.threads(team, chat_id)["access"] == {"group_ids": [vip]}

    await ann.call("set_access", _access(chat_id, 0))
    for client in (ann, bob, customer):
        assert (await client.wait_push("access_set"))["payload"] == expected
    # Customers hear only access_set.
    assert not [p for p in customer.pushes if p["action"] in ("access_granted", "access_revoked")]
    for client in (ann, bob, customer):
        await client.close()


def test_access_methods_validate_their_payload(renv):
    team = renv.team("Cat")
    _cid, token = renv.customer(team)
    chat_id = renv.start_chat(team, token)["chat"]["id"]
    owner = team.owner.token

    def call(action: str, payload: dict) -> object:
        return renv.http.agent(owner, action, payload)

    err = expect_error(
        call,
        "grant_access",
        _access(chat_id, 0, resource="customer"),
        status=400,
        type="validation",
    )
    assert "resource" in err.message
    err = expect_error(
        call, "grant_access", _access(chat_id, "cat@example.com", type="agent"),
        status=400, type="validation",
    )  # fmt: skip
    assert "access.type" in err.message
    err = expect_error(call, "set_access", _access(chat_id, 4242), status=404, type="validation")
    assert "4242" in err.message
    err = expect_error(call, "revoke_access", _access(chat_id, 0), status=400, type="validation")
    assert "only group" in err.message
    expect_error(
        call, "grant_access", {"resource": "chat", "id": chat_id}, status=400, type="validation"
    )
    expect_error(call, "grant_access", _access("NOSUCHCHAT", 0), status=404, type="validation")
    # A normal agent not in the chat may not change its access (chats--my:rw).
    expect_error(
        renv.http.agent, team.agents["Cat"].token, "set_access", _access(chat_id, 0),
        status=403, type="authorization",
    )  # fmt: skip


async def test_transfer_chat_to_an_agent_then_to_a_group(renv):
    team = renv.team("Ann", "Bob", "Cy")
    ann_m, bob_m, cy_m = (team.agents[n] for n in ("Ann", "Bob", "Cy"))
    night = _group(renv, team, "Night", {"Cy": "normal"})
    renv.configuration(
        team.owner.token, "groups/update_group", {"id": 0, "agent_priorities": {ann_m.id: "first"}}
    )
    ann, bob, cy = [await renv.agent_rtm(m) for m in (ann_m, bob_m, cy_m)]
    _cid, token = renv.customer(team)
    customer = await renv.customer_rtm(team, token)
    started = renv.start_chat(team, token)["chat"]
    chat_id, thread_id = started["id"], started["thread"]["id"]
    assert present_agents(renv.threads(team, chat_id)) == [ann_m.id]

    await ann.call(
        "transfer_chat", {"chat_id": chat_id, "target": {"type": "agent", "ids": [bob_m.id]}}
    )
    expected = {"chat_id": chat_id, "requester_id": ann_m.id, "type": "agent", "ids": [bob_m.id]}
    for client in (ann, bob):
        assert (await client.wait_push("chat_transferred"))["payload"] == expected
    got = (await customer.wait_push("chat_transferred"))["payload"]
    assert got == {**expected, "thread_id": thread_id}
    assert (await bob.wait_push("chat_user_added"))["payload"]["user"]["id"] == bob_m.id
    assert present_agents(renv.threads(team, chat_id)) == [bob_m.id]

    await bob.call(
        "transfer_chat", {"chat_id": chat_id, "target": {"type": "group", "ids": [night]}}
    )
    expected = {"chat_id": chat_id, "requester_id": bob_m.id, "type": "group", "ids": [night]}
    assert (await cy.wait_push("chat_transferred"))["payload"] == expected
    assert (await bob.wait_push("chat_transferred"))["payload"] == expected
    chat = renv.threads(team, chat_id)
    assert present_agents(chat) == [cy_m.id]
    assert chat["access"] == {"group_ids": [night]}
    assert system_messages(chat)[-1] == ("routing.assigned", "Chat assigned to Cy")

    # Nobody else in Night: refused unless forced, and forcing queues the chat.
    err = expect_error(
        renv.http.agent, cy_m.token, "transfer_chat",
        {"chat_id": chat_id, "target": {"type": "group", "ids": [night]}},
        status=400, type="group_offline",
    )  # fmt: skip
    assert "Night" not in err.message and str(night) in err.message
    await cy.call(
        "transfer_chat",
        {"chat_id": chat_id, "target": {"type": "group", "ids": [night]}, "force": True},
    )
    chat = renv.threads(team, chat_id)
    assert present_agents(chat) == []
    assert system_messages(chat)[-1] == ("routing.unassigned", "Chat is unassigned")
    for client in (ann, bob, cy, customer):
        await client.close()


def test_transfer_chat_validates_its_payload(renv):
    team = renv.team("Dee")
    _cid, token = renv.customer(team)
    chat_id = renv.start_chat(team, token)["chat"]["id"]
    owner = team.owner.token

    def transfer(payload: dict) -> object:
        return renv.http.agent(owner, "transfer_chat", payload)

    err = expect_error(
        transfer, {"chat_id": chat_id, "target": {"type": "agent", "ids": ["ghost@example.com"]}},
        status=404, type="validation",
    )  # fmt: skip
    assert "ghost@example.com" in err.message
    expect_error(
        transfer, {"chat_id": chat_id, "target": {"type": "bot", "ids": [1]}},
        status=400, type="validation",
    )  # fmt: skip
    expect_error(
        transfer, {"chat_id": chat_id, "target": {"type": "group", "ids": [77]}},
        status=404, type="validation",
    )  # fmt: skip
    expect_error(transfer, {"target": {"type": "group", "ids": [0]}}, status=400, type="validation")


async def test_ban_customer_closes_the_chat_disconnects_and_refuses_the_customer(renv):
    team = renv.team("Ann")
    ann_m = team.agents["Ann"]
    ann = await renv.agent_rtm(ann_m)
    customer_id, token = renv.customer(team)
    customer = await renv.customer_rtm(team, token)
    started = renv.start_chat(team, token)["chat"]
    chat_id, thread_id = started["id"], started["thread"]["id"]

    await ann.call("ban_customer", {"customer_id": customer_id, "ban": {"days": 2}})

    banned = await ann.wait_push("customer_banned")
    assert banned["payload"] == {"customer_id": customer_id, "ban": {"days": 2}}
    sysmsg = await ann.wait_push(
        "incoming_event", lambda p: p["event"].get("system_message_type") == "customer_banned"
    )
    assert (
        sysmsg["payload"]["event"]["text"]
        == "Chat archived because customer was banned by Ann for 2 days"
    )
    closed = await ann.wait_push("thread_closed", lambda p: p["chat_id"] == chat_id)
    assert closed["payload"] == {"chat_id": chat_id, "thread_id": thread_id}
    gone = await customer.wait_push("customer_disconnected")
    assert gone["payload"] == {"reason": "customer_banned"}

    err = expect_error(renv.start_chat, team, token, status=403, type="customer_banned")
    assert err.message
    url = renv.server.ws_base + f"/v3.0/customer/rtm/ws?license_id={team.license_id}"
    client = await Rtm(url).connect()
    resp = await client.request("login", {"token": token})
    assert resp["success"] is False
    assert resp["payload"]["error"]["type"] == "customer_banned"
    for c in (ann, customer, client):
        await c.close()


def test_ban_customer_validates_its_payload(renv):
    team = renv.team("Eve")
    customer_id, _token = renv.customer(team)
    owner = team.owner.token

    def ban(payload: dict) -> object:
        return renv.http.agent(owner, "ban_customer", payload)

    err = expect_error(
        ban, {"customer_id": customer_id, "ban": {"days": 0}}, status=400, type="validation"
    )
    assert "ban.days" in err.message
    err = expect_error(ban, {"customer_id": customer_id}, status=400, type="validation")
    assert "ban" in err.message
    err = expect_error(
        ban, {"customer_id": "nobody", "ban": {"days": 1}}, status=404, type="validation"
    )
    assert "nobody" in err.message
