"""Configuration API v3.6: bots (`create_bot`, `update_bot`, `delete_bot`, `get_bot`,
`list_bots`, `issue_bot_token`, `reset_bot_secret`, their batch methods) and bot templates
(`create_bot_template`, `update_bot_template`, `delete_bot_template`,
`list_bot_templates`, `reset_bot_template_secret`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_6.configuration_agents import WorkScheduler, scheduler_json
from chatplane.api.v3_6.configuration_common import (
    CONFIGURATION,
    BatchRequest,
    ClientId,
    GroupId,
    Priority,
    Request,
    batch,
    groups_of,
)
from chatplane.domain import applications, bot_templates, bots
from chatplane.domain.access import Wider
from chatplane.domain.models import Agent
from chatplane.storage import Tx
from chatplane.storage import groups as groups_repo

actions = Actions()

MY_RO, MY_RW = "agents-bot--my:ro", "agents-bot--my:rw"
ALL_RO, ALL_RW = "agents-bot--all:ro", "agents-bot--all:rw"
# Another application's bot: the `all` scopes.
OTHERS_RW = Wider("changing another application's bot", (ALL_RW,))
OTHERS_RO = Wider("reading another application's bot", (ALL_RO,))
EVERY_RO = Wider("listing every application's bots (`all: true`)", (ALL_RO,))
TEMPLATES = "bots.templates:rw"

BotId = Annotated[str, Meta(min_length=1, max_length=64)]
Name = Annotated[str, Meta(min_length=1, max_length=255)]
Avatar = Annotated[str, Meta(max_length=1024)]
Text = Annotated[str, Meta(max_length=255)]
MaxChats = Annotated[int, Meta(ge=1, le=bots.MAX_BOT_CHATS)]
Timezone = Annotated[str, Meta(max_length=64)]
BotType = Annotated[str, Meta(min_length=1, max_length=64)]
Field = Literal["groups", "work_scheduler", "job_title", "max_chats_count", "timezone"]
DEFAULT_TYPE = "chatbot"


class BotGroup(Request, kw_only=True):
    id: GroupId
    priority: Priority


class CreateBotBase(Request, kw_only=True):
    """create_bot as v3.5 and v3.6 share it."""

    name: Name
    avatar: Avatar | None = None
    max_chats_count: MaxChats = 6
    default_group_priority: Priority | None = None
    job_title: Text | None = None
    groups: list[BotGroup] | None = None
    work_scheduler: WorkScheduler | None = None
    # The work scheduler's time zone as v3.3 named it; lc-sdk-python still sends it.
    timezone: Timezone | None = None
    owner_client_id: ClientId | None = None

    def bot_type(self) -> str | None:
        return None


class CreateBot(CreateBotBase, kw_only=True):
    type: BotType = DEFAULT_TYPE

    def bot_type(self) -> str | None:
        return self.type


class UpdateBotBase(Request, kw_only=True):
    id: BotId
    name: Name | None = None
    avatar: Avatar | None = None
    max_chats_count: MaxChats | None = None
    groups: list[BotGroup] | None = None
    default_group_priority: Priority | None = None
    job_title: Text | None = None
    work_scheduler: WorkScheduler | None = None
    timezone: Timezone | None = None

    def bot_type(self) -> str | None:
        return None


class UpdateBot(UpdateBotBase, kw_only=True):
    type: BotType | None = None

    def bot_type(self) -> str | None:
        return self.type


class BotRef(Request, kw_only=True):
    id: BotId


class GetBot(Request, kw_only=True):
    id: BotId
    fields: list[Field] = []


class ListBots(Request, kw_only=True):
    all: bool = False
    fields: list[Field] = []


class IssueBotToken(Request, kw_only=True):
    bot_id: BotId
    client_id: ClientId
    bot_secret: Annotated[str, Meta(min_length=1, max_length=255)]
    organization_id: Annotated[str, Meta(min_length=1, max_length=64)]


class ResetBotSecret(Request, kw_only=True):
    id: BotId
    owner_client_id: ClientId | None = None


class CreateBotTemplate(Request, kw_only=True):
    name: Name
    avatar: Avatar | None = None
    max_chats_count: MaxChats = 6
    default_group_priority: Priority | None = None
    job_title: Text | None = None
    owner_client_id: ClientId
    affect_existing_installations: bool = False


class UpdateBotTemplate(Request, kw_only=True):
    id: BotId
    name: Name | None = None
    avatar: Avatar | None = None
    max_chats_count: MaxChats | None = None
    default_group_priority: Priority | None = None
    job_title: Text | None = None
    owner_client_id: ClientId
    affect_existing_installations: bool = False


class TemplateRef(Request, kw_only=True):
    id: BotId
    owner_client_id: ClientId
    affect_existing_installations: bool = False


class ListBotTemplates(Request, kw_only=True):
    owner_client_id: ClientId


def _profile(p: CreateBotBase | UpdateBotBase) -> dict[str, Any]:
    out: dict[str, Any] = {}
    scheduler = scheduler_json(p.work_scheduler)
    if scheduler is not None:
        out["work_scheduler"] = scheduler
        if p.timezone is None and "timezone" in scheduler:
            out["timezone"] = scheduler["timezone"]
    if p.timezone is not None:
        out["timezone"] = p.timezone
    if p.bot_type() is not None:
        out["type"] = p.bot_type()
    return out


def _memberships(groups: list[BotGroup] | None) -> list[tuple[int, str]] | None:
    return None if groups is None else [(g.id, g.priority) for g in groups]


def bot_object(
    bot: Agent, fields: list[str], groups: list[tuple[int, str]], avatar_key: str, with_type: bool
) -> dict[str, Any]:
    """A bot as get_bot and list_bots show it (`avatar_path` in v3.6, `avatar` in v3.5)."""
    out: dict[str, Any] = {"id": bot.id, "name": bot.name}
    if bot.avatar:
        out[avatar_key] = bot.avatar
    if bot.default_group_priority:
        out["default_group_priority"] = bot.default_group_priority
    if bot.client_id:
        out["owner_client_id"] = bot.client_id
    if with_type:
        out["type"] = bot.profile.get("type", DEFAULT_TYPE)
    for name in fields:
        if name == "groups":
            out["groups"] = groups_of(groups)
        elif name == "work_scheduler":
            out["work_scheduler"] = bot.profile.get("work_scheduler", {})
        elif name == "job_title":
            if bot.job_title is not None:
                out["job_title"] = bot.job_title
        elif name == "max_chats_count":
            out["max_chats_count"] = bot.max_chats_count
        elif name == "timezone" and "timezone" in bot.profile:
            out["timezone"] = bot.profile["timezone"]
    return out


@actions(CONFIGURATION, "create_bot", CreateBot, scopes=(MY_RW,))
async def create_bot(ctx: Context, p: CreateBotBase) -> dict[str, Any]:
    caller = ctx.caller
    config = bots.BotConfig(
        name=p.name,
        avatar=p.avatar,
        max_chats_count=p.max_chats_count,
        default_group_priority=p.default_group_priority,
        job_title=p.job_title,
        groups=_memberships(p.groups),
        profile=_profile(p),
    )

    def run(tx: Tx) -> tuple[Agent, str | None]:
        owner = applications.owner_application(tx, caller, p.owner_client_id)
        return bots.create_configured_bot(tx, caller, owner, config)

    bot, secret = await ctx.commit(run)
    return {"id": bot.id, "secret": secret}


@actions(CONFIGURATION, "update_bot", UpdateBot, scopes=(MY_RW, ALL_RW), wider=OTHERS_RW)
async def update_bot(ctx: Context, p: UpdateBotBase) -> None:
    caller = ctx.caller
    update = bots.BotUpdate(
        name=p.name,
        avatar=p.avatar,
        max_chats_count=p.max_chats_count,
        groups=_memberships(p.groups),
        job_title=p.job_title,
        default_group_priority=p.default_group_priority,
        profile=_profile(p),
    )

    def run(tx: Tx) -> None:
        if update.groups is not None:
            bots.check_groups(tx, caller.license_id, update.groups)
        bots.update_bot(tx, caller, p.id, update, ctx.require_wider)

    await ctx.commit(run)


@actions(CONFIGURATION, "delete_bot", BotRef, scopes=(MY_RW, ALL_RW), wider=OTHERS_RW)
async def delete_bot(ctx: Context, p: BotRef) -> None:
    caller = ctx.caller
    await ctx.commit(lambda tx: bots.remove_bot(tx, caller, p.id, ctx.require_wider))


async def get_bot_as(ctx: Context, p: GetBot, avatar_key: str, with_type: bool) -> dict[str, Any]:
    caller = ctx.caller
    details = await ctx.services.read(
        lambda tx: bots.bot_details(tx, caller, p.id, ctx.require_wider)
    )
    return bot_object(details.agent, list(p.fields), details.groups, avatar_key, with_type)


async def list_bots_as(
    ctx: Context, p: ListBots, avatar_key: str, with_type: bool
) -> list[dict[str, Any]]:
    caller = ctx.caller
    if p.all:
        ctx.require_wider()

    def run(tx: Tx) -> list[dict[str, Any]]:
        found = bots.list_bots(tx, caller, p.all)
        return [
            bot_object(
                b,
                list(p.fields),
                groups_repo.memberships(tx.conn, caller.license_id, b.id),
                avatar_key,
                with_type,
            )
            for b in found
        ]

    return await ctx.services.read(run)


@actions(CONFIGURATION, "get_bot", GetBot, scopes=(MY_RO, ALL_RO), wider=OTHERS_RO)
async def get_bot(ctx: Context, p: GetBot) -> dict[str, Any]:
    return await get_bot_as(ctx, p, "avatar_path", with_type=True)


@actions(CONFIGURATION, "list_bots", ListBots, scopes=(MY_RO, ALL_RO), wider=EVERY_RO)
async def list_bots(ctx: Context, p: ListBots) -> list[dict[str, Any]]:
    return await list_bots_as(ctx, p, "avatar_path", with_type=True)


# No scope: the bot's secret is the credential (and the caller's token names the license).
@actions(CONFIGURATION, "issue_bot_token", IssueBotToken)
async def issue_bot_token(ctx: Context, p: IssueBotToken) -> dict[str, Any]:
    caller = ctx.caller
    issued = await ctx.commit(
        lambda tx: bots.issue_token(
            tx, caller, p.bot_id, p.client_id, p.bot_secret, p.organization_id
        )
    )
    return {"token": issued.access_token}


@actions(CONFIGURATION, "reset_bot_secret", ResetBotSecret, scopes=(MY_RW,))
async def reset_bot_secret(ctx: Context, p: ResetBotSecret) -> dict[str, Any]:
    caller = ctx.caller
    secret = await ctx.commit(lambda tx: bots.reset_secret(tx, caller, p.id, p.owner_client_id))
    return {"secret": secret}


# -- templates -------------------------------------------------------------------------


@actions(CONFIGURATION, "create_bot_template", CreateBotTemplate, scopes=(TEMPLATES,))
async def create_bot_template(ctx: Context, p: CreateBotTemplate) -> dict[str, Any]:
    caller = ctx.caller
    spec = bots.BotConfig(
        name=p.name,
        avatar=p.avatar,
        max_chats_count=p.max_chats_count,
        default_group_priority=p.default_group_priority,
        job_title=p.job_title,
    )
    template_id, secret = await ctx.commit(
        lambda tx: bot_templates.create(
            tx, caller, p.owner_client_id, spec, p.affect_existing_installations
        )
    )
    return {"id": template_id, "secret": secret}


@actions(CONFIGURATION, "update_bot_template", UpdateBotTemplate, scopes=(TEMPLATES,))
async def update_bot_template(ctx: Context, p: UpdateBotTemplate) -> None:
    caller = ctx.caller
    change = bot_templates.TemplateChange(
        name=p.name,
        avatar=p.avatar,
        max_chats_count=p.max_chats_count,
        default_group_priority=p.default_group_priority,
        job_title=p.job_title,
    )
    await ctx.commit(
        lambda tx: bot_templates.update(
            tx, caller, p.id, p.owner_client_id, change, p.affect_existing_installations
        )
    )


@actions(CONFIGURATION, "delete_bot_template", TemplateRef, scopes=(TEMPLATES,))
async def delete_bot_template(ctx: Context, p: TemplateRef) -> None:
    caller = ctx.caller
    await ctx.commit(
        lambda tx: bot_templates.delete(
            tx, caller, p.id, p.owner_client_id, p.affect_existing_installations
        )
    )


async def list_bot_templates_as(
    ctx: Context, p: ListBotTemplates, avatar_key: str
) -> list[dict[str, Any]]:
    caller = ctx.caller
    found = await ctx.services.read(
        lambda tx: bot_templates.list_templates(tx, caller, p.owner_client_id)
    )
    out: list[dict[str, Any]] = []
    for t in found:
        item: dict[str, Any] = {"id": t.id, "name": t.name}
        if t.avatar:
            item[avatar_key] = t.avatar
        out.append(item)
    return out


@actions(CONFIGURATION, "list_bot_templates", ListBotTemplates, scopes=(TEMPLATES,))
async def list_bot_templates(ctx: Context, p: ListBotTemplates) -> list[dict[str, Any]]:
    return await list_bot_templates_as(ctx, p, "avatar_path")


@actions(CONFIGURATION, "reset_bot_template_secret", TemplateRef, scopes=(TEMPLATES,))
async def reset_bot_template_secret(ctx: Context, p: TemplateRef) -> dict[str, Any]:
    caller = ctx.caller
    secret = await ctx.commit(
        lambda tx: bot_templates.reset_secret(
            tx, caller, p.id, p.owner_client_id, p.affect_existing_installations
        )
    )
    return {"secret": secret}


def batches(create: type, update: type) -> Actions:
    """The bots' batch methods over these request types (v3.5 has its own); each is
    declared as its single method is."""
    out = Actions()
    single = {a.name: a for a in actions}
    for name, payload, handler in (
        ("batch_create_bots", create, create_bot),
        ("batch_update_bots", update, update_bot),
        ("batch_delete_bots", BotRef, delete_bot),
    ):
        one = single[name.replace("batch_", "").replace("bots", "bot")]
        out(CONFIGURATION, name, BatchRequest, scopes=one.scopes, wider=one.wider)(
            batch(payload, handler)
        )
    return out


batch_actions = batches(CreateBot, UpdateBot)
