"""Every Customer Chat API v3.6 push Chatplane sends, rendered from its domain change for a
customer, against the sample on the customer's rtm-pushes page (keys and JSON types); what
is an agent's push never reaches a customer; agents keep the agents' pushes; v3.5's
customer renderer is v3.6's but for its postbacks."""

from __future__ import annotations

from typing import Any

import pytest

from chatplane.api.v3_5.customer_pushes import render as render_35
from chatplane.api.v3_6 import customer_pushes
from chatplane.api.v3_6.customer_pushes import PUSH_NAMES, render, render_customers
from chatplane.api.v3_6.pushes import render as render_agents
from chatplane.domain import changes as ch

from . import objects as o
from .samples import SPEC, assert_like, needs_spec, push_sample
from .test_pushes import CASES as AGENT_CASES

pytestmark = needs_spec

PAGE = SPEC / "messaging" / "customer-chat-api" / "rtm-pushes" / "index.mdx"
PAGE_35 = SPEC / "messaging" / "customer-chat-api" / "v3.5" / "rtm-pushes" / "index.mdx"
LIC = 1
CUSTOMER_ID = "b7eff798-f8df-4364-8059-649c35c9ed0c"


def customer_sample(name: str, page: Any = PAGE) -> Any:
    value = push_sample(name, page)
    # Some samples show the whole frame: the payload is the sample.
    return value["payload"] if value.get("type") == "push" else value


def cases() -> dict[str, tuple[ch.Change, frozenset[str] | None]]:
    """customer push name -> (a change that causes it, sample keys Chatplane does not send)."""
    shared = {
        name: AGENT_CASES[name]
        for name in (
            "incoming_chat",
            "chat_deactivated",
            "chat_transferred",
            "user_added_to_chat",
            "user_removed_from_chat",
            "incoming_event",
            "event_updated",
            "incoming_rich_message_postback",
            "chat_properties_updated",
            "chat_properties_deleted",
            "thread_properties_updated",
            "thread_properties_deleted",
            "event_properties_updated",
            "event_properties_deleted",
            "events_marked_as_seen",
            "incoming_multicast",
        )
    }
    out: dict[str, tuple[ch.Change, Any]] = {
        name: (change, absent) for name, (change, absent) in shared.items()
    }
    # The samples show incoming events with v3.0's `recipients`; a customer reads neither.
    out["incoming_event"] = (out["incoming_event"][0], frozenset({"$.event.recipients"}))
    # A chat started by hand comes from no transfer; no wait estimate is kept.
    out["incoming_chat"] = (out["incoming_chat"][0], frozenset({"$.chat.transferred_from"}))
    out["customer_updated"] = (ch.CustomerUpdated(LIC, o.customer()), None)
    out["customer_side_storage_updated"] = (
        ch.CustomerSideStorageUpdated(LIC, CUSTOMER_ID, {"customer_visits": "1"}),
        None,
    )
    out["incoming_typing_indicator"] = (
        ch.TypingIndicatorSent(
            LIC, o.chat(), "K600PKZON8", "smith@example.com", "agent", "all", True, int(o.NOW)
        ),
        None,
    )
    out["event_deleted"] = (ch.EventDeleted(LIC, o.chat(), "K600PKZON8", "e1"), None)
    out["incoming_thinking_indicator"] = (
        ch.ThinkingIndicatorSent(
            LIC,
            o.chat(),
            "K600PKZON8",
            "smith@example.com",
            "Thinking...",
            "Fetching data from the Billing API...",
            custom_id="31-0C-1C-07-DB-16",
            sent_at=o.NOW,
        ),
        None,
    )
    preview = o.event()
    preview.properties = {}
    out["incoming_event_preview"] = (
        ch.EventPreviewSent(LIC, o.chat(), "K600PKZON8", preview),
        None,
    )
    out["incoming_welcome_message"] = (
        ch.WelcomeMessageSent(LIC, CUSTOMER_ID, "540eb790", "smith@example.com", "Hi!", o.NOW),
        None,
    )
    return out


CASES = cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_customer_push_in_the_reference_shape(name: str) -> None:
    change, absent = CASES[name]
    pushed = render(change, o.customer_view())
    assert pushed is not None, name
    action, payload = pushed[0] if isinstance(pushed, list) else pushed
    assert action == name
    sample = customer_sample(name)
    if name == "chat_transferred":
        # The customer's sample leaves out `reason`, which the push has had since v3.2
        # (changelog) and the customer SDK reads.
        sample = {**sample, "reason": "manual"}
    if name == "customer_updated":
        sample = {"id": "", "type": "", "name": "", "email": "", "avatar": "", "session_fields": []}
    assert_like(payload, sample, absent=absent or frozenset())
    assert name in PUSH_NAMES


