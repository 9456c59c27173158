"""Who hears the changes that existed before v3.6 (realtime/fanout.py), and how often each
push is rendered."""

from __future__ import annotations

from chatplane.bus import Origin
from chatplane.domain import changes as ch
from chatplane.domain.models import AGENT, CUSTOMER
from tests.unit.realtime.fakes import LICENSE, World, chat, event, thread, user

NOBODY = Origin()


def test_a_chat_change_reaches_the_present_users_only() -> None:
    w = World()
    agent, gone, outsider = w.connect(AGENT, "a1"), w.connect(AGENT, "a2"), w.connect(AGENT, "a3")
    customer = w.connect(CUSTOMER, "cust")
    c = chat(user("cust", CUSTOMER), user("a1"), user("a2", present=False))
    w.fanout().deliver(ch.EventAppended(LICENSE, c, "T1", event()), NOBODY)
    assert agent.actions == ["EventAppended"] and customer.actions == ["EventAppended"]
    assert gone.actions == [] and outsider.actions == []


def test_an_agents_only_event_never_reaches_the_customer() -> None:
    w = World()
    agent, customer = w.connect(AGENT, "a1"), w.connect(CUSTOMER, "cust")
    c = chat(user("cust", CUSTOMER), user("a1"))
    fanout = w.fanout()
    fanout.deliver(ch.EventAppended(LICENSE, c, "T1", event("agents", "a1")), NOBODY)
    fanout.deliver(ch.EventUpdated(LICENSE, c, "T1", event("agents", "a1")), NOBODY)
    props = ch.PropertiesUpdated(LICENSE, c, "event", "T1", "E1", {}, for_agents_only=True)
    fanout.deliver(props, NOBODY)
    assert agent.actions == ["EventAppended", "EventUpdated", "PropertiesUpdated"]
    assert customer.actions == []


def test_every_connection_of_a_user_hears_it() -> None:
    w = World()
    desktop, mobile = w.connect(AGENT, "a1"), w.connect(AGENT, "a1", version="3.0")
    w.fanout().deliver(ch.EventAppended(LICENSE, chat(user("a1")), "T1", event()), NOBODY)
    assert desktop.actions == mobile.actions == ["EventAppended"]


def test_a_chat_nobody_serves_reaches_the_agents_with_access_to_it() -> None:
    w = World()
    in_group, other_group = w.connect(AGENT, "a1", groups=(1,)), w.connect(AGENT, "a2", groups=(2,))
    customer = w.connect(CUSTOMER, "cust")
    c = chat(user("cust", CUSTOMER), groups=[1])
    w.fanout().deliver(ch.ThreadStarted(LICENSE, c, thread(), "cust", CUSTOMER), NOBODY)
    assert in_group.actions == ["ThreadStarted"] and other_group.actions == []
    assert customer.actions == ["ThreadStarted"]
    # Group 0 holds every agent.
    w2 = World()
    anyone = w2.connect(AGENT, "a9", groups=(7,))
    w2.fanout().deliver(
        ch.ThreadStarted(LICENSE, chat(user("cust", CUSTOMER)), thread(), "cust", CUSTOMER), NOBODY
    )
    assert anyone.actions == ["ThreadStarted"]


def test_once_an_agent_serves_the_chat_the_queue_no_longer_hears_it() -> None:
    w = World()
    serving, watcher = w.connect(AGENT, "a1"), w.connect(AGENT, "a2")
    c = chat(user("cust", CUSTOMER), user("a1"))
    w.fanout().deliver(ch.EventAppended(LICENSE, c, "T1", event()), NOBODY)
    assert serving.actions == ["EventAppended"] and watcher.actions == []


def test_a_removed_user_hears_of_its_removal() -> None:
    w = World()
    removed, staying = w.connect(AGENT, "a1"), w.connect(AGENT, "a2")
    c = chat(user("cust", CUSTOMER), user("a1", present=False), user("a2"))
    w.fanout().deliver(ch.UserRemoved(LICENSE, c, "T1", "a1", AGENT), NOBODY)
    assert removed.actions == staying.actions == ["UserRemoved"]


def test_access_changes_reach_agents_who_gain_or_lose_access() -> None:
    w = World()
    losing, gaining = w.connect(AGENT, "a1", groups=(1,)), w.connect(AGENT, "a2", groups=(2,))
    unrelated = w.connect(AGENT, "a3", groups=(3,))
    serving = w.connect(AGENT, "a4", groups=(9,))
    c = chat(user("cust", CUSTOMER), user("a4"), groups=[2])
    change = ch.AccessChanged(LICENSE, c, "set", [2], previous_group_ids=[1])
    w.fanout().deliver(change, NOBODY)
    assert losing.actions == gaining.actions == serving.actions == ["AccessChanged"]
    assert unrelated.actions == []


def test_a_transfer_reaches_the_agents_taken_off_the_chat() -> None:
    w = World()
    old, new = w.connect(AGENT, "a1"), w.connect(AGENT, "a2")
    c = chat(user("cust", CUSTOMER), user("a1", present=False), user("a2"))
    change = ch.ChatTransferred(LICENSE, c, "T1", "a1", AGENT, ["a2"], previous_agent_ids=["a1"])
    w.fanout().deliver(change, NOBODY)
    assert old.actions == new.actions == ["ChatTransferred"]


