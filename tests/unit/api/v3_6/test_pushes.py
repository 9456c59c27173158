"""Every v3.6 push Chatplane sends, rendered from its domain change, against the sample on
the rtm-pushes page (keys and JSON types); what a customer must never get, it never gets.
v3.5's renderer is v3.6's but for its differences."""

from __future__ import annotations

import json
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


def configuration_changes() -> dict[str, tuple[ch.Change, frozenset[str] | None]]:
    """The Configuration pushes (api/v3_6/configuration_pushes.py), each from the change
    the Configuration API records, made to match the reference's sample."""
    smith = o.configured_agent()
    memberships = [(5, "first"), (2, "last"), (1, "normal")]
    by: dict[str, Any] = {"requester_id": "owner@example.com", "requester_client_id": o.APP}
    bot = o.bot()
    priorities = {"agent@example.com": "normal", "other_agent@example.com": "first"}
    rule = {
        "id": "dc70916fdc9d02ea0bcdee5b2fa64717",
        "description": None,
        "access": {"groups": [0]},
        "conditions": {"url": {"values": [{"value": "https://x.test", "exact_match": False}]}},
        "next_id": None,
    }
    added = {**rule, "id": "b1cd0bfea640f671694110c6ae34356f"}
    value = {o.APP: {"string_property": "string value"}}
    return {
        "agent_created": (
            ch.AgentConfigured(LIC, smith, created=True, groups=memberships, **by),
            None,
        ),
        "agent_updated": (
            ch.AgentConfigured(LIC, smith, groups=memberships, updated=["work_scheduler"], **by),
            None,
        ),
        **{
            f"agent_{how}": (ch.AgentAccessChanged(LIC, smith.id, how, **by), None)
            for how in ("approved", "suspended", "unsuspended")
        },
        "bot_created": (
            ch.AgentConfigured(LIC, bot, created=True, groups=[(0, "normal")], **by),
            None,
        ),
        "bot_updated": (
            ch.AgentConfigured(LIC, bot, groups=[(0, "normal")], updated=["name"], **by),
            None,
        ),
        "bot_deleted": (
            ch.AgentDeleted(LIC, bot.id, is_bot=True, client_id=bot.client_id),
            None,
        ),
        "group_created": (
            ch.GroupConfigured(LIC, 42, "created", "Sales", "en", priorities, **by),
            None,
        ),
        "group_updated": (
            ch.GroupConfigured(LIC, 42, "updated", "Sales", "en", priorities, ["name"], **by),
            None,
        ),
        "group_deleted": (ch.GroupConfigured(LIC, 42, "deleted", **by), None),
        **{
            f"tag_{how}": (
                ch.TagConfigured(
                    LIC,
                    "docs_feedback",
                    how,
                    [0, 42],
                    author_id="smith@example.com",
                    created_at=o.NOW,
                    **by,
                ),
                None,
            )
            for how in ("created", "updated", "deleted")
        },
        # A rule added after the last one: that one's `next_id` changes (the first sample).
        "auto_accesses_updated": (
            ch.AutoAccessesUpdated(
                LIC, rules=[{**rule, "next_id": added["id"]}, added], previous=[rule], **by
            ),
            None,
        ),
        "groups_status_updated": (ch.GroupsStatusUpdated(LIC, 0, "offline"), None),
        "license_properties_updated": (
            ch.ConfiguredPropertiesChanged(LIC, None, updated=value, **by),
            None,
        ),
        "group_properties_updated": (
            ch.ConfiguredPropertiesChanged(LIC, 1, updated=value, **by),
            None,
        ),
    }


# What the samples leave out of a new agent's or bot's full state and lc-sdk-python 0.4.2's
# models of their webhooks have (the Configuration API's agent and bot have them too).
SAMPLE_GAPS: dict[str, dict[str, Any]] = {
    "agent_created": {"max_chats_count": 6},
    "bot_created": {"max_chats_count": 6, "work_scheduler": {}},
}

CONFIGURATION = configuration_changes()
CASES: dict[str, tuple[ch.Change, Any]] = {**chat_changes(), **CONFIGURATION}


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
    "agent_created",
    "agent_approved",
    "agent_updated",
    "agent_suspended",
    "agent_unsuspended",
    "auto_accesses_updated",
    "bot_created",
    "bot_updated",
    "bot_deleted",
    "group_created",
    "group_updated",
    "group_deleted",
    "tag_created",
    "tag_updated",
    "tag_deleted",
    "groups_status_updated",
    "license_properties_updated",
    "group_properties_updated",
]


