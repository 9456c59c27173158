"""Every v3.6 push Chatplane sends, rendered from its domain change, against the sample on
the rtm-pushes page (keys and JSON types); what a customer must never get, it never gets.
v3.5's renderer is v3.6's but for its differences."""

from __future__ import annotations

from typing import Any

import pytest

from chatplane.api.v3_5.pushes import render as render_35
from chatplane.api.v3_6.pushes import PUSH_NAMES, render
from chatplane.domain import changes as ch

from . import objects as o
from .samples import SPEC, assert_like, needs_spec, push_sample

pytestmark = needs_spec

LIC = 1


def chat_changes() -> dict[str, tuple[ch.Change, frozenset[str]]]:
    """push name -> (a change that causes it, sample keys Chatplane does not send)."""
    chat = o.chat()
    customer = o.customer()
    event = o.event()
    event.custom_id = None  # the samples show events without their optional fields
    return {
        "incoming_chat": (
            ch.ThreadStarted(LIC, chat, o.thread(), "smith@example.com", "agent"),
            # A chat started by hand comes from no transfer.
            frozenset({"$.transferred_from"}),
        ),
        "chat_deactivated": (ch.ThreadClosed(LIC, chat, "K600PKZON8", "smith@example.com"), None),
        "chat_access_updated": (ch.AccessChanged(LIC, chat, "set", [0], [1]), None),
        "chat_transferred": (
            ch.ChatTransferred(LIC, chat, "K600PKZON8", "jones@example.com", "group", [0]),
            frozenset({"$.queue"}),  # no wait estimate is kept
        ),
        "user_added_to_chat": (
            ch.UserAdded(LIC, chat, "K600PKZON8", o.agent_user(), "smith@example.com"),
            None,
        ),
        "user_removed_from_chat": (
            ch.UserRemoved(LIC, chat, "K600PKZON8", "agent@example.com", "agent", "smith@x"),
            None,
        ),
        "incoming_event": (ch.EventAppended(LIC, chat, "K600PKZON8", event), None),
        "event_updated": (ch.EventUpdated(LIC, chat, "K600PKZON8", event), None),
        "incoming_rich_message_postback": (
            ch.RichMessagePostback(
                LIC,
                chat,
                "K600PKZON8",
                "e1",
                "b7eff798",
                "action_yes",
                True,
                True,
                {
                    "button_type": "postback",
                    "button_value": "yes",
                    "ecommerce": {"product_id": "1", "option_id": "x", "quantity": 1},
                },
            ),
            None,
        ),
        "chat_properties_updated": (
            ch.PropertiesUpdated(LIC, chat, "chat", None, None, dict(o.PROPS)),
            None,
        ),
        "chat_properties_deleted": (
            ch.PropertiesDeleted(LIC, chat, "chat", None, None, {o.NS: ["property_name"]}),
            None,
        ),
        "thread_properties_updated": (
            ch.PropertiesUpdated(LIC, chat, "thread", "K600PKZON8", None, dict(o.PROPS)),
            None,
        ),
        "thread_properties_deleted": (
            ch.PropertiesDeleted(
                LIC, chat, "thread", "K600PKZON8", None, {o.NS: ["property_name"]}
            ),
            None,
        ),
        "event_properties_updated": (
            ch.PropertiesUpdated(LIC, chat, "event", "K600PKZON8", "e1", dict(o.PROPS)),
            None,
        ),
        "event_properties_deleted": (
            ch.PropertiesDeleted(LIC, chat, "event", "K600PKZON8", "e1", {o.NS: ["property_name"]}),
            None,
        ),
        "incoming_customer": (ch.CustomerCreated(LIC, customer), "customer"),
        "customer_updated": (
            ch.CustomerUpdated(LIC, customer),
            frozenset({"$.phone_number", "$.omnichannel", "$.address", "$.cart"}),
        ),
        "customer_page_updated": (
            ch.CustomerPageUpdated(
                LIC, customer, [], 42, {"opened_at": o.NOW, "url": "https://x/", "title": "X"}
            ),
            None,
        ),
        "customer_banned": (ch.CustomerBanned(LIC, customer.id, 5), None),
        "customer_left": (ch.CustomerVisitEnded(LIC, customer, [], 42, o.NOW), None),
        "routing_status_set": (
            ch.AgentStatusChanged(LIC, "smith@example.com", "accepting_chats"),
            None,
        ),
        "agent_deleted": (ch.AgentDeleted(LIC, "smith@example.com"), None),
        "events_marked_as_seen": (
            ch.LastSeenUpdated(LIC, chat, "K600PKZON8", "b7eff798", int(o.NOW), o.NOW),
            None,
        ),
        "incoming_sneak_peek": (
            ch.SneakPeekSent(LIC, chat, "K600PKZON8", "b7eff798", "Hello", int(o.NOW)),
            None,
        ),
        "incoming_typing_indicator": (
            ch.TypingIndicatorSent(
                LIC, chat, "K600PKZON8", "smith@example.com", "agent", "all", True, int(o.NOW)
            ),
            None,
        ),
        "incoming_multicast": (
            ch.MulticastSent(LIC, "smith@example.com", {"example": {"nested": "json"}}, "type1"),
            None,
        ),
        "thread_tagged": (ch.ThreadTagged(LIC, chat, "K600PKZON8", "bug_report"), None),
        "thread_untagged": (ch.ThreadUntagged(LIC, chat, "K600PKZON8", "bug_report"), None),
        "event_deleted": (ch.EventDeleted(LIC, chat, "K600PKZON8", "E2WDHA8A_4"), None),
        "chat_unfollowed": (ch.ChatUnfollowed(LIC, chat, "smith@example.com"), None),
        "incoming_thinking_indicator": (
            ch.ThinkingIndicatorSent(
                LIC,
                chat,
                "K600PKZON8",
                "smith@example.com",
                "Thinking...",
                "Fetching data from the Billing API...",
                custom_id="31-0C-1C-07-DB-16",
                sent_at=o.NOW,
            ),
            None,
        ),
    }


