"""Configuration API v3.5: what differs from v3.6 (management/changelog, v3.6).

- Agents: `create_agent` and `update_agent` take `avatar`, and `update_agent` `name`
  (v3.6 moved them to the Global Accounts API).
- Bots have no `type`; `get_bot`, `list_bots` and `list_bot_templates` name the avatar
  `avatar`, not `avatar_path`.
- `create_group` needs at least one agent at the `normal` priority.
- No customer bans, greetings, `reactivate_email` or company details (v3.6 added them):
  REMOVED lists them for the app's wiring. Webhook action names per version are in
  webhooks/names.py.
"""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta

from chatplane.api.dispatch import Context
from chatplane.api.registry import CONFIGURATION, Actions
from chatplane.api.v3_6 import configuration_agents as agents36
from chatplane.api.v3_6 import configuration_bots as bots36
from chatplane.api.v3_6 import configuration_groups as groups36
from chatplane.api.v3_6 import configuration_hosted as hosted36
from chatplane.api.v3_6.configuration_bots import ALL_RO, ALL_RW, MY_RO, MY_RW
from chatplane.errors import validation

actions = Actions()

Avatar = Annotated[str, Meta(max_length=1024)]


class CreateAgent(agents36.CreateAgent, kw_only=True):
    avatar: Avatar | None = None

    def avatar_given(self) -> str | None:
        return self.avatar or self.avatar_path


class UpdateAgent(agents36.UpdateAgent, kw_only=True):
    avatar: Avatar | None = None

    def avatar_given(self) -> str | None:
        return self.avatar or self.avatar_path


actions(
    CONFIGURATION,
    "create_agent",
    CreateAgent,
    scopes=agents36.CREATE,
    wider=(agents36.ROLES, agents36.APPROVED),
)(agents36.create_agent)
actions(
    CONFIGURATION,
    "update_agent",
    UpdateAgent,
    scopes=agents36.MY_OR_ALL_RW,
    wider=(agents36.OTHER_RW, agents36.ROLES),
)(agents36.update_agent)
actions(CONFIGURATION, "create_bot", bots36.CreateBotBase, scopes=(MY_RW,))(bots36.create_bot)
actions(
    CONFIGURATION,
    "update_bot",
    bots36.UpdateBotBase,
    scopes=(MY_RW, ALL_RW),
    wider=bots36.OTHERS_RW,
)(bots36.update_bot)


@actions(CONFIGURATION, "get_bot", bots36.GetBot, scopes=(MY_RO, ALL_RO), wider=bots36.OTHERS_RO)
async def get_bot(ctx: Context, p: bots36.GetBot) -> dict[str, Any]:
    return await bots36.get_bot_as(ctx, p, "avatar", with_type=False)


@actions(CONFIGURATION, "list_bots", bots36.ListBots, scopes=(MY_RO, ALL_RO), wider=bots36.EVERY_RO)
async def list_bots(ctx: Context, p: bots36.ListBots) -> list[dict[str, Any]]:
    return await bots36.list_bots_as(ctx, p, "avatar", with_type=False)


@actions(CONFIGURATION, "list_bot_templates", bots36.ListBotTemplates, scopes=(bots36.TEMPLATES,))
async def list_bot_templates(ctx: Context, p: bots36.ListBotTemplates) -> list[dict[str, Any]]:
    return await bots36.list_bot_templates_as(ctx, p, "avatar")


@actions(CONFIGURATION, "create_group", groups36.CreateGroup, scopes=(groups36.ALL_RW,))
async def create_group(ctx: Context, p: groups36.CreateGroup) -> dict[str, Any]:
    if "normal" not in p.agent_priorities.values():
        raise validation("agent_priorities: at least one agent must have the normal priority")
    return await groups36.create_group_checked(ctx, p)


agent_batches = agents36.batches(CreateAgent, UpdateAgent)
bot_batches = bots36.batches(bots36.CreateBotBase, bots36.UpdateBotBase)

# The v3.6 methods v3.5 does not have.
REMOVED: list[tuple[str, str]] = [
    (CONFIGURATION, name)
    for name in (
        "list_customer_bans",
        "unban_customer",
        *(method for method, _scopes in hosted36.GREETINGS),
        "reactivate_email",
        "update_company_details",
        "get_company_details",
    )
]