def test_every_push_chatplane_names_has_a_case() -> None:
    assert set(CASES) == set(RENDERED)
    # agent_disconnected is framed by the hub, the same for every version.
    assert set(CASES) | {"agent_disconnected"} == set(PUSH_NAMES)


@pytest.mark.parametrize("name", RENDERED)
def test_push_in_the_reference_shape(name: str) -> None:
    change, not_sent = CASES[name]
    pushed = render(change, o.configuration_view())
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
    if name in SAMPLE_GAPS:
        sample.update(SAMPLE_GAPS[name])
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


# -- configuration -----------------------------------------------------------------------


def push_samples(name: str, page: Any = None) -> list[Any]:
    """Every sample payload of push `name` on the rtm-pushes page, in order."""
    from .samples import PUSHES_PAGE, strip_comments

    text = (page or PUSHES_PAGE).read_text()
    at = text.index(f"### `{name}`")
    section = text[at:].split("\n### ", 1)[0]
    blocks = section.split("```json")[1:]
    return [
        json.JSONDecoder().raw_decode(strip_comments(b.split("```", 1)[0]).strip())[0]
        for b in blocks
    ]


def test_a_new_agent_is_pushed_whole_and_an_update_only_what_changed() -> None:
    change, _ = CASES["agent_created"]
    assert render(change, o.agent_view()) == (
        "agent_created",
        {
            "id": "smith@example.com",
            "name": "Agent Smith",
            "role": "viceowner",
            "max_chats_count": 6,
            "awaiting_approval": False,
            "groups": [
                {"id": 5, "priority": "first"},
                {"id": 2, "priority": "last"},
                {"id": 1, "priority": "normal"},
            ],
            "notifications": ["new_visitor", "new_goal"],
            "email_subscriptions": ["weekly_summary"],
            "work_scheduler": o.SCHEDULE,
        },
    )
    # Empty lists and objects are shown empty; unset optional fields are left out.
    bare = ch.AgentConfigured(LIC, o.configured_agent(profile={}), created=True)
    pushed = render(bare, o.agent_view())
    assert isinstance(pushed, tuple)
    assert pushed[1]["groups"] == [] and pushed[1]["work_scheduler"] == {}
    assert "mobile" not in pushed[1] and "job_title" not in pushed[1]

    smith = o.configured_agent(job_title="Lead", max_chats_count=9)
    updated = ch.AgentConfigured(LIC, smith, updated=["job_title", "max_chats_count"])
    assert render(updated, o.agent_view()) == (
        "agent_updated",
        {"id": smith.id, "job_title": "Lead", "max_chats_count": 9},
    )
    # Nothing the push shows changed (the status agents log in with): no push.
    login_status_only = ch.AgentConfigured(LIC, smith, updated=["login_status"])
    assert render(login_status_only, o.agent_view()) is None
    assert render(ch.AgentConfigured(LIC, smith, updated=[]), o.agent_view()) is None


def test_bots_are_pushed_as_bots() -> None:
    created, _ = CASES["bot_created"]
    assert render(created, o.agent_view()) == (
        "bot_created",
        {
            "id": "5c9871d5372c824cbf22d860a707a578",
            "name": "Bot Name",
            "max_chats_count": 6,
            "default_group_priority": "first",
            "groups": [{"id": 0, "priority": "normal"}],
            "work_scheduler": {},
            "owner_client_id": "asXdesldiAJSq9padj",
        },
    )
    # A bot with no default priority of its own has group 0's: normal.
    plain = ch.AgentConfigured(LIC, o.bot(default_group_priority=None), created=True)
    pushed = render(plain, o.agent_view())
    assert isinstance(pushed, tuple) and pushed[1]["default_group_priority"] == "normal"
    # Its status (routing_status_set tells) is no bot_updated.
    assert render(ch.AgentConfigured(LIC, o.bot(), updated=[]), o.agent_view()) is None
    assert render(ch.AgentDeleted(LIC, "b1", is_bot=True), o.agent_view()) == (
        "bot_deleted",
        {"id": "b1"},
    )
    assert render(ch.AgentDeleted(LIC, "a@x"), o.agent_view()) == ("agent_deleted", {"id": "a@x"})


