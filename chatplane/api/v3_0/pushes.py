"""Domain changes as v3.0 pushes, in the shape each user type gets (or none)."""

from __future__ import annotations

from typing import Any

from chatplane.api.v3_0 import serialize as ser
from chatplane.domain import changes as ch

Push = tuple[str, dict[str, Any]]


def render(change: ch.Change, view: ser.View) -> Push | None:
    """The push for `change` as `view` sees it; None when that viewer gets nothing."""
    if isinstance(change, ch.ThreadStarted):
        return "incoming_chat_thread", {
            "chat": ser.chat_with_thread(view, change.chat, change.thread)
        }
    if isinstance(change, ch.EventAppended):
        if not view.agent and change.event.recipients != "all":
            return None
        return "incoming_event", {
            "chat_id": change.chat.id,
            "thread_id": change.thread_id,
            "event": ser.event(view, change.event),
        }
    if isinstance(change, ch.EventUpdated):
        if not view.agent and change.event.recipients != "all":
            return None
        return "event_updated", {
            "chat_id": change.chat.id,
            "thread_id": change.thread_id,
            "event": ser.event(view, change.event),
        }
    if isinstance(change, ch.ThreadClosed):
        payload: dict[str, Any] = {"chat_id": change.chat.id, "thread_id": change.thread_id}
        if change.user_id is not None:
            payload["user_id"] = change.user_id
        return "thread_closed", payload
    if isinstance(change, ch.UserAdded):
        return "chat_user_added", {
            "chat_id": change.chat.id,
            "thread_id": change.thread_id,
            "user": ser.user(view, change.user),
            "user_type": change.user.type,
        }
    if isinstance(change, ch.UserRemoved):
        return "chat_user_removed", {
            "chat_id": change.chat.id,
            "thread_id": change.thread_id,
            "user_id": change.user_id,
            "user_type": change.user_type,
        }
    if isinstance(change, ch.LastSeenUpdated):
        payload = {"user_id": change.user_id, "chat_id": change.chat.id}
        if not view.agent:
            payload["thread_id"] = change.thread_id
        payload["timestamp"] = change.timestamp
        return "last_seen_timestamp_updated", payload
    if isinstance(change, ch.PropertiesUpdated | ch.PropertiesDeleted) and (
        change.for_agents_only and not view.agent
    ):
        return None
    if isinstance(change, ch.PropertiesUpdated):
        visible = ser.properties(view, change.location, change.properties)
        if not visible:
            return None
        return _properties_action(change.location, "updated"), {
            **_where(change.chat.id, change.thread_id, change.event_id),
            "properties": visible,
        }
    if isinstance(change, ch.PropertiesDeleted):
        deleted = view.readable_names(change.location, change.properties)
        if not deleted:
            return None
        return _properties_action(change.location, "deleted"), {
            **_where(change.chat.id, change.thread_id, change.event_id),
            "properties": deleted,
        }
    if isinstance(change, ch.TypingIndicatorSent):
        if not view.agent and change.recipients != "all":
            return None
        indicator: dict[str, Any] = {"author_id": change.author_id}
        if view.agent:
            indicator["recipients"] = change.recipients
        indicator["timestamp"] = change.timestamp
        indicator["is_typing"] = change.is_typing
        return "incoming_typing_indicator", {
            "chat_id": change.chat.id,
            "thread_id": change.thread_id,
            "typing_indicator": indicator,
        }
    if isinstance(change, ch.SneakPeekSent):
        if not view.agent:
            return None
        return "incoming_sneak_peek", {
            "chat_id": change.chat.id,
            "thread_id": change.thread_id,
            "sneak_peek": {
                "author_id": change.author_id,
                "recipients": "agents",
                "timestamp": change.timestamp,
                "text": change.text,
            },
        }
    if isinstance(change, ch.RichMessagePostback):
        if not change.thread_active:
            return None
        return "incoming_rich_message_postback", {
            "user_id": change.user_id,
            "chat_id": change.chat.id,
            "thread_id": change.thread_id,
            "event_id": change.event_id,
            "postback": {"id": change.postback_id, "toggled": change.toggled},
        }
    if isinstance(change, ch.CustomerCreated):
        return "customer_created", {"customer": ser.customer(view, change.customer)}
    if isinstance(change, ch.CustomerUpdated):
        return "customer_updated", {"customer": ser.customer(view, change.customer)}
    if isinstance(change, ch.CustomerVisitStarted):
        if not view.agent:
            return None
        v = change.visit
        started: dict[str, Any] = {
            "customer_id": change.customer.id,
            "visit_id": v["visit_id"],
            "started_at": ser.iso(v["started_at"]),
        }
        for key in ("ip", "user_agent", "referrer"):
            if v.get(key):
                started[key] = v[key]
        return "customer_visit_started", started
    if isinstance(change, ch.CustomerPageUpdated):
        page = change.page
        if not view.agent:
            return "customer_page_updated", {
                "url": page["url"],
                "title": page.get("title"),
                "timestamp": int(page["opened_at"]),
            }
        return "customer_page_updated", {
            "customer_id": change.customer.id,
            "visit_id": change.visit_id,
            "opened_at": ser.iso(page["opened_at"]),
            "url": page["url"],
            "title": page.get("title"),
            "referrer": change.referrer,
        }
    if isinstance(change, ch.CustomerVisitEnded):
        if not view.agent:
            return None
        return "customer_visit_ended", {
            "customer_id": change.customer.id,
            "visit_id": change.visit_id,
            "ended_at": ser.iso(change.ended_at),
        }
    if isinstance(change, ch.CustomerSideStorageUpdated):
        if view.agent:
            return None
        return "customer_side_storage_updated", {"customer_side_storage": change.storage}
    if isinstance(change, ch.MulticastSent):
        payload = {"author_id": change.author_id, "content": change.content}
        if change.type is not None:
            payload["type"] = change.type
        return "incoming_multicast", payload
    return _routing_push(change, view)


def _routing_push(change: ch.Change, view: ser.View) -> Push | None:
    """Pushes of statuses, access, transfers and bans (issue 5)."""
    if isinstance(change, ch.AgentStatusChanged):
        if not view.agent:
            return None
        return "agent_updated", {
            "agent_id": change.agent_id,
            "routing_status": change.routing_status,
        }
    if isinstance(change, ch.AccessChanged):
        # Customers hear only `access_set` (customer-chat-api, Pushes).
        if not view.agent and change.how != "set":
            return None
        return f"access_{change.how}", {
            "resource": "chat",
            "id": change.chat.id,
            "access": {"group_ids": list(change.group_ids)},
        }
    if isinstance(change, ch.ChatTransferred):
        payload: dict[str, Any] = {"chat_id": change.chat.id}
        if not view.agent:
            payload["thread_id"] = change.thread_id
        payload["requester_id"] = change.requester_id
        payload["type"] = change.target_type
        payload["ids"] = list(change.ids)
        return "chat_transferred", payload
    if isinstance(change, ch.CustomerBanned):
        if not view.agent:
            return None
        days = int(change.days) if float(change.days).is_integer() else change.days
        return "customer_banned", {"customer_id": change.customer_id, "ban": {"days": days}}
    return None


def _properties_action(location: str, what: str) -> str:
    prefix = {"chat": "chat", "thread": "chat_thread", "event": "event"}[location]
    return f"{prefix}_properties_{what}"


def _where(chat_id: str, thread_id: str | None, event_id: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"chat_id": chat_id}
    if thread_id is not None:
        out["thread_id"] = thread_id
    if event_id is not None:
        out["event_id"] = event_id
    return out
