"""One sample of every domain change (and of each variant that renders as a different push),
for the machine-readable contract (`/asyncapi.json`, api/asyncapi.py).

The pushes and webhooks of each version are rendered from these by the version's own
renderers, so the contract lists exactly what the server sends; a test fails when a change
type has no sample here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chatplane.domain import changes as ch
from chatplane.domain.models import Agent, Chat, ChatUser, Customer, Event, Thread
from chatplane.domain.properties import PropertyConfig
from chatplane.domain.viewer import View

LICENSE = 1
T0 = 1_700_000_000.123456

_BOTH = {"agent": {"read": True, "write": True}, "customer": {"read": True, "write": True}}
CONFIGS = {
    ("sample", "score"): PropertyConfig(
        namespace="sample",
        name="score",
        type="int",
        locations={loc: {"access": _BOTH} for loc in ("chat", "thread", "event")},
    ),
    # A license and group property agents may read (license_properties_updated, ...).
    ("sample", "color"): PropertyConfig(
        namespace="sample",
        name="color",
        type="string",
        locations={loc: {"access": _BOTH} for loc in ("license", "group")},
    ),
}


def view(user_type: str) -> View:
    return View(user_type=user_type, configs=dict(CONFIGS), is_online=lambda _agent: True)


def _customer() -> Customer:
    return Customer(
        id="b7eff798-f8df-4364-8059-649c35c9ed0c",
        license_id=LICENSE,
        name="Thomas Anderson",
        email="t.anderson@example.com",
        avatar=None,
        fields={"company": "Example"},
        last_visit={
            "visit_id": 1,
            "started_at": T0,
            "ip": "203.0.113.7",
            "user_agent": "Mozilla/5.0",
            "last_pages": [{"opened_at": T0, "url": "https://example.com/", "title": "Home"}],
        },
        chats_count=1,
        threads_count=1,
        visits_count=1,
        agent_last_event_created_at=T0,
        customer_last_event_created_at=T0,
        banned_until=None,
        created_at=T0,
    )


def _event(recipients: str = "all") -> Event:
    return Event(
        id="0b8b5c2e-1b4f-4ef3-9bd0-6b3ecf31d6b2",
        chat_id="PJ0MRSHTDG",
        thread_id="K600PKZON8",
        order=3,
        type="message",
        author_id="b7eff798-f8df-4364-8059-649c35c9ed0c",
        recipients=recipients,
        custom_id="31",
        text="Hello!",
        body={},
        properties={"sample": {"score": 10}},
        created_at=T0,
    )


def _thread() -> Thread:
    return Thread(
        id="K600PKZON8",
        chat_id="PJ0MRSHTDG",
        order=2,
        active=True,
        user_ids=["b7eff798-f8df-4364-8059-649c35c9ed0c", "smith@example.com"],
        properties={"sample": {"score": 3}},
        access={"group_ids": [0]},
        total_events=1,
        created_at=T0,
        closed_at=None,
        events=[_event()],
    )


def _agent_user() -> ChatUser:
    return ChatUser(
        id="smith@example.com",
        type="agent",
        present=True,
        last_seen_timestamp=int(T0),
        joined_at=T0,
        name="Agent Smith",
        email="smith@example.com",
        avatar=None,
        routing_status="accepting_chats",
    )


def _customer_user() -> ChatUser:
    return ChatUser(
        id="b7eff798-f8df-4364-8059-649c35c9ed0c",
        type="customer",
        present=True,
        last_seen_timestamp=int(T0),
        joined_at=T0,
        customer=_customer(),
    )


def _chat() -> Chat:
    return Chat(
        id="PJ0MRSHTDG",
        license_id=LICENSE,
        customer_id="b7eff798-f8df-4364-8059-649c35c9ed0c",
        access={"group_ids": [0]},
        properties={"sample": {"score": 5}},
        last_order=3,
        last_thread_id="K600PKZON8",
        active_thread_id="K600PKZON8",
        created_at=T0,
        updated_at=T0,
        users=[_customer_user(), _agent_user()],
    )


def _agent(agent_id: str) -> Agent:
    return Agent(
        license_id=LICENSE,
        id=agent_id,
        name="Agent Smith",
        email=agent_id,
        role="administrator",
        is_bot=False,
        client_id=None,
        avatar="https://cdn.example.com/smith.png",
        job_title="Support",
        max_chats_count=6,
        routing_status="accepting_chats",
        webhooks=None,
        created_at=T0,
        login_status="accepting_chats",
    )


def samples() -> list[ch.Change]:
    """Every change type, and each variant that is a push of its own."""
    chat, thread, customer = _chat(), _thread(), _customer()
    tid, eid = thread.id, _event().id
    agent = "smith@example.com"
    out: list[ch.Change] = [
        ch.ThreadStarted(LICENSE, chat, thread, customer.id, "customer"),
        ch.EventAppended(LICENSE, chat, tid, _event()),
        ch.EventAppended(LICENSE, chat, tid, _event("agents")),
        ch.EventUpdated(LICENSE, chat, tid, _event()),
        ch.ThreadClosed(LICENSE, chat, tid, agent),
        ch.UserAdded(LICENSE, chat, tid, _agent_user()),
        ch.UserAdded(LICENSE, chat, tid, _customer_user()),
        ch.UserRemoved(LICENSE, chat, tid, agent, "agent"),
        ch.LastSeenUpdated(LICENSE, chat, tid, agent, int(T0)),
        ch.RichMessagePostback(LICENSE, chat, tid, eid, customer.id, "yes", True, True),
        ch.CustomerCreated(LICENSE, customer),
        ch.CustomerUpdated(LICENSE, customer, [agent]),
        ch.CustomerVisitStarted(LICENSE, customer, [agent], dict(customer.last_visit or {})),
        ch.CustomerPageUpdated(
            LICENSE,
            customer,
            [agent],
            visit_id=1,
            page={"opened_at": T0, "url": "https://example.com/pricing", "title": "Pricing"},
            referrer="https://example.org/",
        ),
        ch.CustomerVisitEnded(LICENSE, customer, [agent], visit_id=1, ended_at=T0),
        ch.CustomerSideStorageUpdated(LICENSE, customer.id, {"customer_id": customer.id}),
        ch.WelcomeMessageSent(
            LICENSE, customer.id, "welcome-1", agent, "Welcome! How can I help you today?", T0
        ),
        ch.TypingIndicatorSent(LICENSE, chat, tid, agent, "agent", "all", True, int(T0)),
        ch.TypingIndicatorSent(LICENSE, chat, tid, customer.id, "customer", "all", True, int(T0)),
        ch.SneakPeekSent(LICENSE, chat, tid, customer.id, "Hello, I would li", int(T0)),
        ch.MulticastSent(
            LICENSE,
            agent,
            {"example": "message"},
            "note",
            all_agents=True,
            customer_ids=[customer.id],
        ),
        ch.AgentStatusChanged(LICENSE, agent, "accepting_chats"),
        ch.AgentDeleted(LICENSE, agent),
        ch.ChatTransferred(LICENSE, chat, tid, agent, "agent", ["jones@example.com"], [agent]),
        ch.CustomerBanned(LICENSE, customer.id, 3),
        ch.RoutingChanged(LICENSE, "groups"),
        # v3.6
        ch.ThreadTagged(LICENSE, chat, tid, "bug_report"),
        ch.ThreadUntagged(LICENSE, chat, tid, "bug_report"),
        # Following and unfollowing reach the follower only: the sample agent follows.
        ch.ChatFollowed(LICENSE, replace(chat, follower_ids=[agent]), agent, thread),
        ch.ChatUnfollowed(LICENSE, chat, agent),
        ch.EventDeleted(LICENSE, chat, tid, eid),
        # A bot thinks: everyone in the chat but its author hears it.
        ch.ThinkingIndicatorSent(
            LICENSE,
            chat,
            tid,
            "bot@example.com",
            "Thinking...",
            "Fetching data from the Billing API...",
            custom_id="31-0C-1C-07-DB-16",
            sent_at=T0,
        ),
        ch.EventPreviewSent(
            LICENSE,
            chat,
            tid,
            replace(_event(), id="", order=0, author_id=agent, properties={}),
        ),
    ]
    # The Configuration API v3.x (issue 16): configuration changes and who made them.
    app = "0805e283233042b37f460ed8fbf22160"
    by: dict[str, Any] = {"requester_id": agent, "requester_client_id": app}
    smith = replace(
        _agent(agent),
        profile={
            "mobile": "+48 123 456 789",
            "notifications": ["new_visitor", "incoming_chat"],
            "email_subscriptions": ["weekly_summary"],
            "work_scheduler": {
                "timezone": "Europe/Warsaw",
                "schedule": [{"day": "monday", "enabled": True, "start": "08:30", "end": "16:30"}],
            },
        },
    )
    memberships = [(0, "normal"), (19, "first")]
    out.append(ch.AgentConfigured(LICENSE, smith, created=True, groups=memberships, **by))
    out.append(
        ch.AgentConfigured(
            LICENSE, smith, groups=memberships, updated=["groups", "work_scheduler"], **by
        )
    )
    bot = replace(
        _agent(agent),
        id="5c9871d5372c824cbf22d860a707a578",
        is_bot=True,
        email=None,
        client_id=app,
        default_group_priority="first",
    )
    out.append(ch.AgentConfigured(LICENSE, bot, created=True, groups=[(0, "normal")], **by))
    out.append(ch.AgentConfigured(LICENSE, bot, groups=[(0, "normal")], updated=["name"], **by))
    out.append(ch.AgentDeleted(LICENSE, bot.id, is_bot=True, client_id=app))
    for how in ("suspended", "unsuspended", "approved"):
        out.append(
            ch.AgentAccessChanged(
                LICENSE, "jones@example.com", how, requester_id=agent, requester_client_id=app
            )
        )
    for how, updated in (("created", None), ("updated", ["name"])):
        out.append(
            ch.GroupConfigured(
                LICENSE, 19, how, "Sports shoes", "en", {agent: "normal"}, updated=updated, **by
            )
        )
    out.append(
        ch.GroupConfigured(LICENSE, 19, "deleted", requester_id=agent, requester_client_id=app)
    )
    for how in ("created", "updated", "deleted"):
        out.append(
            ch.TagConfigured(
                LICENSE, "docs_feedback", how, [0, 19], author_id=agent, created_at=T0, **by
            )
        )
    rule = {
        "id": "pqi8oasdjahuakndw9nsad9na",
        "description": "Chats on example.com",
        "access": {"groups": [19]},
        "conditions": {"domain": {"values": [{"value": "example.com", "exact_match": True}]}},
        "next_id": None,
    }
    # One rule deleted, one added after the one that stays: every status of the push.
    gone = {**rule, "id": "b1cd0bfea640f671694110c6ae34356f", "next_id": rule["id"]}
    added = {**rule, "id": "dc70916fdc9d02ea0bcdee5b2fa64717", "description": None}
    out.append(
        ch.AutoAccessesUpdated(
            LICENSE,
            rules=[{**rule, "next_id": added["id"]}, added],
            previous=[gone, rule],
            **by,
        )
    )
    out.append(ch.GroupsStatusUpdated(LICENSE, 19, "accepting_chats"))
    for group_id in (None, 19):
        out.append(
            ch.ConfiguredPropertiesChanged(
                LICENSE,
                group_id,
                updated={"sample": {"color": "blue"}},
                requester_id=agent,
                requester_client_id=app,
            )
        )
        out.append(
            ch.ConfiguredPropertiesChanged(
                LICENSE,
                group_id,
                deleted={"sample": ["color"]},
                requester_id=agent,
                requester_client_id=app,
            )
        )
    for how in ("granted", "revoked", "set"):
        out.append(ch.AccessChanged(LICENSE, chat, how, [1], [0]))
    for location in ("chat", "thread", "event"):
        where = {
            "chat": (None, None),
            "thread": (tid, None),
            "event": (tid, eid),
        }[location]
        out.append(ch.PropertiesUpdated(LICENSE, chat, location, *where, {"sample": {"score": 7}}))
        out.append(ch.PropertiesDeleted(LICENSE, chat, location, *where, {"sample": ["score"]}))
    return out
