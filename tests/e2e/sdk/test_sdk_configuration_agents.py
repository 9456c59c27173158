"""lc-sdk-python's ConfigurationApi (3.6 and 3.5) manages agents; the effects show in the
chat APIs: a suspended agent cannot log in or use its token and is routed nothing."""

from __future__ import annotations

import asyncio

from .configuration_support import (
    PASSWORD,
    Server,
    agent_rtm,
    agent_web,
    chat_users,
    customer_start_chat,
    email,
    new_customer,
    ok,
    refused,
)
from .conftest import Client

# Every test that takes `version` runs in both (conftest.py).
VERSIONS = ["3.6", "3.5"]


def test_agents_are_created_read_listed_updated_and_deleted(
    server: Server, client: Client, version: str
) -> None:
    c = client()
    # (v3.5's create_group wants an agent at the normal priority.)
    group = ok(c.create_group(name="Agents", agent_priorities={server.owner_id: "normal"}))["id"]
    ann = email("ann")
    schedule = {
        "timezone": "Europe/Warsaw",
        "schedule": [{"day": "monday", "enabled": True, "start": "08:00", "end": "16:00"}],
    }
    assert ok(
        c.create_agent(
            id=ann,
            name="Ann",
            role="administrator",
            job_title="Support",
            mobile="+48 600 000 000",
            max_chats_count=4,
            groups=[{"id": group, "priority": "first"}],
            notifications=["new_visitor", "incoming_chat"],
            email_subscriptions=["weekly_summary"],
            work_scheduler=schedule,
            avatar_path="https://cdn.example.com/ann.png",
        )
    ) == {"id": ann}
    refused(c.create_agent(id=ann, name="Ann again"), "already_exists", 409)

    got = ok(c.get_agent(id=ann, fields=["groups", "work_scheduler", "max_chats_count", "mobile"]))
    assert got["id"] == ann and got["name"] == "Ann" and got["role"] == "administrator"
    assert got["account_id"] and got["avatar"] == "https://cdn.example.com/ann.png"
    assert got["login_status"] == "not accepting chats"  # the v3.x default
    assert {"id": group, "priority": "first"} in got["groups"]
    assert got["work_scheduler"] == schedule
    assert got["max_chats_count"] == 4 and got["mobile"] == "+48 600 000 000"
    assert "suspended" not in got  # only the fields asked for

    listed = {
        a["id"]: a for a in ok(c.list_agents(filters={"group_ids": [group]}, fields=["job_title"]))
    }
    assert set(listed) == {server.owner_id, ann}
    assert listed[ann]["job_title"] == "Support" and "avatar_path" in listed[ann]
    assert server.owner_id in [a["id"] for a in ok(c.list_agents())]

    # The SDK's update_agent has no login_status argument: its `payload` carries it.
    ok(
        c.update_agent(
            payload={
                "id": ann,
                "job_title": "Lead",
                "login_status": "accepting chats",
                "groups": [],
            }
        )
    )
    got = ok(c.get_agent(id=ann, fields=["job_title", "groups"]))
    assert got["job_title"] == "Lead" and got["login_status"] == "accepting chats"
    assert [g["id"] for g in got["groups"]] == [0]  # every agent stays in group 0
    refused(c.update_agent(id=ann, max_chats_count=21), "validation", 400)
    refused(c.update_agent(id=email("nobody")), "not_found", 404)
    # A field the method does not know is refused, not dropped.
    bogus = refused(
        c.create_agent(payload={"id": email("x"), "name": "X", "bogus": 1}), "validation"
    )
    assert "bogus" in bogus["message"]

    ok(c.delete_agent(id=ann))
    refused(c.get_agent(id=ann), "not_found", 404)


def test_a_suspended_agent_cannot_log_in_or_use_its_token_until_unsuspended(
    server: Server, client: Client
) -> None:
    c = client()
    who = email("suspended")
    agent = server.cli("agent", "create", "--email", who, "--name", "Sus", "--password", PASSWORD)
    token = agent["access_token"]
    assert agent_web(server.http, token, "get_filtered_chats", {}).status_code == 200

    ok(c.suspend_agent(id=who))
    assert [a["id"] for a in ok(c.list_agents(filters={"suspended": True}))] == [who]
    assert ok(c.get_agent(id=who, fields=["suspended"]))["suspended"] is True

    # Its token opens nothing (the Web API, RTM login), and no new token comes from its password.
    resp = agent_web(server.http, token, "get_filtered_chats", {})
    assert resp.status_code == 401 and "suspended" in resp.json()["error"]["message"], resp.text
    refused(client(token).list_tags(), "authentication", 401)

    async def rtm_login() -> dict:
        rtm = await agent_rtm(server)
        try:
            return await rtm.request("login", {"token": f"Bearer {token}"})
        finally:
            await rtm.close()

    login = asyncio.run(rtm_login())
    assert login["success"] is False and login["payload"]["error"]["type"] == "authentication"
    grant = server.http.client.post(
        "/accounts/token", data={"grant_type": "password", "email": who, "password": PASSWORD}
    )
    assert grant.status_code == 400 and "suspended" in grant.json()["error_description"]

    # The one thing it may still do: ask to be let back in (the CLI shows the request).
    ok(client(token).request_agent_unsuspension())
    listed = {a["id"]: a for a in server.cli("agent", "list", "--suspended")["agents"]}
    assert listed[who]["unsuspension_requested_at"]

    ok(c.unsuspend_agent(id=who))
    assert agent_web(server.http, token, "get_filtered_chats", {}).status_code == 200
    refused(client(token).request_agent_unsuspension(), "validation")


