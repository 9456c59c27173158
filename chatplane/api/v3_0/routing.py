"""Agent Chat API v3.0: statuses, access, transfers and bans (issue 5)."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_0.structs import ChatId, GroupId, NonEmpty
from chatplane.domain import agent_status, bans, chat_access, transfer
from chatplane.domain.access import CHATS_WRITE, Wider

actions = Actions()

AGENT = "agent"


class UpdateAgent(Struct, kw_only=True):
    agent_id: NonEmpty | None = None
    routing_status: Literal["accepting_chats", "not_accepting_chats"] | None = None


class TransferTarget(Struct, kw_only=True):
    type: Literal["agent", "group"]
    ids: list[GroupId | str]


class TransferChat(Struct, kw_only=True):
    chat_id: ChatId
    target: TransferTarget | None = None
    force: bool = False


class AccessTarget(Struct, kw_only=True):
    type: Literal["group", "agent"]
    id: int | str


class AccessChange(Struct, kw_only=True):
    resource: Literal["chat", "customer"]
    id: NonEmpty
    access: AccessTarget


class Ban(Struct, kw_only=True):
    # Up to a hundred years; fractions of a day are allowed (a number in the spec).
    days: Annotated[float, Meta(gt=0, le=36500)]


class BanCustomer(Struct, kw_only=True):
    customer_id: NonEmpty
    ban: Ban


@actions(
    AGENT,
    "update_agent",
    UpdateAgent,
    scopes=("agents--my:rw", "agents--all:rw"),
    wider=Wider("updating another agent", ("agents--all:rw",)),
)
async def update_agent(ctx: Context, p: UpdateAgent) -> None:
    caller = ctx.caller
    await ctx.commit(
        lambda tx: agent_status.update_agent(
            tx, caller, p.agent_id, p.routing_status, ctx.require_wider
        )
    )


@actions(AGENT, "transfer_chat", TransferChat, scopes=CHATS_WRITE)
async def transfer_chat(ctx: Context, p: TransferChat) -> None:
    caller = ctx.caller
    target_type = p.target.type if p.target else None
    ids = list(p.target.ids) if p.target else None
    await ctx.commit(
        lambda tx: transfer.transfer_chat(tx, caller, p.chat_id, target_type, ids, p.force)
    )


def _access_action(how: str):  # type: ignore[no-untyped-def]
    async def handler(ctx: Context, p: AccessChange) -> None:
        caller = ctx.caller
        await ctx.commit(
            lambda tx: chat_access.change_access(
                tx, caller, how, p.resource, p.id, p.access.type, p.access.id
            )
        )

    return handler


actions(AGENT, "grant_access", AccessChange, scopes=CHATS_WRITE)(
    _access_action(chat_access.GRANTED)
)
actions(AGENT, "revoke_access", AccessChange, scopes=CHATS_WRITE)(
    _access_action(chat_access.REVOKED)
)
actions(AGENT, "set_access", AccessChange, scopes=CHATS_WRITE)(_access_action(chat_access.SET))


@actions(AGENT, "ban_customer", BanCustomer, scopes=("customers.ban:rw",))
async def ban_customer(ctx: Context, p: BanCustomer) -> None:
    caller = ctx.caller
    days = int(p.ban.days) if float(p.ban.days).is_integer() else p.ban.days
    await ctx.commit(lambda tx: bans.ban_customer(tx, caller, p.customer_id, days))
