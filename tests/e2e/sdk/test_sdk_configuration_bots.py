"""lc-sdk-python's ConfigurationApi (3.6 and 3.5) manages bots and bot templates; a token
issued for a bot sends events as the bot through the chat API."""

from __future__ import annotations

import asyncio

from .configuration_support import (
    Server,
    agent_rtm,
    agent_web,
    customer_start_chat,
    new_customer,
    ok,
    refused,
    unique,
)
from .conftest import Client

# Every test that takes `version` runs in both (conftest.py).
VERSIONS = ["3.6", "3.5"]


def test_bots_are_created_read_listed_updated_and_deleted(
    server: Server, client: Client, version: str
) -> None:
    c = client()
    group = ok(c.create_group(name=unique("bots"), agent_priorities={server.owner_id: "normal"}))[
        "id"
    ]
    created = ok(
        c.create_bot(
            name="Helper",
            avatar="https://cdn.example.com/bot.png",
            max_chats_count=12,
            default_group_priority="first",
            job_title="Assistant",
            groups=[{"id": group, "priority": "first"}],
            work_scheduler={"timezone": "UTC", "schedule": []},
            owner_client_id=server.client_id,
        )
    )
    bot_id = created["id"]
    assert created["secret"]
    refused(
        c.create_bot(name="Nowhere", groups=[{"id": 999, "priority": "normal"}]), "group_not_found"
    )

    got = ok(c.get_bot(id=bot_id, fields=["groups", "job_title", "max_chats_count", "timezone"]))
    avatar = "avatar_path" if version == "3.6" else "avatar"
    assert got[avatar] == "https://cdn.example.com/bot.png"
    assert got["owner_client_id"] == server.client_id
    assert got["default_group_priority"] == "first"
    assert got["groups"] == [{"id": group, "priority": "first"}]
    assert (got["job_title"], got["max_chats_count"], got["timezone"]) == ("Assistant", 12, "UTC")
    assert ("type" in got) == (version == "3.6")  # bots have a type from v3.6

    assert bot_id in [b["id"] for b in ok(c.list_bots())]
    assert bot_id in [b["id"] for b in ok(c.list_bots(all=True, fields=["max_chats_count"]))]
    ok(c.update_bot(id=bot_id, name="Helper 2", max_chats_count=3))
    assert ok(c.get_bot(id=bot_id, fields=["max_chats_count"]))["max_chats_count"] == 3
    assert ok(c.get_bot(id=bot_id))["name"] == "Helper 2"

    ok(c.delete_bot(id=bot_id))
    refused(c.get_bot(id=bot_id), "not_found", 404)


def test_a_bots_own_token_sends_events_as_the_bot(server: Server, client: Client) -> None:
    c = client()
    bot = ok(c.create_bot(name="Token bot"))
    issue = {
        "bot_id": bot["id"],
        "client_id": server.client_id,
        "organization_id": server.organization_id,
    }
    token = ok(c.issue_bot_token(bot_secret=bot["secret"], **issue))["token"]

    customer = new_customer(server)
    chat = customer_start_chat(server, customer, "is anyone there?")["chat"]
    sent = agent_web(
        server.http,
        token,
        "send_event",
        {"chat_id": chat["id"], "event": {"type": "message", "text": "A bot answers"}},
    )
    assert sent.status_code == 200, sent.text
    threads = server.http.agent(server.owner_token, "get_chat_threads", {"chat_id": chat["id"]})
    events = threads["chat"]["threads"][-1]["events"]
    assert [e["author_id"] for e in events if e.get("text") == "A bot answers"] == [bot["id"]]

    async def rtm_login() -> dict:
        rtm = await agent_rtm(server)
        try:
            return await rtm.request("login", {"token": f"Bearer {token}"})
        finally:
            await rtm.close()

    login = asyncio.run(rtm_login())
    assert login["success"] is False  # bots do not log in over RTM

    refused(c.issue_bot_token(bot_secret="wrong", **issue), "authorization", 403)
    refused(
        c.issue_bot_token(bot_secret=bot["secret"], **{**issue, "organization_id": "x"}),
        "authorization",
    )
    secret = ok(c.reset_bot_secret(id=bot["id"], owner_client_id=server.client_id))["secret"]
    refused(c.issue_bot_token(bot_secret=bot["secret"], **issue), "authorization")
    ok(c.issue_bot_token(bot_secret=secret, **issue))

    ok(c.delete_bot(id=bot["id"]))
    gone = agent_web(server.http, token, "get_filtered_chats", {})
    assert gone.status_code == 401, gone.text


def test_bot_batch_methods_answer_each_request_on_its_own(server: Server, client: Client) -> None:
    c = client()
    made = ok(c.batch_create_bots(requests=[{"name": "B1"}, {"name": "B2"}, {"avatar": "x"}]))
    responses = made["responses"]
    assert all(r["id"] and r["secret"] for r in responses[:2])
    assert responses[2]["error"]["type"] == "validation"
    ids = [r["id"] for r in responses[:2]]
    updated = ok(c.batch_update_bots(requests=[{"id": i, "name": "Renamed"} for i in ids]))
    assert updated["responses"] == [{}, {}]
    deleted = ok(c.batch_delete_bots(requests=[{"id": ids[0]}, {"id": ids[1]}, {"id": "nope"}]))
    assert deleted["responses"][:2] == [{}, {}]
    assert deleted["responses"][2]["error"]["type"] == "not_found"


def test_bot_templates_make_their_bot_on_the_license(
    server: Server, client: Client, version: str
) -> None:
    c = client()
    owner = server.client_id
    made = ok(
        c.create_bot_template(
            name="Template",
            avatar="https://cdn.example.com/t.png",
            max_chats_count=8,
            default_group_priority="normal",
            job_title="Templated",
            owner_client_id=owner,
            affect_existing_installations=True,
        )
    )
    template = made["id"]
    listed = ok(c.list_bot_templates(owner_client_id=owner))
    avatar = "avatar_path" if version == "3.6" else "avatar"
    assert {"id": template, "name": "Template", avatar: "https://cdn.example.com/t.png"} in listed
    # Its bot has the template's id and secret.
    assert ok(c.get_bot(id=template))["name"] == "Template"
    issue = {"bot_id": template, "client_id": owner, "organization_id": server.organization_id}
    ok(c.issue_bot_token(bot_secret=made["secret"], **issue))

    ok(
        c.update_bot_template(
            id=template,
            name="Template 2",
            owner_client_id=owner,
            affect_existing_installations=True,
        )
    )
    assert ok(c.get_bot(id=template))["name"] == "Template 2"
    secret = ok(
        c.reset_bot_template_secret(
            id=template, owner_client_id=owner, affect_existing_installations=True
        )
    )["secret"]
    ok(c.issue_bot_token(bot_secret=secret, **issue))
    ok(
        c.delete_bot_template(
            id=template, owner_client_id=owner, affect_existing_installations=True
        )
    )
    refused(c.get_bot(id=template), "not_found")
    assert template not in [t["id"] for t in ok(c.list_bot_templates(owner_client_id=owner))]
    refused(c.list_bot_templates(owner_client_id="not-an-application"), "validation")
