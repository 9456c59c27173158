"""The webhook actions of configuration-api/readme.md, their filters and additional data.

Request shapes (msgspec structs) are shared by `register_webhook` and a bot agent's
`webhooks` configuration; `check_trigger` applies the per-action rules the readme lists.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from chatplane.errors import validation

# Actions derived from Agent Chat API pushes: `data` is the push payload.
CHAT_ACTIONS = (
    "incoming_chat_thread",
    "incoming_event",
    "incoming_rich_message_postback",
    "last_seen_timestamp_updated",
    "thread_closed",
    "chat_properties_updated",
    "chat_thread_properties_updated",
    "chat_properties_deleted",
    "chat_thread_properties_deleted",
    "chat_user_added",
    "chat_user_removed",
)
# Actions about an agent, not a chat.
AGENT_ACTIONS = ("agent_status_changed", "agent_deleted")
ACTIONS = CHAT_ACTIONS + AGENT_ACTIONS

ADDITIONAL_DATA = ("chat_properties", "access", "thread_id")


def allowed_additional_data(action: str) -> tuple[str, ...]:
    # The readme names `incoming_chat_event` for `access`; no such action exists, so we
    # read it as `incoming_event` (docs/decisions.md).
    out: tuple[str, ...] = () if action in AGENT_ACTIONS else ("chat_properties",)
    if action in ("incoming_event", "chat_user_added"):
        out += ("access",)
    if action == "chat_user_added":
        out += ("thread_id",)
    return out


# Filter objects refuse unknown names (unlike other payloads): a misspelt filter silently
# ignored would send every webhook the caller meant to filter out.
class ChatMemberIds(Struct, forbid_unknown_fields=True):
    agents_any: list[str] | None = None
    agents_exclude: list[str] | None = None


class PropertyValues(Struct, forbid_unknown_fields=True):
    """A chat property filter: the value is one of `values`, none of `exclude_values`,
    or (`exists`) the property is set at all."""

    values: list[int | bool | str] | None = None
    exclude_values: list[int | bool | str] | None = None
    exists: bool | None = None


class Filters(Struct, forbid_unknown_fields=True):
    """`filters` of `register_webhook`."""

    author_type: Literal["customer", "agent"] | None = None
    chat_member_ids: ChatMemberIds | None = None


class BotFilters(Filters, forbid_unknown_fields=True):
    """`webhooks.actions[].filters` of a bot agent: also `chat_properties`."""

    chat_properties: dict[str, dict[str, PropertyValues]] | None = None


Url = Annotated[str, Meta(min_length=1, max_length=2048)]
SecretKey = Annotated[str, Meta(min_length=1, max_length=512)]


class BotWebhookAction(Struct):
    name: str
    filters: BotFilters | None = None
    additional_data: list[str] | None = None


class BotWebhooks(Struct):
    url: Url
    secret_key: SecretKey
    actions: Annotated[list[BotWebhookAction], Meta(min_length=1, max_length=len(ACTIONS))]


def check_trigger(
    action: str,
    filters: Filters | None,
    additional_data: list[str] | None,
    where: str = "",
) -> None:
    """Refuse an unknown action, a filter or additional data the action does not allow."""
    if action not in ACTIONS:
        raise validation(
            f"{where}action {action!r} is not a webhook action; use one of: {', '.join(ACTIONS)}"
        )
    if filters is not None:
        if filters.author_type is not None and action != "incoming_event":
            raise validation(
                f"{where}filters.author_type is not allowed for action {action!r} "
                "(only for incoming_event)"
            )
        members = filters.chat_member_ids
        if members is not None:
            given = [n for n in ("agents_any", "agents_exclude") if getattr(members, n) is not None]
            if len(given) != 1:
                raise validation(
                    f"{where}filters.chat_member_ids takes exactly one of agents_any or "
                    f"agents_exclude, not {' and '.join(given) or 'neither'}"
                )
        if (
            isinstance(filters, BotFilters)
            and filters.chat_properties is not None
            and action in AGENT_ACTIONS
        ):
            raise validation(f"{where}filters.chat_properties is not allowed for action {action!r}")
    allowed = allowed_additional_data(action)
    seen: set[str] = set()
    for i, value in enumerate(additional_data or []):
        if value not in ADDITIONAL_DATA:
            raise validation(
                f"{where}additional_data[{i}] {value!r} is not additional data; "
                f"use one of: {', '.join(ADDITIONAL_DATA)}"
            )
        if value not in allowed:
            raise validation(
                f"{where}additional_data[{i}] {value!r} is not available for action {action!r}"
                + (f" (available: {', '.join(allowed)})" if allowed else "")
            )
        if value in seen:
            raise validation(f"{where}additional_data[{i}] {value!r} is given twice")
        seen.add(value)


def filters_json(filters: Filters | None) -> dict[str, Any] | None:
    """Filters as stored and shown: only what was given."""
    if filters is None:
        return None
    out: dict[str, Any] = {}
    if filters.author_type is not None:
        out["author_type"] = filters.author_type
    if filters.chat_member_ids is not None:
        m = filters.chat_member_ids
        out["chat_member_ids"] = (
            {"agents_any": list(m.agents_any)}
            if m.agents_any is not None
            else {"agents_exclude": list(m.agents_exclude or [])}
        )
    if isinstance(filters, BotFilters) and filters.chat_properties is not None:
        out["chat_properties"] = {
            ns: {
                name: {
                    k: v
                    for k, v in (
                        ("values", f.values),
                        ("exclude_values", f.exclude_values),
                        ("exists", f.exists),
                    )
                    if v is not None
                }
                for name, f in names.items()
            }
            for ns, names in filters.chat_properties.items()
        }
    return out


def bot_webhooks_json(config: BotWebhooks) -> dict[str, Any]:
    """A bot's `webhooks` as stored in `agents.webhooks` and shown by get_bot_agent_details."""
    actions: list[dict[str, Any]] = []
    for i, a in enumerate(config.actions):
        check_trigger(a.name, a.filters, a.additional_data, f"webhooks.actions[{i}].")
        entry: dict[str, Any] = {"name": a.name}
        f = filters_json(a.filters)
        if f:
            entry["filters"] = f
        if a.additional_data:
            entry["additional_data"] = list(a.additional_data)
        actions.append(entry)
    names = [a["name"] for a in actions]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise validation(f"webhooks.actions[{i}] {name!r} is given twice")
    return {"url": config.url, "secret_key": config.secret_key, "actions": actions}
