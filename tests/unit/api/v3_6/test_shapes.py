"""The v3.6 (and v3.5) data shapes against the reference's samples: the keys we render
and their JSON types; the sample's keys we do not render are named (what Chatplane
keeps no data for)."""

from __future__ import annotations

from typing import Any

import pytest

from chatplane.api.v3_5.serialize import SHAPES as SHAPES_35
from chatplane.api.v3_6.serialize import SHAPES, rfc3339
from chatplane.domain.views import ChatSummary

from . import objects as o
from .samples import SPEC, assert_like, needs_spec, payload, strip_comments

pytestmark = needs_spec

# What the reference's customers have and Chatplane keeps nothing of.
CUSTOMER_ABSENT = {
    "email_verified",
    "phone_number",
    "followed",
    "online",
    "group_ids",
    "tickets",
    "state",
    "carts",
    "omnichannel",
    "address",
    "__priv_lc2_customer_id",
    "statistics.tickets_count",
    "statistics.page_views_count",
    "statistics.greetings_shown_count",
    "statistics.greetings_accepted_count",
    "visit.geolocation.region",
    "visit.geolocation.city",
    "visit.geolocation.timezone",
    "visit.geolocation.latitude",
    "visit.geolocation.longitude",
}


def absent(prefix: str, names: set[str]) -> frozenset[str]:
    return frozenset(f"{prefix}.{n}" for n in names)


