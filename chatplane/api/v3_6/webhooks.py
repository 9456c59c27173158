"""Webhooks in v3.6 and v3.5 (management/webhooks): the envelope
`{webhook_id, secret_key, action, organization_id, additional_data, payload}`, the v3.x
action names and payloads, and the v3.x registrations' `type` and filters.

A chat webhook's payload is the Agent Chat API push of the same name, in the version's
shapes (api/v3_6/pushes.py, api/v3_5/pushes.py), with what the webhook reference has and
the push has not: `incoming_chat` holds only the chat, `user_added_to_chat` and
`user_removed_from_chat` name the `user_type` and always carry `requester_id` (null when the
server did it, e.g. routing). `routing_status_set` spells the status as the Configuration
API does (`accepting chats`). `customer_session_fields_updated` comes once for each active
chat of a customer whose session fields changed. v3.5 has `incoming_customer`; v3.6 has
`event_deleted`.

Configuration webhooks (`agent_created`, `group_updated`, `tag_deleted`, ...) carry their
push's payload (api/v3_6/configuration_pushes.py) and fire for `license` webhooks only;
their `source_type` filter tells `my_client` from `other_clients` by the application that
made the change (the command line's changes are `system`).

Every body is one lc-sdk-python 0.4.2's `livechat.webhooks.parser.parse_webhook` reads
(tests/unit/api/v3_6/test_webhooks.py): the reference's `requester` of configuration
webhooks is not sent, as that parser refuses any field besides the six of the envelope.
The exceptions are what that SDK release predates: v3.6's `event_deleted`, and
`auto_accesses_updated` (v3.5 on), whose payload is an array of the rules' changes where
the SDK still knows v3.4's `auto_access_added`/`_updated`/`_deleted` of one rule each.

Who gets one: a `license` webhook fires for the whole license (unless its application
switched its license webhooks off); a `bot` webhook only for chats one of its
application's bots (not offline) is present in, and for those bots' own agent actions.
Filters (management/configuration-api, Register Webhook): `author_type`, `chat_presence`
(`user_ids` of any user type, `my_bots`), `agent_ids` as the reference says;
`only_my_chats` reads the chat property `source.client_id`, which Chatplane does not set by
itself; `source_type`: a change the server made is `system`, one a user made counts as
either client (Chatplane does not record which application made a request).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chatplane.api.v3_6.pushes import PUSHES, Pushes
from chatplane.api.v3_6.serialize import session_fields
from chatplane.domain import changes as ch
from chatplane.domain.models import AGENT
from chatplane.domain.viewer import View
from chatplane.webhooks import names
from chatplane.webhooks.outbox import (
    LicenseInfo,
    Occurrence,
    Target,
    author_type,
    chat_members,
    thread_of,
)
from chatplane.webhooks.status import to_configuration

# The chat webhooks of both versions, by their push's name.
CHAT_ACTIONS = frozenset(
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
        "thread_tagged",
        "thread_untagged",
        "events_marked_as_seen",
    }
)


def _presence(chat: Any) -> set[str]:
    return {u.id for u in chat.users if u.present}


def _by_system(change: ch.ChatChange) -> bool:
    """Whether the server made the change on its own (no user asked for it)."""
    if isinstance(change, ch.ThreadStarted):
        return change.author_id is None
    if isinstance(change, ch.EventAppended | ch.EventUpdated):
        return change.event.author_id is None
    if isinstance(change, ch.ThreadClosed):
        return change.user_id is None
    if isinstance(change, ch.UserAdded | ch.UserRemoved):
        return change.requester_id is None
    return False


def _event_author_type(change: ch.ChatChange) -> str | None:
    if isinstance(change, ch.EventUpdated) and change.event.author_id is not None:
        user = change.chat.user(change.event.author_id)
        if user is not None:
            return user.type
        return "customer" if change.event.author_id == change.chat.customer_id else AGENT
    return author_type(change)


def _payload(action: str, payload: dict[str, Any], change: ch.ChatChange) -> dict[str, Any]:
    """The webhook's payload of a chat push's."""
    if action == "incoming_chat":
        return {"chat": payload["chat"]}
    if isinstance(change, ch.UserAdded):
        return {**payload, "user_type": change.user.type, "requester_id": change.requester_id}
    if isinstance(change, ch.UserRemoved):
        return {**payload, "user_type": change.user_type, "requester_id": change.requester_id}
    return payload


class WebhooksV3x:
    """The webhooks of one v3.x version, over its pushes."""

    def __init__(self, pushes: Pushes, actions: frozenset[str], customers: bool) -> None:
        self.pushes = pushes
        self.actions = actions
        # v3.5 has `incoming_customer` (v3.6 removed it).
        self.customers = customers

    def occurrence(self, change: ch.Change, view: View) -> Occurrence | list[Occurrence] | None:
        if isinstance(change, ch.AgentStatusChanged):
            return Occurrence(
                "routing_status_set",
                {"agent_id": change.agent_id, "status": to_configuration(change.routing_status)},
                member_ids={change.agent_id},
                presence_ids={change.agent_id},
                ordering=f"agent:{change.agent_id}",
            )
        if isinstance(change, ch.ConfigurationChange | ch.AgentDeleted):
            return self._configuration(change, view)
        if isinstance(change, ch.CustomerUpdated) and change.fields_changed:
            return [
                self._session_fields(change, chat_id, thread_id)
                for chat_id, thread_id in change.active_chats
            ] or None
        if isinstance(change, ch.CustomerCreated) and self.customers:
            return Occurrence(
                "incoming_customer",
                {"customer": self.pushes.shapes.customer(view, change.customer)},
                ordering=f"customer:{change.customer.id}",
            )
        if not isinstance(change, ch.ChatChange):
            return None
        if isinstance(change, ch.EventDeleted):
            if "event_deleted" not in self.actions:
                return None
            deleted = {
                "chat_id": change.chat.id,
                "thread_id": change.thread_id,
                "event_id": change.event_id,
            }
            return self._chat_occurrence("event_deleted", deleted, change)
        rendered = self.pushes.render(change, view)
        pushes = [] if rendered is None else rendered if isinstance(rendered, list) else [rendered]
        out = [
            self._chat_occurrence(action, _payload(action, payload, change), change)
            for action, payload in pushes
            if action in CHAT_ACTIONS and action in self.actions
        ]
        return out or None

    def _configuration(
        self, change: ch.ConfigurationChange | ch.AgentDeleted, view: View
    ) -> Occurrence | None:
        """A configuration webhook: its push's payload, for `license` webhooks only."""
        rendered = self.pushes.render(change, view)
        if rendered is None or isinstance(rendered, list):
            return None
        action, payload = rendered
        if action not in self.actions:
            return None  # license and group properties have pushes but no webhooks
        requester = change if isinstance(change, ch.ConfigurationChange) else None
        return Occurrence(
            action,
            payload,
            ordering=_configuration_ordering(change),
            # Deleting an agent is recorded without its requester: a user's doing.
            by_system=requester is not None and requester.requester_id is None,
            source_client_id=requester.requester_client_id if requester else None,
        )

    def _chat_occurrence(
        self, action: str, payload: dict[str, Any], change: ch.ChatChange
    ) -> Occurrence:
        return Occurrence(
            action,
            payload,
            chat=change.chat,
            thread_id=thread_of(change),
            member_ids=chat_members(change),
            author_type=_event_author_type(change),
            ordering=f"chat:{change.chat.id}",
            presence_ids=_presence(change.chat),
            by_system=_by_system(change),
        )

    def _session_fields(self, c: ch.CustomerUpdated, chat_id: str, thread_id: str) -> Occurrence:
        """`customer_session_fields_updated` for one of the customer's active chats."""
        return Occurrence(
            "customer_session_fields_updated",
            {
                "id": c.customer.id,
                "active_chat": {"chat_id": chat_id, "thread_id": thread_id},
                "session_fields": session_fields(c.customer.fields),
            },
            thread_id=thread_id,
            member_ids=set(c.agent_ids),
            ordering=f"chat:{chat_id}",
            presence_ids={c.customer.id, *c.agent_ids},
        )

    def body(
        self, target: Target, occ: Occurrence, view: View, license: LicenseInfo
    ) -> dict[str, Any]:
        return {
            "webhook_id": target.webhook_id,
            "secret_key": target.secret_key,
            "action": occ.action,
            "organization_id": license.organization_id,
            "payload": occ.data,
            "additional_data": additional_data(target, occ, view),
        }

    def matches(
        self, target: Target, occ: Occurrence, owner_bots: Callable[[], frozenset[str]]
    ) -> bool:
        if target.type == "bot" and (
            occ.action in names.CONFIGURATION or not occ.presence_ids & owner_bots()
        ):
            return False
        f = target.filters or {}
        wanted_author = f.get("author_type")
        if wanted_author is not None and occ.author_type != wanted_author:
            return False
        if f.get("only_my_chats"):
            source = occ.chat.properties.get("source", {}) if occ.chat is not None else {}
            if source.get("client_id") != target.owner_client_id:
                return False
        presence = f.get("chat_presence") or {}
        if not _among(presence.get("user_ids"), occ.presence_ids):
            return False
        if presence.get("my_bots") and not occ.presence_ids & owner_bots():
            return False
        if not _among(f.get("agent_ids"), occ.presence_ids if occ.chat is None else set()):
            return False
        sources = f.get("source_type")
        if sources is not None:
            if occ.by_system:
                return "system" in sources
            if occ.source_client_id is not None:
                mine = occ.source_client_id == target.owner_client_id
                return ("my_client" if mine else "other_clients") in sources
            return "my_client" in sources or "other_clients" in sources
        return True


