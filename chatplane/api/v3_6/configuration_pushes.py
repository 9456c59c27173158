"""Configuration changes as v3.x pushes and webhooks (rtm-pushes and webhooks,
"Configuration"): the name and payload of each; a webhook's payload is its push's.

- `agent_created` and `bot_created` hold the whole agent (or bot), empty lists and objects
  included; `agent_updated`, `bot_updated` and `group_updated` only what changed, and
  nothing is sent when nothing they show changed (an agent's `login_status` is not in the
  pushes' agent: a change of it alone is not told). Fields are those of lc-sdk-python
  0.4.2's webhook models (`avatar`, `job_title`, `mobile`, `max_chats_count` besides the
  samples'; a bot's `type` is not among them, so it is not sent).
- `auto_accesses_updated` lists what a change did to the ordered rules: a rule added whole
  (`status: added`), the fields of one that changed (`updated`; `next_id` when it moved or
  its follower did, "" for the last), one deleted (`deleted`), in the new order, deleted
  ones last.
- `groups_status_updated` names one group (domain/group_status.py emits one change per
  group, so each reaches exactly the agents who may read that group).
- `license_properties_updated` and `group_properties_updated` hold the values set that
  agents may read by the properties' access, of the properties any application may read
  (made by v3.0, or published for reading); a deletion has no push.
"""

from __future__ import annotations

from typing import Any

from chatplane.api.v3_6.serialize import rfc3339
from chatplane.domain import changes as ch
from chatplane.domain.viewer import View

Push = tuple[str, Any]

# What the agents' pushes show of an agent, and of a bot, in the order they are shown.
AGENT_FIELDS = (
    "name",
    "role",
    "avatar",
    "job_title",
    "mobile",
    "max_chats_count",
    "awaiting_approval",
    "groups",
    "notifications",
    "email_subscriptions",
    "work_scheduler",
)
BOT_FIELDS = (
    "name",
    "avatar",
    "max_chats_count",
    "default_group_priority",
    "groups",
    "work_scheduler",
    "timezone",
    "job_title",
    "owner_client_id",
)
# Shown even when empty (the references' "including empty fields").
_EMPTY: dict[str, Any] = {
    "notifications": [],
    "email_subscriptions": [],
    "work_scheduler": {},
    "groups": [],
}
GROUP_FIELDS = ("name", "language_code", "agent_priorities")
RULE_FIELDS = ("description", "access", "conditions", "next_id")


def _agent_value(c: ch.AgentConfigured, name: str) -> Any:
    agent = c.agent
    if name == "groups":
        return [{"id": g, "priority": p} for g, p in c.groups]
    if name == "default_group_priority":
        # No priority of its own: group 0's default, normal.
        return agent.default_group_priority or "normal"
    if name == "owner_client_id":
        return agent.client_id or ""
    if name in ("mobile", "notifications", "email_subscriptions", "work_scheduler", "timezone"):
        return agent.profile.get(name, _EMPTY.get(name))
    return getattr(agent, name)


def _state(
    c: ch.AgentConfigured, fields: tuple[str, ...], wanted: set[str] | None
) -> dict[str, Any]:
    """The agent's fields: all (`wanted` None; unset optional ones left out) or those named."""
    out: dict[str, Any] = {"id": c.agent.id}
    for name in fields:
        if wanted is not None and name not in wanted:
            continue
        value = _agent_value(c, name)
        if value is None and wanted is None:
            continue  # an optional field the agent has no value for
        out[name] = value
    return out


def agent_configured(c: ch.AgentConfigured) -> Push | None:
    """`agent_created`, `agent_updated`, `bot_created` or `bot_updated`."""
    kind = "bot" if c.agent.is_bot else "agent"
    fields = BOT_FIELDS if c.agent.is_bot else AGENT_FIELDS
    if c.updated is None:
        return f"{kind}_created", _state(c, fields, None)
    changed = set(c.updated).intersection(fields)
    if not changed:
        return None
    return f"{kind}_updated", _state(c, fields, changed)


def agent_access_changed(c: ch.AgentAccessChanged) -> Push:
    """`agent_suspended`, `agent_unsuspended`, `agent_approved`."""
    return f"agent_{c.how}", {"id": c.agent_id}


def agent_deleted(c: ch.AgentDeleted) -> Push:
    return ("bot_deleted" if c.is_bot else "agent_deleted"), {"id": c.agent_id}


def group_configured(c: ch.GroupConfigured) -> Push | None:
    """`group_created`, `group_updated`, `group_deleted`."""
    if c.how == "deleted":
        return "group_deleted", {"id": c.group_id}
    values = {
        "name": c.name,
        "language_code": c.language_code,
        "agent_priorities": dict(c.agent_priorities),
    }
    if c.how == "created" or c.updated is None:
        return f"group_{c.how}", {"id": c.group_id, **values}
    changed = {name: values[name] for name in GROUP_FIELDS if name in c.updated}
    if not changed:
        return None
    return "group_updated", {"id": c.group_id, **changed}


def tag_configured(c: ch.TagConfigured) -> Push:
    """`tag_created`, `tag_updated`, `tag_deleted`."""
    if c.how == "deleted":
        return "tag_deleted", {"name": c.name}
    if c.how == "updated":
        return "tag_updated", {"name": c.name, "group_ids": list(c.group_ids)}
    payload: dict[str, Any] = {"name": c.name, "group_ids": list(c.group_ids)}
    if c.created_at is not None:
        payload["created_at"] = rfc3339(c.created_at)
    # Tags made before anyone was recorded show an empty author (list_tags does too).
    payload["author_id"] = c.author_id or ""
    return "tag_created", payload


def _rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A rule as the push shows it: no description or follower is an empty string."""
    return {
        "id": rule["id"],
        "description": rule.get("description") or "",
        "access": rule["access"],
        "conditions": rule["conditions"],
        "next_id": rule.get("next_id") or "",
    }


def auto_access_changes(c: ch.AutoAccessesUpdated) -> list[dict[str, Any]]:
    """What the change did to the rules, in the reference's form."""
    before = {r["id"]: _rule(r) for r in c.previous}
    out: list[dict[str, Any]] = []
    for rule in map(_rule, c.rules):
        was = before.pop(rule["id"], None)
        if was is None:
            out.append({**rule, "status": "added"})
            continue
        changed = {k: rule[k] for k in RULE_FIELDS if rule[k] != was[k]}
        if changed:
            out.append({"id": rule["id"], **changed, "status": "updated"})
    out.extend({"id": rule_id, "status": "deleted"} for rule_id in before)
    return out


def auto_accesses_updated(c: ch.AutoAccessesUpdated) -> Push | None:
    found = auto_access_changes(c)
    return ("auto_accesses_updated", found) if found else None


def groups_status_updated(c: ch.GroupsStatusUpdated) -> Push:
    return "groups_status_updated", {"groups": [{"id": c.group_id, "status": c.status}]}


def properties_updated(c: ch.ConfiguredPropertiesChanged, view: View) -> Push | None:
    """`license_properties_updated` or `group_properties_updated`: the values set that
    agents may read there, of properties any application may read."""
    location = "license" if c.group_id is None else "group"
    shown: dict[str, dict[str, Any]] = {}
    for namespace, values in view.readable(location, c.updated).items():
        for name, value in values.items():
            config = view.configs[(namespace, name)]
            if config.public_access is None or "read" in config.public_access:
                shown.setdefault(namespace, {})[name] = value
    if not shown:
        return None
    if c.group_id is None:
        return "license_properties_updated", {"properties": shown}
    return "group_properties_updated", {"group_id": c.group_id, "properties": shown}
