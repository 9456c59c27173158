"""A license's configuration changed through the Configuration API v3.6, one change of each
kind that has a push or a webhook: agents, bots, groups (and their routing statuses), tags,
auto access rules, license and group property values. The RTM and webhook tests run it and
check what each change told."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .harness import unique

# Calls `POST /v3.6/configuration/action/<method>` as the license's owner; answers the body.
Configure = Callable[[str, dict[str, Any]], Any]
# Sets the owner's own routing status (the Agent Chat API v3.6's set_routing_status).
SetStatus = Callable[[str], None]

# The pushes and webhooks of each step, in the order the flow causes them.
AGENT_STEPS = [
    "agent_created",
    "agent_updated",
    "agent_suspended",
    "agent_unsuspended",
    "agent_approved",
    "agent_deleted",
]
BOT_STEPS = ["bot_created", "bot_updated", "bot_deleted"]
GROUP_STEPS = ["group_created", "group_updated", "group_deleted"]
TAG_STEPS = ["tag_created", "tag_updated", "tag_deleted"]


@dataclass
class Configured:
    """What the flow made, to recognise its pushes and webhooks by."""

    owner_id: str = ""
    agent_id: str = ""
    waiting_id: str = ""  # an agent created awaiting approval
    bot_id: str = ""
    group_id: int = 0
    tag: str = ""
    rule_id: str = ""
    property: str = ""
    namespace: str = ""


def run(configure: Configure, set_status: SetStatus, owner_id: str, client_id: str) -> Configured:
    """Every configuration change, the owner accepting chats (it is the only member of the
    group made here, so the group's routing status follows the owner's)."""
    out = Configured(owner_id=owner_id, namespace=client_id)
    # Agents.
    out.agent_id = f"{unique('cfg')}@example.com"
    configure(
        "create_agent",
        {"id": out.agent_id, "name": "Config Agent", "groups": [{"id": 0, "priority": "first"}]},
    )
    configure("update_agent", {"id": out.agent_id, "job_title": "Lead"})
    configure("suspend_agent", {"id": out.agent_id})
    configure("unsuspend_agent", {"id": out.agent_id})
    out.waiting_id = f"{unique('wait')}@example.com"
    configure("create_agent", {"id": out.waiting_id, "name": "Waiting", "awaiting_approval": True})
    configure("approve_agent", {"id": out.waiting_id})
    configure("delete_agent", {"id": out.agent_id})
    # Bots.
    out.bot_id = configure("create_bot", {"name": "Config Bot", "owner_client_id": client_id})["id"]
    configure("update_bot", {"id": out.bot_id, "name": "Renamed Bot"})
    configure("delete_bot", {"id": out.bot_id})
    # A group of the owner alone: created accepting chats (the owner is), then not.
    out.group_id = configure(
        "create_group", {"name": unique("Config group "), "agent_priorities": {owner_id: "normal"}}
    )["id"]
    set_status("not_accepting_chats")
    configure("update_group", {"id": out.group_id, "language_code": "de"})
    # Tags of that group.
    out.tag = unique("cfg-tag-")
    configure("create_tag", {"name": out.tag, "group_ids": [out.group_id]})
    configure("update_tag", {"name": out.tag, "group_ids": [0, out.group_id]})
    configure("delete_tag", {"name": out.tag})
    # An auto access rule, added and deleted.
    out.rule_id = configure(
        "add_auto_access",
        {
            "access": {"groups": [out.group_id]},
            "conditions": {"url": {"values": [{"value": unique("https://cfg.example/")}]}},
        },
    )["id"]
    configure("delete_auto_access", {"id": out.rule_id})
    # A license and group property agents may read, published to every application.
    out.property = unique("cfg_prop_").replace("-", "_")
    readable = {"agent": ["read", "write"]}
    configure(
        "register_property",
        {
            "name": out.property,
            "owner_client_id": client_id,
            "type": "string",
            "access": {"license": readable, "group": readable},
        },
    )
    configure(
        "publish_property",
        {"name": out.property, "owner_client_id": client_id, "access_type": ["read"]},
    )
    configure("update_license_properties", {"properties": {client_id: {out.property: "red"}}})
    configure(
        "update_group_properties",
        {"group_id": out.group_id, "properties": {client_id: {out.property: "blue"}}},
    )
    configure("delete_group", {"id": out.group_id})
    set_status("accepting_chats")
    return out
