"""lc-sdk-python's ConfigurationApi (3.6 and 3.5) manages groups (with routing statuses and
the supervisor priority, which routing honours) and tags."""

from __future__ import annotations

import asyncio

import httpx

from .configuration_support import (
    Server,
    agent_rtm,
    chat_users,
    customer_start_chat,
    email,
    new_customer,
    ok,
    refused,
    unique,
)
from .conftest import Client

# Every test that takes `version` runs in both (conftest.py).
VERSIONS = ["3.6", "3.5"]


def test_groups_are_created_read_listed_updated_and_deleted(
    server: Server, client: Client, version: str
) -> None:
    c = client()
    name = unique("Shoes")
    group = ok(
        c.create_group(name=name, language_code="pl", agent_priorities={server.owner_id: "normal"})
    )["id"]
    got = ok(c.get_group(id=group, fields=["agent_priorities", "routing_status"]))
    assert got == {
        "id": group,
        "name": name,
        "language_code": "pl",
        "agent_priorities": {server.owner_id: "normal"},
        "routing_status": "offline",
    }
    listed = {g["id"]: g for g in ok(c.list_groups(fields=["routing_status"]))}
    assert listed[0]["name"] == "General" and listed[group]["routing_status"] == "offline"
    assert "agent_priorities" not in listed[group]

    ok(c.update_group(id=group, name=name + " 2", agent_priorities={server.owner_id: "supervisor"}))
    got = ok(c.get_group(id=group, fields=["agent_priorities"]))
    assert got["name"] == name + " 2"
    assert got["agent_priorities"] == {server.owner_id: "supervisor"}
    refused(c.create_group(name="x" * 181, agent_priorities={}), "validation")
    if version == "3.5":
        refused(c.create_group(name="No normal", agent_priorities={}), "validation")
    else:  # v3.6 dropped the rule that one agent must be at the normal priority
        ok(c.delete_group(id=ok(c.create_group(name="No normal", agent_priorities={}))["id"]))
    ok(c.delete_group(id=group))
    refused(c.get_group(id=group), "not_found", 404)
    refused(c.delete_group(id=0), "validation")


def test_a_supervisor_of_a_group_is_routed_none_of_its_chats(
    server: Server, client: Client
) -> None:
    c = client()
    who = email("supervisor")
    token = server.cli("agent", "create", "--email", who, "--name", "Super")["access_token"]
    # The owner (never logged in) is there at the normal priority for v3.5's rule.
    members = {who: "supervisor", server.owner_id: "normal"}
    group = ok(c.create_group(name=unique("Supervised"), agent_priorities=members))["id"]

    async def scenario() -> None:
        rtm = await agent_rtm(server)
        try:
            await rtm.call("login", {"token": f"Bearer {token}"})
            statuses = {g["id"]: g for g in ok(c.list_groups(fields=["routing_status"]))}
            assert statuses[group]["routing_status"] == "offline"  # a supervisor gets no chats
            chat = customer_start_chat(server, new_customer(server), access={"group_ids": [group]})[
                "chat"
            ]
            assert who not in chat_users(server, chat["id"])
            # At the normal priority the waiting chat comes to it.
            ok(c.update_group(id=group, agent_priorities={**members, who: "normal"}))
            await rtm.wait_push("chat_user_added", lambda p: p.get("chat_id") == chat["id"])
            assert chat_users(server, chat["id"]).get(who) is True
            got = ok(c.get_group(id=group, fields=["routing_status"]))
            assert got["routing_status"] == "accepting_chats"
        finally:
            await rtm.close()

    asyncio.run(scenario())


def test_tags_are_created_listed_updated_and_deleted(
    server: Server, client: Client, version: str
) -> None:
    c = client()
    group = ok(c.create_group(name=unique("Tagged"), agent_priorities={server.owner_id: "normal"}))[
        "id"
    ]
    name = unique("Feedback")
    ok(c.create_tag(name=name, group_ids=[0, group]))
    refused(c.create_tag(name=name.lower()), "already_exists")  # letter case is ignored
    refused(c.create_tag(name=unique("t"), group_ids=[998]), "group_not_found")
    listed = {t["name"]: t for t in ok(c.list_tags(filters={"group_ids": [group]}))}
    assert listed[name]["group_ids"] == [0, group]
    assert listed[name]["author_id"] == server.owner_id
    assert listed[name]["created_at"].endswith("Z")
    ok(c.update_tag(name=name, group_ids=[0]))
    assert name not in [t["name"] for t in ok(c.list_tags(filters={"group_ids": [group]}))]
    refused(c.delete_tag(name=name.lower()), "not_found")  # changes match the exact name
    ok(c.delete_tag(name=name))
    assert name not in [t["name"] for t in ok(c.list_tags())]


def test_a_deleted_tag_cannot_be_put_on_a_thread(server: Server, client: Client) -> None:
    """Through the Agent Chat API v3.6's tag_thread: once the license has tags, a thread
    takes only one that exists (and shares one of its groups)."""
    customer = new_customer(server)
    chat = customer_start_chat(server, customer)["chat"]
    thread = {"chat_id": chat["id"], "thread_id": chat["thread"]["id"]}

    def tag_thread(tag: str) -> httpx.Response:
        return server.http.post_raw(
            "/v3.6/agent/action/tag_thread",
            token=server.owner_token,
            json_body={**thread, "tag": tag},
        )

    c = client()
    name = unique("kept")
    elsewhere = unique("elsewhere")
    group = ok(c.create_group(name=unique("Tags"), agent_priorities={server.owner_id: "normal"}))[
        "id"
    ]
    ok(c.create_tag(name=name, group_ids=[0]))
    ok(c.create_tag(name=elsewhere, group_ids=[group]))
    tagged = tag_thread(name)
    assert tagged.status_code == 200, tagged.text
    refused(tag_thread(unique("never-made")), "not_found", 404)
    error = refused(tag_thread(elsewhere), "validation", 400)  # not one of the thread's groups
    assert elsewhere in error["message"]
    ok(c.delete_tag(name=name))
    # What a thread has can always go; a deleted tag cannot come back.
    untagged = server.http.post_raw(
        "/v3.6/agent/action/untag_thread",
        token=server.owner_token,
        json_body={**thread, "tag": name},
    )
    assert untagged.status_code == 200, untagged.text
    refused(tag_thread(name), "not_found", 404)  # the license still has tags: `elsewhere`
    ok(c.delete_tag(name=elsewhere))
