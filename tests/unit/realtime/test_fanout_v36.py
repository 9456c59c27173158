"""Who hears the v3.6 changes: thread tags, following, deleted events, thinking indicators
and event previews; and v3.0 clients hear nothing new."""

from __future__ import annotations

import pytest

from chatplane.api.v3_0 import pushes as v30
from chatplane.bus import Origin
from chatplane.domain import changes as ch
from chatplane.domain.models import AGENT, CUSTOMER
from chatplane.domain.viewer import View
from chatplane.realtime.fanout import Fanout
from tests.unit.realtime.fakes import LICENSE, World, chat, event, thread, trivial, user

NOBODY = Origin()


def test_thread_tags_reach_the_chats_users_and_followers() -> None:
    w = World()
    member, follower = w.connect(AGENT, "a1"), w.connect(AGENT, "a2")
    customer, outsider = w.connect(CUSTOMER, "cust"), w.connect(AGENT, "a3")
    c = chat(user("cust", CUSTOMER), user("a1"), followers=["a2"])
    fanout = w.fanout()
    fanout.deliver(ch.ThreadTagged(LICENSE, c, "T1", "sales"), NOBODY)
    fanout.deliver(ch.ThreadUntagged(LICENSE, c, "T1", "sales"), NOBODY)
    expected = ["ThreadTagged", "ThreadUntagged"]
    assert member.actions == follower.actions == customer.actions == expected
    assert outsider.actions == []


def test_followers_hear_every_push_of_the_chat() -> None:
    w = World()
    follower, other_tab = w.connect(AGENT, "f1"), w.connect(AGENT, "f1", version="3.0")
    c = chat(user("cust", CUSTOMER), user("a1"), followers=["f1"])
    fanout = w.fanout()
    for change in (
        ch.EventAppended(LICENSE, c, "T1", event()),
        ch.EventAppended(LICENSE, c, "T1", event("agents", "a1")),
        ch.ThreadClosed(LICENSE, c, "T1", "a1"),
        ch.LastSeenUpdated(LICENSE, c, "T1", "cust", 5),
        ch.SneakPeekSent(LICENSE, c, "T1", "cust", "hel", 0),
        ch.TypingIndicatorSent(LICENSE, c, "T1", "a1", AGENT, "all", True, 0),
    ):
        fanout.deliver(change, NOBODY)
    expected = [
        "EventAppended",
        "EventAppended",
        "ThreadClosed",
        "LastSeenUpdated",
        "SneakPeekSent",
        "TypingIndicatorSent",
    ]
    assert follower.actions == other_tab.actions == expected


def test_a_follower_who_can_no_longer_read_the_chat_hears_nothing() -> None:
    w = World()
    by_group = w.connect(AGENT, "f1", groups=(1,), scopes=frozenset({"chats--access:ro"}))
    everywhere = w.connect(AGENT, "f2", groups=(1,), scopes=frozenset({"chats--all:ro"}))
    c = chat(user("cust", CUSTOMER), user("a1"), groups=[2], followers=["f1", "f2"])
    w.fanout().deliver(ch.EventAppended(LICENSE, c, "T1", event()), NOBODY)
    assert by_group.actions == [] and everywhere.actions == ["EventAppended"]
    in_reach = chat(user("cust", CUSTOMER), user("a1"), groups=[1], followers=["f1"])
    w.fanout().deliver(ch.EventAppended(LICENSE, in_reach, "T1", event()), NOBODY)
    assert by_group.actions == ["EventAppended"]


def test_a_new_thread_does_not_reach_former_followers() -> None:
    w = World()
    former = w.connect(AGENT, "f1")
    c = chat(user("cust", CUSTOMER), user("a1"))  # the domain cleared follower_ids
    w.fanout().deliver(ch.ThreadStarted(LICENSE, c, thread(), "cust", CUSTOMER), NOBODY)
    assert former.actions == []


def test_following_is_announced_to_the_follower_alone() -> None:
    w = World()
    follower, its_phone = w.connect(AGENT, "f1"), w.connect(AGENT, "f1")
    member, customer = w.connect(AGENT, "a1"), w.connect(CUSTOMER, "cust")
    queue = w.connect(AGENT, "a2")
    c = chat(user("cust", CUSTOMER), followers=["f1"])  # nobody serves it: a queue watches
    origin = Origin(follower.id, "r1", (LICENSE, AGENT, "f1"))
    fanout = w.fanout()
    fanout.deliver(ch.ChatFollowed(LICENSE, c, "f1", thread()), origin)
    assert follower.actions == its_phone.actions == ["ChatFollowed"]
    assert follower.frames[0]["request_id"] == "r1"
    fanout.deliver(ch.ChatUnfollowed(LICENSE, chat(user("cust", CUSTOMER)), "f1"), origin)
    assert follower.actions == its_phone.actions == ["ChatFollowed", "ChatUnfollowed"]
    assert member.actions == customer.actions == queue.actions == []


