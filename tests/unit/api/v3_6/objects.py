"""Domain objects as the stores make them, for rendering tests (no database needed)."""

from __future__ import annotations

from typing import Any

from chatplane.domain.models import Agent, Chat, ChatUser, Customer, Event, Thread
from chatplane.domain.properties import PropertyConfig
from chatplane.domain.viewer import View

NOW = 1_700_000_000.123456
NS = "property_namespace"
RW = {"read": True, "write": True}


def configs() -> dict[tuple[str, str], PropertyConfig]:
    every = {"access": {"agent": RW, "customer": RW}}
    agents_only = {"access": {"agent": RW, "customer": {"read": False, "write": False}}}
    out = {
        (NS, "property_name"): PropertyConfig(
            NS, "property_name", "string", {"chat": every, "thread": every, "event": every}
        ),
        (NS, "secret"): PropertyConfig(
            NS, "secret", "string", {"chat": agents_only, "thread": agents_only}
        ),
    }
    return out


def agent_view() -> View:
    return View(user_type="agent", configs=configs())


def customer_view() -> View:
    return View(user_type="customer", configs=configs())


PROPS = {NS: {"property_name": "property_value"}}


def customer(**kw: Any) -> Customer:
    values: dict[str, Any] = {
        "id": "b7eff798-f8df-4364-8059-649c35c9ed0c",
        "license_id": 1,
        "name": "Thomas Anderson",
        "email": "t.anderson@example.com",
        "avatar": "https://example.com/avatars/1.png",
        "fields": {"custom_key": "custom_value", "another_custom_key": "another_custom_value"},
        "last_visit": {
            "started_at": NOW - 100,
            "ended_at": NOW - 10,
            "referrer": "http://www.google.com/",
            "ip": "192.0.2.1",
            "user_agent": "Mozilla/5.0",
            "geolocation": {"country": "Poland", "country_code": "PL"},
            "last_pages": [{"opened_at": NOW - 90, "url": "https://example.com/", "title": "Home"}],
        },
        "chats_count": 3,
        "threads_count": 9,
        "visits_count": 5,
        "agent_last_event_created_at": NOW - 5,
        "customer_last_event_created_at": NOW - 6,
        "banned_until": None,
        "created_at": NOW - 1000,
    }
    values.update(kw)
    return Customer(**values)


def customer_user(c: Customer | None = None) -> ChatUser:
    c = c or customer()
    return ChatUser(
        id=c.id,
        type="customer",
        present=True,
        last_seen_timestamp=int(NOW),
        joined_at=NOW - 50,
        name=c.name,
        email=c.email,
        customer=c,
        events_seen_up_to=NOW,
    )


def agent_user(present: bool = True) -> ChatUser:
    return ChatUser(
        id="smith@example.com",
        type="agent",
        present=present,
        last_seen_timestamp=int(NOW),
        joined_at=NOW - 40,
        name="Agent Smith",
        email="smith@example.com",
        avatar="https://example.com/avatar.png",
        routing_status="accepting_chats",
        events_seen_up_to=NOW - 0.5,
    )


def event(kind: str = "message", **body: Any) -> Event:
    text = body.pop("text", "hello there" if kind in ("message", "system_message") else None)
    return Event(
        id="0affb00a-82d6-4e07-ae61-56ba5c36f743",
        chat_id="PJ0MRSHTDG",
        thread_id="K600PKZON8",
        order=2,
        type=kind,
        author_id=None if kind == "system_message" else "b7eff798-f8df-4364-8059-649c35c9ed0c",
        recipients=body.pop("recipients", "all"),
        custom_id="31-0C-1C-07-DB-16",
        text=text,
        body=body,
        properties={} if kind == "system_message" else dict(PROPS),
        created_at=NOW,
    )


def thread(events: list[Event] | None = None, active: bool = True) -> Thread:
    return Thread(
        id="K600PKZON8",
        chat_id="PJ0MRSHTDG",
        order=1,
        active=active,
        user_ids=["smith@example.com"],
        properties=dict(PROPS),
        access={"group_ids": [0]},
        total_events=len(events or []),
        created_at=NOW - 30,
        closed_at=None,
        events=events if events is not None else [event()],
    )


def chat(users: list[ChatUser] | None = None) -> Chat:
    return Chat(
        id="PJ0MRSHTDG",
        license_id=1,
        customer_id="b7eff798-f8df-4364-8059-649c35c9ed0c",
        access={"group_ids": [0]},
        properties=dict(PROPS),
        last_order=3,
        last_thread_id="K600PKZON8",
        active_thread_id="K600PKZON8",
        created_at=NOW - 60,
        updated_at=NOW,
        users=users if users is not None else [customer_user(), agent_user()],
    )


def agent() -> Agent:
    return Agent(
        license_id=1,
        id="smith@example.com",
        name="Agent Smith",
        email="smith@example.com",
        role="administrator",
        is_bot=False,
        client_id=None,
        avatar="cdn.example.com/avatars/1.png",
        job_title=None,
        max_chats_count=6,
        routing_status="accepting_chats",
        webhooks=None,
        created_at=NOW - 10_000,
    )


# -- configuration --------------------------------------------------------------------

SCHEDULE = {
    "timezone": "Europe/Warsaw",
    "schedule": [{"day": "monday", "enabled": True, "start": "08:30", "end": "12:30"}],
}


def configured_agent(**kw: Any) -> Agent:
    """An agent as the Configuration API v3.x keeps it (no avatar: the sample has none)."""
    values: dict[str, Any] = {
        "avatar": None,
        "role": "viceowner",
        "profile": {
            "notifications": ["new_visitor", "new_goal"],
            "email_subscriptions": ["weekly_summary"],
            "work_scheduler": SCHEDULE,
        },
    }
    values.update(kw)
    base = agent()
    for key, value in values.items():
        setattr(base, key, value)
    return base


def bot(**kw: Any) -> Agent:
    values: dict[str, Any] = {
        "id": "5c9871d5372c824cbf22d860a707a578",
        "name": "Bot Name",
        "email": None,
        "role": "normal",
        "is_bot": True,
        "client_id": "asXdesldiAJSq9padj",
        "avatar": None,
        "default_group_priority": "first",
    }
    values.update(kw)
    base = agent()
    for key, value in values.items():
        setattr(base, key, value)
    return base


APP = "0805e283233042b37f460ed8fbf22160"


def property_configs() -> dict[tuple[str, str], PropertyConfig]:
    """License and group properties: one agents may read, one they may not, and one its
    application has not published."""
    read = {"access": {"agent": {"read": True, "write": True}}}
    hidden = {"access": {"agent": {"read": False, "write": True}}}
    where = ("license", "group")
    return {
        (APP, "string_property"): PropertyConfig(
            APP, "string_property", "string", {loc: read for loc in where}
        ),
        (APP, "hidden"): PropertyConfig(APP, "hidden", "string", {loc: hidden for loc in where}),
        (APP, "unpublished"): PropertyConfig(
            APP, "unpublished", "string", {loc: read for loc in where}, public_access=[]
        ),
    }


def configuration_view() -> View:
    return View(user_type="agent", configs={**configs(), **property_configs()})
