"""Agent Chat API v3.6, status: login, logout, set_routing_status, list_routing_statuses,
change_push_notifications (v3.0's, the same shape), and ping.

`actions_for(shapes)` serves login in a version's shapes (its answer holds chats).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from chatplane.api.agent_sessions import login_agent
from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_0.agent import ChangePushNotifications, change_push_notifications
from chatplane.api.v3_0.agent import logout as logout_v3_0
from chatplane.api.v3_0.session import ping
from chatplane.api.v3_6 import structs as st
from chatplane.api.v3_6.pushes import PUSH_NAMES
from chatplane.api.v3_6.serialize import SHAPES, Shapes
from chatplane.api.viewers import reader_view
from chatplane.domain import agent_status, views
from chatplane.domain.access import Wider
from chatplane.errors import validation

AGENT = "agent"
# A license never expires on a self-hosted server: ten years on, as v3.0 says.
LICENSE_YEARS = 10
# The customers an agent hears of are those of its own chats (`my`); the highest level
# available here is that one.
MONITORING_LEVELS = ("my", "highest_available")


def _push_filter(ctx: Context, pushes: dict[str, list[str]] | None) -> frozenset[str] | None:
    """The pushes a login asked for (`pushes.<version>`), None for all of them."""
    if pushes is None:
        return None
    version = ctx.session.version if ctx.session is not None else ctx.version
    other = sorted(v for v in pushes if v != version)
    if other:
        raise validation(
            f"pushes: this v{version} connection sends pushes of v{version} only, "
            f"not of {', '.join('v' + v for v in other)}"
        )
    names = pushes.get(version, [])
    if "all" in names:
        return None
    unknown = sorted(set(names) - PUSH_NAMES)
    if unknown:
        raise validation(f"pushes.{version}: unknown push {', '.join(unknown)}")
    return frozenset(names)


async def login(shapes: Shapes, ctx: Context, p: st.Login) -> dict[str, Any]:
    level = p.customer_monitoring_level
    if level is not None and level not in MONITORING_LEVELS:
        raise validation(
            f"customer_monitoring_level {level!r} is not available: Chatplane tells an "
            "agent of the customers of its own chats (`my`)"
        )
    if ctx.session is not None and ctx.session.principal is None:
        # Chosen before the session is registered, so no push slips through unchosen.
        ctx.session.pushes = _push_filter(ctx, p.pushes)
    done = await login_agent(
        ctx,
        p.token,
        reconnect=p.reconnect,
        extra=views.thread_created,
        away=p.away,
        include_deleted=shapes.shows_deleted,
    )
    lic = done.license
    v = reader_view(ctx, done.group_ids)
    return {
        "license": {
            "id": str(lic.id),
            "organization_id": lic.organization_id,
            "plan": lic.plan,
            "expiration_timestamp": int(lic.created_at + LICENSE_YEARS * 365 * 86400),
            "creation_timestamp": int(lic.created_at),
            "in_trial": False,
        },
        "my_profile": shapes.my_profile(done.agent, done.routing_status),
        "chats_summary": [
            shapes.chat_summary(v, s, done.extra, follower=done.principal.user_id)
            for s in done.summaries
        ],
    }


async def set_away_status(ctx: Context, p: st.SetAwayStatus) -> None:
    session = ctx.session
    assert session is not None  # RTM only
    await ctx.services.set_away(session, p.away)


async def update_session(ctx: Context, p: st.UpdateSession) -> None:
    session = ctx.session
    assert session is not None  # RTM only
    ctx.principal = await ctx.services.update_session(session, p.token)


async def set_routing_status(ctx: Context, p: st.SetRoutingStatus) -> None:
    caller = ctx.caller
    await ctx.commit(
        lambda tx: agent_status.set_routing_status(
            tx, caller, p.agent_id, p.status, ctx.require_wider
        )
    )


async def list_routing_statuses(ctx: Context, p: st.ListRoutingStatuses) -> list[dict[str, str]]:
    caller = ctx.caller
    groups = p.filters.group_ids if p.filters is not None else None
    found = await ctx.services.read(lambda tx: agent_status.list_statuses(tx, caller, groups))
    return [{"agent_id": agent_id, "status": status} for agent_id, status in found]


def actions_for(shapes: Shapes) -> Actions:
    actions = Actions()
    actions(AGENT, "login", st.Login, web=False, needs_login=False)(partial(login, shapes))
    actions(AGENT, "logout", st.Empty, web=False)(logout_v3_0)
    actions(AGENT, "ping", st.Empty, web=False, needs_login=False)(ping)
    actions(AGENT, "set_away_status", st.SetAwayStatus, web=False, scopes=("agents--my:rw",))(
        set_away_status
    )
    actions(AGENT, "update_session", st.UpdateSession, web=False)(update_session)
    actions(
        AGENT,
        "set_routing_status",
        st.SetRoutingStatus,
        scopes=("agents--my:rw", "agents--all:rw", "agents-bot--my:rw", "agents-bot--all:rw"),
        wider=Wider(
            "setting another agent's or a bot's routing status",
            ("agents--all:rw", "agents-bot--all:rw"),
        ),
    )(set_routing_status)
    actions(
        AGENT,
        "list_routing_statuses",
        st.ListRoutingStatuses,
        # The reference names `agents--all:ro`, which Chatplane's scopes hold as part of
        # `agents--all:rw` (they have no read-only agents scope of their own).
        scopes=("agents--all:rw", "agents-bot--all:ro"),
    )(list_routing_statuses)
    # Gone from the v3.5 and v3.6 references, but the official SDK still sends it in
    # both (docs/decisions.md): the same shape as v3.0's, so v3.0's handler.
    actions(AGENT, "change_push_notifications", ChangePushNotifications, web=False)(
        change_push_notifications
    )
    return actions


actions = actions_for(SHAPES)
