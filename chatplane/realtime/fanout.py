"""Who receives which push: decided here, once, for every committed change.

- A chat change reaches every user present in the chat (customers only what they may
  see: never `recipients: agents` events nor properties they cannot read, nor anything
  else meant for agents only), and the chat's followers (v3.6 `follow_chat`) while they
  may still read the chat.
- A new thread in a chat with no agent present also reaches every connected agent with
  access to the chat (the queue), so somebody can pick it up.
- A removed user still hears of the removal.
- Following or unfollowing a chat reaches only the agent who did it (all its connections);
  an event preview only the chat's customer (agents have no push for it); a typing or
  thinking indicator everyone but its author.
- A customer change reaches the agents serving the customer (every agent allowed to read
  customers, for a new one) and the customer for its own profile and page.
- A configuration change (an agent, bot, group, tag, auto access rule or license or group
  property value; a group's routing status) reaches the agents whose scopes let them read
  what changed (`may_hear_configuration`); customers never.
- Whoever caused a chat or customer change hears it on all its connections.
The push is rendered once per (user type, API version), by the version's renderer that
the app hands in, then the same text is queued to each session of that kind; the session
that made the request gets its `request_id` in the push (not in the pushes of what the
server did in reaction: a system message, routing's assignment). A renderer may answer
several pushes for one change (a transfer that also moved the chat's access, in v3.x).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from chatplane.bus import Origin
from chatplane.domain import changes as ch
from chatplane.domain.access import agent_has_group_access, implied
from chatplane.domain.models import AGENT, CUSTOMER
from chatplane.domain.viewer import View
from chatplane.realtime.hub import Hub, Session, push_message

Push = tuple[str, Any]
# One API version's pushes: the push (or pushes) a change is for a viewer, or None.
PushRenderer = Callable[[ch.Change, View], Push | list[Push] | None]

# Signals are not caused "for" their sender: the author does not hear its own.
_SIGNALS = (
    ch.TypingIndicatorSent,
    ch.SneakPeekSent,
    ch.ThinkingIndicatorSent,
    ch.EventPreviewSent,
)


def for_agents_only(change: ch.ChatChange) -> bool:
    """Whether no customer may hear of the change, in any version."""
    if isinstance(change, ch.EventAppended | ch.EventUpdated):
        return change.event.for_agents_only
    if isinstance(change, ch.PropertiesUpdated | ch.PropertiesDeleted | ch.EventDeleted):
        return change.for_agents_only
    if isinstance(change, ch.TypingIndicatorSent):
        return change.recipients != "all"
    if isinstance(change, ch.ThinkingIndicatorSent):
        return change.visibility != "all"
    return isinstance(change, ch.SneakPeekSent)


def _author(change: ch.ChatChange) -> str | None:
    if isinstance(change, ch.TypingIndicatorSent | ch.ThinkingIndicatorSent):
        return change.author_id
    return None


def may_read(session: Session, group_ids: list[int]) -> bool:
    """Whether an agent's session may still read a chat of these groups (a follower's
    pushes stop when a transfer or an access change takes the chat out of its reach)."""
    assert session.principal is not None
    scopes = implied(session.principal.scopes)
    if "chats--all:ro" in scopes:
        return True
    return "chats--access:ro" in scopes and agent_has_group_access(
        group_ids, session.agent_group_ids
    )


# Changes of the license's configuration, and of its groups' routing statuses.
CONFIGURATION = (ch.ConfigurationChange, ch.AgentDeleted, ch.GroupsStatusUpdated)


def _holds(session: Session, *scopes: str) -> bool:
    assert session.principal is not None
    held = implied(session.principal.scopes)
    return any(scope in held for scope in scopes)


def _member_of(session: Session, group_ids: Iterable[int]) -> bool:
    """Whether the session's agent is in one of the groups (everyone is in group 0)."""
    return agent_has_group_access(group_ids, session.agent_group_ids)


def _may_read_agent(session: Session, agent_id: str) -> bool:
    assert session.principal is not None
    if _holds(session, "agents--all:ro"):
        return True
    return session.principal.user_id == agent_id and _holds(session, "agents--my:ro")


def _may_read_bot(session: Session, client_id: str | None) -> bool:
    """Bots are agents to the Agent Chat API (they join chats, have routing statuses):
    whoever may read agents may read them, and so may the bot scopes."""
    assert session.principal is not None
    if _holds(session, "agents--all:ro", "agents-bot--all:ro"):
        return True
    return client_id == session.principal.client_id and _holds(session, "agents-bot--my:ro")