def test_a_deleted_event_is_announced_like_the_event_was() -> None:
    w = World()
    agent, customer, follower = (
        w.connect(AGENT, "a1"),
        w.connect(CUSTOMER, "cust"),
        w.connect(AGENT, "f1"),
    )
    c = chat(user("cust", CUSTOMER), user("a1"), followers=["f1"])
    fanout = w.fanout()
    fanout.deliver(ch.EventDeleted(LICENSE, c, "T1", "E1"), NOBODY)
    assert agent.actions == customer.actions == follower.actions == ["EventDeleted"]
    fanout.deliver(ch.EventDeleted(LICENSE, c, "T1", "E2", for_agents_only=True), NOBODY)
    assert agent.actions == follower.actions == ["EventDeleted", "EventDeleted"]
    assert customer.actions == ["EventDeleted"]


def test_a_thinking_indicator_skips_its_author_and_respects_visibility() -> None:
    w = World()
    author, colleague, follower = (
        w.connect(AGENT, "a1"),
        w.connect(AGENT, "a2"),
        w.connect(AGENT, "f1"),
    )
    customer = w.connect(CUSTOMER, "cust")
    c = chat(user("cust", CUSTOMER), user("a1"), user("a2"), followers=["f1"])
    origin = Origin(author.id, "r1", (LICENSE, AGENT, "a1"))
    fanout = w.fanout()
    to_all = ch.ThinkingIndicatorSent(LICENSE, c, "T1", "a1", "Thinking", None)
    fanout.deliver(to_all, origin)
    assert author.actions == []
    assert colleague.actions == follower.actions == customer.actions == ["ThinkingIndicatorSent"]
    to_agents = ch.ThinkingIndicatorSent(
        LICENSE, c, "T1", "a1", "Thinking", None, visibility="agents"
    )
    fanout.deliver(to_agents, origin)
    assert customer.actions == ["ThinkingIndicatorSent"]
    assert colleague.actions == ["ThinkingIndicatorSent"] * 2


def test_an_event_preview_reaches_the_customer_only() -> None:
    w = World()
    author, colleague, follower = (
        w.connect(AGENT, "a1"),
        w.connect(AGENT, "a2"),
        w.connect(AGENT, "f1"),
    )
    customer = w.connect(CUSTOMER, "cust")
    absent_customer_chat = chat(user("cust", CUSTOMER, present=False), user("a1"))
    c = chat(user("cust", CUSTOMER), user("a1"), user("a2"), followers=["f1"])
    origin = Origin(author.id, "r1", (LICENSE, AGENT, "a1"))
    fanout = w.fanout()
    fanout.deliver(ch.EventPreviewSent(LICENSE, c, "T1", event(author_id="a1")), origin)
    assert customer.actions == ["EventPreviewSent"]
    assert author.actions == colleague.actions == follower.actions == []
    preview = ch.EventPreviewSent(LICENSE, absent_customer_chat, "T1", event(author_id="a1"))
    fanout.deliver(preview, origin)
    assert customer.actions == ["EventPreviewSent"]


@pytest.mark.parametrize(
    "change",
    [
        ch.ThreadTagged(LICENSE, chat(user("a1")), "T1", "x"),
        ch.ThreadUntagged(LICENSE, chat(user("a1")), "T1", "x"),
        ch.ChatFollowed(LICENSE, chat(user("a1"), followers=["a1"]), "a1", thread()),
        ch.ChatUnfollowed(LICENSE, chat(user("a1")), "a1"),
        ch.EventDeleted(LICENSE, chat(user("a1")), "T1", "E1"),
        ch.ThinkingIndicatorSent(LICENSE, chat(user("a1")), "T1", "a2", "t", "d"),
        ch.EventPreviewSent(LICENSE, chat(user("a1"), user("cust", CUSTOMER)), "T1", event()),
    ],
    ids=lambda change: type(change).__name__,
)
def test_v30_clients_hear_nothing_of_the_v36_changes(change: ch.Change) -> None:
    for user_type in (AGENT, CUSTOMER):
        assert v30.render(change, View(user_type)) is None
    w = World()
    old_agent = w.connect(AGENT, "a1", version="3.0")
    old_customer = w.connect(CUSTOMER, "cust", version="3.0")
    new_agent = w.connect(AGENT, "a1")
    fanout = Fanout(w.hub, lambda _lic, ut: View(ut), {"3.0": v30.render, "3.6": trivial})
    fanout.deliver(change, Origin(None, None, (LICENSE, AGENT, "a1")))
    assert old_agent.sent == [] and old_customer.sent == []
    if not isinstance(change, ch.EventPreviewSent | ch.ThinkingIndicatorSent):
        assert new_agent.actions == [type(change).__name__]
