"""Routing status in its two spellings.

The Agent Chat API (and storage) say `accepting_chats`, `not_accepting_chats`, `offline`;
the Configuration API and its webhooks say `accepting chats`, `not accepting chats`,
`offline`. The domain keeps the Agent Chat API's; these translate at the edge.
"""

from __future__ import annotations

CONFIGURATION_STATUSES = ("accepting chats", "not accepting chats", "offline")


def to_configuration(routing_status: str) -> str:
    return routing_status.replace("_", " ")


def from_configuration(status: str) -> str:
    return status.replace(" ", "_")
