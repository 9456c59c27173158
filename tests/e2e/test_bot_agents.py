"""Bot agents end to end (configuration-api/readme.md "Bot Agent", core-info.md "Bot
Agents"): managed with the Configuration API, acting through the Agent Chat API with the
application's token and `author_id`, and receiving their own webhooks for chats they are in
while they are not offline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from .harness import Rtm
from .webhook_support import (
    Lic,
    Receiver,
    WebhookEnv,
    admin_deliveries,
    expect_api_error,
    for_chat,
    start_env,
)

SPEC_EXAMPLE = {
    "name": "John Doe",
    "avatar": "livechat.s3.amazonaws.com/1011121/all/avatars/bdd8924fcbcdbddbeaf60c19b238b0b0.jpg",
    "status": "accepting chats",
    "max_chats_count": 6,
    "groups": [
        {"id": 0, "priority": "normal"},
        {"id": 1, "priority": "normal"},
        {"id": 2, "priority": "first"},
    ],
    "webhooks": {
        "url": "http://127.0.0.1:9/webhooks",
        "secret_key": "JSauw0Aks8l-asAa",
        "actions": [
            {"name": "incoming_chat_thread"},
            {"name": "incoming_event", "additional_data": ["chat_properties"]},
        ],
    },
}


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebhookEnv]:
    yield from start_env(tmp_path_factory.mktemp("bots"))


@pytest.fixture
def lic(wh: WebhookEnv) -> Lic:
    return wh.new_license()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


def create_bot(wh: WebhookEnv, lic: Lic, **body: Any) -> str:
    request = {"name": "Pizza Bot", "status": "accepting chats", **body}
    return wh.config(lic, "agents/create_bot_agent", request)["bot_agent_id"]


def test_bot_agent_lifecycle_in_the_readme_shapes(wh: WebhookEnv, lic: Lic) -> None:
    bot_id = wh.config(lic, "agents/create_bot_agent", SPEC_EXAMPLE)["bot_agent_id"]
    assert isinstance(bot_id, str) and len(bot_id) == 32
    details = wh.config(lic, "agents/get_bot_agent_details", {"bot_agent_id": bot_id})
    assert details == {
        "bot_agent": {
            "id": bot_id,
            "name": "John Doe",
            "avatar": SPEC_EXAMPLE["avatar"],
            "status": "accepting chats",
            "application": {"client_id": lic.client_id},
            "max_chats_count": 6,
            "groups": SPEC_EXAMPLE["groups"],
            "webhooks": SPEC_EXAMPLE["webhooks"],
        }
    }
    listed = wh.config(lic, "agents/get_bot_agents", {"all": False})
    assert listed == {
        "bot_agents": [
            {
                "id": bot_id,
                "name": "John Doe",
                "avatar": SPEC_EXAMPLE["avatar"],
                "status": "accepting chats",
            }
        ]
    }
    update = {
        "id": bot_id,
        "status": "not accepting chats",
        "max_chats_count": 3,
        "webhooks": {
            "url": "http://127.0.0.1:9/other",
            "secret_key": "k2",
            "actions": [
                {
                    "name": "incoming_chat_thread",
                    "filters": {
                        "chat_properties": {"source": {"type": {"values": ["facebook", "twitter"]}}}
                    },
                },
                {"name": "incoming_event"},
            ],
        },
    }
    assert wh.config(lic, "agents/update_bot_agent", update) == {}
    bot = wh.config(lic, "agents/get_bot_agent_details", {"bot_agent_id": bot_id})["bot_agent"]
    assert bot["status"] == "not accepting chats"
    assert bot["max_chats_count"] == 3
    assert bot["name"] == "John Doe"  # not given: unchanged
    assert bot["webhooks"] == update["webhooks"]
    wh.config(lic, "agents/update_bot_agent", {"id": bot_id, "webhooks": None})
    bot = wh.config(lic, "agents/get_bot_agent_details", {"bot_agent_id": bot_id})["bot_agent"]
    assert "webhooks" not in bot
    assert wh.config(lic, "agents/remove_bot_agent", {"bot_agent_id": bot_id}) == {}
    assert wh.config(lic, "agents/get_bot_agents", {}) == {"bot_agents": []}
    expect_api_error(
        wh.config,
        lic,
        "agents/get_bot_agent_details",
        {"bot_agent_id": bot_id},
        type="validation",
        status=404,
    )


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"status": "accepting_chats"}, "status"),
        ({"name": ""}, "name"),
        ({"max_chats_count": -1}, "max_chats_count"),
        ({"groups": [{"id": 1, "priority": "urgent"}]}, "priority"),
        ({"groups": [{"id": 1, "priority": "first"}, {"id": 1, "priority": "last"}]}, "groups[1]"),
        (
            {
                "webhooks": {
                    "url": "nope",
                    "secret_key": "k",
                    "actions": [{"name": "thread_closed"}],
                }
            },
            "webhooks.url",
        ),
        (
            {"webhooks": {"url": "http://127.0.0.1:9/", "secret_key": "k", "actions": []}},
            "webhooks.actions",
        ),
        (
            {
                "webhooks": {
                    "url": "http://127.0.0.1:9/",
                    "secret_key": "k",
                    "actions": [{"name": "chat_exploded"}],
                }
            },
            "webhooks.actions[0]",
        ),
        (
            {
                "webhooks": {
                    "url": "http://127.0.0.1:9/",
                    "secret_key": "k",
                    "actions": [{"name": "agent_deleted", "filters": {"chat_properties": {}}}],
                }
            },
            "chat_properties",
        ),
        (
            {
                "webhooks": {
                    "url": "http://127.0.0.1:9/",
                    "secret_key": "k",
                    "actions": [{"name": "thread_closed", "additional_data": ["access"]}],
                }
            },
            "access",
        ),
    ],
)
def test_create_bot_agent_refuses_bad_input(
    wh: WebhookEnv, lic: Lic, body: dict[str, Any], named: str
) -> None:
    request = {"name": "Bot", "status": "accepting chats", **body}
    err = expect_api_error(
        wh.config, lic, "agents/create_bot_agent", request, type="validation", status=400
    )
    assert named in err.message, err.message


def test_bot_agents_belong_to_their_license_and_need_the_scopes(wh: WebhookEnv, lic: Lic) -> None:
    from .harness import run_cli, unique

    bot_id = create_bot(wh, lic)
    other = wh.new_license()
    assert wh.config(other, "agents/get_bot_agents", {"all": True}) == {"bot_agents": []}
    expect_api_error(
        wh.config,
        other,
        "agents/remove_bot_agent",
        {"bot_agent_id": bot_id},
        type="validation",
        status=404,
    )
    normal = run_cli(
        wh.data_dir,
        "agent",
        "create",
        "--email",
        f"{unique()}@example.com",
        "--name",
        "N",
        "--license-id",
        str(lic.license_id),
    )["access_token"]
    as_normal = Lic(lic.license_id, lic.client_id, normal)
    for method, body in (
        ("agents/create_bot_agent", {"name": "B", "status": "offline"}),
        ("agents/get_bot_agents", {}),
        ("agents/update_bot_agent", {"id": bot_id, "name": "x"}),
        ("agents/remove_bot_agent", {"bot_agent_id": bot_id}),
    ):
        expect_api_error(wh.config, as_normal, method, body, type="authorization", status=403)


def test_bot_acts_with_author_id_over_web_api_and_rtm(wh: WebhookEnv, lic: Lic) -> None:
    bot_id = create_bot(wh, lic)
    chat_id, _, ctoken = wh.start_chat(lic, "hello?")
    out = wh.http.agent(
        lic.token,
        "send_event",
        {"chat_id": chat_id, "event": {"type": "message", "text": "Bot here (web)"}},
        author_id=bot_id,
    )
    assert out["event"]["author_id"] == bot_id

    async def over_rtm() -> dict[str, Any]:
        rtm = await Rtm(wh.server.ws_base + "/v3.0/agent/rtm/ws").connect()
        try:
            await rtm.call("login", {"token": f"Bearer {lic.token}"})
            return await rtm.call(
                "send_event",
                {"chat_id": chat_id, "event": {"type": "message", "text": "Bot here (rtm)"}},
                extra={"author_id": bot_id},
            )
        finally:
            await rtm.close()

    assert asyncio.run(over_rtm())["event"]["author_id"] == bot_id
    chat = wh.http.customer(
        ctoken, lic.license_id, "get_chat_threads", {"chat_id": chat_id, "thread_ids": []}
    )
    bot_user = [u for u in chat["chat"]["users"] if u["id"] == bot_id]
    assert bot_user and bot_user[0]["present"] is True
    # An author_id that is not a bot agent of this application is refused.
    err = expect_api_error(
        wh.http.agent,
        lic.token,
        "send_event",
        {"chat_id": chat_id, "event": {"type": "message", "text": "x"}},
        author_id="not-a-bot",
        type="authorization",
        status=403,
    )
    assert "not-a-bot" in err.message


def test_bot_webhooks_only_for_its_chats_and_stop_while_offline(
    wh: WebhookEnv, lic: Lic, receiver: Receiver
) -> None:
    # Manual routing: the accepting bot is not routed the chat meant to be without it.
    wh.config(lic, "routing/update_routing_settings", {"mode": "manual"})
    status_url = receiver.url("/status")
    wh.config(
        lic,
        "webhooks/register_webhook",
        {"url": status_url, "action": "agent_status_changed", "secret_key": "s"},
    )
    bot_id = create_bot(
        wh,
        lic,
        webhooks={
            "url": receiver.url("/bot"),
            "secret_key": "bot-secret",
            "actions": [{"name": "incoming_event", "filters": {"author_type": "customer"}}],
        },
    )
    other_chat, _, other_token = wh.start_chat(lic, "a chat without the bot")
    chat_id, _, ctoken = wh.start_chat(lic, "hi")
    wh.http.agent(
        lic.token,
        "send_event",
        {"chat_id": chat_id, "event": {"type": "message", "text": "joined"}},
        author_id=bot_id,
    )

    def say(token: str, chat: str, text: str) -> None:
        wh.http.customer(
            token,
            lic.license_id,
            "send_event",
            {"chat_id": chat, "event": {"type": "message", "text": text}},
        )

    def bot_texts() -> list[str]:
        return [
            d["chat_id"] + ":" + d["action"]
            for d in admin_deliveries(wh.http, lic.token)
            if d["source"] == "bot"
        ]

    say(other_token, other_chat, "not for the bot")
    say(ctoken, chat_id, "one")
    got = receiver.wait(lambda r: r.path == "/bot")
    assert got[0].body["webhook_id"] == bot_id
    assert got[0].body["secret_key"] == "bot-secret"
    assert got[0].body["data"]["event"]["text"] == "one"
    assert bot_texts() == [f"{chat_id}:incoming_event"]

    wh.config(lic, "agents/update_bot_agent", {"id": bot_id, "status": "offline"})
    say(ctoken, chat_id, "while offline")
    # The outbox is written with the change: nothing was enqueued for the offline bot.
    assert bot_texts() == [f"{chat_id}:incoming_event"]

    wh.config(lic, "agents/update_bot_agent", {"id": bot_id, "status": "accepting chats"})
    # Going offline took the bot off its chats, as it takes any agent: it joins again.
    wh.http.agent(
        lic.token,
        "send_event",
        {"chat_id": chat_id, "event": {"type": "message", "text": "back"}},
        author_id=bot_id,
    )
    say(ctoken, chat_id, "two")
    got = receiver.wait(lambda r: r.path == "/bot", 2)
    assert [r.body["data"]["event"]["text"] for r in got] == ["one", "two"]

    statuses = receiver.wait(lambda r: r.path == "/status", 2)
    assert [r.body["data"] for r in statuses] == [
        {"agent_id": bot_id, "status": "offline"},
        {"agent_id": bot_id, "status": "accepting chats"},
    ]
    assert statuses[0].body["action"] == "agent_status_changed"
    assert statuses[0].body["additional_data"] == {}


def test_bot_chat_properties_filter_and_incoming_chat_thread(
    wh: WebhookEnv, lic: Lic, receiver: Receiver
) -> None:
    bot_id = create_bot(
        wh,
        lic,
        webhooks={
            "url": receiver.url("/bot"),
            "secret_key": "k",
            "actions": [
                {
                    "name": "incoming_chat_thread",
                    "filters": {
                        "chat_properties": {
                            "test": {"string_property": {"values": ["facebook", "twitter"]}}
                        }
                    },
                    "additional_data": ["chat_properties"],
                }
            ],
        },
    )
    started = []
    for source in ("facebook", "email", "twitter"):
        cid, _ = wh.customer(lic)
        chat = wh.http.agent(
            lic.token,
            "start_chat",
            {
                "chat": {
                    "users": [{"id": cid, "type": "customer"}],
                    "properties": {"test": {"string_property": source}},
                    "thread": {"events": [{"type": "message", "text": source}]},
                }
            },
            author_id=bot_id,
        )["chat"]
        started.append(chat["id"])
    got = receiver.wait(lambda r: r.path == "/bot", 2)
    assert sorted(r.body["data"]["chat"]["id"] for r in got) == sorted([started[0], started[2]])
    by_chat = {r.body["data"]["chat"]["id"]: r.body for r in got}
    for chat_id, source in ((started[0], "facebook"), (started[2], "twitter")):
        assert by_chat[chat_id]["action"] == "incoming_chat_thread"
        properties = by_chat[chat_id]["additional_data"]["chat_properties"]
        assert properties["test"]["string_property"]["value"] == source
    assert not receiver.matching(for_chat(started[1]))
    assert [d for d in admin_deliveries(wh.http, lic.token) if d["chat_id"] == started[1]] == []


def test_removing_a_bot_sends_agent_deleted_and_takes_it_out_of_its_chats(
    wh: WebhookEnv, lic: Lic, receiver: Receiver
) -> None:
    wh.config(
        lic,
        "webhooks/register_webhook",
        {"url": receiver.url("/deleted"), "action": "agent_deleted", "secret_key": "s"},
    )
    wh.config(
        lic,
        "webhooks/register_webhook",
        {"url": receiver.url("/removed"), "action": "chat_user_removed", "secret_key": "s"},
    )
    bot_id = create_bot(wh, lic)
    chat_id, _, _ = wh.start_chat(lic, "hi")
    wh.http.agent(
        lic.token,
        "send_event",
        {"chat_id": chat_id, "event": {"type": "message", "text": "bye soon"}},
        author_id=bot_id,
    )
    wh.config(lic, "agents/remove_bot_agent", {"bot_agent_id": bot_id})
    deleted = receiver.wait(lambda r: r.path == "/deleted")[0].body
    assert deleted["action"] == "agent_deleted"
    assert deleted["data"] == {"agent_id": bot_id}
    removed = receiver.wait(lambda r: r.path == "/removed")[0].body
    assert removed["data"]["user_id"] == bot_id
    assert removed["data"]["chat_id"] == chat_id
    expect_api_error(
        wh.http.agent,
        lic.token,
        "send_event",
        {"chat_id": chat_id, "event": {"type": "message", "text": "ghost"}},
        author_id=bot_id,
        type="authorization",
        status=403,
    )