CASES = chat_changes()


# The pushes rendered here, by name (docs/coverage.md counts them for both versions; what
# v3.5 has not, its reference does not list).
VERSIONS = ["3.6", "3.5"]
RENDERED = [
    "incoming_chat",
    "chat_deactivated",
    "chat_access_updated",
    "chat_transferred",
    "user_added_to_chat",
    "user_removed_from_chat",
    "incoming_event",
    "event_updated",
    "event_deleted",
    "incoming_rich_message_postback",
    "chat_properties_updated",
    "chat_properties_deleted",
    "thread_properties_updated",
    "thread_properties_deleted",
    "event_properties_updated",
    "event_properties_deleted",
    "thread_tagged",
    "thread_untagged",
    "incoming_customer",
    "customer_updated",
    "customer_page_updated",
    "customer_banned",
    "customer_left",
    "routing_status_set",
    "agent_deleted",
    "events_marked_as_seen",
    "incoming_sneak_peek",
    "incoming_thinking_indicator",
    "incoming_typing_indicator",
    "incoming_multicast",
    "chat_unfollowed",
]


def test_every_push_chatplane_names_has_a_case() -> None:
    assert set(CASES) == set(RENDERED)
    # agent_disconnected is framed by the hub, the same for every version.
    assert set(CASES) | {"agent_disconnected"} == set(PUSH_NAMES)


@pytest.mark.parametrize("name", RENDERED)
def test_push_in_the_reference_shape(name: str) -> None:
    change, not_sent = CASES[name]
    pushed = render(change, o.agent_view())
    assert pushed is not None
    action, payload = pushed if isinstance(pushed, tuple) else pushed[0]
    assert action == name
    sample: Any = push_sample(name)
    if not_sent == "customer":
        # "// Customer user object": the Customer sample of data-structures stands for it.
        from .samples import payload as sample_payload
        from .test_shapes import CUSTOMER_ABSENT, absent

        # Not a user of a chat: neither present nor seeing its events.
        not_kept = absent("$", {*CUSTOMER_ABSENT, "present", "events_seen_up_to"})
        assert_like(payload, sample_payload("3.6", "users/customer"), absent=not_kept)
        return
    if name == "incoming_chat":
        # The sample leaves out the chat's access, which the Chat structure has.
        sample["chat"]["access"] = {"group_ids": [0]}
    assert_like(payload, sample, absent=not_sent or frozenset())


