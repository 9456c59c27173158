"""Who hears the configuration pushes (agent_created, group_updated, tag_deleted,
groups_status_updated, license_properties_updated, ...): the agents whose scopes let them
read what changed, never customers; and v3.0 clients hear none of them."""

from __future__ import annotations

from typing import Any

import pytest

from chatplane.api.v3_0 import pushes as v30
from chatplane.api.v3_6 import pushes as v36
from chatplane.bus import Origin
from chatplane.domain import changes as ch
from chatplane.domain.access import role_scopes
from chatplane.domain.models import AGENT, CUSTOMER, Agent
from chatplane.domain.viewer import View
from chatplane.realtime.fanout import Fanout
from tests.unit.realtime.fakes import LICENSE, FakeSession, World, trivial

NOBODY = Origin()
APP = "app-1"


def agent(agent_id: str = "a9@x", *, is_bot: bool = False, client_id: str | None = None) -> Agent:
    return Agent(
        LICENSE, agent_id, "Nine", None, "normal", is_bot, client_id, None, None, 6, "", None, 0.0
    )


def heard(w: World, change: ch.Change) -> None:
    w.fanout().deliver(change, NOBODY)


def got(*sessions: FakeSession) -> list[bool]:
    return [bool(s.sent) for s in sessions]


def only(*scopes: str) -> frozenset[str]:
    return frozenset(scopes)


def test_agent_changes_reach_the_agents_who_may_read_agents() -> None:
    w = World()
    normal, admin = w.connect(AGENT, "a1"), w.connect(AGENT, "a2", role="administrator")
    customer = w.connect(CUSTOMER, "cust")
    chats_only = w.connect(AGENT, "a3", scopes=only("chats--all:rw"))
    own = w.connect(AGENT, "a9@x", scopes=only("agents--my:ro"))
    other_own = w.connect(AGENT, "a4", scopes=only("agents--my:rw"))
    for change in (
        ch.AgentConfigured(LICENSE, agent(), created=True),
        ch.AgentAccessChanged(LICENSE, "a9@x", "approved"),
        ch.AgentDeleted(LICENSE, "a9@x"),
    ):
        for s in (normal, admin, customer, chats_only, own, other_own):
            s.sent.clear()
        heard(w, change)
        # agents--all:ro (every role holds it) or, for itself, agents--my.
        assert got(normal, admin, customer, chats_only, own, other_own) == [
            True,
            True,
            False,
            False,
            True,
            False,
        ], change


def test_bot_changes_reach_who_may_read_agents_or_bots() -> None:
    w = World()
    normal = w.connect(AGENT, "a1")
    bots_of_app = w.connect(AGENT, "a2", scopes=only("agents-bot--my:ro"), client_id=APP)
    all_bots = w.connect(AGENT, "a3", scopes=only("agents-bot--all:rw"))
    neither = w.connect(AGENT, "a4", scopes=only("agents-bot--my:rw", "chats--all:ro"))
    mine = agent("b1", is_bot=True, client_id=APP)
    for change in (
        ch.AgentConfigured(LICENSE, mine, created=True),
        ch.AgentDeleted(LICENSE, "b1", is_bot=True, client_id=APP),
    ):
        for s in (normal, bots_of_app, all_bots, neither):
            s.sent.clear()
        heard(w, change)
        # `neither`'s application ("client") does not own the bot.
        assert got(normal, bots_of_app, all_bots, neither) == [True, True, True, False]


def test_group_changes_reach_group_readers_and_members_with_groups_my() -> None:
    w = World()
    normal = w.connect(AGENT, "a1")  # groups--all:ro
    member = w.connect(AGENT, "a2", groups=(0, 7), scopes=only("groups--my:ro"))
    joining = w.connect(AGENT, "a3", groups=(0,), scopes=only("groups--my:rw"))
    leaving = w.connect(AGENT, "a4", groups=(0,), scopes=only("groups--my:ro"))
    outsider = w.connect(AGENT, "a5", groups=(0, 8), scopes=only("groups--my:ro"))
    customer = w.connect(CUSTOMER, "cust")
    change = ch.GroupConfigured(
        LICENSE, 7, "updated", "G", "en", {"a3": "normal"}, ["agent_priorities"], ["a4"]
    )
    heard(w, change)
    assert got(normal, member, joining, leaving, outsider, customer) == [
        True,
        True,
        True,
        True,
        False,
        False,
    ]
    for s in (normal, member, joining, leaving, outsider):
        s.sent.clear()
    heard(w, ch.GroupsStatusUpdated(LICENSE, 7, "accepting_chats"))
    assert got(normal, member, joining, leaving, outsider) == [True, True, False, False, False]
    heard(w, ch.GroupsStatusUpdated(LICENSE, 0, "offline"))  # everyone is in group 0
    assert got(joining, leaving, outsider) == [True, True, True]