def test_a_customer_reads_no_visibility_and_no_agents_e_mail() -> None:
    _, event_push = render(CASES["incoming_event"][0], o.customer_view())  # type: ignore[misc]
    assert "visibility" not in event_push["event"]
    _, added = render(CASES["user_added_to_chat"][0], o.customer_view())  # type: ignore[misc]
    assert "email" not in added["user"] and "visibility" not in added["user"]
    _, chat = render(CASES["incoming_chat"][0], o.customer_view())  # type: ignore[misc]
    for e in chat["chat"]["thread"]["events"]:
        assert "visibility" not in e


def test_the_welcome_message_is_the_agents_message_to_that_customer() -> None:
    action, payload = render(CASES["incoming_welcome_message"][0], o.customer_view())  # type: ignore[misc]
    assert action == "incoming_welcome_message"
    assert payload == {
        "id": "540eb790",
        "event": {
            "created_at": "2023-11-14T22:13:20.123456Z",
            "type": "message",
            "text": "Hi!",
            "author_id": "smith@example.com",
        },
    }


# Agent pushes a customer never gets, with a change that causes each.
AGENTS_ONLY = [
    "chat_access_updated",
    "incoming_sneak_peek",
    "incoming_customer",
    "customer_page_updated",
    "customer_left",
    "customer_banned",
    "routing_status_set",
]


@pytest.mark.parametrize("name", AGENTS_ONLY)
def test_agent_pushes_never_reach_a_customer(name: str) -> None:
    change, _ = AGENT_CASES[name]
    assert render(change, o.customer_view()) is None


def test_thread_tags_and_following_never_reach_a_customer() -> None:
    chat = o.chat()
    for change in (
        ch.ThreadTagged(LIC, chat, "K600PKZON8", "bug"),
        ch.ThreadUntagged(LIC, chat, "K600PKZON8", "bug"),
        ch.ChatFollowed(LIC, chat, "smith@example.com", o.thread()),
        ch.ChatUnfollowed(LIC, chat, "smith@example.com"),
    ):
        assert render(change, o.customer_view()) is None, change
        assert render(change, o.agent_view()) is not None, change


def test_nothing_for_agents_only_reaches_a_customer() -> None:
    chat = o.chat()
    secret = o.event(recipients="agents")
    assert render(ch.EventAppended(LIC, chat, "K600PKZON8", secret), o.customer_view()) is None
    hidden = ch.PropertiesUpdated(LIC, chat, "chat", None, None, {o.NS: {"secret": "x"}})
    assert render(hidden, o.customer_view()) is None
    whisper = ch.TypingIndicatorSent(
        LIC, chat, "K600PKZON8", "smith@example.com", "agent", "agents", True, 1
    )
    assert render(whisper, o.customer_view()) is None


@pytest.mark.parametrize("name", sorted(AGENT_CASES))
def test_agents_keep_the_agents_pushes(name: str) -> None:
    change, _ = AGENT_CASES[name]
    assert render(change, o.agent_view()) == render_agents(change, o.agent_view())
    assert render_customers(change, o.agent_view()) is None


def test_nothing_deleted_or_thought_for_agents_only_reaches_a_customer() -> None:
    chat = o.chat()
    hidden = ch.EventDeleted(LIC, chat, "K600PKZON8", "e1", for_agents_only=True)
    assert render(hidden, o.customer_view()) is None
    thinking = ch.ThinkingIndicatorSent(
        LIC, chat, "K600PKZON8", "smith@example.com", None, None, visibility="agents"
    )
    assert render(thinking, o.customer_view()) is None
    _, preview = render(CASES["incoming_event_preview"][0], o.customer_view())  # type: ignore[misc]
    assert "id" not in preview["event"]


def test_v3_5_customers_hear_none_of_the_pushes_v3_6_added() -> None:
    for name in (
        "event_deleted",
        "incoming_thinking_indicator",
        "incoming_event_preview",
        "incoming_welcome_message",
    ):
        assert render_35(CASES[name][0], o.customer_view()) is None, name


def test_customer_only_changes_render_nothing_for_agents() -> None:
    for name in ("customer_side_storage_updated", "incoming_welcome_message"):
        assert render(CASES[name][0], o.agent_view()) is None


def test_v3_5_postbacks_say_only_the_button_and_whether_it_is_toggled() -> None:
    change, _ = CASES["incoming_rich_message_postback"]
    _, v36 = render(change, o.customer_view())  # type: ignore[misc]
    _, v35 = render_35(change, o.customer_view())  # type: ignore[misc]
    assert set(v36["postback"]) == {"id", "toggled", "button_type", "button_value", "ecommerce"}
    assert v35["postback"] == {"id": "action_yes", "toggled": True}
    assert_like(v35, customer_sample("incoming_rich_message_postback", PAGE_35))


def test_v3_5_customer_pushes_are_v3_6_s_but_the_new_ones() -> None:
    from chatplane.api.v3_5.customer import PUSH_NAMES as PUSH_NAMES_35

    assert {
        "incoming_event_preview",
        "event_deleted",
        "incoming_thinking_indicator",
        "incoming_welcome_message",
    } == PUSH_NAMES - PUSH_NAMES_35
    assert customer_pushes.PUSH_NAMES is PUSH_NAMES