def _may_read_group(session: Session, group_id: int, member_ids: Iterable[str] = ()) -> bool:
    """`groups--all`, or `groups--my` for a group the agent is (or, `member_ids`, was or
    becomes) a member of."""
    assert session.principal is not None
    if _holds(session, "groups--all:ro"):
        return True
    if not _holds(session, "groups--my:ro"):
        return False
    return session.principal.user_id in member_ids or _member_of(session, [group_id])


def may_hear_configuration(session: Session, change: ch.Change) -> bool:
    """Whether an agent's session hears a configuration change: it may read the thing that
    changed by its scopes, as the Configuration API would let it read it."""
    if isinstance(change, ch.AgentConfigured):
        agent = change.agent
        if agent.is_bot:
            return _may_read_bot(session, agent.client_id)
        return _may_read_agent(session, agent.id)
    if isinstance(change, ch.AgentDeleted):
        if change.is_bot:
            return _may_read_bot(session, change.client_id)
        return _may_read_agent(session, change.agent_id)
    if isinstance(change, ch.AgentAccessChanged):
        return _may_read_agent(session, change.agent_id)
    if isinstance(change, ch.GroupConfigured):
        members = {*change.agent_priorities, *change.previous_agent_ids}
        return _may_read_group(session, change.group_id, members)
    if isinstance(change, ch.GroupsStatusUpdated):
        return _may_read_group(session, change.group_id)
    if isinstance(change, ch.TagConfigured):
        if _holds(session, "tags--all:ro"):
            return True
        groups = {*change.group_ids, *change.previous_group_ids}
        return _holds(session, "tags--groups:ro") and _member_of(session, groups)
    if isinstance(change, ch.AutoAccessesUpdated):
        return _holds(session, "access_rules:ro")
    if isinstance(change, ch.ConfiguredPropertiesChanged):
        # What each agent may read of the values is the properties' own access (the push
        # holds only that); a group's values go to those who may read the group.
        return change.group_id is None or _may_read_group(session, change.group_id)
    return False


def _server_made(change: ch.Change) -> bool:
    """What the server did in reaction to a request (a system message, routing's assignment
    of an agent) is not the request's doing: its push carries no `request_id`, which the
    official customer SDK reads as the answer to the request it names."""
    if isinstance(change, ch.EventAppended):
        return change.event.author_id is None
    return isinstance(change, ch.UserAdded) and change.requester_id is None


