"""Configuration API v3.6: agents (`create_agent`, `get_agent`, `list_agents`,
`update_agent`, `delete_agent`, `suspend_agent`, `unsuspend_agent`,
`request_agent_unsuspension`, `approve_agent`, and their batch methods)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_6.configuration_common import (
    CONFIGURATION,
    BatchRequest,
    Empty,
    GroupId,
    LoginStatus,
    Priority,
    Request,
    batch,
    groups_of,
    rfc3339,
    to_domain_status,
    to_wire_status,
)
from chatplane.domain import agents
from chatplane.domain.access import Wider
from chatplane.domain.models import Agent
from chatplane.errors import validation
from chatplane.storage import Tx

actions = Actions()

AgentId = Annotated[str, Meta(min_length=1, max_length=254)]
Name = Annotated[str, Meta(min_length=1, max_length=255)]
Text = Annotated[str, Meta(max_length=255)]
Avatar = Annotated[str, Meta(max_length=1024)]
Role = Literal["viceowner", "administrator", "normal"]
Day = Literal["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
Time = Annotated[str, Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Notification = Literal[
    "new_visitor",
    "incoming_chat",
    "returning_visitor",
    "queued_visitor",
    "visitor_is_typing",
    "new_goal",
    "unassigned_chats",
    "unassigned_chat_messages",
    "ticket",
    "inactive_notifications",
    "mute_all_sounds",
    "repeat_sound_notifications",
    "ticket_notifications",
    "incoming_message_for_focused_chat",
]
Subscription = Literal["daily_summary", "weekly_summary"]
Field = Literal[
    "work_scheduler",
    "groups",
    "email_subscriptions",
    "notifications",
    "job_title",
    "mobile",
    "max_chats_count",
    "suspended",
    "awaiting_approval",
    "last_logout",
]
MaxChats = Annotated[int, Meta(ge=1, le=agents.MAX_CHATS)]

# The scopes of each method, as configuration-api lists them (its notes: what reaching
# further takes).
CREATE = ("accounts--all:rc", "accounts--all:rw")
MY_OR_ALL_RW = ("agents--my:rw", "agents--all:rw")
ACCOUNTS_MY_OR_ALL_RW = ("accounts--my:rw", "accounts--all:rw")
# Create Agent note 3, Update Agent note 2: a role above normal.
ROLES = Wider("giving a role above normal", ("accounts.roles.lc--all:rw",))
# Create Agent note 1: agents made by this requester need no approval.
APPROVED = Wider(
    "creating agents that need no approval", ("subscription.lc:rw",), also=("accounts--all:rw",)
)
OTHER_RO = Wider("reading another agent", ("agents--all:ro",))
OTHER_RW = Wider("changing another agent", ("agents--all:rw",))
OTHER_ACCOUNT_RW = Wider("deleting another agent", ("agents--all:rw",), also=("accounts--all:rw",))


class AgentGroup(Request, kw_only=True):
    id: GroupId
    priority: Priority


class WorkingHours(Request, kw_only=True):
    day: Day
    enabled: bool
    start: Time
    end: Time


class WorkScheduler(Request, kw_only=True):
    # Required only when `schedule` is not empty (configuration-api, Create Agent).
    timezone: Annotated[str, Meta(max_length=64)] | None = None
    schedule: list[WorkingHours] = []


class CreateAgent(Request, kw_only=True):
    id: AgentId
    name: Name
    role: Role = "normal"
    login_status: LoginStatus | None = None
    job_title: Text | None = None
    mobile: Annotated[str, Meta(max_length=64)] | None = None
    max_chats_count: MaxChats = 6
    awaiting_approval: bool | None = None
    groups: list[AgentGroup] | None = None
    notifications: list[Notification] | None = None
    email_subscriptions: list[Subscription] | None = None
    work_scheduler: WorkScheduler | None = None
    # Not in the v3.6 reference, but lc-sdk-python's create_agent sends it.
    avatar_path: Avatar | None = None

    def avatar_given(self) -> str | None:
        return self.avatar_path


class UpdateAgent(Request, kw_only=True):
    id: AgentId
    # `name` left the v3.6 reference for the Global Accounts API, which a self-hosted
    # server does not have; lc-sdk-python's update_agent still sends it, so it is kept.
    name: Name | None = None
    role: Role | None = None
    login_status: LoginStatus | None = None
    job_title: Text | None = None
    mobile: Annotated[str, Meta(max_length=64)] | None = None
    max_chats_count: MaxChats | None = None
    groups: list[AgentGroup] | None = None
    notifications: list[Notification] | None = None
    email_subscriptions: list[Subscription] | None = None
    work_scheduler: WorkScheduler | None = None
    avatar_path: Avatar | None = None

    def avatar_given(self) -> str | None:
        return self.avatar_path


class AgentRef(Request, kw_only=True):
    id: AgentId


class GetAgent(Request, kw_only=True):
    id: AgentId
    fields: list[Field] = []


class AgentFilters(Request, kw_only=True):
    group_ids: list[GroupId] | None = None
    suspended: bool | None = None


class ListAgents(Request, kw_only=True):
    filters: AgentFilters | None = None
    fields: list[Field] = []


def scheduler_json(ws: WorkScheduler | None) -> dict[str, Any] | None:
    if ws is None:
        return None
    if ws.schedule and not ws.timezone:
        raise validation("work_scheduler.timezone is required when schedule is not empty")
    out: dict[str, Any] = {
        "schedule": [
            {"day": h.day, "enabled": h.enabled, "start": h.start, "end": h.end}
            for h in ws.schedule
        ]
    }
    if ws.timezone:
        out["timezone"] = ws.timezone
    return out


def _profile(p: CreateAgent | UpdateAgent) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if p.mobile is not None:
        out["mobile"] = p.mobile
    if p.notifications is not None:
        out["notifications"] = list(dict.fromkeys(p.notifications))
    if p.email_subscriptions is not None:
        out["email_subscriptions"] = list(dict.fromkeys(p.email_subscriptions))
    scheduler = scheduler_json(p.work_scheduler)
    if scheduler is not None:
        out["work_scheduler"] = scheduler
    return out


def _memberships(groups: list[AgentGroup] | None) -> list[tuple[int, str]] | None:
    return None if groups is None else [(g.id, g.priority) for g in groups]


def agent_object(
    agent: Agent,
    fields: list[str],
    groups: list[tuple[int, str]] | None,
    avatar_key: str,
) -> dict[str, Any]:
    """An agent as get_agent (`avatar`) and list_agents (`avatar_path`) show it: the
    spec's samples name the avatar differently."""
    # The account id is the agent's id: what personal access tokens take (Basic auth).
    out: dict[str, Any] = {"id": agent.id, "account_id": agent.id, "name": agent.name}
    if agent.avatar:
        out[avatar_key] = agent.avatar
    out["role"] = agent.role
    out["login_status"] = to_wire_status(agents.login_status(agent))
    profile = agent.profile
    for name in fields:
        if name == "groups":
            out["groups"] = groups_of(groups or [])
        elif name == "work_scheduler":
            out["work_scheduler"] = profile.get("work_scheduler", {})
        elif name == "email_subscriptions":
            # The list_agents sample names the subscriptions `summaries`.
            out["summaries"] = profile.get("email_subscriptions", [])
        elif name == "notifications":
            out["notifications"] = profile.get("notifications", [])
        elif name == "job_title":
            if agent.job_title is not None:
                out["job_title"] = agent.job_title
        elif name == "mobile":
            if "mobile" in profile:
                out["mobile"] = profile["mobile"]
        elif name == "max_chats_count":
            out["max_chats_count"] = agent.max_chats_count
        elif name == "suspended":
            out["suspended"] = agent.suspended
        elif name == "awaiting_approval":
            out["awaiting_approval"] = agent.awaiting_approval
        elif name == "last_logout" and agent.last_logout_at is not None:
            out["last_logout"] = rfc3339(agent.last_logout_at)
    return out