def test_a_transfer_that_moves_access_also_says_chat_access_updated() -> None:
    chat = o.chat()
    change = ch.ChatTransferred(LIC, chat, "K600PKZON8", "a", "group", [1], [], True)
    pushed = render(change, o.agent_view())
    assert isinstance(pushed, list)
    assert [action for action, _ in pushed] == ["chat_transferred", "chat_access_updated"]


def test_an_agents_only_event_never_renders_for_a_customer() -> None:
    chat = o.chat()
    hidden = o.event(recipients="agents")
    for change in (
        ch.EventAppended(LIC, chat, "K600PKZON8", hidden),
        ch.EventUpdated(LIC, chat, "K600PKZON8", hidden),
        ch.PropertiesUpdated(LIC, chat, "event", "t", "e", dict(o.PROPS), for_agents_only=True),
        ch.PropertiesDeleted(
            LIC, chat, "event", "t", "e", {o.NS: ["property_name"]}, for_agents_only=True
        ),
        ch.TypingIndicatorSent(LIC, chat, "t", "smith@example.com", "agent", "agents", True, 1),
        ch.SneakPeekSent(LIC, chat, "t", "b7eff798", "psst", 1),
    ):
        assert render(change, o.customer_view()) is None, change
        assert render_35(change, o.customer_view()) is None, change
        assert render(change, o.agent_view()) is not None, change


def test_properties_a_customer_may_not_read_are_not_pushed_to_them() -> None:
    chat = o.chat()
    secret = ch.PropertiesUpdated(LIC, chat, "chat", None, None, {o.NS: {"secret": "x"}})
    assert render(secret, o.customer_view()) is None
    assert render(secret, o.agent_view()) == (
        "chat_properties_updated",
        {"chat_id": chat.id, "properties": {o.NS: {"secret": "x"}}},
    )


def test_v3_5_postback_says_only_the_button_and_its_state() -> None:
    change, _ = CASES["incoming_rich_message_postback"]
    pushed = render_35(change, o.agent_view())
    assert isinstance(pushed, tuple)
    assert pushed[1]["postback"] == {"id": "action_yes", "toggled": True}
    v35_page = SPEC / "messaging" / "agent-chat-api" / "v3.5" / "rtm-pushes" / "index.mdx"
    assert_like(pushed[1], push_sample("incoming_rich_message_postback", v35_page))


def test_v3_5_incoming_customer_names_the_visit_last_visit() -> None:
    change, _ = CASES["incoming_customer"]
    pushed = render_35(change, o.agent_view())
    assert isinstance(pushed, tuple)
    assert "last_visit" in pushed[1] and "visit" not in pushed[1]


def test_a_follower_gets_the_chat_as_incoming_chat_alone_followed() -> None:
    chat = o.chat()
    chat.follower_ids = ["jones@example.com"]
    change = ch.ChatFollowed(LIC, chat, "jones@example.com", o.thread())
    pushed = render(change, o.agent_view())
    assert isinstance(pushed, tuple) and pushed[0] == "incoming_chat"
    assert pushed[1]["requester_id"] == "jones@example.com"
    assert pushed[1]["chat"]["is_followed"] is True
    assert render(change, o.customer_view()) is None


def test_v3_5_has_no_deleted_events_nor_thinking_indicators() -> None:
    for name in ("event_deleted", "incoming_thinking_indicator"):
        change, _ = CASES[name]
        assert render(change, o.agent_view()) is not None
        assert render_35(change, o.agent_view()) is None