class Fanout:
    def __init__(
        self,
        hub: Hub,
        view_for: Callable[[int, str], View],
        renderers: Mapping[str, PushRenderer],
    ) -> None:
        self.hub = hub
        self.view_for = view_for
        self.renderers = renderers

    async def __call__(self, changes: Sequence[ch.Change], origin: Origin) -> None:
        for index, change in enumerate(changes):
            self.deliver(change, origin, f"{origin.batch}/{index}" if origin.batch else None)

    def deliver(self, change: ch.Change, origin: Origin, key: str | None = None) -> None:
        """Push `change` to whoever may hear of it; `key` names the change across processes
        (a resumed session hears each change once)."""
        recipients = self.recipients(change)
        signal = isinstance(change, _SIGNALS)
        if (
            origin.user is not None
            and isinstance(change, ch.ChatChange | ch.CustomerChange)
            and not signal
        ):
            # The caller hears what it caused on all its connections, even when it is not
            # (or no longer) a user of the chat, or does not serve the customer.
            recipients |= self.hub.targets_of(*origin.user)
        if not recipients:
            return
        views: dict[str, View] = {}
        rendered: dict[tuple[str, str], list[Push]] = {}
        texts: dict[tuple[str, str], list[str]] = {}
        for session in recipients:
            assert session.principal is not None
            user_type = session.principal.user_type
            kind = (user_type, session.version)
            if kind not in rendered:
                if user_type not in views:
                    views[user_type] = self.view_for(change.license_id, user_type)
                out = self.renderers[session.version](change, views[user_type])
                rendered[kind] = [] if out is None else out if isinstance(out, list) else [out]
            pushes = rendered[kind]
            if not pushes:
                continue
            if (
                session.id == origin.session_id
                and origin.request_id is not None
                and not _server_made(change)
            ):
                for action, payload in pushes:
                    if session.pushes is None or action in session.pushes:
                        session.push(
                            push_message(action, payload, origin.request_id, session.push_version),
                            key,
                        )
                continue
            if kind not in texts:
                texts[kind] = [
                    push_message(action, payload, version=session.push_version)
                    for action, payload in pushes
                ]
            for (action, _), text in zip(pushes, texts[kind], strict=True):
                if session.pushes is None or action in session.pushes:
                    session.push(text, key)

    def recipients(self, change: ch.Change) -> set[Session]:
        lic = change.license_id
        if isinstance(change, ch.MulticastSent):
            return self._multicast_recipients(change)
        if isinstance(change, ch.CustomerChange):
            return self._customer_recipients(change)
        if isinstance(change, ch.CustomerSideStorageUpdated | ch.WelcomeMessageSent):
            return set(self.hub.targets_of(lic, CUSTOMER, change.customer_id))
        if isinstance(change, ch.AgentStatusChanged | ch.CustomerBanned):
            # Every agent of the license sees teammates' statuses and bans.
            return set(self.hub.agent_targets(lic))
        if isinstance(change, CONFIGURATION):
            return self._configuration_recipients(change)
        if not isinstance(change, ch.ChatChange):
            return set()
        chat = change.chat
        if isinstance(change, ch.ChatFollowed | ch.ChatUnfollowed):
            return set(self.hub.targets_of(lic, AGENT, change.agent_id))
        out: set[Session] = set()
        if isinstance(change, ch.EventPreviewSent):
            for user in chat.users:
                if user.present and user.type == CUSTOMER:
                    out |= self.hub.targets_of(lic, CUSTOMER, user.id)
            return out
        agents_only = for_agents_only(change)
        author = _author(change)
        for user in chat.users:
            if not user.present or user.id == author:
                continue
            if agents_only and user.type != AGENT:
                continue
            out |= self.hub.targets_of(lic, user.type, user.id)
        for agent_id in chat.follower_ids:
            if agent_id == author:
                continue
            for session in self.hub.targets_of(lic, AGENT, agent_id):
                if may_read(session, chat.group_ids):
                    out.add(session)
        if isinstance(change, ch.UserRemoved):
            out |= self.hub.targets_of(lic, change.user_type, change.user_id)
        if isinstance(change, ch.AccessChanged):
            # Agents who gain or lose access hear of it too.
            groups = {*change.previous_group_ids, *chat.group_ids}
            for session in self.hub.agent_targets(lic):
                if agent_has_group_access(groups, session.agent_group_ids):
                    out.add(session)
        if isinstance(change, ch.ChatTransferred):
            for agent_id in change.previous_agent_ids:
                out |= self.hub.targets_of(lic, AGENT, agent_id)
        if not chat.present_agent_ids() and not isinstance(change, ch.SneakPeekSent):
            # Nobody serves the chat yet: the agents who may take it watch it (the queue).
            for session in self.hub.agent_targets(lic):
                if agent_has_group_access(chat.group_ids, session.agent_group_ids):
                    out.add(session)
        return out

    def _customer_recipients(self, change: ch.CustomerChange) -> set[Session]:
        """Agents serving the customer (all agents for a new customer), and the customer."""
        lic = change.license_id
        out: set[Session] = set()
        if isinstance(change, ch.CustomerCreated):
            for session in self.hub.agent_targets(lic):
                assert session.principal is not None
                if "customers:ro" in session.principal.scopes:
                    out.add(session)
        for agent_id in change.agent_ids:
            out |= self.hub.targets_of(lic, AGENT, agent_id)
        if isinstance(change, ch.CustomerUpdated | ch.CustomerPageUpdated):
            out |= self.hub.targets_of(lic, CUSTOMER, change.customer.id)
        return out

    def _configuration_recipients(self, change: ch.Change) -> set[Session]:
        """The agents who may read what changed (docs/decisions.md, "Configuration pushes")."""
        return {
            session
            for session in self.hub.agent_targets(change.license_id)
            if may_hear_configuration(session, change)
        }

    def _multicast_recipients(self, change: ch.MulticastSent) -> set[Session]:
        lic = change.license_id
        out: set[Session] = set()
        wanted_agents = set(change.agent_ids)
        wanted_groups = set(change.group_ids)
        for session in self.hub.agent_targets(lic):
            assert session.principal is not None
            if (
                change.all_agents
                or session.principal.user_id in wanted_agents
                or wanted_groups.intersection(session.agent_group_ids)
            ):
                out.add(session)
        for customer_id in change.customer_ids:
            out |= self.hub.targets_of(lic, CUSTOMER, customer_id)
        return out