def test_a_group_update_says_only_what_changed() -> None:
    members = {"a@x": "normal"}
    both = ch.GroupConfigured(LIC, 7, "updated", "Sales", "de", members, ["language_code"])
    assert render(both, o.agent_view()) == ("group_updated", {"id": 7, "language_code": "de"})
    moved = ch.GroupConfigured(LIC, 7, "updated", "Sales", "de", members, ["agent_priorities"])
    assert render(moved, o.agent_view()) == (
        "group_updated",
        {"id": 7, "agent_priorities": {"a@x": "normal"}},
    )
    same = ch.GroupConfigured(LIC, 7, "updated", "Sales", "de", members, [])
    assert render(same, o.agent_view()) is None


def _rule(rule_id: str, next_id: str | None, **kw: Any) -> dict[str, Any]:
    return {
        "id": rule_id,
        "description": kw.get("description"),
        "access": kw.get("access", {"groups": [0]}),
        "conditions": kw.get("conditions", {}),
        "next_id": next_id,
    }


def test_auto_accesses_updated_says_what_each_change_did_as_the_references_samples() -> None:
    added_sample, updated_sample, deleted_sample = push_samples("auto_accesses_updated")
    a, b = "dc70916fdc9d02ea0bcdee5b2fa64717", "b1cd0bfea640f671694110c6ae34356f"
    new = added_sample[1]
    # Adding B after A: A now points at B; B comes whole.
    added = ch.AutoAccessesUpdated(
        LIC,
        rules=[
            _rule(a, b),
            _rule(b, None, access=new["access"], conditions=new["conditions"]),
        ],
        previous=[_rule(a, None)],
    )
    assert render(added, o.agent_view()) == ("auto_accesses_updated", added_sample)
    # B's description changes and it moves before A.
    updated = ch.AutoAccessesUpdated(
        LIC,
        rules=[_rule(b, a, description="Auto access updated"), _rule(a, None)],
        previous=[_rule(a, b), _rule(b, None)],
    )
    assert render(updated, o.agent_view()) == ("auto_accesses_updated", updated_sample)
    # Deleting A, which B pointed at.
    deleted = ch.AutoAccessesUpdated(
        LIC, rules=[_rule(b, None)], previous=[_rule(b, a), _rule(a, None)]
    )
    assert render(deleted, o.agent_view()) == ("auto_accesses_updated", deleted_sample)
    # An update that changed nothing says nothing.
    same = ch.AutoAccessesUpdated(LIC, rules=[_rule(a, None)], previous=[_rule(a, None)])
    assert render(same, o.agent_view()) is None


def test_license_and_group_values_show_only_what_agents_may_read_of_published_properties() -> None:
    values = {o.APP: {"string_property": "x", "hidden": "y", "unpublished": "z"}}
    view = o.configuration_view()
    assert render(ch.ConfiguredPropertiesChanged(LIC, None, updated=values), view) == (
        "license_properties_updated",
        {"properties": {o.APP: {"string_property": "x"}}},
    )
    assert render(ch.ConfiguredPropertiesChanged(LIC, 3, updated=values), view) == (
        "group_properties_updated",
        {"group_id": 3, "properties": {o.APP: {"string_property": "x"}}},
    )
    nothing = {o.APP: {"hidden": "y", "unpublished": "z", "unknown": 1}}
    assert render(ch.ConfiguredPropertiesChanged(LIC, None, updated=nothing), view) is None
    # Deleting values has no push.
    gone = {o.APP: ["string_property"]}
    assert render(ch.ConfiguredPropertiesChanged(LIC, None, deleted=gone), view) is None


def test_configuration_pushes_are_for_agents_and_v3_5_has_them_but_the_property_ones() -> None:
    v35_page = SPEC / "messaging" / "agent-chat-api" / "v3.5" / "rtm-pushes" / "index.mdx"
    for name, (change, _) in CONFIGURATION.items():
        assert render(change, o.customer_view()) is None, name
        assert render_35(change, o.customer_view()) is None, name
        v36 = render(change, o.configuration_view())
        v35 = render_35(change, o.configuration_view())
        if name in ("license_properties_updated", "group_properties_updated"):
            assert v35 is None and f"### `{name}`" not in v35_page.read_text()
        else:
            assert v35 == v36, name