def _configuration_ordering(change: ch.ConfigurationChange | ch.AgentDeleted) -> str:
    """Webhooks of one agent, group, tag (or the auto access list) reach a URL in order."""
    if isinstance(change, ch.AgentConfigured):
        return f"agent:{change.agent.id}"
    if isinstance(change, ch.AgentAccessChanged | ch.AgentDeleted):
        return f"agent:{change.agent_id}"
    if isinstance(change, ch.GroupConfigured):
        return f"group:{change.group_id}"
    if isinstance(change, ch.TagConfigured):
        return f"tag:{change.name}"
    return "configuration"


def _among(rule: dict[str, list[str]] | None, ids: set[str]) -> bool:
    """A `{values}` / `{exclude_values}` filter on user ids."""
    if not rule:
        return True
    if "values" in rule:
        return bool(ids.intersection(rule["values"]))
    return not ids.intersection(rule.get("exclude_values", []))


def additional_data(target: Target, occ: Occurrence, view: View) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if occ.chat is None:
        return out
    for name in target.additional_data:
        if name == "chat_properties":
            out["chat_properties"] = view.readable("chat", occ.chat.properties)
        elif name == "chat_presence_user_ids":
            out["chat_presence_user_ids"] = sorted(occ.presence_ids)
    return out


# Actions of a customer, an agent, the configuration, and v3.6's own.
OTHER_ACTIONS = frozenset(
    {"customer_session_fields_updated", "routing_status_set", *names.CONFIGURATION}
)
ACTIONS = CHAT_ACTIONS | OTHER_ACTIONS | {"event_deleted"}

WEBHOOKS = WebhooksV3x(PUSHES, ACTIONS, customers=False)
