"""Bot agents (configuration-api/readme.md, Bot Agent): units of work.

A bot is an agent row with `is_bot`, owned by the application (`client_id`) that created
it: "my" bots are those of the caller's application. A bot has no e-mail and no password.
In v3.0 an application acts as it with `author_id` (api/bots.py); from v3.5 a bot made
through the Configuration API has a secret, and `issue_bot_token` gives it a token of its
own (24 h) whose principal is the bot. Statuses are kept in the Agent Chat API's spelling
(`accepting_chats`, ...).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field, replace
from typing import Any

from chatplane.accounts import tokens
from chatplane.domain import (
    agent_status,
    agents,
    applications,
    changes,
    chats,
    group_status,
    routing,
)
from chatplane.domain import groups as groups_domain
from chatplane.domain.access import RequireWider
from chatplane.domain.ids import new_bot_id
from chatplane.domain.models import AGENT, Agent, Principal
from chatplane.domain.users import new_agent
from chatplane.errors import already_exists, authorization, not_found, validation
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
    # The Configuration API v3.x.
    job_title: str | None = None
    default_group_priority: str | None = None
    profile: dict[str, Any] = field(default_factory=dict)  # type, work_scheduler, timezone


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
    _configured(tx, caller, bot, created=True)
    return bot


def update_bot(
    tx: Tx,
    caller: Principal,
    bot_id: str,
    update: BotUpdate,
    require_wider: RequireWider | None = None,
) -> Agent:
    """Change a bot of the caller's application. `require_wider` (v3.x, whose update_bot
    takes `agents-bot--all:rw` for them): another application's bot too, when the caller
    may; without it (v3.0) another application's bot is refused."""
    bot = _load(tx, caller, bot_id)
    if bot.client_id != caller.client_id:
        if require_wider is None:
            raise authorization(f"Bot agent {bot_id!r} belongs to another application")
        require_wider(f"bot agent {bot_id!r} belongs to another application")
    groups_before = groups_repo.memberships(tx.conn, caller.license_id, bot_id)
    values: dict[str, Any] = {}
    for name in ("name", "avatar", "max_chats_count", "job_title", "default_group_priority"):
        value = getattr(update, name)
        if value is not None and value != getattr(bot, name):
            values[name] = value
    if update.profile and {**bot.profile, **update.profile} != bot.profile:
        values["profile"] = {**bot.profile, **update.profile}
    if update.set_webhooks:
        values["webhooks"] = update.webhooks
    if values:
        accounts_repo.update_agent(tx.conn, caller.license_id, bot_id, **values)
    if update.groups is not None:
        _set_groups(tx, bot, update.groups)
    lic = caller.license_id
    status = update.routing_status
    status_changed = status is not None and status != bot.routing_status
    if status is not None and status_changed:
        # As any agent's change of status: routing obeys it at once (the queue is served,
        # or the bot's chats go to others), and agents and webhooks hear of it.
        agent_status.set_status(tx, lic, bot_id, status, chosen=True)
    elif bot.routing_status == routing.ACCEPTING and (
        update.max_chats_count is not None or update.groups is not None
    ):
        routing.drain(tx, lic)  # more room, or other groups: queued chats may fit now
    fresh = _load(tx, caller, bot_id)
    if values or update.groups is not None or status_changed:
        groups_after = groups_repo.memberships(tx.conn, lic, bot_id)
        tx.emit(
            changes.AgentConfigured(
                lic,
                fresh,
                groups=groups_after,
                updated=agents.changed_fields(bot, fresh, groups_before, groups_after),
                **_requester(caller),
            )
        )
    return fresh


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
    tx.emit(changes.AgentDeleted(lic, bot.id, is_bot=True, client_id=bot.client_id))


def list_bots(tx: Tx, caller: Principal, all_bots: bool) -> list[Agent]:
    """The caller's application's bots, or every application's (`all_bots`: the caller's
    right to see them is checked by the API, whose `all: true` asks for them)."""
    return accounts_repo.bots(tx.conn, caller.license_id, None if all_bots else caller.client_id)


def bot_details(tx: Tx, caller: Principal, bot_id: str, require_wider: RequireWider) -> BotDetails:
    bot = _load(tx, caller, bot_id)
    if bot.client_id != caller.client_id:
        require_wider(f"bot agent {bot_id!r} belongs to another application")
    return BotDetails(bot, groups_repo.memberships(tx.conn, caller.license_id, bot.id))


# -- the Configuration API v3.x: bots with secrets and tokens of their own -----------------

# What a bot's issued token may do (configuration-api, Issue Bot Token).
BOT_TOKEN_SCOPES = frozenset({"chats--access:rw", "agents-bot--my:rw", "customers:rw"})
BOT_TOKEN_TTL = 24 * 3600
MAX_BOT_CHATS = 500


@dataclass
class BotConfig:
    name: str
    avatar: str | None = None
    max_chats_count: int = 6
    default_group_priority: str | None = None
    job_title: str | None = None
    # (group id, priority); None: group 0 at the default group priority.
    groups: list[tuple[int, str]] | None = None
    profile: dict[str, Any] = field(default_factory=dict)  # type, work_scheduler, timezone


def _requester(caller: Principal) -> dict[str, Any]:
    return {"requester_id": caller.user_id, "requester_client_id": caller.client_id}


