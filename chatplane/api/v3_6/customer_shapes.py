"""Domain objects in the Customer Chat API v3.6 shapes (customer-chat-api/data-structures).

What a customer reads differs from what an agent reads: events carry no `visibility` (a
customer sees only events for everyone), agents show no e-mail and no `visibility`, and a
chat summary names its last thread (`last_thread_id`, `last_thread_created_at`, `active`)
instead of summarising it. The rest is the agents' `Shapes` (api/v3_6/serialize.py), read
through the customer's `View`. v3.5's customer shapes are the same.
"""

from __future__ import annotations

from typing import Any

from chatplane.api.v3_6.serialize import Shapes, View, rfc3339
from chatplane.domain.models import ChatUser, Customer, Event
from chatplane.domain.views import ChatSummary

# What a login (`customer.statistics`) counts that Chatplane never does: no greetings are
# shown or accepted.
NO_GREETINGS = {"greetings_shown_count": 0, "greetings_accepted_count": 0}


class CustomerShapes(Shapes):
    """The shapes a customer reads; every method takes the customer's `View`."""

    def event(self, view: View, e: Event) -> dict[str, Any]:
        out = super().event(view, e)
        # Only events for everyone reach a customer: the field says nothing to them.
        out.pop("visibility", None)
        return out

    def user(self, view: View, u: ChatUser) -> dict[str, Any]:
        out = super().user(view, u)
        out.pop("visibility", None)
        return out

    def chat_summary(
        self,
        view: View,
        s: ChatSummary,
        thread_created: dict[str, float],
        follower: str | None = None,
    ) -> dict[str, Any]:
        """A Chat summary as list_chats shows it to the customer (`follower` is an agent's:
        a customer follows no chat)."""
        chat = s.chat
        out: dict[str, Any] = {"id": chat.id}
        if s.last_thread is not None:
            out["last_thread_id"] = s.last_thread.id
            out["last_thread_created_at"] = rfc3339(s.last_thread.created_at)
        out["last_event_per_type"] = {
            kind: {
                "thread_id": e.thread_id,
                "thread_created_at": rfc3339(thread_created.get(e.thread_id, e.created_at)),
                "event": self.event(view, e),
            }
            for kind, e in s.last_event_per_type.items()
        }
        out["users"] = self.users(view, chat)
        out["access"] = dict(chat.access)
        out["properties"] = self.properties(view, "chat", chat.properties)
        out["active"] = chat.active_thread_id is not None
        return out

    def logged_in(self, view: View, c: Customer) -> dict[str, Any]:
        """The customer as login shows it: with its statistics."""
        out = self.customer(view, c)
        out["statistics"] = {
            "chats_count": c.chats_count,
            "threads_count": c.threads_count,
            "visits_count": c.visits_count,
            **NO_GREETINGS,
        }
        return out


CUSTOMER_SHAPES = CustomerShapes()
