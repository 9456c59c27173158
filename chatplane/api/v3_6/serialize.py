"""Domain objects in the v3.6 wire shapes, as each user type sees them.

Where v3.0 had `order` and `timestamp` these have `created_at` (RFC 3339, microseconds);
`visibility` where v3.0 had `recipients`; property values as they are (no `{"value": v}`);
a customer's `session_fields` as a list of one-key objects. What a viewer may see (which
properties, restricted threads, events for agents only) is the domain's `View`.

`Shapes` is a class so that v3.5, whose only difference in these objects is the name of a
customer's visit (`last_visit`), is a subclass (api/v3_5/serialize.py).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Sequence
from typing import Any

from chatplane.domain.models import AGENT, Agent, Chat, ChatUser, Customer, Event, Thread
from chatplane.domain.viewer import View
from chatplane.domain.views import ChatSummary

__all__ = ["SHAPES", "Shapes", "View", "rfc3339"]

# The reason a thread shows without its events (v3.2 made `restricted_access` a string).
RESTRICTED = "You have no access to this chat's groups"


ACCESSIBLE = {
    "previous_thread_id": "previous_accessible_thread_id",
    "next_thread_id": "next_accessible_thread_id",
}


# The formatted second of recent timestamps: a page of archives shows thousands of events
# from a few seconds or minutes each, and formatting the date part is most of the cost.
_SECONDS: dict[int, str] = {}
_SECONDS_MAX = 4096
# Timestamps from 1970 up to the year 9999, where time.gmtime's year has four digits.
_LAST_SECOND = 253402300799


def _slow_rfc3339(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def rfc3339(ts: float) -> str:
    """`2020-05-07T07:11:28.288340Z`: UTC, microseconds.

    The same text as `datetime.fromtimestamp(ts, UTC).strftime(...)`, ≈4x faster: the
    fraction is rounded to microseconds as datetime does (half to even, of the fractional
    part times 10^6), and the date and time of the whole second are cached."""
    fraction, whole = math.modf(ts)
    micros = round(fraction * 1e6)
    second = int(whole)
    if micros >= 1_000_000:
        second += 1
        micros -= 1_000_000
    if micros < 0 or not 0 <= second <= _LAST_SECOND:
        return _slow_rfc3339(ts)
    text = _SECONDS.get(second)
    if text is None:
        if len(_SECONDS) >= _SECONDS_MAX:
            _SECONDS.clear()
        text = _SECONDS[second] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
    return f"{text}.{micros:06d}Z"


def session_fields(fields: dict[str, str]) -> list[dict[str, str]]:
    """v3.x's `session_fields`: one object per field, in the stored order."""
    return [{key: value} for key, value in fields.items()]


def neighbours(thread_id: str, thread_ids: Sequence[str]) -> dict[str, str]:
    """`previous_thread_id` / `next_thread_id` of a thread among its chat's threads."""
    out: dict[str, str] = {}
    try:
        at = thread_ids.index(thread_id)
    except ValueError:
        return out
    if at > 0:
        out["previous_thread_id"] = thread_ids[at - 1]
    if at + 1 < len(thread_ids):
        out["next_thread_id"] = thread_ids[at + 1]
    return out


# Who sees a deleted event's content (data-structures, "deleted": "visible only to users
# with the administrator or viceowner role"; Chatplane's roles: owner, administrator).
SEES_DELETED = ("owner", "administrator")