@actions(CONFIGURATION, "create_agent", CreateAgent, scopes=CREATE, wider=(ROLES, APPROVED))
async def create_agent(ctx: Context, p: CreateAgent) -> dict[str, Any]:
    caller = ctx.caller
    approves = ctx.may_reach(APPROVED)
    if p.awaiting_approval is False and not approves:
        ctx.require_wider("awaiting_approval: false", reach=APPROVED)
    spec = agents.AgentSpec(
        id=p.id,
        name=p.name,
        role=p.role,
        login_status=to_domain_status(p.login_status or "not accepting chats"),
        avatar=p.avatar_given(),
        job_title=p.job_title,
        max_chats_count=p.max_chats_count,
        # By default an agent awaits approval unless its requester may skip it.
        awaiting_approval=p.awaiting_approval if p.awaiting_approval is not None else not approves,
        groups=_memberships(p.groups),
        profile=_profile(p),
    )

    def require_role(detail: str) -> None:
        ctx.require_wider(detail, reach=ROLES)

    agent = await ctx.commit(
        lambda tx: agents.create_agent(tx, caller, caller.license_id, spec, require_role)
    )
    return {"id": agent.id}


@actions(
    CONFIGURATION, "get_agent", GetAgent, scopes=("agents--my:ro", "agents--all:ro"), wider=OTHER_RO
)
async def get_agent(ctx: Context, p: GetAgent) -> dict[str, Any]:
    caller = ctx.caller
    if p.id != caller.user_id:
        ctx.require_wider(f"agent {p.id!r} is not you")

    def run(tx: Tx) -> dict[str, Any]:
        agent = agents.load(tx, caller.license_id, p.id)
        groups = agents.memberships(tx, caller.license_id, [agent.id])[agent.id]
        return agent_object(agent, list(p.fields), groups, "avatar")

    return await ctx.services.read(run)


