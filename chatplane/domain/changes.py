"""Domain changes: what happened, recorded once by the unit of work that did it.

Pushes (realtime) and webhooks are both computed from these; nothing else sends them.
Each change carries the chat as it was right after the change, so deciding who may see
it needs no further reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chatplane.domain.models import Chat, ChatUser, Event, Thread


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


@dataclass
class UserRemoved(ChatChange):
    thread_id: str | None
    user_id: str
    user_type: str


@dataclass
class LastSeenUpdated(ChatChange):
    thread_id: str | None
    user_id: str
    timestamp: int


@dataclass
class PropertiesUpdated(ChatChange):
    """`chat_properties_updated`, `chat_thread_properties_updated`, `event_properties_updated`."""

    location: str  # chat | thread | event
    thread_id: str | None
    event_id: str | None
    # {namespace: {name: value}}: only what this request set.
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class PropertiesDeleted(ChatChange):
    location: str
    thread_id: str | None
    event_id: str | None
    # {namespace: [name, ...]}
    properties: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class EventUpdated(ChatChange):
    thread_id: str
    event: Event


@dataclass
class AgentStatusChanged(Change):
    """An agent's (or bot agent's) routing status changed: `agent_status_changed` webhooks."""

    agent_id: str
    routing_status: str  # accepting_chats | not_accepting_chats | offline


@dataclass
class AgentDeleted(Change):
    """`agent_deleted` webhooks."""

    agent_id: str
