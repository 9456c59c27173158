"""Bot templates (Configuration API v3.5+): a bot an application brings to the licenses it
is installed on, with the template's id and secret.

An application of a self-hosted server belongs to one license and is installed there
from the start, so "existing installations" is that one license: with
`affect_existing_installations` a template's bot is created, updated, re-keyed or
deleted on it at once; without, the template alone changes (no later installation will
come to create its bot). At most five templates per application.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from chatplane.domain import applications, bots, groups
from chatplane.domain.ids import new_bot_id
from chatplane.domain.models import Principal
from chatplane.errors import limit_reached, not_found, validation
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo
from chatplane.storage import bot_templates as repo

MAX_PER_APPLICATION = 5


@dataclass
class Template:
    id: str
    client_id: str
    name: str
    avatar: str | None
    max_chats_count: int
    default_group_priority: str | None
    job_title: str | None


@dataclass
class TemplateChange:
    name: str | None = None
    avatar: str | None = None
    max_chats_count: int | None = None
    default_group_priority: str | None = None
    job_title: str | None = None


def _template(row: Any) -> Template:
    return Template(
        row.id,
        row.client_id,
        row.name,
        row.avatar,
        int(row.max_chats_count),
        row.default_group_priority,
        row.job_title,
    )


def _load(tx: Tx, caller: Principal, template_id: str, owner: str) -> Any:
    row = repo.get(tx.conn, caller.license_id, template_id)
    if row is None or row.client_id != owner:
        raise not_found("Bot template", template_id)
    return row


def _check(max_chats_count: int | None, priority: str | None) -> None:
    if max_chats_count is not None and not 1 <= max_chats_count <= bots.MAX_BOT_CHATS:
        raise validation(f"max_chats_count must be 1 to {bots.MAX_BOT_CHATS}")
    if priority is not None and priority not in groups.PRIORITIES:
        raise validation(f"default_group_priority must be one of {', '.join(groups.PRIORITIES)}")


def create(
    tx: Tx, caller: Principal, owner_client_id: str, spec: bots.BotConfig, affect_existing: bool
) -> tuple[str, str]:
    """A new template of the application; returns its id and secret."""
    owner = applications.owner_application(tx, caller, owner_client_id)
    _check(spec.max_chats_count, spec.default_group_priority)
    if len(repo.of_client(tx.conn, caller.license_id, owner)) >= MAX_PER_APPLICATION:
        raise limit_reached(f"Application {owner!r} has {MAX_PER_APPLICATION} bot templates")
    template_id = new_bot_id()
    secret = bots.new_secret()
    hashed = bots.secret_hash(secret)
    repo.insert(
        tx.conn,
        id=template_id,
        license_id=caller.license_id,
        client_id=owner,
        name=spec.name,
        avatar=spec.avatar,
        max_chats_count=spec.max_chats_count,
        default_group_priority=spec.default_group_priority,
        job_title=spec.job_title,
        secret_hash=hashed,
        created_at=time.time(),
    )
    if affect_existing:
        bots.create_configured_bot(
            tx,
            caller,
            owner,
            spec,
            bot_id=template_id,
            template_id=template_id,
            hashed_secret=hashed,
        )
    return template_id, secret


def update(
    tx: Tx,
    caller: Principal,
    template_id: str,
    owner_client_id: str,
    change: TemplateChange,
    affect_existing: bool,
) -> None:
    owner = applications.owner_application(tx, caller, owner_client_id)
    _load(tx, caller, template_id, owner)
    _check(change.max_chats_count, change.default_group_priority)
    values = {k: v for k, v in vars(change).items() if v is not None}
    if values:
        repo.update(tx.conn, template_id, **values)
    if affect_existing and _bot_of(tx, caller, template_id):
        bots.update_bot(
            tx,
            caller,
            template_id,
            bots.BotUpdate(
                name=change.name,
                avatar=change.avatar,
                max_chats_count=change.max_chats_count,
                job_title=change.job_title,
                default_group_priority=change.default_group_priority,
            ),
            _template_scope_covers,
        )


def delete(
    tx: Tx, caller: Principal, template_id: str, owner_client_id: str, affect_existing: bool
) -> None:
    owner = applications.owner_application(tx, caller, owner_client_id)
    _load(tx, caller, template_id, owner)
    repo.delete(tx.conn, template_id)
    if affect_existing and _bot_of(tx, caller, template_id):
        bots.remove_bot(tx, caller, template_id, _template_scope_covers)


def list_templates(tx: Tx, caller: Principal, owner_client_id: str) -> list[Template]:
    owner = applications.owner_application(tx, caller, owner_client_id)
    return [_template(r) for r in repo.of_client(tx.conn, caller.license_id, owner)]


def reset_secret(
    tx: Tx, caller: Principal, template_id: str, owner_client_id: str, affect_existing: bool
) -> str:
    owner = applications.owner_application(tx, caller, owner_client_id)
    _load(tx, caller, template_id, owner)
    secret = bots.new_secret()
    hashed = bots.secret_hash(secret)
    repo.update(tx.conn, template_id, secret_hash=hashed)
    if affect_existing and _bot_of(tx, caller, template_id):
        accounts_repo.update_agent(tx.conn, caller.license_id, template_id, secret_hash=hashed)
    return secret


def _template_scope_covers(_detail: str) -> None:
    """The template's bot belongs to the template's application, which the caller names
    as its `owner_client_id`: the templates' scope the method takes covers it."""


def _bot_of(tx: Tx, caller: Principal, template_id: str) -> bool:
    """Whether the template's bot is on the license (it may have been deleted by itself)."""
    bot = accounts_repo.get_agent(tx.conn, caller.license_id, template_id)
    return bot is not None and bot.is_bot
