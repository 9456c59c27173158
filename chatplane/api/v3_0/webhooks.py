"""Webhooks in v3.0 (configuration-api/readme.md, Webhooks): the action is the Agent Chat
API push's name and `data` its payload, in the envelope
`{webhook_id, secret_key, action, data, additional_data}`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chatplane.api.v3_0 import pushes
from chatplane.api.v3_0 import serialize as ser
from chatplane.domain import changes as ch
from chatplane.domain.viewer import View
from chatplane.webhooks.actions import CHAT_ACTIONS
from chatplane.webhooks.outbox import (
    LicenseInfo,
    Occurrence,
    Target,
    author_type,
    chat_members,
    matches,
    thread_of,
)
from chatplane.webhooks.status import to_configuration


class WebhooksV30:
    def occurrence(self, change: ch.Change, view: View) -> Occurrence | None:
        if isinstance(change, ch.AgentStatusChanged):
            data = {"agent_id": change.agent_id, "status": to_configuration(change.routing_status)}
            return Occurrence(
                "agent_status_changed",
                data,
                member_ids={change.agent_id},
                ordering=f"agent:{change.agent_id}",
            )
        if isinstance(change, ch.AgentDeleted):
            return Occurrence(
                "agent_deleted",
                {"agent_id": change.agent_id},
                member_ids={change.agent_id},
                ordering=f"agent:{change.agent_id}",
            )
        if not isinstance(change, ch.ChatChange):
            return None
        push = pushes.render(change, view)
        if push is None or push[0] not in CHAT_ACTIONS:
            return None
        return Occurrence(
            push[0],
            push[1],
            chat=change.chat,
            thread_id=thread_of(change),
            member_ids=chat_members(change),
            author_type=author_type(change),
            ordering=f"chat:{change.chat.id}",
        )

    def body(
        self, target: Target, occ: Occurrence, view: View, license: LicenseInfo
    ) -> dict[str, Any]:
        return {
            "webhook_id": target.webhook_id,
            "secret_key": target.secret_key,
            "action": occ.action,
            "data": occ.data,
            "additional_data": additional_data(target, occ, view),
        }

    def matches(
        self, target: Target, occ: Occurrence, owner_bots: Callable[[], frozenset[str]]
    ) -> bool:
        # v3.0's filters (author_type, chat_member_ids, a bot's chat_properties).
        return matches(target, occ)


def additional_data(target: Target, occ: Occurrence, view: View) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in target.additional_data:
        if name == "chat_properties" and occ.chat is not None:
            out["chat_properties"] = ser.properties(view, "chat", occ.chat.properties)
        elif name == "access" and occ.chat is not None:
            out["access"] = dict(occ.chat.access)
        elif name == "thread_id":
            out["thread_id"] = occ.thread_id
    return out


WEBHOOKS = WebhooksV30()