def test_tag_changes_reach_tag_readers_and_agents_of_the_tags_groups() -> None:
    w = World()
    normal = w.connect(AGENT, "a1")  # tags--all:ro
    in_group = w.connect(AGENT, "a2", groups=(3,), scopes=only("tags--groups:ro"))
    in_old_group = w.connect(AGENT, "a3", groups=(4,), scopes=only("tags--groups:rw"))
    elsewhere = w.connect(AGENT, "a4", groups=(5,), scopes=only("tags--groups:ro"))
    change = ch.TagConfigured(LICENSE, "vip", "updated", [3], previous_group_ids=[4])
    heard(w, change)
    assert got(normal, in_group, in_old_group, elsewhere) == [True, True, True, False]
    for s in (normal, in_group, in_old_group, elsewhere):
        s.sent.clear()
    heard(w, ch.TagConfigured(LICENSE, "general", "created", [0]))
    assert got(normal, in_group, in_old_group, elsewhere) == [True, True, True, True]


def test_auto_access_rules_reach_those_who_may_read_them() -> None:
    w = World()
    normal, admin = w.connect(AGENT, "a1"), w.connect(AGENT, "a2", role="administrator")
    heard(w, ch.AutoAccessesUpdated(LICENSE, rules=[], previous=[]))
    assert got(normal, admin) == [False, True]


def test_property_values_reach_every_agent_and_group_ones_its_readers() -> None:
    w = World()
    normal = w.connect(AGENT, "a1")
    member = w.connect(AGENT, "a2", groups=(0, 2), scopes=only("groups--my:ro"))
    outsider = w.connect(AGENT, "a3", groups=(0,), scopes=only("chats--all:ro"))
    customer = w.connect(CUSTOMER, "cust")
    values = {"ns": {"p": 1}}
    heard(w, ch.ConfiguredPropertiesChanged(LICENSE, None, updated=values))
    assert got(normal, member, outsider, customer) == [True, True, True, False]
    for s in (normal, member, outsider):
        s.sent.clear()
    heard(w, ch.ConfiguredPropertiesChanged(LICENSE, 2, updated=values))
    assert got(normal, member, outsider) == [True, True, False]


CONFIGURATION: list[Any] = [
    ch.AgentConfigured(LICENSE, agent(), created=True),
    ch.AgentConfigured(LICENSE, agent(), updated=["name"]),
    ch.AgentAccessChanged(LICENSE, "a9@x", "suspended"),
    ch.AgentDeleted(LICENSE, "b1", is_bot=True, client_id="client"),
    ch.GroupConfigured(LICENSE, 0, "updated", "General", "en", {"a1": "normal"}, ["name"]),
    ch.TagConfigured(LICENSE, "vip", "created", [0], author_id="a1", created_at=1.0),
    ch.AutoAccessesUpdated(
        LICENSE,
        rules=[{"id": "r", "access": {"groups": [0]}, "conditions": {}, "next_id": None}],
    ),
    ch.GroupsStatusUpdated(LICENSE, 0, "accepting_chats"),
]


@pytest.mark.parametrize("change", CONFIGURATION, ids=lambda c: type(c).__name__)
def test_v30_clients_and_customers_hear_nothing_of_the_configuration(change: ch.Change) -> None:
    for user_type in (AGENT, CUSTOMER):
        assert v30.render(change, View(user_type)) is None
    w = World()
    old_agent = w.connect(AGENT, "a1", version="3.0", role="owner")
    customer = w.connect(CUSTOMER, "cust")
    new_agent = w.connect(AGENT, "a1", role="owner")
    renderers = {"3.0": v30.render, "3.6": v36.render}
    Fanout(w.hub, lambda _lic, ut: View(ut), renderers).deliver(change, NOBODY)
    assert old_agent.sent == [] and customer.sent == []
    assert len(new_agent.frames) == 1


def test_an_owner_hears_every_configuration_change() -> None:
    """An owner holds every scope: it hears every configuration change."""
    w = World()
    owner = w.connect(AGENT, "o", role="owner", scopes=role_scopes("owner"))
    fanout = Fanout(w.hub, lambda _lic, ut: View(ut), {"3.6": trivial})
    for change in CONFIGURATION:
        fanout.deliver(change, NOBODY)
    assert len(owner.sent) == len(CONFIGURATION)