def mdx_response(page: str, heading: str) -> Any:
    """The first sample response after `### <heading>` on a reference page."""
    import json

    text = (SPEC / "messaging" / "agent-chat-api" / page).read_text()
    at = text.index(f"### {heading}\n")
    block = text[at:].split("<CodeResponse", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    return json.loads(strip_comments(block))


def test_rfc3339_has_microseconds_and_utc() -> None:
    assert rfc3339(1_500_000_000.0102) == "2017-07-14T02:40:00.010200Z"


COMMON = {"id", "custom_id", "created_at", "type", "author_id", "visibility", "properties", "text"}


@pytest.mark.parametrize(
    ("sample", "not_kept"),
    [
        ("message", set()),
        ("file", {"thumbnail_url", "thumbnail2x_url"}),  # no thumbnails are made
        ("filledForm", set()),
        ("form", set()),
        ("custom", set()),
        ("richMessage", set()),
        ("systemMessage", set()),
    ],
)
def test_each_event_type_in_the_reference_shape(sample: str, not_kept: set[str]) -> None:
    """An event of each type, its own fields as the sample has them (what a client sent,
    or the server made), renders the common fields as v3.6 names them."""
    reference = payload("3.6", f"events/{sample}")
    body = {k: v for k, v in reference.items() if k not in COMMON | not_kept}
    e = o.event(reference["type"], text=reference.get("text"), **body)
    ours = SHAPES.event(o.agent_view(), e)
    assert_like(ours, reference, absent=absent("$", not_kept))
    assert "order" not in ours and "timestamp" not in ours and "recipients" not in ours


def test_event_for_agents_only_says_visibility_agents() -> None:
    ours = SHAPES.event(o.agent_view(), o.event(recipients="agents"))
    assert ours["visibility"] == "agents"
    assert SHAPES.events(o.customer_view(), [o.event(recipients="agents")]) == []


def test_event_properties_are_plain_values_and_hide_what_the_viewer_may_not_read() -> None:
    e = o.event()
    e.properties = {o.NS: {"property_name": "v", "secret": "s"}}
    assert SHAPES.event(o.agent_view(), e)["properties"] == {o.NS: {"property_name": "v"}}


def test_agent_user_in_the_reference_shape() -> None:
    ours = SHAPES.user(o.agent_view(), o.agent_user())
    assert_like(ours, payload("3.6", "users/agent"))
    assert ours["visibility"] == "all"
    assert ours["events_seen_up_to"] == rfc3339(o.NOW - 0.5)


def test_customer_user_in_the_reference_shape() -> None:
    ours = SHAPES.user(o.agent_view(), o.customer_user())
    assert_like(ours, payload("3.6", "users/customer"), absent=absent("$", CUSTOMER_ABSENT))
    assert ours["session_fields"] == [
        {"custom_key": "custom_value"},
        {"another_custom_key": "another_custom_value"},
    ]


def test_v3_5_customer_names_its_visit_last_visit() -> None:
    ours = SHAPES_35.user(o.agent_view(), o.customer_user())
    assert "last_visit" in ours and "visit" not in ours
    not_kept = {n.replace("visit.", "last_visit.") for n in CUSTOMER_ABSENT}
    assert_like(ours, payload("3.5", "users/customer"), absent=absent("$", not_kept))


def test_my_profile_in_the_reference_shape() -> None:
    ours = SHAPES.my_profile(o.agent(), "accepting_chats")
    assert_like(ours, payload("3.6", "users/myProfile"), absent=frozenset({"$.events_seen_up_to"}))


# What a thread has in the reference and Chatplane does not keep (the queue estimate, the
# customer's visit), or shows only when there is some (tags, restricted access).
THREAD_ABSENT = {"tags", "queue", "queues_duration", "restricted_access", "customer_visit"}


def plain_event() -> Any:
    """An event with none of the optional fields (the samples of threads show such)."""
    e = o.event()
    e.custom_id, e.properties = None, {}
    return e


def test_thread_in_the_reference_shape() -> None:
    ours = SHAPES.thread(
        o.agent_view(),
        o.thread([plain_event()]),
        thread_ids=["K600PKZOM8", "K600PKZON8", "K600PKZOO8"],
    )
    not_kept = absent("$", THREAD_ABSENT) | {"$.events[0].custom_id"}
    assert_like(ours, payload("3.6", "other-structures/thread"), absent=not_kept)
    assert ours["previous_thread_id"] == "K600PKZOM8"
    assert ours["next_thread_id"] == "K600PKZOO8"


def test_restricted_thread_says_why_and_shows_no_events() -> None:
    ours = SHAPES.thread(o.agent_view(), o.thread(), restricted=True)
    assert isinstance(ours["restricted_access"], str) and "events" not in ours


def test_get_chat_answer_in_the_reference_shape() -> None:
    ours = SHAPES.chat(
        o.agent_view(), o.chat(), o.thread([plain_event()]), thread_ids=["K600PKZON8"]
    )
    sample = mdx_response("index.mdx", "Get Chat")
    # Users are compared with the full user samples above; this one's are cut short.
    ours.pop("users"), sample.pop("users")
    assert_like(
        ours,
        sample,
        absent=frozenset(
            {
                "$.is_followed",  # said when the reader is known (follower=...)
                "$.thread.summary",
                "$.thread.previous_thread_id",
                "$.thread.next_thread_id",
                "$.thread.customer_visit",
            }
        ),
    )


def test_chat_summary_in_the_reference_shape() -> None:
    chat = o.chat()
    summary = ChatSummary(
        chat=chat,
        last_thread=o.thread(),
        last_event_per_type={
            "message": o.event(),
            "system_message": o.event(
                "system_message",
                system_message_type="routing.archived_disconnected",
                text_vars={"agent": "Agent Smith"},
            ),
        },
    )
    summary.last_event_per_type["system_message"].custom_id = None
    ours = SHAPES.chat_summary(o.agent_view(), summary, {"K600PKZON8": o.NOW - 30})
    sample = payload("3.6", "other-structures/chatSummary")
    # The sample spells `properties` `properites`, and its events lack `visibility`, which
    # an event always has (data-structures, Events).
    sample["properties"] = sample.pop("properites")
    for last in sample["last_event_per_type"].values():
        last["event"]["visibility"] = "all"
    # Its customer is cut short: the full Customer sample stands for it.
    sample["users"][0] = payload("3.6", "users/customer")
    assert_like(
        ours,
        sample,
        absent=absent("$", {"is_followed", "last_thread_summary.queue"})
        | absent("$.users[0]", CUSTOMER_ABSENT),
    )
    assert ours["last_event_per_type"]["message"]["thread_created_at"] == rfc3339(o.NOW - 30)


def test_a_deleted_event_shows_whole_to_administrators_and_marked_to_others() -> None:
    import dataclasses

    e = o.event()
    e.deleted_at = o.NOW + 1
    admin = dataclasses.replace(o.agent_view(), role="administrator")
    normal = dataclasses.replace(o.agent_view(), role="normal")
    whole = SHAPES.event(admin, e)
    assert whole["deleted"] is True and whole["text"] == "hello there"
    marked = SHAPES.event(normal, e)
    # The sample leaves out `visibility`, which the Deleted event always has.
    sample = {**payload("3.6", "events/deletedEvent"), "visibility": "all"}
    assert_like(marked, sample)
    assert "text" not in marked and "properties" not in marked


def test_a_thread_shows_its_tags_and_a_chat_whether_the_reader_follows_it() -> None:
    t = o.thread()
    t.tags = ["support", "positive feedback"]
    assert SHAPES.thread(o.agent_view(), t)["tags"] == ["support", "positive feedback"]
    assert "tags" not in SHAPES.thread(o.agent_view(), o.thread())
    chat = o.chat()
    chat.follower_ids = ["jones@example.com"]
    assert SHAPES.chat(o.agent_view(), chat, None, follower="jones@example.com")["is_followed"]
    assert not SHAPES.chat(o.agent_view(), chat, None, follower="smith@example.com")["is_followed"]
