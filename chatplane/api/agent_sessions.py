"""An agent's RTM login, in every API version: who it is, what it starts with, and the
session registered with its routing status. Each version shapes the answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from chatplane.api.dispatch import Context
from chatplane.domain import agent_status, views
from chatplane.domain.models import Agent, Principal
from chatplane.errors import authentication, authorization, validation
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo

T = TypeVar("T")


@dataclass
class AgentLogin(Generic[T]):
    principal: Principal
    agent: Agent
    license: Any  # the license row
    group_ids: list[int]
    summaries: list[views.ChatSummary]
    extra: T  # what the version read with the summaries
    routing_status: str


async def login_agent(
    ctx: Context,
    token: str,
    *,
    reconnect: bool,
    extra: Callable[[Tx, list[views.ChatSummary]], T],
    before_register: Callable[[Principal], Awaitable[None]] | None = None,
    away: bool = False,
    include_deleted: bool = False,
) -> AgentLogin[T]:
    """Log the connection in with an agent's token. `extra` reads what the version's
    answer needs besides the chats; `before_register` runs once the token is known good
    and before the session counts as connected. `away`: the connection starts away
    (v3.x auto-away); `include_deleted`: the chats' last events may be deleted ones (v3.6
    shows them marked)."""
    services = ctx.services
    principal = await services.authenticate(token)
    if not principal.is_agent:
        raise authentication("This is not an agent's access token")
    if principal.is_bot:
        raise authorization("A bot agent cannot log in; it acts with its application's token")
    session = ctx.session
    assert session is not None
    if session.principal is not None:
        raise validation("This connection is logged in already")

    def load(tx: Tx) -> tuple[Agent | None, Any, list[int], list[views.ChatSummary], T]:
        agent = accounts_repo.get_agent(tx.conn, principal.license_id, principal.user_id)
        lic = accounts_repo.get_license(tx.conn, principal.license_id)
        groups = accounts_repo.agent_group_ids(tx.conn, principal.license_id, principal.user_id)
        summaries = views.agent_login_chats(tx, principal, include_deleted=include_deleted)
        return agent, lic, groups, summaries, extra(tx, summaries)

    agent, lic, groups, summaries, more = await services.read(load)
    if before_register is not None:
        await before_register(principal)
    if agent is None:
        raise authentication("The agent of this token no longer exists")
    session.principal = ctx.principal = principal
    session.agent_group_ids = tuple(groups)
    session.away = away
    # The session is registered first, so the offline grace of an earlier connection
    # sees the agent back before it can take the status away.
    await services.register_session(session)
    # Away counts only when every connection of the agent is (auto-away).
    all_away = away and await services.all_away(principal.license_id, principal.user_id)
    routing_status = await ctx.commit(
        lambda tx: agent_status.login(tx, principal, reconnect, away=all_away)
    )
    return AgentLogin(principal, agent, lic, groups, summaries, more, routing_status)
