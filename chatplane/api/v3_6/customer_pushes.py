"""Domain changes as Customer Chat API v3.6 pushes (customer-chat-api/rtm-pushes).

The agents' renderer (api/v3_6/pushes.py) already decides what a customer may hear of a
change (no events or properties for agents only, no sneak peeks, no visits); rendered
through the customer's shapes (api/v3_6/customer_shapes.py) its pushes are the customer
reference's. What differs is here: a customer hears nothing of chat access, thread tags or
following (agent pushes), its typing indicators say `recipients`, its
multicasts carry no `type`, and it hears of its own side storage
(`customer_side_storage_updated`), of welcome messages, and (v3.6) of deleted events,
agents' thinking indicators and event previews.

`both(agents, customers)` is the one renderer of a version that Fanout takes: each viewer
gets its own API's pushes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chatplane.api.v3_6.customer_shapes import CUSTOMER_SHAPES, CustomerShapes
from chatplane.api.v3_6.pushes import Pushes, Rendered
from chatplane.api.v3_6.pushes import render as render_agents
from chatplane.api.v3_6.serialize import View, rfc3339
from chatplane.domain import changes as ch

# Every push of the Customer Chat API v3.6 reference (login `pushes` may name these; the
# ones Chatplane never sends are listed in docs/coverage.md).
PUSH_NAMES = frozenset(
    {
        "incoming_chat",
        "chat_deactivated",
        "chat_transferred",
        "user_added_to_chat",
        "user_removed_from_chat",
        "incoming_event_preview",
        "incoming_event",
        "event_deleted",
        "event_updated",
        "incoming_rich_message_postback",
        "chat_properties_updated",
        "chat_properties_deleted",
        "thread_properties_updated",
        "thread_properties_deleted",
        "event_properties_updated",
        "event_properties_deleted",
        "customer_updated",
        "customer_side_storage_updated",
        "customer_disconnected",
        "groups_status_updated",
        "incoming_thinking_indicator",
        "incoming_typing_indicator",
        "incoming_multicast",
        "events_marked_as_seen",
        "incoming_greeting",
        "greeting_accepted",
        "greeting_canceled",
        "incoming_welcome_message",
        "queue_position_updated",
    }
)


class CustomerPushes(Pushes):
    """One version's customer pushes over its customer shapes."""

    def __init__(self, shapes: CustomerShapes) -> None:
        super().__init__(shapes)
        # Agents' pushes: chat access, thread tags and following are no customer's business.
        for agents_only in (
            ch.AccessChanged,
            ch.ThreadTagged,
            ch.ThreadUntagged,
            ch.ChatFollowed,
            ch.ChatUnfollowed,
        ):
            self._by_type[agents_only] = self.nothing
        self._by_type[ch.CustomerSideStorageUpdated] = self.customer_side_storage_updated
        self._by_type[ch.WelcomeMessageSent] = self.incoming_welcome_message
        self._by_type[ch.MulticastSent] = self.incoming_multicast
        self._by_type[ch.EventDeleted] = self.event_deleted
        self._by_type[ch.ThinkingIndicatorSent] = self.incoming_thinking_indicator
        self._by_type[ch.EventPreviewSent] = self.incoming_event_preview

    def render(self, change: ch.Change, view: View) -> Rendered:
        if view.agent:  # an agent is never rendered customer pushes
            return None
        return super().render(change, view)

    def nothing(self, c: ch.Change, view: View) -> Rendered:
        return None

    def incoming_typing_indicator(self, c: ch.TypingIndicatorSent, view: View) -> Rendered:
        if c.recipients != "all":
            return None
        return "incoming_typing_indicator", {
            "chat_id": c.chat.id,
            "thread_id": c.thread_id,
            "typing_indicator": {
                "author_id": c.author_id,
                "recipients": c.recipients,
                "timestamp": c.timestamp,
                "is_typing": c.is_typing,
            },
        }

    def event_deleted(self, c: ch.EventDeleted, view: View) -> Rendered:
        if c.for_agents_only:
            return None
        return "event_deleted", {
            "chat_id": c.chat.id,
            "thread_id": c.thread_id,
            "event_id": c.event_id,
        }

    def incoming_thinking_indicator(self, c: ch.ThinkingIndicatorSent, view: View) -> Rendered:
        if c.visibility != "all":
            return None
        payload: dict[str, Any] = {"chat_id": c.chat.id}
        if c.thread_id is not None:
            payload["thread_id"] = c.thread_id
        payload["author_id"] = c.author_id
        payload["sent_at"] = rfc3339(c.sent_at)
        for key in ("title", "description", "custom_id"):
            value = getattr(c, key)
            if value is not None:
                payload[key] = value
        return "incoming_thinking_indicator", payload

    def incoming_event_preview(self, c: ch.EventPreviewSent, view: View) -> Rendered:
        # A preview is no stored event: it has no id.
        event = self.shapes.event(view, c.event)
        event.pop("id", None)
        return "incoming_event_preview", {
            "chat_id": c.chat.id,
            "thread_id": c.thread_id,
            "event": event,
        }

    def incoming_multicast(self, c: ch.MulticastSent, view: View) -> Rendered:
        # The customer reference's multicast says who sent it (when a user did) and what.
        payload: dict[str, Any] = {}
        if c.author_id is not None:
            payload["author_id"] = c.author_id
        payload["content"] = c.content
        return "incoming_multicast", payload

    def customer_side_storage_updated(
        self, c: ch.CustomerSideStorageUpdated, view: View
    ) -> Rendered:
        return "customer_side_storage_updated", {"customer_side_storage": dict(c.storage)}

    def incoming_welcome_message(self, c: ch.WelcomeMessageSent, view: View) -> Rendered:
        event: dict[str, Any] = {
            "created_at": rfc3339(c.created_at),
            "type": "message",
            "text": c.text,
            "author_id": c.author_id,
        }
        return "incoming_welcome_message", {"id": c.message_id, "event": event}


PushRenderer = Callable[[ch.Change, View], Rendered]


def both(agents: PushRenderer, customers: PushRenderer) -> PushRenderer:
    """A version's renderer for Fanout: agents' pushes to agents, customers' to customers."""

    def render(change: ch.Change, view: View) -> Rendered:
        return agents(change, view) if view.agent else customers(change, view)

    return render


CUSTOMER_PUSHES = CustomerPushes(CUSTOMER_SHAPES)
render_customers = CUSTOMER_PUSHES.render
render = both(render_agents, render_customers)
