"""Configuration API: bot agents (`agents/*`), configuration-api/readme.md "Bot Agent"."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_0.structs import GroupId
from chatplane.domain import bots
from chatplane.domain.access import Wider
from chatplane.domain.models import Agent
from chatplane.errors import validation
from chatplane.webhooks import outbox
from chatplane.webhooks.actions import BotWebhooks, bot_webhooks_json
from chatplane.webhooks.addresses import check_url
from chatplane.webhooks.status import from_configuration, to_configuration

actions = Actions()

CONFIGURATION = "configuration"

Status = Literal["accepting chats", "not accepting chats", "offline"]
Name = Annotated[str, Meta(min_length=1, max_length=255)]
Avatar = Annotated[str, Meta(max_length=1024)]
MaxChats = Annotated[int, Meta(ge=0, le=1000)]
BotId = Annotated[str, Meta(min_length=1, max_length=255)]


class BotGroup(Struct):
    id: GroupId
    priority: Literal["first", "normal", "last"]


class CreateBotAgent(Struct, kw_only=True):
    name: Name
    status: Status
    avatar: Avatar | None = None
    max_chats_count: MaxChats = 6
    groups: list[BotGroup] | None = None
    webhooks: BotWebhooks | None = None


class UpdateBotAgent(Struct, kw_only=True):
    id: BotId
    name: Name | None = None
    avatar: Avatar | None = None
    status: Status | None = None
    max_chats_count: MaxChats | None = None
    groups: list[BotGroup] | None = None
    # Absent: unchanged; null: the bot's webhooks are removed.
    webhooks: BotWebhooks | UnsetType | None = UNSET


class BotAgentId(Struct, kw_only=True):
    bot_agent_id: BotId


class GetBotAgents(Struct, kw_only=True):
    all: bool = False


def _groups(groups: list[BotGroup] | None) -> list[tuple[int, str]] | None:
    if groups is None:
        return None
    seen: set[int] = set()
    for i, g in enumerate(groups):
        if g.id in seen:
            raise validation(f"groups[{i}].id {g.id} is given twice")
        seen.add(g.id)
    return [(g.id, g.priority) for g in groups]


def _webhooks(ctx: Context, config: BotWebhooks | None) -> dict[str, Any] | None:
    if config is None:
        return None
    check_url(config.url, ctx.services.settings.webhook_allow_private, "webhooks.url")
    return bot_webhooks_json(config)


def _summary(bot: Agent) -> dict[str, Any]:
    out: dict[str, Any] = {"id": bot.id, "name": bot.name}
    if bot.avatar is not None:
        out["avatar"] = bot.avatar
    out["status"] = to_configuration(bot.routing_status)
    return out


@actions(CONFIGURATION, "agents/create_bot_agent", CreateBotAgent, scopes=("agents-bot--my:rw",))
async def create_bot_agent(ctx: Context, p: CreateBotAgent) -> dict[str, Any]:
    caller = ctx.caller
    spec = bots.BotSpec(
        name=p.name,
        routing_status=from_configuration(p.status),
        avatar=p.avatar,
        max_chats_count=p.max_chats_count,
        groups=_groups(p.groups),
        webhooks=_webhooks(ctx, p.webhooks),
    )
    bot = await ctx.commit(lambda tx: bots.create_bot(tx, caller, spec))
    outbox.forget(ctx.caller.license_id)  # this process sees it at once
    return {"bot_agent_id": bot.id}


# The readme lists only the `my` scope: a bot is updated by its own application.
@actions(CONFIGURATION, "agents/update_bot_agent", UpdateBotAgent, scopes=("agents-bot--my:rw",))
async def update_bot_agent(ctx: Context, p: UpdateBotAgent) -> dict[str, Any]:
    caller = ctx.caller
    update = bots.BotUpdate(
        name=p.name,
        avatar=p.avatar,
        routing_status=from_configuration(p.status) if p.status is not None else None,
        max_chats_count=p.max_chats_count,
        groups=_groups(p.groups),
    )
    if not isinstance(p.webhooks, UnsetType):
        update.set_webhooks = True
        update.webhooks = _webhooks(ctx, p.webhooks)
    await ctx.commit(lambda tx: bots.update_bot(tx, caller, p.id, update))
    outbox.forget(ctx.caller.license_id)  # this process sees it at once
    return {}


@actions(
    CONFIGURATION,
    "agents/remove_bot_agent",
    BotAgentId,
    scopes=("agents-bot--my:rw", "agents-bot--all:rw"),
    wider=Wider("removing another application's bot", ("agents-bot--all:rw",)),
)
async def remove_bot_agent(ctx: Context, p: BotAgentId) -> dict[str, Any]:
    caller = ctx.caller
    await ctx.commit(lambda tx: bots.remove_bot(tx, caller, p.bot_agent_id, ctx.require_wider))
    outbox.forget(ctx.caller.license_id)  # this process sees it at once
    return {}


@actions(
    CONFIGURATION,
    "agents/get_bot_agents",
    GetBotAgents,
    scopes=("agents-bot--my:ro", "agents-bot--all:ro"),
    wider=Wider("listing every application's bots (`all: true`)", ("agents-bot--all:ro",)),
)
async def get_bot_agents(ctx: Context, p: GetBotAgents) -> dict[str, Any]:
    caller = ctx.caller
    if p.all:
        ctx.require_wider()
    found = await ctx.services.read(lambda tx: bots.list_bots(tx, caller, p.all))
    return {"bot_agents": [_summary(b) for b in found]}


@actions(
    CONFIGURATION,
    "agents/get_bot_agent_details",
    BotAgentId,
    scopes=("agents-bot--my:ro", "agents-bot--all:ro"),
    wider=Wider("reading another application's bot", ("agents-bot--all:ro",)),
)
async def get_bot_agent_details(ctx: Context, p: BotAgentId) -> dict[str, Any]:
    caller = ctx.caller
    details = await ctx.services.read(
        lambda tx: bots.bot_details(tx, caller, p.bot_agent_id, ctx.require_wider)
    )
    bot = details.agent
    out = _summary(bot)
    out["application"] = {"client_id": bot.client_id}
    out["max_chats_count"] = bot.max_chats_count
    out["groups"] = [{"id": gid, "priority": prio} for gid, prio in details.groups]
    if bot.webhooks:
        out["webhooks"] = bot.webhooks
    return {"bot_agent": out}