class Shapes:
    # The name of a customer's last visit (v3.5: `last_visit`).
    visit_key = "visit"
    # Deleted events show (marked) to agents in reads (v3.6); v3.5 has no deleted events.
    shows_deleted = True

    # -- properties and events ---------------------------------------------------------

    def properties(
        self, view: View, location: str, stored: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        """`{ns: {name: value}}`: only what the viewer's user type may read."""
        return view.readable(location, stored)

    def event(self, view: View, e: Event) -> dict[str, Any]:
        if e.deleted and view.role not in SEES_DELETED:
            return self.deleted_event(e)
        out: dict[str, Any] = {"id": e.id}
        if e.custom_id is not None:
            out["custom_id"] = e.custom_id
        out["created_at"] = rfc3339(e.created_at)
        out["type"] = e.type
        if e.author_id is not None:
            out["author_id"] = e.author_id
        out["visibility"] = e.recipients
        if e.text is not None:
            out["text"] = e.text
        out.update(e.body)
        if e.type != "system_message":
            props = self.properties(view, "event", e.properties)
            if props:
                out["properties"] = props
        if e.deleted:
            out["deleted"] = True
        return out

    def deleted_event(self, e: Event) -> dict[str, Any]:
        """The Deleted event, in place of one to an agent who may not see its content."""
        out: dict[str, Any] = {"id": e.id}
        if e.custom_id is not None:
            out["custom_id"] = e.custom_id
        out["type"] = e.type
        out["deleted"] = True
        if e.author_id is not None:
            out["author_id"] = e.author_id
        out["created_at"] = rfc3339(e.created_at)
        out["visibility"] = e.recipients
        return out

    def events(self, view: View, es: Sequence[Event]) -> list[dict[str, Any]]:
        if type(self).event is not Shapes.event or type(self).properties is not Shapes.properties:
            return [self.event(view, e) for e in es if view.agent or e.recipients == "all"]
        # A page of archives is thousands of events, most of them a message without a
        # custom id, body or properties: that case is built in one dict display, in the
        # key order of `event` (tests compare the two); the rest go through `event`.
        agent = view.agent
        sees_deleted = view.role in SEES_DELETED
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
                and e.deleted_at is None
            ):
                out.append(
                    {
                        "id": e.id,
                        "created_at": rfc3339(e.created_at),
                        "type": e.type,
                        "author_id": e.author_id,
                        "visibility": e.recipients,
                        "text": e.text,
                    }
                )
            elif e.deleted_at is not None and not sees_deleted:
                out.append(self.deleted_event(e))
            else:
                out.append(self.event(view, e))
        return out

    # -- users -------------------------------------------------------------------------

    def visit(self, stored: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"started_at": rfc3339(stored.get("started_at") or 0)}
        if stored.get("ended_at"):
            out["ended_at"] = rfc3339(stored["ended_at"])
        for key in ("referrer", "ip", "user_agent", "geolocation"):
            if stored.get(key):
                out[key] = stored[key]
        out["last_pages"] = [
            {
                "opened_at": rfc3339(p.get("opened_at") or 0),
                "url": p.get("url"),
                "title": p.get("title"),
            }
            for p in stored.get("last_pages", [])
        ]
        return out

    def customer(self, view: View, c: Customer, u: ChatUser | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"id": c.id, "type": "customer"}
        for key in ("name", "email", "avatar"):
            value = getattr(c, key)
            if value is not None:
                out[key] = value
        if view.agent:
            if c.last_visit:
                out[self.visit_key] = self.visit(c.last_visit)
            out["statistics"] = {
                "chats_count": c.chats_count,
                "threads_count": c.threads_count,
                "visits_count": c.visits_count,
            }
            for key in ("agent_last_event_created_at", "customer_last_event_created_at"):
                value = getattr(c, key)
                if value is not None:
                    out[key] = rfc3339(value)
            out["created_at"] = rfc3339(c.created_at)
        if c.fields:
            out["session_fields"] = session_fields(c.fields)
        if u is not None:
            out["present"] = u.present
            self._seen(out, u)
        return out

    def _seen(self, out: dict[str, Any], u: ChatUser) -> None:
        seen = u.events_seen_up_to
        if seen is None and u.last_seen_timestamp is not None:
            seen = float(u.last_seen_timestamp)
        if seen is not None:
            out["events_seen_up_to"] = rfc3339(seen)

    def user(self, view: View, u: ChatUser) -> dict[str, Any]:
        if u.type != AGENT:
            if u.customer is not None:
                return self.customer(view, u.customer, u)
            out: dict[str, Any] = {"id": u.id, "type": "customer", "present": u.present}
            self._seen(out, u)
            return out
        out = {"id": u.id, "type": "agent", "name": u.name}
        if view.agent and u.email is not None:
            out["email"] = u.email
        out["present"] = u.present
        self._seen(out, u)
        if u.avatar is not None:
            out["avatar"] = u.avatar
        # Chatplane adds every user visible to all (add_user_to_chat refuses `agents`).
        out["visibility"] = "all"
        return out

    def users(self, view: View, chat: Chat) -> list[dict[str, Any]]:
        return [self.user(view, u) for u in chat.users]

    def my_profile(self, agent: Agent, routing_status: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": agent.id,
            "type": "agent",
            "name": agent.name,
            "email": agent.email,
            "present": True,
        }
        if agent.avatar is not None:
            out["avatar"] = agent.avatar
        out["routing_status"] = routing_status
        out["permission"] = agent.role
        return out

    # -- threads and chats -------------------------------------------------------------

    def thread(
        self,
        view: View,
        t: Thread,
        *,
        restricted: bool = False,
        thread_ids: Sequence[str] = (),
        accessible: bool = False,
    ) -> dict[str, Any]:
        """A thread; `thread_ids` (every thread of the chat, oldest first) gives its
        previous and next; `accessible` adds the previous and next the viewer may read
        (list_archives)."""
        out: dict[str, Any] = {"id": t.id, "active": t.active, "user_ids": list(t.user_ids)}
        if restricted:
            out["restricted_access"] = RESTRICTED
        else:
            out["events"] = self.events(view, t.events or [])
        out["properties"] = self.properties(view, "thread", t.properties)
        out["access"] = dict(t.access)
        if t.tags:
            out["tags"] = list(t.tags)
        out["created_at"] = rfc3339(t.created_at)
        around = neighbours(t.id, thread_ids)
        out.update(around)
        if accessible and not restricted:
            # Access is kept on chats: the viewer may read every thread of a chat or none.
            for key, name in ACCESSIBLE.items():
                if key in around:
                    out[name] = around[key]
        return out

    def chat(
        self,
        view: View,
        chat: Chat,
        t: Thread | None,
        *,
        thread_ids: Sequence[str] = (),
        accessible: bool = False,
        follower: str | None = None,
    ) -> dict[str, Any]:
        """The Chat structure with one thread (get_chat, list_archives, incoming_chat);
        `follower`: the agent reading it, whose following it says (`is_followed`)."""
        out: dict[str, Any] = {"id": chat.id}
        restricted = view.restricted(chat)
        if t is not None:
            out["thread"] = self.thread(
                view, t, restricted=restricted, thread_ids=thread_ids, accessible=accessible
            )
        out["users"] = self.users(view, chat)
        out["properties"] = self.properties(view, "chat", chat.properties)
        out["access"] = dict(chat.access)
        if follower is not None:
            out["is_followed"] = follower in chat.follower_ids
        return out

    def chat_summary(
        self,
        view: View,
        s: ChatSummary,
        thread_created: dict[str, float],
        follower: str | None = None,
    ) -> dict[str, Any]:
        """A Chat summary (list_chats, login); `thread_created` holds the creation time
        of the threads the last events belong to."""
        restricted = view.restricted(s.chat)
        out: dict[str, Any] = {"id": s.chat.id}
        last_events: dict[str, Any] = {}
        for kind, e in s.last_event_per_type.items():
            last_events[kind] = {
                "thread_id": e.thread_id,
                "thread_created_at": rfc3339(thread_created.get(e.thread_id, e.created_at)),
                "event": {"restricted_access": RESTRICTED} if restricted else self.event(view, e),
            }
        out["last_event_per_type"] = last_events
        out["users"] = self.users(view, s.chat)
        if s.last_thread is not None:
            t = s.last_thread
            out["last_thread_summary"] = {
                "id": t.id,
                "created_at": rfc3339(t.created_at),
                "user_ids": list(t.user_ids),
                "properties": self.properties(view, "thread", t.properties),
                "active": t.active,
                "access": dict(t.access),
            }
        out["properties"] = self.properties(view, "chat", s.chat.properties)
        out["access"] = dict(s.chat.access)
        if follower is not None:
            out["is_followed"] = follower in s.chat.follower_ids
        return out


SHAPES = Shapes()