@actions(CONFIGURATION, "list_agents", ListAgents, scopes=("agents--all:ro",))
async def list_agents(ctx: Context, p: ListAgents) -> list[dict[str, Any]]:
    caller = ctx.caller
    f = p.filters or AgentFilters()

    def run(tx: Tx) -> list[dict[str, Any]]:
        found = agents.list_agents(tx, caller.license_id, f.group_ids, f.suspended)
        groups = agents.memberships(tx, caller.license_id, [a.id for a in found])
        return [agent_object(a, list(p.fields), groups[a.id], "avatar_path") for a in found]

    return await ctx.services.read(run)


@actions(CONFIGURATION, "update_agent", UpdateAgent, scopes=MY_OR_ALL_RW, wider=(OTHER_RW, ROLES))
async def update_agent(ctx: Context, p: UpdateAgent) -> None:
    caller = ctx.caller
    if p.id != caller.user_id:
        ctx.require_wider(f"agent {p.id!r} is not you", reach=OTHER_RW)
    update = agents.AgentUpdate(
        name=p.name,
        role=p.role,
        login_status=to_domain_status(p.login_status) if p.login_status else None,
        avatar=p.avatar_given(),
        job_title=p.job_title,
        max_chats_count=p.max_chats_count,
        groups=_memberships(p.groups),
        profile=_profile(p),
    )

    def require_role(detail: str) -> None:
        ctx.require_wider(detail, reach=ROLES)

    await ctx.commit(
        lambda tx: agents.update_agent(tx, caller, caller.license_id, p.id, update, require_role)
    )


@actions(
    CONFIGURATION,
    "delete_agent",
    AgentRef,
    scopes=MY_OR_ALL_RW,
    also=ACCOUNTS_MY_OR_ALL_RW,
    wider=OTHER_ACCOUNT_RW,
)
async def delete_agent(ctx: Context, p: AgentRef) -> None:
    caller = ctx.caller
    if p.id != caller.user_id:
        ctx.require_wider(f"agent {p.id!r} is not you")
    await ctx.commit(lambda tx: agents.delete_agent(tx, caller, caller.license_id, p.id))


@actions(CONFIGURATION, "suspend_agent", AgentRef, scopes=("agents--all:rw",))
async def suspend_agent(ctx: Context, p: AgentRef) -> None:
    caller = ctx.caller
    await ctx.commit(lambda tx: agents.suspend_agent(tx, caller, caller.license_id, p.id))


@actions(
    CONFIGURATION,
    "unsuspend_agent",
    AgentRef,
    scopes=("agents--all:rw",),
    also=("accounts--all:rw",),
)
async def unsuspend_agent(ctx: Context, p: AgentRef) -> None:
    caller = ctx.caller
    await ctx.commit(lambda tx: agents.unsuspend_agent(tx, caller, caller.license_id, p.id))


@actions(
    CONFIGURATION,
    "approve_agent",
    AgentRef,
    scopes=("agents--all:rw",),
    also=("accounts--all:rw",),
)
async def approve_agent(ctx: Context, p: AgentRef) -> None:
    caller = ctx.caller
    await ctx.commit(lambda tx: agents.approve_agent(tx, caller, caller.license_id, p.id))


# No scope: the suspended agent's own token, the one request it may still make.
@actions(CONFIGURATION, "request_agent_unsuspension", Empty, blocked_ok=True)
async def request_agent_unsuspension(ctx: Context, _p: Empty) -> None:
    caller = ctx.caller
    await ctx.commit(lambda tx: agents.request_unsuspension(tx, caller))


def batches(create: type, update: type) -> Actions:
    """The agents' batch methods over these request types (v3.5 has its own); each is
    declared as its single method is."""
    out = Actions()
    single = {a.name: a for a in actions}
    for name, payload, handler in (
        ("batch_create_agents", create, create_agent),
        ("batch_update_agents", update, update_agent),
        ("batch_delete_agents", AgentRef, delete_agent),
        ("batch_suspend_agents", AgentRef, suspend_agent),
        ("batch_unsuspend_agents", AgentRef, unsuspend_agent),
        ("batch_approve_agents", AgentRef, approve_agent),
    ):
        one = single[name.replace("batch_", "").replace("agents", "agent")]
        out(CONFIGURATION, name, BatchRequest, scopes=one.scopes, wider=one.wider, also=one.also)(
            batch(payload, handler)
        )
    return out


batch_actions = batches(CreateAgent, UpdateAgent)
