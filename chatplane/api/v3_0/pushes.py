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
        deleted: dict[str, list[str]] = {}
        for ns, names in change.properties.items():
            for name in names:
                config = view.configs.get((ns, name))
                # Unknown configurations are not shown (as in serialize.properties).
                if config is not None and config.can(change.location, view.user_type, "read"):
                    deleted.setdefault(ns, []).append(name)
        if not deleted:
            return None
        return _properties_action(change.location, "deleted"), {
            **_where(change.chat.id, change.thread_id, change.event_id),
            "properties": deleted,
        }
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
