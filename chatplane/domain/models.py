"""Plain typed objects of the domain."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

AGENT = "agent"
CUSTOMER = "customer"

RECIPIENTS = ("all", "agents")
ROUTING_STATUSES = ("accepting_chats", "not_accepting_chats", "offline")


@dataclass(frozen=True)
class Principal:
    """Who is calling: an agent (person or bot) or a customer, within one license."""

    license_id: int
    user_type: str  # agent | customer
    user_id: str
    client_id: str
    scopes: frozenset[str]
    role: str = "normal"  # owner | administrator | normal (agents)
    is_bot: bool = False
    token_expires_at: float = 0.0
    # Authenticated with a personal access token (Basic), not an OAuth access token.
    personal: bool = False
    # Why the agent may not work now: `suspended` or `awaiting_approval` (its tokens are
    # refused but for asking to be unsuspended); None when it may.
    blocked: str | None = None

    @property
    def is_agent(self) -> bool:
        return self.user_type == AGENT

    @property
    def is_customer(self) -> bool:
        return self.user_type == CUSTOMER


@dataclass
class Agent:
    license_id: int
    id: str
    name: str
    email: str | None
    role: str
    is_bot: bool
    client_id: str | None
    avatar: str | None
    job_title: str | None
    max_chats_count: int
    routing_status: str
    webhooks: dict[str, Any] | None
    created_at: float
    # The Configuration API v3.x (domain/agents.py, domain/bots.py).
    suspended: bool = False
    awaiting_approval: bool = False
    login_status: str | None = None  # accepting_chats | not_accepting_chats; None: accepting
    last_logout_at: float | None = None
    default_group_priority: str | None = None
    secret_hash: str | None = None
    template_id: str | None = None
    # Stored and shown, read by no rule: mobile, notifications, email_subscriptions,
    # work_scheduler, timezone, a bot's type, when unsuspension was last requested.
    profile: dict[str, Any] = field(default_factory=dict)

    @property
    def may_work(self) -> bool:
        """Neither suspended nor awaiting approval: may log in, use tokens, get chats."""
        return not (self.suspended or self.awaiting_approval)


@dataclass
class Customer:
    id: str
    license_id: int
    name: str | None
    email: str | None
    avatar: str | None
    fields: dict[str, str]
    last_visit: dict[str, Any] | None
    chats_count: int
    threads_count: int
    visits_count: int
    agent_last_event_created_at: float | None
    customer_last_event_created_at: float | None
    banned_until: float | None
    created_at: float


@dataclass
class ChatUser:
    """A user as a member of one chat, with the profile fields the wire shows."""

    id: str
    type: str  # agent | customer
    present: bool
    last_seen_timestamp: int | None
    joined_at: float
    name: str | None = None
    email: str | None = None
    avatar: str | None = None
    routing_status: str | None = None
    customer: Customer | None = None
    # When the user last saw the chat's events, to the microsecond (v3.x
    # `events_seen_up_to`); `last_seen_timestamp` is the same moment in whole seconds.
    events_seen_up_to: float | None = None


@dataclass
class Event:
    id: str
    chat_id: str
    thread_id: str
    order: int
    type: str
    author_id: str | None
    recipients: str
    custom_id: str | None
    text: str | None
    body: dict[str, Any]
    properties: dict[str, dict[str, Any]]
    created_at: float
    # When the event was deleted (delete_event): customers and v3.0 reads no longer see
    # it; v3.6 agents see it marked as deleted.
    deleted_at: float | None = None

    @property
    def for_agents_only(self) -> bool:
        return self.recipients == "agents"

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass
class Thread:
    id: str
    chat_id: str
    order: int
    active: bool
    user_ids: list[str]
    properties: dict[str, dict[str, Any]]
    access: dict[str, Any]
    total_events: int
    created_at: float
    closed_at: float | None
    events: list[Event] | None = None
    # Tag names, case sensitive, in the order they were added (tag_thread).
    tags: list[str] = field(default_factory=list)


@dataclass
class Chat:
    id: str
    license_id: int
    customer_id: str | None
    access: dict[str, Any]
    properties: dict[str, dict[str, Any]]
    last_order: int
    last_thread_id: str | None
    active_thread_id: str | None
    created_at: float
    updated_at: float
    users: list[ChatUser] = field(default_factory=list)
    # Agents following the chat (follow_chat) without being its users: they hear every
    # push of the chat until they unfollow or a new thread starts. Stored on the chat's
    # row, so that fan-out knows them from the change's chat without a read.
    follower_ids: list[str] = field(default_factory=list)

    def user(self, user_id: str) -> ChatUser | None:
        for u in self.users:
            if u.id == user_id:
                return u
        return None

    def is_present(self, user_id: str) -> bool:
        u = self.user(user_id)
        return bool(u and u.present)

    @property
    def group_ids(self) -> list[int]:
        return list(self.access.get("group_ids", [0]))

    def present_agent_ids(self) -> list[str]:
        return [u.id for u in self.users if u.type == AGENT and u.present]
