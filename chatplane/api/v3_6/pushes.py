"""Domain changes as v3.6 pushes (rtm-pushes), in the shape each user type gets, or none.

A change whose push v3.6 does not have (a customer's side storage, a routing setting)
renders nothing. An event with `visibility: agents`, and the properties of one, never
render for a customer; configuration changes render for agents only
(configuration_pushes.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chatplane.api.v3_0 import pushes as pushes_v3_0
from chatplane.api.v3_6 import configuration_pushes as config
from chatplane.api.v3_6.serialize import SHAPES, Shapes, View, rfc3339, session_fields
from chatplane.domain import changes as ch

Push = tuple[str, Any]
Rendered = Push | list[Push] | None

# Every push this version has that Chatplane sends (login `pushes` may name these).
PUSH_NAMES = frozenset(
    {
        "incoming_chat",
        "chat_deactivated",
        "chat_access_updated",
        "chat_transferred",
        "user_added_to_chat",
        "user_removed_from_chat",
        "incoming_event",
        "event_updated",
        "incoming_rich_message_postback",
        "chat_properties_updated",
        "chat_properties_deleted",
        "thread_properties_updated",
        "thread_properties_deleted",
        "event_properties_updated",
        "event_properties_deleted",
        "incoming_customer",
        "customer_updated",
        "customer_page_updated",
        "customer_banned",
        "customer_left",
        "routing_status_set",
        "agent_deleted",
        "agent_disconnected",
        "events_marked_as_seen",
        "incoming_sneak_peek",
        "incoming_typing_indicator",
        "incoming_multicast",
        "thread_tagged",
        "thread_untagged",
        "event_deleted",
        "chat_unfollowed",
        "incoming_thinking_indicator",
        # Configuration (api/v3_6/configuration_pushes.py).
        "agent_created",
        "agent_approved",
        "agent_updated",
        "agent_suspended",
        "agent_unsuspended",
        "auto_accesses_updated",
        "bot_created",
        "bot_updated",
        "bot_deleted",
        "group_created",
        "group_updated",
        "group_deleted",
        "tag_created",
        "tag_updated",
        "tag_deleted",
        "groups_status_updated",
        "license_properties_updated",
        "group_properties_updated",
    }
)

_PROPERTY_PREFIX = {"chat": "chat", "thread": "thread", "event": "event"}


def _where(c: ch.PropertiesUpdated | ch.PropertiesDeleted) -> dict[str, Any]:
    """The chat, thread and event whose properties changed, as far as there are."""
    named = (("chat_id", c.chat.id), ("thread_id", c.thread_id), ("event_id", c.event_id))
    return {key: value for key, value in named if value is not None}


class Pushes:
    """The renderer of one version's pushes over its `Shapes`."""

    def __init__(self, shapes: Shapes) -> None:
        self.shapes = shapes
        self._by_type: dict[type[ch.Change], Callable[[Any, View], Rendered]] = {
            ch.ThreadStarted: self.incoming_chat,
            ch.ThreadClosed: self.chat_deactivated,
            ch.EventAppended: self.incoming_event,
            ch.EventUpdated: self.event_updated,
            ch.UserAdded: self.user_added_to_chat,
            ch.UserRemoved: self.user_removed_from_chat,
            ch.LastSeenUpdated: self.events_marked_as_seen,
            ch.PropertiesUpdated: self.properties_updated,
            ch.PropertiesDeleted: self.properties_deleted,
            ch.RichMessagePostback: self.incoming_rich_message_postback,
            ch.TypingIndicatorSent: self.incoming_typing_indicator,
            ch.SneakPeekSent: self.incoming_sneak_peek,
            ch.MulticastSent: self.same_as_v3_0,
            ch.CustomerCreated: self.incoming_customer,
            ch.CustomerVisitStarted: self.incoming_customer,
            ch.CustomerUpdated: self.customer_updated,
            ch.CustomerPageUpdated: self.customer_page_updated,
            ch.CustomerVisitEnded: self.customer_left,
            ch.CustomerBanned: self.same_as_v3_0,
            ch.AgentStatusChanged: self.routing_status_set,
            ch.AgentDeleted: self.agent_deleted,
            ch.AccessChanged: self.chat_access_updated,
            ch.ChatTransferred: self.chat_transferred,
            ch.ThreadTagged: self.thread_tagged,
            ch.ThreadUntagged: self.thread_untagged,
            ch.EventDeleted: self.event_deleted,
            ch.ChatFollowed: self.chat_followed,
            ch.ChatUnfollowed: self.chat_unfollowed,
            ch.ThinkingIndicatorSent: self.incoming_thinking_indicator,
            ch.AgentConfigured: self.agent_configured,
            ch.AgentAccessChanged: self.agent_access_changed,
            ch.GroupConfigured: self.group_configured,
            ch.TagConfigured: self.tag_configured,
            ch.AutoAccessesUpdated: self.auto_accesses_updated,
            ch.GroupsStatusUpdated: self.groups_status_updated,
            ch.ConfiguredPropertiesChanged: self.properties_updated_configured,
        }

    def render(self, change: ch.Change, view: View) -> Rendered:
        """The push (or pushes) for `change` as `view` sees it; None: nothing for them."""
        fn = self._by_type.get(type(change))
        return fn(change, view) if fn is not None else None

    # -- chats -------------------------------------------------------------------------

    def incoming_chat(self, c: ch.ThreadStarted, view: View) -> Rendered:
        payload: dict[str, Any] = {}
        if c.author_id is not None:
            payload["requester_id"] = c.author_id
        payload["chat"] = self.shapes.chat(view, c.chat, c.thread)
        return "incoming_chat", payload

    def chat_followed(self, c: ch.ChatFollowed, view: View) -> Rendered:
        """The follower (alone) gets the chat as `incoming_chat`, its current thread in."""
        if not view.agent:
            return None
        chat = self.shapes.chat(view, c.chat, c.thread, follower=c.agent_id)
        return "incoming_chat", {"requester_id": c.agent_id, "chat": chat}

    def chat_unfollowed(self, c: ch.ChatUnfollowed, view: View) -> Rendered:
        return "chat_unfollowed", {"chat_id": c.chat.id}

    def thread_tagged(self, c: ch.ThreadTagged, view: View) -> Rendered:
        return "thread_tagged", {"chat_id": c.chat.id, "thread_id": c.thread_id, "tag": c.tag}

    def thread_untagged(self, c: ch.ThreadUntagged, view: View) -> Rendered:
        return "thread_untagged", {"chat_id": c.chat.id, "thread_id": c.thread_id, "tag": c.tag}

    def chat_deactivated(self, c: ch.ThreadClosed, view: View) -> Rendered:
        payload: dict[str, Any] = {"chat_id": c.chat.id, "thread_id": c.thread_id}
        if c.user_id is not None:
            payload["user_id"] = c.user_id
        return "chat_deactivated", payload

    def chat_access_updated(self, c: ch.AccessChanged | ch.ChatTransferred, view: View) -> Push:
        return "chat_access_updated", {"id": c.chat.id, "access": dict(c.chat.access)}

    def chat_transferred(self, c: ch.ChatTransferred, view: View) -> Rendered:
        payload: dict[str, Any] = {"chat_id": c.chat.id}
        if c.thread_id is not None:
            payload["thread_id"] = c.thread_id
        payload["requester_id"] = c.requester_id
        payload["reason"] = "manual"
        payload["transferred_to"] = {
            "group_ids": list(c.chat.group_ids),
            "agent_ids": c.chat.present_agent_ids(),
        }
        transferred: Push = ("chat_transferred", payload)
        if c.access_changed and view.agent:
            return [transferred, self.chat_access_updated(c, view)]
        return transferred

    # -- users -------------------------------------------------------------------------

    def user_added_to_chat(self, c: ch.UserAdded, view: View) -> Rendered:
        payload: dict[str, Any] = {"chat_id": c.chat.id}
        if c.thread_id is not None and c.chat.active_thread_id is not None:
            payload["thread_id"] = c.thread_id
        payload["user"] = self.shapes.user(view, c.user)
        payload["reason"] = c.reason
        if c.requester_id is not None:
            payload["requester_id"] = c.requester_id
        return "user_added_to_chat", payload

    def user_removed_from_chat(self, c: ch.UserRemoved, view: View) -> Rendered:
        payload: dict[str, Any] = {"chat_id": c.chat.id}
        if c.thread_id is not None and c.chat.active_thread_id is not None:
            payload["thread_id"] = c.thread_id
        payload["user_id"] = c.user_id
        payload["reason"] = c.reason
        if c.requester_id is not None:
            payload["requester_id"] = c.requester_id
        return "user_removed_from_chat", payload

    def events_marked_as_seen(self, c: ch.LastSeenUpdated, view: View) -> Rendered:
        seen = c.seen_up_to if c.seen_up_to is not None else float(c.timestamp)
        return "events_marked_as_seen", {
            "user_id": c.user_id,
            "chat_id": c.chat.id,
            "seen_up_to": rfc3339(seen),
        }

    # -- events ------------------------------------------------------------------------

    def incoming_event(self, c: ch.EventAppended, view: View) -> Rendered:
        if not view.agent and c.event.recipients != "all":
            return None
        return "incoming_event", {
            "chat_id": c.chat.id,
            "thread_id": c.thread_id,
            "event": self.shapes.event(view, c.event),
        }

    def event_deleted(self, c: ch.EventDeleted, view: View) -> Rendered:
        if c.for_agents_only and not view.agent:
            return None
        return "event_deleted", {
            "chat_id": c.chat.id,
            "thread_id": c.thread_id,
            "event_id": c.event_id,
        }

    def event_updated(self, c: ch.EventUpdated, view: View) -> Rendered:
        if not view.agent and c.event.recipients != "all":
            return None
        return "event_updated", {
            "chat_id": c.chat.id,
            "thread_id": c.thread_id,
            "event": self.shapes.event(view, c.event),
        }

    def incoming_rich_message_postback(self, c: ch.RichMessagePostback, view: View) -> Rendered:
        if not c.thread_active:
            return None
        return "incoming_rich_message_postback", {
            "user_id": c.user_id,
            "chat_id": c.chat.id,
            "thread_id": c.thread_id,
            "event_id": c.event_id,
            "postback": self.postback(c),
        }

    def postback(self, c: ch.RichMessagePostback) -> dict[str, Any]:
        """The button: its id, whether it is toggled, and what else the postback said."""
        return {"id": c.postback_id, "toggled": c.toggled, **c.details}

    # -- properties --------------------------------------------------------------------

    def properties_updated(self, c: ch.PropertiesUpdated, view: View) -> Rendered:
        if c.for_agents_only and not view.agent:
            return None
        visible = self.shapes.properties(view, c.location, c.properties)
        if not visible:
            return None
        return f"{_PROPERTY_PREFIX[c.location]}_properties_updated", {
            **_where(c),
            "properties": visible,
        }

    def properties_deleted(self, c: ch.PropertiesDeleted, view: View) -> Rendered:
        if c.for_agents_only and not view.agent:
            return None
        deleted = view.readable_names(c.location, c.properties)
        if not deleted:
            return None
        return f"{_PROPERTY_PREFIX[c.location]}_properties_deleted", {
            **_where(c),
            "properties": deleted,
        }

    # -- signals -----------------------------------------------------------------------

    def incoming_typing_indicator(self, c: ch.TypingIndicatorSent, view: View) -> Rendered:
        # v3.0's shape, with `visibility` where v3.0 says `recipients`.
        pushed = pushes_v3_0.render(c, view)
        if pushed is None:
            return None
        kind, payload = pushed
        indicator = {
            ("visibility" if key == "recipients" else key): value
            for key, value in payload["typing_indicator"].items()
        }
        return kind, {**payload, "typing_indicator": indicator}

    def incoming_thinking_indicator(self, c: ch.ThinkingIndicatorSent, view: View) -> Rendered:
        if not view.agent and c.visibility != "all":
            return None
        payload: dict[str, Any] = {
            "chat_id": c.chat.id,
            "thread_id": c.thread_id,
            "author_id": c.author_id,
            "sent_at": rfc3339(c.sent_at),
        }
        for key in ("title", "description", "custom_id"):
            value = getattr(c, key)
            if value is not None:
                payload[key] = value
        return "incoming_thinking_indicator", payload

    def incoming_sneak_peek(self, c: ch.SneakPeekSent, view: View) -> Rendered:
        if not view.agent:
            return None
        return "incoming_sneak_peek", {
            "chat_id": c.chat.id,
            "thread_id": c.thread_id,
            "sneak_peek": {"author_id": c.author_id, "text": c.text, "timestamp": c.timestamp},
        }

    def same_as_v3_0(self, c: ch.Change, view: View) -> Rendered:
        """A push whose v3.6 name and shape are v3.0's (incoming_multicast,
        customer_banned)."""
        return pushes_v3_0.render(c, view)

    # -- customers ---------------------------------------------------------------------

    def incoming_customer(
        self, c: ch.CustomerCreated | ch.CustomerVisitStarted, view: View
    ) -> Rendered:
        if not view.agent:
            return None
        return "incoming_customer", self.shapes.customer(view, c.customer)

    def customer_updated(self, c: ch.CustomerUpdated, view: View) -> Rendered:
        customer = c.customer
        payload: dict[str, Any] = {"id": customer.id, "type": "customer"}
        for key in ("name", "email", "avatar"):
            value = getattr(customer, key)
            if value is not None:
                payload[key] = value
        payload["session_fields"] = session_fields(customer.fields)
        return "customer_updated", payload

    def customer_page_updated(self, c: ch.CustomerPageUpdated, view: View) -> Rendered:
        if not view.agent:
            return None
        return "customer_page_updated", {
            "customer_id": c.customer.id,
            "visit_id": c.visit_id,
            "opened_at": rfc3339(c.page["opened_at"]),
            "url": c.page["url"],
            "title": c.page.get("title"),
        }

    def customer_left(self, c: ch.CustomerVisitEnded, view: View) -> Rendered:
        if not view.agent:
            return None
        return "customer_left", {"id": c.customer.id, "left_at": rfc3339(c.ended_at)}

    # -- status ------------------------------------------------------------------------

    def routing_status_set(self, c: ch.AgentStatusChanged, view: View) -> Rendered:
        if not view.agent:
            return None
        return "routing_status_set", {"agent_id": c.agent_id, "status": c.routing_status}

    # -- configuration (api/v3_6/configuration_pushes.py): agents only ---------------------

    def agent_deleted(self, c: ch.AgentDeleted, view: View) -> Rendered:
        """`agent_deleted`, or `bot_deleted` for a bot."""
        return config.agent_deleted(c) if view.agent else None

    def agent_configured(self, c: ch.AgentConfigured, view: View) -> Rendered:
        return config.agent_configured(c) if view.agent else None

    def agent_access_changed(self, c: ch.AgentAccessChanged, view: View) -> Rendered:
        return config.agent_access_changed(c) if view.agent else None

    def group_configured(self, c: ch.GroupConfigured, view: View) -> Rendered:
        return config.group_configured(c) if view.agent else None

    def tag_configured(self, c: ch.TagConfigured, view: View) -> Rendered:
        return config.tag_configured(c) if view.agent else None

    def auto_accesses_updated(self, c: ch.AutoAccessesUpdated, view: View) -> Rendered:
        return config.auto_accesses_updated(c) if view.agent else None

    def groups_status_updated(self, c: ch.GroupsStatusUpdated, view: View) -> Rendered:
        return config.groups_status_updated(c) if view.agent else None

    def properties_updated_configured(
        self, c: ch.ConfiguredPropertiesChanged, view: View
    ) -> Rendered:
        """`license_properties_updated`, `group_properties_updated`."""
        return config.properties_updated(c, view) if view.agent else None


PUSHES = Pushes(SHAPES)
render = PUSHES.render
