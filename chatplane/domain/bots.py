"""Bot agents (configuration-api/readme.md, Bot Agent): units of work.

A bot is an agent row with `is_bot`, owned by the application (`client_id`) that created
it: "my" bots are those of the caller's application. A bot has no e-mail and no password
and never gets a token; an application acts as it with `author_id` (api/bots.py).
Statuses are kept in the Agent Chat API's spelling (`accepting_chats`, ...).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from chatplane.domain import agent_status, changes, chats, routing
from chatplane.domain.access import RequireWider
from chatplane.domain.ids import new_bot_id
from chatplane.domain.models import AGENT, Agent, Principal
from chatplane.domain.users import new_agent
from chatplane.errors import authorization, not_found
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo
from chatplane.storage import groups as groups_repo
from chatplane.storage import routing as routing_repo


@dataclass
class BotSpec:
    name: str
    routing_status: str
    avatar: str | None = None
    max_chats_count: int = 6
    # (group id, priority); None: group 0 with normal priority.
    groups: list[tuple[int, str]] | None = None
    webhooks: dict[str, Any] | None = None


@dataclass
class BotUpdate:
    name: str | None = None
    avatar: str | None = None
    routing_status: str | None = None
    max_chats_count: int | None = None
    groups: list[tuple[int, str]] | None = None
    # Only applied when `set_webhooks`: None removes the configuration.
    webhooks: dict[str, Any] | None = None
    set_webhooks: bool = False


@dataclass
class BotDetails:
    agent: Agent
    groups: list[tuple[int, str]] = field(default_factory=list)


def create_bot(tx: Tx, caller: Principal, spec: BotSpec) -> Agent:
    bot = new_agent(
        caller.license_id,
        new_bot_id(),
        spec.name,
        "normal",
        is_bot=True,
        client_id=caller.client_id,
        avatar=spec.avatar,
        max_chats_count=spec.max_chats_count,
        routing_status=spec.routing_status,
        webhooks=spec.webhooks,
    )
    accounts_repo.insert_agent(tx.conn, bot, None)
    _set_groups(tx, bot, spec.groups if spec.groups is not None else [(0, "normal")])
    agent_status.bot_created(tx, caller.license_id, bot.id, spec.routing_status)
    return bot


def update_bot(tx: Tx, caller: Principal, bot_id: str, update: BotUpdate) -> None:
    bot = _load(tx, caller, bot_id)
    if bot.client_id != caller.client_id:
        raise authorization(f"Bot agent {bot_id!r} belongs to another application")
    values: dict[str, Any] = {}
    for name in ("name", "avatar", "max_chats_count"):
        value = getattr(update, name)
        if value is not None:
            values[name] = value
    if update.set_webhooks:
        values["webhooks"] = update.webhooks
    if values:
        accounts_repo.update_agent(tx.conn, caller.license_id, bot_id, **values)
    if update.groups is not None:
        _set_groups(tx, bot, update.groups)
    lic = caller.license_id
    status = update.routing_status
    if status is not None and status != bot.routing_status:
        # As any agent's change of status: routing obeys it at once (the queue is served,
        # or the bot's chats go to others), and agents and webhooks hear of it.
        agent_status.set_status(tx, lic, bot_id, status, chosen=True)
    elif bot.routing_status == routing.ACCEPTING and (
        update.max_chats_count is not None or update.groups is not None
    ):
        routing.drain(tx, lic)  # more room, or other groups: queued chats may fit now


def remove_bot(tx: Tx, caller: Principal, bot_id: str, require_wider: RequireWider) -> None:
    bot = _load(tx, caller, bot_id)
    if bot.client_id != caller.client_id:
        require_wider(f"bot agent {bot_id!r} belongs to another application")
    # The bot leaves its chats the way any agent does (agent_left, chat_user_removed).
    as_bot = replace(caller, user_id=bot.id, is_bot=True)
    for chat_id in routing_repo.present_chat_ids(tx.conn, bot.id):
        chats.remove_user_from_chat(tx, as_bot, chat_id, bot.id, AGENT)
    lic = caller.license_id
    groups_repo.remove_agent_from_groups(tx.conn, lic, bot.id)
    accounts_repo.delete_agent(tx.conn, lic, bot.id)
    routing_repo.forget_status(tx.conn, lic, bot.id)
    tx.emit(changes.AgentDeleted(lic, bot.id))


def list_bots(tx: Tx, caller: Principal, all_bots: bool) -> list[Agent]:
    """The caller's application's bots, or every application's (`all_bots`: the caller's
    right to see them is checked by the API, whose `all: true` asks for them)."""
    return accounts_repo.bots(tx.conn, caller.license_id, None if all_bots else caller.client_id)


def bot_details(tx: Tx, caller: Principal, bot_id: str, require_wider: RequireWider) -> BotDetails:
    bot = _load(tx, caller, bot_id)
    if bot.client_id != caller.client_id:
        require_wider(f"bot agent {bot_id!r} belongs to another application")
    return BotDetails(bot, groups_repo.memberships(tx.conn, caller.license_id, bot.id))


def _load(tx: Tx, caller: Principal, bot_id: str) -> Agent:
    bot = accounts_repo.get_agent(tx.conn, caller.license_id, bot_id)
    if bot is None or not bot.is_bot:
        raise not_found("Bot agent", bot_id)
    return bot


def _set_groups(tx: Tx, bot: Agent, groups: list[tuple[int, str]]) -> None:
    lic = bot.license_id
    groups_repo.remove_agent_from_groups(tx.conn, lic, bot.id)
    now = time.time()
    for group_id, priority in groups:
        # Groups have no API of their own in v3.0; naming one creates it (docs/decisions.md).
        accounts_repo.ensure_group(tx.conn, lic, group_id, f"Group {group_id}", now)
        accounts_repo.add_agent_to_group(tx.conn, lic, group_id, bot.id, priority)