def test_typing_indicators_skip_their_author_and_sneak_peeks_reach_agents_only() -> None:
    w = World()
    typist, other, customer = (
        w.connect(AGENT, "a1"),
        w.connect(AGENT, "a2"),
        w.connect(CUSTOMER, "cust"),
    )
    c = chat(user("cust", CUSTOMER), user("a1"), user("a2"))
    fanout = w.fanout()
    typing = ch.TypingIndicatorSent(LICENSE, c, "T1", "a1", AGENT, "all", True, 0)
    fanout.deliver(typing, Origin("s", "r", (LICENSE, AGENT, "a1")))
    assert typist.actions == [] and other.actions == customer.actions == ["TypingIndicatorSent"]
    to_agents = ch.TypingIndicatorSent(LICENSE, c, "T1", "a1", AGENT, "agents", True, 0)
    fanout.deliver(to_agents, NOBODY)
    assert customer.actions == ["TypingIndicatorSent"]
    assert other.actions == ["TypingIndicatorSent", "TypingIndicatorSent"]
    peek = ch.SneakPeekSent(LICENSE, c, "T1", "cust", "hel", 0)
    fanout.deliver(peek, Origin("s", "r", (LICENSE, CUSTOMER, "cust")))
    assert other.actions[-1] == "SneakPeekSent" and customer.actions == ["TypingIndicatorSent"]


def test_a_sneak_peek_does_not_reach_the_queue() -> None:
    w = World()
    watcher = w.connect(AGENT, "a1")
    c = chat(user("cust", CUSTOMER))
    w.fanout().deliver(ch.SneakPeekSent(LICENSE, c, "T1", "cust", "hel", 0), NOBODY)
    assert watcher.actions == []


def test_the_caller_hears_what_it_caused_with_its_request_id_on_the_requesting_session() -> None:
    w = World()
    requesting, other_tab = w.connect(AGENT, "a1"), w.connect(AGENT, "a1")
    member = w.connect(CUSTOMER, "cust")
    c = chat(user("cust", CUSTOMER), user("a9"))  # a1 is not (or no longer) in the chat
    origin = Origin(requesting.id, "req-7", (LICENSE, AGENT, "a1"))
    w.fanout().deliver(ch.ThreadClosed(LICENSE, c, "T1", "a1"), origin)
    assert requesting.frames[0]["request_id"] == "req-7"
    assert "request_id" not in other_tab.frames[0]
    assert "request_id" not in member.frames[0]


def test_statuses_and_bans_reach_every_agent_of_the_license() -> None:
    w = World()
    one, two, customer = w.connect(AGENT, "a1"), w.connect(AGENT, "a2"), w.connect(CUSTOMER, "cust")
    fanout = w.fanout()
    fanout.deliver(ch.AgentStatusChanged(LICENSE, "a1", "accepting_chats"), NOBODY)
    fanout.deliver(ch.CustomerBanned(LICENSE, "cust", 1.0), NOBODY)
    assert one.actions == two.actions == ["AgentStatusChanged", "CustomerBanned"]
    assert customer.actions == []


def test_multicast_reaches_the_agents_groups_and_customers_named() -> None:
    w = World()
    named, grouped, neither = (
        w.connect(AGENT, "a1", groups=(5,)),
        w.connect(AGENT, "a2", groups=(3,)),
        w.connect(AGENT, "a3", groups=(4,)),
    )
    customer = w.connect(CUSTOMER, "cust")
    change = ch.MulticastSent(
        LICENSE, "a1", {}, None, agent_ids=["a1"], group_ids=[3], customer_ids=["cust"]
    )
    w.fanout().deliver(change, NOBODY)
    assert named.actions == grouped.actions == customer.actions == ["MulticastSent"]
    assert neither.actions == []


def test_customer_changes_reach_serving_agents_and_the_customer() -> None:
    from chatplane.domain.models import Customer

    w = World()
    reader = w.connect(AGENT, "a1")
    no_scope = w.connect(AGENT, "a2", scopes=frozenset({"chats--my:ro"}))
    customer = w.connect(CUSTOMER, "cust")
    profile = Customer("cust", LICENSE, None, None, None, {}, None, 0, 0, 0, None, None, None, 0.0)
    fanout = w.fanout()
    fanout.deliver(ch.CustomerCreated(LICENSE, profile), NOBODY)
    assert reader.actions == ["CustomerCreated"] and no_scope.actions == []
    assert customer.actions == []
    fanout.deliver(ch.CustomerUpdated(LICENSE, profile, agent_ids=["a2"]), NOBODY)
    assert no_scope.actions == ["CustomerUpdated"] and customer.actions == ["CustomerUpdated"]
    assert reader.actions == ["CustomerCreated"]


def test_a_push_is_rendered_once_per_user_type_and_version() -> None:
    w = World()
    for i in range(5):
        w.connect(AGENT, f"a{i}")
        w.connect(AGENT, f"a{i}", version="3.0")
    for _ in range(3):
        w.connect(CUSTOMER, "cust")
    users = [user("cust", CUSTOMER), *(user(f"a{i}") for i in range(5))]
    w.fanout().deliver(ch.EventAppended(LICENSE, chat(*users), "T1", event()), NOBODY)
    assert sorted(w.rendered) == [
        (AGENT, "3.0"),
        (AGENT, "3.6"),
        (CUSTOMER, "3.6"),
    ]
