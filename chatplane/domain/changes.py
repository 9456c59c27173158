"""Domain changes: what happened, recorded once by the unit of work that did it.

Pushes (realtime) and webhooks are both computed from these; nothing else sends them.
Each change carries the chat as it was right after the change, so deciding who may see
it needs no further reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chatplane.domain.models import Agent, Chat, ChatUser, Customer, Event, Thread


@dataclass
class Change:
    license_id: int


@dataclass
class ChatChange(Change):
    chat: Chat


@dataclass
class ThreadStarted(ChatChange):
    """A new thread (and maybe a new chat): `incoming_chat_thread`."""

    thread: Thread
    # Who started it (a customer, an agent, or None for the server).
    author_id: str | None = None
    author_type: str | None = None  # agent | customer (routing keeps an agent's thread)


@dataclass
class EventAppended(ChatChange):
    """An event added to an existing thread: `incoming_event`."""

    thread_id: str
    event: Event


@dataclass
class ThreadClosed(ChatChange):
    thread_id: str
    user_id: str | None  # None when the router closed it


@dataclass
class UserAdded(ChatChange):
    thread_id: str | None
    user: ChatUser
    # The user who did it (None: the server, routing), and why (v3.x `reason`: manual,
    # assigned by routing, ...).
    requester_id: str | None = None
    reason: str = "manual"


@dataclass
class UserRemoved(ChatChange):
    thread_id: str | None
    user_id: str
    user_type: str
    requester_id: str | None = None
    reason: str = "manual"


@dataclass
class LastSeenUpdated(ChatChange):
    thread_id: str | None
    user_id: str
    timestamp: int
    # The same moment to the microsecond (v3.x `seen_up_to`).
    seen_up_to: float | None = None


@dataclass
class PropertiesUpdated(ChatChange):
    """`chat_properties_updated`, `chat_thread_properties_updated`, `event_properties_updated`."""

    location: str  # chat | thread | event
    thread_id: str | None
    event_id: str | None
    # {namespace: {name: value}}: only what this request set.
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The properties of a `recipients: agents` event: customers never hear of them.
    for_agents_only: bool = False


@dataclass
class PropertiesDeleted(ChatChange):
    location: str
    thread_id: str | None
    event_id: str | None
    # {namespace: [name, ...]}
    properties: dict[str, list[str]] = field(default_factory=dict)
    for_agents_only: bool = False


@dataclass
class EventUpdated(ChatChange):
    thread_id: str
    event: Event


@dataclass
class RichMessagePostback(ChatChange):
    """`incoming_rich_message_postback`: sent only while the thread is active."""

    thread_id: str
    event_id: str
    user_id: str
    postback_id: str
    toggled: bool
    thread_active: bool
    # What v3.6 postbacks may say about the button besides its id (button_type,
    # button_value, ecommerce).
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class EventDeleted(ChatChange):
    """`event_deleted` (v3.6): the event stays stored, marked deleted."""

    thread_id: str
    event_id: str
    # A deleted `visibility: agents` event: customers never hear of it.
    for_agents_only: bool = False


@dataclass
class ThreadTagged(ChatChange):
    """`thread_tagged` (v3.6)."""

    thread_id: str
    tag: str


@dataclass
class ThreadUntagged(ChatChange):
    """`thread_untagged` (v3.6)."""

    thread_id: str
    tag: str


@dataclass
class ChatFollowed(ChatChange):
    """An agent follows the chat: it alone gets `incoming_chat` (v3.6). The chat names
    the agent among its `follower_ids` already; `thread` is the chat's active thread, or
    its last one, with every event (deleted ones marked), for that push."""

    agent_id: str
    thread: Thread | None = None


@dataclass
class ChatUnfollowed(ChatChange):
    """`chat_unfollowed` (v3.6), to the agent that unfollowed (all its connections)."""

    agent_id: str


# -- customers ---------------------------------------------------------------------------


@dataclass
class CustomerChange(Change):
    customer: Customer
    # Agents serving the customer now (present in one of its active chats): they hear of it.
    agent_ids: list[str] = field(default_factory=list)


@dataclass
class CustomerCreated(CustomerChange):
    pass


@dataclass
class CustomerUpdated(CustomerChange):
    # Whether the customer's (session) fields changed, and the customer's active chats then
    # as (chat id, thread id): the v3.x `customer_session_fields_updated` webhook is one
    # per active chat.
    fields_changed: bool = False
    active_chats: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class CustomerVisitStarted(CustomerChange):
    visit: dict[str, Any] = field(default_factory=dict)


@dataclass
class CustomerPageUpdated(CustomerChange):
    visit_id: int = 0
    page: dict[str, Any] = field(default_factory=dict)  # opened_at, url, title
    referrer: str | None = None


@dataclass
class CustomerVisitEnded(CustomerChange):
    visit_id: int = 0
    ended_at: float = 0.0


@dataclass
class CustomerSideStorageUpdated(Change):
    """What a customer's client should keep and send back in its next `login`."""

    customer_id: str
    storage: dict[str, str] = field(default_factory=dict)


# -- not stored: signals that only travel to whoever is connected ----------------------


@dataclass
class WelcomeMessageSent(Change):
    """`incoming_welcome_message` (Customer Chat API v3.6): the message a customer who asked
    for one (`request_welcome_message`) is greeted with, in the name of the agent it would
    chat with; only that customer's connections hear it."""

    customer_id: str
    message_id: str
    author_id: str
    text: str
    created_at: float


@dataclass
class TypingIndicatorSent(ChatChange):
    thread_id: str | None
    author_id: str
    author_type: str
    recipients: str
    is_typing: bool
    timestamp: int


