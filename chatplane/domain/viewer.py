"""Who a shape is rendered for: an agent or a customer, with what they may see.

Every API version's serializers take a `View`; the rules it carries (which properties a
user type may read, whether an agent's access to a chat is restricted) are the domain's,
so that no version decides them differently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chatplane.domain import properties as props
from chatplane.domain.access import agent_has_group_access
from chatplane.domain.models import AGENT, Chat


@dataclass
class View:
    """Who the shape is for: an agent or a customer, with the license's property configs."""

    user_type: str
    configs: dict[tuple[str, str], props.PropertyConfig] = field(default_factory=dict)
    is_online: Callable[[str], bool] = lambda _agent_id: False
    # An agent reading chats: who, and their groups. Threads of a chat the agent is not in
    # and has no group access to show as `restricted_access` (None: no such check).
    viewer_id: str | None = None
    viewer_group_ids: tuple[int, ...] | None = None
    # The reading agent's role, where it changes what it sees: owners and administrators
    # see a deleted event's content (v3.6), others only that it was deleted.
    role: str | None = None

    @property
    def agent(self) -> bool:
        return self.user_type == AGENT

    def restricted(self, chat: Chat) -> bool:
        if not self.agent or self.viewer_id is None or self.viewer_group_ids is None:
            return False
        if chat.is_present(self.viewer_id):
            return False
        return not agent_has_group_access(chat.group_ids, self.viewer_group_ids)

    def readable(self, location: str, stored: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """`{ns: {name: value}}` of `stored`, only what this user type may read."""
        return props.readable(self.configs, location, self.user_type, stored)

    def readable_names(self, location: str, names: dict[str, list[str]]) -> dict[str, list[str]]:
        """`{ns: [name, ...]}` of `names`, only the properties this user type may read
        (unknown configurations are not shown, as in `readable`)."""
        out: dict[str, list[str]] = {}
        for ns, listed in names.items():
            for name in listed:
                config = self.configs.get((ns, name))
                if config is not None and config.can(location, self.user_type, "read"):
                    out.setdefault(ns, []).append(name)
        return out
