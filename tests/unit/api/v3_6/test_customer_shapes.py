"""The Customer Chat API v3.6 shapes against the customer reference's samples (keys and
JSON types): events, users, threads, chats, chat summaries, the customer and login; the
sample's keys Chatplane does not render are named (what it keeps no data for)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chatplane.api.customer_sessions import has_unread_events
from chatplane.api.v3_6.customer_shapes import CUSTOMER_SHAPES as SHAPES
from chatplane.api.v3_6.serialize import rfc3339
from chatplane.domain.views import ChatSummary

from . import objects as o
from .samples import PAYLOADS, SPEC, assert_like, needs_spec, strip_comments

pytestmark = needs_spec

CUSTOMER_PAGES = SPEC / "messaging" / "customer-chat-api"

# What the reference's customers have and Chatplane keeps nothing of.
CUSTOMER_ABSENT = {"email_verified", "phone_number", "omnichannel", "address"}


def sample(path: str, version: str = "3.6") -> Any:
    return json.loads((PAYLOADS / f"v{version}" / "customer-chat-api" / f"{path}.json").read_text())


def mdx_response(page: str, heading: str) -> Any:
    """The first sample response after `### <heading>` on a customer reference page (an
    RTM frame's `payload`)."""
    text = (CUSTOMER_PAGES / page).read_text()
    at = text.index(f"### {heading}\n")
    block = text[at:].split("<CodeResponse", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    value = json.loads(strip_comments(block))
    return value.get("payload", value) if value.get("type") == "response" else value


def absent(prefix: str, names: set[str]) -> frozenset[str]:
    return frozenset(f"{prefix}.{n}" for n in names)


COMMON = {"id", "custom_id", "created_at", "type", "author_id", "properties", "text"}


@pytest.mark.parametrize(
    ("name", "not_kept"),
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
@pytest.mark.parametrize("version", ["3.6", "3.5"])
def test_each_event_type_in_the_customer_reference_shape(
    name: str, not_kept: set[str], version: str
) -> None:
    reference = sample(f"events/{name}", version)
    body = {k: v for k, v in reference.items() if k not in COMMON | not_kept}
    e = o.event(reference["type"], text=reference.get("text"), **body)
    ours = SHAPES.event(o.customer_view(), e)
    assert_like(ours, reference, absent=absent("$", not_kept))
    # A customer reads only events for everyone: no `visibility` (nor v3.0's names).
    assert not {"visibility", "recipients", "order", "timestamp"} & set(ours)


def test_events_for_agents_only_and_their_secret_properties_never_show() -> None:
    assert SHAPES.events(o.customer_view(), [o.event(recipients="agents")]) == []
    e = o.event()
    e.properties = {o.NS: {"property_name": "v", "secret": "s"}}
    assert SHAPES.event(o.customer_view(), e)["properties"] == {o.NS: {"property_name": "v"}}


def test_users_in_the_customer_reference_shape() -> None:
    agent = SHAPES.user(o.customer_view(), o.agent_user())
    assert_like(agent, sample("users/agent"))
    assert "email" not in agent and "visibility" not in agent
    customer = SHAPES.user(o.customer_view(), o.customer_user())
    assert_like(customer, sample("users/customer"), absent=absent("$", CUSTOMER_ABSENT))
    assert customer["session_fields"] == [
        {"custom_key": "custom_value"},
        {"another_custom_key": "another_custom_value"},
    ]
    # What agents read of a customer and the customer does not.
    assert not {"statistics", "visit", "last_visit", "created_at"} & set(customer)


def test_thread_in_the_customer_reference_shape() -> None:
    ours = SHAPES.thread(
        o.customer_view(), o.thread(), thread_ids=["K600PKZOM8", "K600PKZON8", "K600PKZOO8"]
    )
    # Chatplane keeps no estimate of a queued chat's wait.
    assert_like(ours, sample("other-structures/thread"), absent=frozenset({"$.queue"}))
    assert ours["previous_thread_id"] == "K600PKZOM8" and ours["next_thread_id"] == "K600PKZOO8"


def bare_event() -> Any:
    """An event without its optional fields, as the methods' samples show them."""
    e = o.event()
    e.custom_id = None
    e.properties = {}
    return e


def bare_chat() -> Any:
    """A chat whose customer says nothing of itself and has not looked yet, as the
    methods' samples show it."""
    me = o.customer_user(o.customer(name=None, email=None, avatar=None, fields={}))
    me.events_seen_up_to = me.last_seen_timestamp = None
    agent = o.agent_user()
    agent.events_seen_up_to = agent.last_seen_timestamp = None
    return o.chat([me, agent])


def test_get_chat_in_the_reference_shape() -> None:
    thread = o.thread([bare_event()])
    ours = SHAPES.chat(o.customer_view(), bare_chat(), thread, thread_ids=["K600PKZON8"])
    reference = mdx_response("index.mdx", "Get Chat")
    assert_like(
        ours,
        reference,
        # An only thread has no neighbours; Chatplane keeps no agents' job titles.
        absent=frozenset(
            {"$.thread.previous_thread_id", "$.thread.next_thread_id", "$.users.job_title"}
        ),
    )


def test_chat_summary_in_the_list_chats_reference_shape() -> None:
    summary = ChatSummary(bare_chat(), o.thread(), {"message": bare_event()})
    ours = SHAPES.chat_summary(o.customer_view(), summary, {"K600PKZON8": o.NOW - 30})
    reference = mdx_response("index.mdx", "List Chats")["chats_summary"][0]
    assert_like(ours, reference, absent=frozenset({"$.users.job_title"}))
    assert ours["last_thread_id"] == "K600PKZON8" and ours["active"] is True
    assert ours["last_thread_created_at"] == rfc3339(o.NOW - 30)
    last = ours["last_event_per_type"]["message"]
    assert last["thread_created_at"] == rfc3339(o.NOW - 30)
    assert "visibility" not in last["event"]


def test_get_customer_and_login_customer_in_the_reference_shape() -> None:
    me = SHAPES.customer(o.customer_view(), o.customer())
    assert_like(me, mdx_response("index.mdx", "Get Customer"))
    logged_in = SHAPES.logged_in(o.customer_view(), o.customer())
    reference = mdx_response("rtm-reference/index.mdx", "Login")["customer"]
    # The login sample leaves out the Customer structure's `type`, which login keeps.
    assert logged_in.pop("type") == "customer"
    # Chatplane counts no page views.
    assert_like(logged_in, reference, absent=frozenset({"$.statistics.page_views_count"}))
    assert logged_in["statistics"]["greetings_shown_count"] == 0


def test_a_chat_has_unread_events_when_someone_else_wrote_after_the_customer_looked() -> None:
    chat = o.chat()
    me = chat.user("b7eff798-f8df-4364-8059-649c35c9ed0c")
    assert me is not None
    agents = o.event()
    agents.author_id = "smith@example.com"
    summary = ChatSummary(chat, o.thread(), {"message": agents})
    me.events_seen_up_to = o.NOW - 1
    assert has_unread_events(summary, me.id)
    me.events_seen_up_to = o.NOW
    assert not has_unread_events(summary, me.id)
    own = ChatSummary(chat, o.thread(), {"message": o.event()})
    me.events_seen_up_to = None
    me.last_seen_timestamp = None
    assert not has_unread_events(own, me.id)