@dataclass
class SneakPeekSent(ChatChange):
    """What a customer is typing, before sending it: agents only."""

    thread_id: str | None
    author_id: str
    text: str
    timestamp: int


@dataclass
class ThinkingIndicatorSent(ChatChange):
    """`incoming_thinking_indicator` (v3.6): an agent or bot is preparing a response."""

    thread_id: str | None
    author_id: str
    title: str | None
    description: str | None
    visibility: str = "all"  # all | agents
    custom_id: str | None = None
    sent_at: float = 0.0


@dataclass
class EventPreviewSent(ChatChange):
    """`incoming_event_preview` (Customer Chat API v3.6): a message not stored, shown to
    the chat's customer while the agent prepares the real one. The event has no id and
    no order; `created_at` is when it was sent."""

    thread_id: str
    event: Event


@dataclass
class MulticastSent(Change):
    author_id: str | None
    content: Any
    type: str | None
    all_agents: bool = False
    agent_ids: list[str] = field(default_factory=list)
    group_ids: list[int] = field(default_factory=list)
    customer_ids: list[str] = field(default_factory=list)


# -- routing, access and bans (issue 5) ------------------------------------------------


@dataclass
class AgentStatusChanged(Change):
    """`agent_updated` push, `agent_status_changed` webhook."""

    agent_id: str
    routing_status: str


@dataclass
class AccessChanged(ChatChange):
    """`access_granted` / `access_revoked` / `access_set` of a chat."""

    how: str  # granted | revoked | set
    # The group ids the push shows: those granted or revoked, or the whole new set.
    group_ids: list[int]
    # The chat's groups before the change: agents who lose access hear of it too.
    previous_group_ids: list[int] = field(default_factory=list)


@dataclass
class ChatTransferred(ChatChange):
    """`chat_transferred`."""

    thread_id: str | None
    requester_id: str
    target_type: str  # agent | group
    ids: list[Any]
    # Agents taken off the chat by the transfer also hear of it.
    previous_agent_ids: list[str] = field(default_factory=list)
    # The transfer moved the chat's access to other groups (v3.x `chat_access_updated`).
    access_changed: bool = False


@dataclass
class CustomerBanned(Change):
    """`customer_banned` to agents; the customer's connections are closed."""

    customer_id: str
    days: float


@dataclass
class RoutingChanged(Change):
    """Groups or routing settings changed: no push, but queued chats may now fit."""

    what: str


@dataclass
class AgentDeleted(Change):
    """`agent_deleted` webhooks (v3.x: `agent_deleted` or, for a bot, `bot_deleted`)."""

    agent_id: str
    is_bot: bool = False
    # A bot's owner application (who may read it by `agents-bot--my`).
    client_id: str | None = None


# -- configuration (the Configuration API v3.x) ------------------------------------------
# The v3.x `agent_created`, `group_updated`, `tag_deleted`, ... pushes and webhooks are
# rendered from these by the versions that have them; v3.0 has none of them.


@dataclass
class ConfigurationChange(Change):
    """Something of the license's configuration changed, and who changed it."""

    requester_id: str | None = field(default=None, kw_only=True)
    requester_client_id: str | None = field(default=None, kw_only=True)


@dataclass
class AgentConfigured(ConfigurationChange):
    """An agent (person or bot) was created or updated: `agent_created`, `agent_updated`,
    `bot_created`, `bot_updated`."""

    agent: Agent
    created: bool = False
    # Its groups now: (group id, priority).
    groups: list[tuple[int, str]] = field(default_factory=list)
    # What the update changed (None: everything, as for a new agent): the names of
    # `Agent`'s fields, `groups`, and those of its profile (`work_scheduler`, ...).
    updated: list[str] | None = None


@dataclass
class AgentAccessChanged(ConfigurationChange):
    """`agent_suspended`, `agent_unsuspended`, `agent_approved`; a suspended agent's
    connections are closed."""

    agent_id: str
    how: str  # suspended | unsuspended | approved


@dataclass
class GroupConfigured(ConfigurationChange):
    """`group_created`, `group_updated`, `group_deleted`."""

    group_id: int
    how: str  # created | updated | deleted
    name: str | None = None
    language_code: str | None = None
    agent_priorities: dict[str, str] = field(default_factory=dict)
    # What an update changed (`name`, `language_code`, `agent_priorities`); None: all.
    updated: list[str] | None = None
    # The group's members before an update or a delete: agents who leave it hear of it.
    previous_agent_ids: list[str] = field(default_factory=list)


@dataclass
class TagConfigured(ConfigurationChange):
    """`tag_created`, `tag_updated`, `tag_deleted`."""

    name: str
    how: str  # created | updated | deleted
    group_ids: list[int] = field(default_factory=list)
    author_id: str | None = None
    created_at: float | None = None
    # The groups before an update: agents of the groups it leaves hear of it too.
    previous_group_ids: list[int] = field(default_factory=list)


@dataclass
class AutoAccessesUpdated(ConfigurationChange):
    """`auto_accesses_updated`: the license's rules, in order, as they are now and as they
    were before (the push says what changed between the two)."""

    rules: list[dict[str, Any]] = field(default_factory=list)
    previous: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ConfiguredPropertiesChanged(ConfigurationChange):
    """`license_properties_updated` / `group_properties_updated` (and their deletes)."""

    group_id: int | None  # None: the license's own properties
    updated: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class GroupsStatusUpdated(Change):
    """A group's routing status changed (`accepting_chats`, `not_accepting_chats`,
    `offline`: an agent of it started or stopped accepting chats, connected or left, or
    its members changed): v3.x `groups_status_updated`. One change per group, so that
    each reaches exactly the agents who may read that group."""

    group_id: int
    status: str
