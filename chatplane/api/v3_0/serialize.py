"""Domain objects in the v3.0 wire shapes, as each user type sees them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chatplane.domain.models import AGENT, Chat, ChatUser, Customer, Event, Thread
from chatplane.domain.viewer import View
from chatplane.domain.views import ChatSummary

__all__ = ["View"]  # re-exported: the v3.0 modules name it ser.View


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def properties(view: View, location: str, stored: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`{ns: {name: {"value": v}}}`, only what the viewer's user type may read."""
    visible = view.readable(location, stored)
    return {ns: {name: {"value": v} for name, v in names.items()} for ns, names in visible.items()}


def event(view: View, e: Event) -> dict[str, Any]:
    out: dict[str, Any] = {"id": e.id}
    if e.custom_id is not None:
        out["custom_id"] = e.custom_id
    out["order"] = e.order
    out["type"] = e.type
    if e.author_id is not None:
        out["author_id"] = e.author_id
    out["timestamp"] = int(e.created_at)
    if e.text is not None:
        out["text"] = e.text
    if view.agent or e.type != "system_message":
        out["recipients"] = e.recipients
    out.update(e.body)
    if e.type != "system_message":
        p = properties(view, "event", e.properties)
        if p:
            out["properties"] = p
    return out


def events(view: View, es: list[Event]) -> list[dict[str, Any]]:
    # A page of archives is thousands of events, most of them a message without a custom
    # id, body or properties: that case is built in one dict display, in the key order of
    # `event` (tests compare the two); the rest go through `event`.
    agent = view.agent
    out = []
    for e in es:
        if not agent and e.recipients != "all":
            continue
        if (
            e.custom_id is None
            and e.author_id is not None
            and e.text is not None
            and not e.body
            and not e.properties
            and e.type != "system_message"
        ):
            out.append(
                {
                    "id": e.id,
                    "order": e.order,
                    "type": e.type,
                    "author_id": e.author_id,
                    "timestamp": int(e.created_at),
                    "text": e.text,
                    "recipients": e.recipients,
                }
            )
        else:
            out.append(event(view, e))
    return out


def thread(
    view: View, t: Thread, *, with_events: bool = True, restricted: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {"id": t.id}
    if view.agent:
        out["timestamp"] = int(t.created_at)
    out["active"] = t.active
    out["order"] = t.order
    out["user_ids"] = list(t.user_ids)
    if restricted:
        out["restricted_access"] = True
    elif with_events:
        out["events"] = events(view, t.events or [])
    out["properties"] = properties(view, "thread", t.properties)
    out["access"] = dict(t.access)
    return out


def customer(view: View, c: Customer, u: ChatUser | None = None, *, archived: bool = False) -> dict:
    out: dict[str, Any] = {"id": c.id, "type": "customer"}
    if c.name is not None:
        out["name"] = c.name
    if c.email is not None:
        out["email"] = c.email
    if c.avatar is not None:
        out["avatar"] = c.avatar
    if view.agent:
        if c.last_visit:
            out["last_visit"] = last_visit(c.last_visit)
        out["statistics"] = {
            "chats_count": c.chats_count,
            "threads_count": c.threads_count,
            "visits_count": c.visits_count,
        }
        for name in ("agent_last_event_created_at", "customer_last_event_created_at"):
            value = getattr(c, name)
            if value is not None:
                out[name] = iso(value)
        out["created_at"] = iso(c.created_at)
    if not archived:
        out["fields"] = dict(c.fields)
    if u is not None:
        out["present"] = u.present
        if u.last_seen_timestamp is not None:
            out["last_seen_timestamp"] = u.last_seen_timestamp
    return out


def last_visit(stored: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"started_at": iso(stored.get("started_at"))}
    for key in ("referrer", "ip", "user_agent", "geolocation"):
        if stored.get(key):
            out[key] = stored[key]
    out["last_pages"] = [
        {"opened_at": iso(p.get("opened_at")), "url": p.get("url"), "title": p.get("title")}
        for p in stored.get("last_pages", [])
    ]
    return out


def user(view: View, u: ChatUser, *, archived: bool = False) -> dict[str, Any]:
    if u.type != AGENT:
        if u.customer is not None:
            return customer(view, u.customer, u, archived=archived)
        out = {"id": u.id, "type": "customer", "present": u.present}
    else:
        out = {"id": u.id, "type": "agent", "name": u.name}
        if view.agent and u.email is not None:
            out["email"] = u.email
        if u.avatar is not None:
            out["avatar"] = u.avatar
        out["present"] = u.present
        if view.agent and u.routing_status and view.is_online(u.id):
            out["routing_status"] = u.routing_status
    if u.last_seen_timestamp is not None:
        out["last_seen_timestamp"] = u.last_seen_timestamp
    return out


def users(view: View, chat: Chat, *, archived: bool = False) -> list[dict[str, Any]]:
    return [user(view, u, archived=archived) for u in chat.users]


def chat_with_thread(view: View, chat: Chat, t: Thread) -> dict[str, Any]:
    """The chat object of start_chat, incoming_chat_thread and get_archives."""
    return {
        "id": chat.id,
        "users": users(view, chat, archived=not t.active),
        "properties": properties(view, "chat", chat.properties),
        "access": dict(chat.access),
        "thread": thread(view, t, restricted=view.restricted(chat)),
    }


def chat_with_threads(view: View, chat: Chat, ts: list[Thread]) -> dict[str, Any]:
    return {
        "id": chat.id,
        "users": users(view, chat),
        "properties": properties(view, "chat", chat.properties),
        "access": dict(chat.access),
        "threads": [thread(view, t, restricted=view.restricted(chat)) for t in ts],
    }


def last_events(view: View, s: ChatSummary, thread_orders: dict[str, int]) -> dict[str, Any]:
    restricted = view.restricted(s.chat)
    return {
        etype: {
            "thread_id": e.thread_id,
            "thread_order": thread_orders.get(e.thread_id, 0),
            "event": {"restricted_access": True} if restricted else event(view, e),
        }
        for etype, e in s.last_event_per_type.items()
    }


def agent_chat_summary(view: View, s: ChatSummary, thread_orders: dict[str, int]) -> dict:
    out: dict[str, Any] = {
        "id": s.chat.id,
        "users": users(view, s.chat),
        "last_event_per_type": last_events(view, s, thread_orders),
    }
    if s.last_thread is not None:
        t = s.last_thread
        out["last_thread_summary"] = {
            "id": t.id,
            "timestamp": int(t.created_at),
            "user_ids": list(t.user_ids),
            "order": t.order,
            "active": t.active,
            "properties": properties(view, "thread", t.properties),
        }
    out["properties"] = properties(view, "chat", s.chat.properties)
    out["access"] = dict(s.chat.access)
    return out


def customer_chat_summary(view: View, s: ChatSummary, thread_orders: dict[str, int]) -> dict:
    return {
        "id": s.chat.id,
        "order": s.last_thread.order if s.last_thread else 0,
        "last_thread_id": s.chat.last_thread_id,
        "active": s.chat.active_thread_id is not None,
        "users": users(view, s.chat),
        "properties": properties(view, "chat", s.chat.properties),
        "access": dict(s.chat.access),
        "last_event_per_type": last_events(view, s, thread_orders),
    }
