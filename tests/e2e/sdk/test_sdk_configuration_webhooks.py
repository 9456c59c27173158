"""lc-sdk-python's ConfigurationApi (3.6 and 3.5) registers webhooks and switches a
license's webhooks off and on: while disabled, the application's webhooks are not sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..webhook_support import Received, Receiver
from .configuration_support import Server, customer_start_chat, new_customer, ok, refused
from .conftest import Client

# Every test that takes `version` runs in both (conftest.py).
VERSIONS = ["3.6", "3.5"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


def test_webhooks_are_registered_listed_and_unregistered(
    server: Server, client: Client, version: str
) -> None:
    c = client()
    owner = server.client_id
    hook = ok(
        c.register_webhook(
            action="incoming_event",
            secret_key="s3cret",
            url="https://hooks.example.com/events",
            additional_data=["chat_properties"],
            description="events",
            filters={
                "author_type": "customer",
                "chat_presence": {"user_ids": {"values": [server.owner_id]}, "my_bots": True},
                "source_type": ["my_client"],
            },
            owner_client_id=owner,
            type="license",
        )
    )["id"]
    bot_hook = ok(
        c.register_webhook(
            action="routing_status_set",
            secret_key="s",
            url="https://hooks.example.com/status",
            filters={"agent_ids": {"exclude_values": ["nobody@example.com"]}},
            owner_client_id=owner,
            type="bot",
        )
    )["id"]
    listed = {w["id"]: w for w in ok(c.list_webhooks(owner_client_id=owner))}
    assert listed[hook] == {
        "id": hook,
        "url": "https://hooks.example.com/events",
        "description": "events",
        "action": "incoming_event",
        "filters": {
            "author_type": "customer",
            "chat_presence": {"user_ids": {"values": [server.owner_id]}, "my_bots": True},
            "source_type": ["my_client"],
        },
        "additional_data": ["chat_properties"],
        "owner_client_id": owner,
        "type": "license",
    }
    assert listed[bot_hook]["type"] == "bot"

    # Each filter only where the action takes it; names of this version only.
    bad = {"action": "incoming_chat", "secret_key": "s", "url": "https://h.example.com/x"}
    refused(
        c.register_webhook(
            **bad, filters={"author_type": "agent"}, owner_client_id=owner, type="license"
        ),
        "validation",
    )
    refused(
        c.register_webhook(
            **{**bad, "action": "incoming_customer" if version == "3.6" else "event_deleted"},
            owner_client_id=owner,
            type="license",
        ),
        "validation",
    )
    refused(c.register_webhook(**bad, owner_client_id=owner, type="global"), "validation")

    names = {n["action"]: n for n in ok(c.list_webhook_names())}
    assert names["incoming_event"]["filters"] == [
        "chat_presence",
        "author_type",
        "only_my_chats",
        "source_type",
    ]
    assert names["incoming_event"]["additional_data"] == [
        "chat_properties",
        "chat_presence_user_ids",
    ]
    assert ("event_deleted" in names) == (version == "3.6")
    assert "incoming_customer" in {n["action"] for n in ok(c.list_webhook_names(version="3.5"))}

    ok(c.unregister_webhook(id=hook, owner_client_id=owner))
    ok(c.unregister_webhook(id=bot_hook, owner_client_id=owner))
    refused(c.unregister_webhook(id=hook, owner_client_id=owner), "not_found")
    assert hook not in {w["id"] for w in ok(c.list_webhooks(owner_client_id=owner))}


def test_a_disabled_licenses_webhooks_stop_and_resume_when_enabled(
    server: Server, client: Client, receiver: Receiver
) -> None:
    c = client()
    # A license webhook of the license's default application, registered through the SDK
    # of this version (tests/e2e/test_webhooks_v3x.py: v3.0 registrations obey the switch).
    hook = ok(
        c.register_webhook(
            action="incoming_event",
            secret_key="k",
            url=receiver.url("/switch"),
            filters={"author_type": "customer"},
            owner_client_id=server.client_id,
            type="license",
        )
    )["id"]
    try:
        assert ok(c.get_license_webhooks_state()) == {"license_webhooks_enabled": True}
        customer = new_customer(server)
        chat = customer_start_chat(server, customer, "before")["chat"]

        def say(text: str) -> None:
            server.http.customer(
                customer["token"],
                server.license_id,
                "send_event",
                {"chat_id": chat["id"], "event": {"type": "message", "text": text}},
            )

        def text(r: Received) -> str:
            return str(r.body["payload"]["event"]["text"])

        def texts() -> list[str]:
            return [text(r) for r in receiver.matching(lambda r: r.path == "/switch")]

        say("first")
        receiver.wait(lambda r: r.path == "/switch" and text(r) == "first")

        ok(c.disable_license_webhooks(owner_client_id=server.client_id))
        assert ok(c.get_license_webhooks_state()) == {"license_webhooks_enabled": False}
        say("while disabled")
        ok(c.enable_license_webhooks())
        assert ok(c.get_license_webhooks_state(owner_client_id=server.client_id)) == {
            "license_webhooks_enabled": True
        }
        say("after")
        # Deliveries of one chat go out in order: "after" arriving means nothing is pending
        # before it, so "while disabled" was never written.
        receiver.wait(lambda r: r.path == "/switch" and text(r) == "after")
        assert texts() == ["first", "after"]
    finally:
        ok(c.unregister_webhook(id=hook, owner_client_id=server.client_id))
