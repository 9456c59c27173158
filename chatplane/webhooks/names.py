"""The webhook actions of the v3.x Configuration API, with the filters each takes
(management/configuration-api, Register Webhook, "Triggering actions"), per version.

Data about versions, kept here so that registration (api/v3_6) and the webhook formats
that will deliver them read one table.
"""

from __future__ import annotations

CHAT = ("chat_presence", "only_my_chats", "source_type")
EVENT = ("chat_presence", "author_type", "only_my_chats", "source_type")
CONFIG = ("source_type",)

V3_6: dict[str, tuple[str, ...]] = {
    "incoming_chat": CHAT,
    "chat_deactivated": CHAT,
    "chat_access_updated": CHAT,
    "chat_transferred": CHAT,
    "user_added_to_chat": CHAT,
    "user_removed_from_chat": CHAT,
    "incoming_event": EVENT,
    "event_deleted": CHAT,
    "event_updated": EVENT,
    "incoming_rich_message_postback": CHAT,
    "chat_properties_updated": CHAT,
    "chat_properties_deleted": CHAT,
    "thread_properties_updated": CHAT,
    "thread_properties_deleted": CHAT,
    "event_properties_updated": CHAT,
    "event_properties_deleted": CHAT,
    "thread_tagged": CHAT,
    "thread_untagged": CHAT,
    "routing_status_set": ("agent_ids", "source_type"),
    "customer_session_fields_updated": ("chat_presence", "source_type"),
    "events_marked_as_seen": CHAT,
    "group_created": CONFIG,
    "group_updated": CONFIG,
    "group_deleted": CONFIG,
    "agent_created": CONFIG,
    "agent_updated": CONFIG,
    "agent_deleted": CONFIG,
    "agent_suspended": CONFIG,
    "agent_unsuspended": CONFIG,
    "agent_approved": CONFIG,
    "bot_created": CONFIG,
    "bot_updated": CONFIG,
    "bot_deleted": CONFIG,
    "auto_accesses_updated": CONFIG,
    "tag_created": CONFIG,
    "tag_deleted": CONFIG,
    "tag_updated": CONFIG,
    "thread_summary_set": CHAT,
}

# v3.6 added event_deleted and thread_summary_set, and removed incoming_customer.
V3_5: dict[str, tuple[str, ...]] = {
    **{k: v for k, v in V3_6.items() if k not in ("event_deleted", "thread_summary_set")},
    "incoming_customer": CONFIG,
}

ACTIONS: dict[str, dict[str, tuple[str, ...]]] = {"3.6": V3_6, "3.5": V3_5}

# The configuration actions (webhooks, "Configuration"): about the license, not a chat nor
# a bot's work, so only `license` webhooks take them (docs/decisions.md).
CONFIGURATION = frozenset(
    {
        "agent_created",
        "agent_approved",
        "agent_updated",
        "agent_suspended",
        "agent_unsuspended",
        "agent_deleted",
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
    }
)

ADDITIONAL_DATA = ("chat_properties", "chat_presence_user_ids")


def additional_data(version: str, action: str) -> tuple[str, ...]:
    """What `additional_data` an action's webhooks may carry: chat actions' only."""
    return ADDITIONAL_DATA if "chat_presence" in ACTIONS[version].get(action, ()) else ()