def _configured(tx: Tx, caller: Principal, bot: Agent, *, created: bool) -> None:
    groups = groups_repo.memberships(tx.conn, caller.license_id, bot.id)
    tx.emit(
        changes.AgentConfigured(
            caller.license_id, bot, created=created, groups=groups, **_requester(caller)
        )
    )


def new_secret() -> str:
    return secrets.token_hex(16)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_groups(tx: Tx, license_id: int, memberships: list[tuple[int, str]]) -> None:
    """Groups named for a bot exist (v3.x never creates them) and are named once."""
    seen: set[int] = set()
    for i, (group_id, priority) in enumerate(memberships):
        if group_id in seen:
            raise validation(f"groups[{i}].id {group_id} is given twice")
        if priority not in groups_domain.PRIORITIES:
            raise validation(
                f"groups[{i}].priority must be one of {', '.join(groups_domain.PRIORITIES)}"
            )
        seen.add(group_id)
    groups_domain.check_exist(tx, license_id, sorted(seen))


def create_configured_bot(
    tx: Tx,
    caller: Principal,
    owner_client_id: str,
    config: BotConfig,
    *,
    bot_id: str | None = None,
    template_id: str | None = None,
    hashed_secret: str | None = None,
) -> tuple[Agent, str | None]:
    """A v3.x bot, `offline` until its status is set (v3.2 on); returns it and its new
    secret (None when a template's secret is given as `hashed_secret`)."""
    if not 1 <= config.max_chats_count <= MAX_BOT_CHATS:
        raise validation(f"max_chats_count must be 1 to {MAX_BOT_CHATS}")
    default = config.default_group_priority
    memberships = config.groups if config.groups is not None else [(0, default or "normal")]
    check_groups(tx, caller.license_id, memberships)
    secret = None if hashed_secret else new_secret()
    bot = new_agent(
        caller.license_id,
        bot_id or new_bot_id(),
        config.name,
        "normal",
        is_bot=True,
        client_id=owner_client_id,
        avatar=config.avatar,
        max_chats_count=config.max_chats_count,
        routing_status="offline",
    )
    if accounts_repo.get_agent(tx.conn, caller.license_id, bot.id) is not None:
        raise already_exists("Bot", bot.id)
    bot.job_title = config.job_title
    bot.default_group_priority = default
    bot.secret_hash = hashed_secret or secret_hash(secret or "")
    bot.template_id = template_id
    bot.profile = {k: v for k, v in config.profile.items() if v is not None}
    accounts_repo.insert_agent(tx.conn, bot, None)
    _set_groups(tx, bot, memberships)
    agent_status.bot_created(tx, caller.license_id, bot.id, bot.routing_status)
    _configured(tx, caller, bot, created=True)
    return bot, secret


def load_bot(tx: Tx, caller: Principal, bot_id: str) -> Agent:
    return _load(tx, caller, bot_id)


def reset_secret(tx: Tx, caller: Principal, bot_id: str, owner_client_id: str | None) -> str:
    owner = applications.owner_application(tx, caller, owner_client_id)
    bot = _load(tx, caller, bot_id)
    if bot.client_id != owner:
        raise authorization(f"Bot {bot_id!r} belongs to another application than {owner!r}")
    secret = new_secret()
    accounts_repo.update_agent(tx.conn, caller.license_id, bot.id, secret_hash=secret_hash(secret))
    return secret


def issue_token(
    tx: Tx, caller: Principal, bot_id: str, client_id: str, secret: str, organization_id: str
) -> tokens.IssuedToken:
    """A token of the bot's own (24 h, BOT_TOKEN_SCOPES) for a caller that knows its
    secret. The organization must be the caller's license's."""
    lic = accounts_repo.get_license(tx.conn, caller.license_id)
    if lic is None or str(lic.organization_id) != organization_id:
        raise authorization(
            f"organization_id {organization_id!r} is not the organization of this token"
        )
    bot = _load(tx, caller, bot_id)
    if bot.client_id != client_id:
        raise authorization(f"Bot {bot_id!r} is not owned by client_id {client_id!r}")
    if bot.secret_hash is None:
        raise authorization(
            f"Bot {bot_id!r} has no secret (it was made through v3.0): reset_bot_secret first"
        )
    if not hmac.compare_digest(bot.secret_hash, secret_hash(secret)):
        raise authorization(f"Wrong bot_secret for bot {bot_id!r}")
    return tokens.issue(
        tx.conn,
        license_id=bot.license_id,
        entity_type=AGENT,
        entity_id=bot.id,
        client_id=client_id,
        scopes=BOT_TOKEN_SCOPES,
        ttl=BOT_TOKEN_TTL,
    )


def _load(tx: Tx, caller: Principal, bot_id: str) -> Agent:
    bot = accounts_repo.get_agent(tx.conn, caller.license_id, bot_id)
    if bot is None or not bot.is_bot:
        raise not_found("Bot agent", bot_id)
    return bot


def _set_groups(tx: Tx, bot: Agent, groups: list[tuple[int, str]]) -> None:
    lic = bot.license_id
    status_moved = group_status.watch_member(tx, lic, bot.id, [g for g, _ in groups])
    groups_repo.remove_agent_from_groups(tx.conn, lic, bot.id)
    now = time.time()
    for group_id, priority in groups:
        # Groups have no API of their own in v3.0; naming one creates it (docs/decisions.md).
        accounts_repo.ensure_group(tx.conn, lic, group_id, f"Group {group_id}", now)
        accounts_repo.add_agent_to_group(tx.conn, lic, group_id, bot.id, priority)
    status_moved()
