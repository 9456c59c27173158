"""Scopes (agent-chat-api/scopes.md) and what they allow on a chat.

A chat relation is how the caller stands to the chat: `my` (present in it), `access`
(one of the caller's groups is in the chat's `access.group_ids`; group 0 holds every
agent) or neither. An `all` scope covers every chat, an `access` scope chats with access
or presence, a `my` scope chats with presence.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from chatplane.errors import ApiError

# scope -> the lowest role that holds it by default (scopes.md).
SCOPES: dict[str, str] = {
    "chats--all:ro": "normal",
    "chats--access:ro": "normal",
    "chats--my:ro": "normal",
    "chats.conversation--all:rw": "normal",
    "chats.conversation--access:rw": "normal",
    "chats.conversation--my:rw": "normal",
    "chats--all:rw": "administrator",
    "chats--access:rw": "administrator",
    "chats--my:rw": "normal",
    "multicast:rw": "normal",
    "customers.ban:rw": "normal",
    "customers:own": "administrator",
    "customers:ro": "normal",
    "customers:rw": "normal",
    "agents--my:rw": "normal",
    "agents--all:rw": "administrator",
    "access_rules:ro": "administrator",
    "access_rules:rw": "administrator",
    "properties--my:ro": "administrator",
    "properties--my:rw": "administrator",
    "properties--all:ro": "administrator",
    "webhooks--my:ro": "administrator",
    "webhooks--my:rw": "administrator",
    "webhooks--all:ro": "administrator",
    "webhooks--all:rw": "administrator",
    "agents-bot--my:ro": "administrator",
    "agents-bot--my:rw": "administrator",
    "agents-bot--all:ro": "administrator",
    "agents-bot--all:rw": "administrator",
    # The Configuration API v3.x (management/configuration-api, authorization/scopes).
    "agents--my:ro": "normal",
    "agents--all:ro": "normal",
    "accounts--my:ro": "normal",
    "accounts--my:rw": "normal",
    "accounts--all:ro": "administrator",
    "accounts--all:rw": "administrator",
    "accounts--all:rc": "administrator",
    "accounts.roles.lc--all:rw": "administrator",
    # Private scopes in the hosted product; here the administrators' (an agent created
    # with them needs no approval, domain/agents.py).
    "subscription.lc:rw": "administrator",
    "sessions--all:rw": "administrator",
    "organization--my:rw": "administrator",
    "groups--my:ro": "normal",
    "groups--all:ro": "normal",
    "groups--my:rw": "administrator",
    "groups--all:rw": "administrator",
    "bots.templates:rw": "administrator",
    "properties.configuration:rw": "administrator",
    "properties.license.value--my:rw": "administrator",
    "properties.license.value--all:rw": "administrator",
    "properties.group.value--my:rw": "administrator",
    "properties.group.value--all:rw": "administrator",
    "properties.license.value--my:ro": "administrator",
    "properties.license.value--all:ro": "administrator",
    "properties.group.value--my:ro": "administrator",
    "properties.group.value--all:ro": "administrator",
    "tags--groups:ro": "normal",
    "tags--all:ro": "normal",
    "tags--groups:rw": "administrator",
    "tags--all:rw": "administrator",
    "webhooks.configuration:rw": "administrator",
    "webhooks.state:ro": "administrator",
    "webhooks.state:rw": "administrator",
    "banlist_read": "administrator",
    "banlist_write": "administrator",
    "greetings:ro": "administrator",
    "greetings:rw": "administrator",
}

# `viceowner` is the Configuration API v3.x's second role from the top: an administrator
# who may also manage administrators.
ROLES = ("normal", "administrator", "viceowner", "owner")

# The scope sets the reference names for its methods (any one of them is enough).
CHATS_READ = ("chats--all:ro", "chats--access:ro", "chats--my:ro")
CHATS_READ_WIDE = ("chats--all:ro", "chats--access:ro")
CHATS_WRITE = ("chats--all:rw", "chats--access:rw", "chats--my:rw")
CONVERSATION_WRITE = (
    "chats.conversation--all:rw",
    "chats.conversation--access:rw",
    "chats.conversation--my:rw",
)

# Customers hold no configurable scopes: the Customer Chat API limits them to their chats.
CUSTOMER_SCOPES: frozenset[str] = frozenset({"customer"})


def role_scopes(role: str) -> frozenset[str]:
    if role in ("administrator", "viceowner", "owner"):
        return frozenset(SCOPES)
    return frozenset(s for s, r in SCOPES.items() if r == "normal")


def parse_scopes(text: str) -> frozenset[str]:
    return frozenset(s for s in (p.strip() for p in text.split(",")) if s)


def format_scopes(scopes: Iterable[str]) -> str:
    return ",".join(sorted(scopes))


# Levels ordered from broad to narrow; a scope on a level covers the relations listed.
_COVERS = {"all": ("all", "access", "my"), "access": ("access", "my"), "my": ("my",)}


def _levels_for(relation: str) -> tuple[str, ...]:
    """Scope levels that cover a chat the caller stands to in `relation`."""
    return tuple(level for level, covered in _COVERS.items() if relation in covered)


def chat_rights(scopes: frozenset[str], present: bool, has_access: bool) -> tuple[str, str]:
    """(meta, conversation) rights on one chat: each '' (none), 'ro' or 'rw'.

    Meta data is the chat's users; conversation data its events and properties.
    `chats-*:rw` gives rw on both, `chats.conversation-*:rw` rw on conversation and ro
    on meta, `chats-*:ro` ro on both.
    """
    relation = "my" if present else ("access" if has_access else "all")
    meta = conv = ""
    for level in _levels_for(relation):
        if f"chats--{level}:rw" in scopes:
            return "rw", "rw"
        if f"chats.conversation--{level}:rw" in scopes:
            conv = "rw"
            meta = meta or "ro"
        if f"chats--{level}:ro" in scopes:
            meta = meta or "ro"
            conv = conv or "ro"
    return meta, conv


@functools.lru_cache(maxsize=1024)
def implied(scopes: frozenset[str]) -> frozenset[str]:
    """The scopes with what each implies (scopes.md): `rw` contains `ro`, `all` contains
    `access` and `my`, `access` contains `my`, `chats.conversation--X:rw` contains
    `chats--X:ro`, and `chats--X:rw` contains `chats.conversation--X:rw`.

    Cached: a license has a handful of distinct scope sets, and every request asks."""
    out = set(scopes)
    for scope in scopes:
        name, _, mode = scope.partition(":")
        base, _, level = name.partition("--")
        levels = {"all": ("all", "access", "my"), "access": ("access", "my"), "my": ("my",)}
        for lvl in levels.get(level, (level,)) if level else ("",):
            stem = f"{base}--{lvl}" if lvl else base
            out.add(f"{stem}:{mode}")
            if mode == "rw":
                out.add(f"{stem}:ro")
            if base == "chats.conversation" and mode == "rw":
                out.add(f"chats--{lvl}:ro")
            if base == "chats" and mode == "rw":
                # Read/write on conversation and meta data (scopes.md): a bot's issued
                # token (`chats--access:rw`) writes events with it.
                out.add(f"chats.conversation--{lvl}:rw")
    return frozenset(out)


def has_scope(scopes: frozenset[str], *any_of: str) -> bool:
    held = implied(scopes)
    return any(s in held for s in any_of)


def require_scope(
    scopes: frozenset[str], *any_of: str, what: str = "this action", detail: str | None = None
) -> None:
    if not has_scope(scopes, *any_of):
        reason = f" ({detail})" if detail else ""
        raise ApiError(
            "authorization",
            f"{what[:1].upper()}{what[1:]} needs one of the scopes: {', '.join(any_of)}{reason}",
        )


@dataclass(frozen=True)
class Wider:
    """What some requests of an action reach beyond the action's own scopes (another
    application's bot, every namespace, ...), and the scopes (any one) that takes; `also`:
    one of these as well, where the reference lists two scopes together (another agent's
    account: `agents--all:rw` and `accounts--all:rw`)."""

    what: str
    scopes: tuple[str, ...]
    also: tuple[str, ...] = ()

    def allows(self, held: frozenset[str]) -> bool:
        return has_scope(held, *self.scopes) and (not self.also or has_scope(held, *self.also))

    def require(self, held: frozenset[str], detail: str | None = None) -> None:
        require_scope(held, *self.scopes, what=self.what, detail=detail)
        if self.also:
            require_scope(held, *self.also, what=self.what, detail=detail)


# Told by a handler to a domain rule that finds, in the data, a request reaching wider
# (`Context.require_wider`): raises `authorization` unless the caller may.
RequireWider = Callable[[str], None]


def agent_has_group_access(chat_group_ids: Iterable[int], agent_group_ids: Iterable[int]) -> bool:
    groups = set(chat_group_ids)
    # Group 0 holds every agent of the license.
    return 0 in groups or bool(groups.intersection(agent_group_ids))