def test_a_suspended_agents_connection_closes_and_it_is_routed_nothing(
    server: Server, client: Client
) -> None:
    c = client()
    who = email("routed")
    token = server.cli("agent", "create", "--email", who, "--name", "Routed")["access_token"]
    group = ok(c.create_group(name="Routing group", agent_priorities={who: "normal"}))["id"]

    async def scenario() -> None:
        rtm = await agent_rtm(server)
        try:
            await rtm.call("login", {"token": f"Bearer {token}"})
            first = customer_start_chat(
                server, new_customer(server), access={"group_ids": [group]}
            )["chat"]
            assert chat_users(server, first["id"]).get(who) is True  # routed to it

            ok(c.suspend_agent(id=who))
            push = await rtm.wait_push("agent_disconnected")
            assert push["payload"]["reason"] == "access_token_revoked"
            # Taken off its chat, which waits for another agent.
            assert chat_users(server, first["id"]).get(who) is False
            second = customer_start_chat(
                server, new_customer(server), access={"group_ids": [group]}
            )["chat"]
            assert who not in chat_users(server, second["id"])
        finally:
            await rtm.close()

    asyncio.run(scenario())
    ok(c.unsuspend_agent(id=who))


def test_agents_batch_methods_answer_each_request_on_its_own(
    server: Server, client: Client
) -> None:
    c = client()
    one, two = email("batch"), email("batch")
    created = ok(
        c.batch_create_agents(
            requests=[{"id": one, "name": "One"}, {"id": two, "name": "Two"}, {"name": "no id"}]
        )
    )["responses"]
    assert created[:2] == [{"id": one}, {"id": two}]
    assert created[2]["error"]["type"] == "validation"
    assert ok(c.batch_update_agents(requests=[{"id": one, "job_title": "J"}]))["responses"] == [{}]
    assert ok(c.batch_suspend_agents(requests=[{"id": one}, {"id": two}]))["responses"] == [{}, {}]
    assert ok(c.batch_unsuspend_agents(requests=[{"id": one}]))["responses"] == [{}]
    assert ok(c.batch_approve_agents(requests=[{"id": one}]))["responses"] == [{}]
    deleted = ok(c.batch_delete_agents(requests=[{"id": one}, {"id": two}, {"id": one}]))
    assert deleted["responses"][:2] == [{}, {}]
    assert deleted["responses"][2]["error"]["type"] == "not_found"


def test_the_command_line_and_the_configuration_api_manage_the_same_agents(
    server: Server, client: Client
) -> None:
    c = client()
    who = email("doors")
    ok(c.create_agent(id=who, name="Doors", awaiting_approval=True))
    assert ok(c.get_agent(id=who, fields=["awaiting_approval"]))["awaiting_approval"] is True
    server.cli("agent", "approve", "--id", who)
    server.cli("agent", "suspend", "--id", who)
    got = ok(c.get_agent(id=who, fields=["awaiting_approval", "suspended"]))
    assert got["awaiting_approval"] is False and got["suspended"] is True
    ok(c.unsuspend_agent(id=who))
    assert not {a["id"]: a for a in server.cli("agent", "list")["agents"]}[who]["suspended"]
    server.cli("agent", "delete", "--id", who)
    refused(c.get_agent(id=who), "not_found")


def test_an_agent_awaiting_approval_is_approved(server: Server, client: Client) -> None:
    c = client()
    who = email("waits")
    ok(c.create_agent(id=who, name="Waits", awaiting_approval=True))
    waiting = ok(c.list_agents(fields=["awaiting_approval"]))
    assert {a["id"]: a["awaiting_approval"] for a in waiting}[who] is True
    ok(c.approve_agent(id=who))
    assert not ok(c.get_agent(id=who, fields=["awaiting_approval"]))["awaiting_approval"]
    ok(c.approve_agent(id=who))  # approving an approved agent changes nothing
    refused(c.approve_agent(id=email("nobody")), "not_found", 404)
    ok(c.delete_agent(id=who))
