"""Routing: which agent gets a chat (platform-overview/routing.md, core-info.md "Chat routing").

Automatic routing (the default) gives a chat a customer starts to an agent of the chat's
groups whose current status is `accepting_chats` and who has a free slot (fewer active
chats than `max_chats_count`): `first` priority before `normal` before `last`, then the
least loaded. With nobody free the chat waits in the queue, unassigned, and is served in
arrival order as soon as a slot frees up. Manual routing leaves every new chat in the
queue for agents to take.

Every decision runs inside a unit of work that first locks the license
(`storage.routing.lock_license`) and reads loads from the database within it, so two
decisions never see the same free slot: an agent is never over-filled and a chat never
assigned twice (a chat is assigned only while it has no agent, in the unit that removes
it from the queue).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from chatplane.domain import changes, chats
from chatplane.domain.models import AGENT, Chat
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo
from chatplane.storage import chats as repo
from chatplane.storage import routing as rrepo
from chatplane.storage.routing import Candidate

ACCEPTING = "accepting_chats"
NOT_ACCEPTING = "not_accepting_chats"
OFFLINE = "offline"

AUTOMATIC = "automatic"
MANUAL = "manual"
MODES = (AUTOMATIC, MANUAL)

PRIORITY_RANK = {"first": 0, "normal": 1, "last": 2}
# Agents of a group at this priority are never routed its chats (Configuration API v3.4+).
SUPERVISOR = "supervisor"

# The router's system messages, worded as core-info.md words them.
ASSIGNED = "routing.assigned"
UNASSIGNED = "routing.unassigned"


def mode(tx: Tx, license_id: int) -> str:
    """The license's routing mode (license setting `routing.mode`)."""
    lic = accounts_repo.get_license(tx.conn, license_id)
    settings: dict[str, Any] = dict(lic.settings or {}) if lic is not None else {}
    value = (settings.get("routing") or {}).get("mode", AUTOMATIC)
    return value if value in MODES else AUTOMATIC


# -- reacting to the chat rules --------------------------------------------------------


def on_thread_started(tx: Tx, started: changes.ThreadStarted) -> None:
    """A thread was just opened (chats._open_thread): route it in the same unit of work.

    A thread an agent opens is that agent's; a thread a customer opens goes to the
    agent still in the chat when that agent can take it, else through the queue.
    """
    if started.author_type == AGENT:
        return
    chat = started.chat
    lic = chat.license_id
    rrepo.lock_license(tx.conn, lic)
    how = mode(tx, lic)
    present = chat.present_agent_ids()
    if present and _keep_present_agent(tx, chat, present, how):
        return
    rrepo.enqueue(tx.conn, lic, chat.id, started.thread.created_at)
    drain(tx, lic)
    if rrepo.is_queued(tx.conn, chat.id):
        mark_unassigned(tx, chat.id)


def _keep_present_agent(tx: Tx, chat: Chat, present: list[str], how: str) -> bool:
    """A customer's new thread stays with an agent of the chat who can take it; the
    other agents (and all of them when none can) leave the chat."""
    lic = chat.license_id
    keep: Candidate | None = None
    if how == AUTOMATIC:
        cands = rrepo.candidates(tx.conn, lic)
        # The load already counts this chat: its thread is active.
        keep = next(
            (cands[a] for a in present if a in cands and cands[a].load <= cands[a].max_chats),
            None,
        )
    else:
        for agent_id in present:
            if rrepo.current_status(tx.conn, lic, agent_id) != OFFLINE:
                agent = accounts_repo.get_agent(tx.conn, lic, agent_id)
                if agent is not None:
                    keep = Candidate(agent_id, agent.name, agent.max_chats_count, 0, {})
                    break
    for agent_id in present:
        if keep is None or agent_id != keep.agent_id:
            unassign(tx, chat.id, lic, agent_id)
    if keep is None:
        return False
    if how == AUTOMATIC:
        fresh = _load(tx, lic, chat.id)
        assert fresh.active_thread_id is not None
        chats.system_message(
            tx,
            fresh,
            fresh.active_thread_id,
            ASSIGNED,
            f"Chat assigned to {keep.name}",
            text_vars={"agent": keep.name},
        )
    return True


def settle(tx: Tx, license_id: int, chat_ids: Iterable[str]) -> None:
    """Bring the queue in line with chats the core changed (an agent joined or left a
    chat, a thread closed), then serve the queue."""
    rrepo.lock_license(tx.conn, license_id)
    newly_queued = []
    for chat_id in chat_ids:
        chat = repo.load_chat(tx.conn, license_id, chat_id)
        if chat is None:
            continue
        if chat.active_thread_id is None:
            rrepo.dequeue(tx.conn, chat.id)
        elif chat.present_agent_ids():
            # An agent took the chat (manual routing, or joined by hand).
            if rrepo.dequeue(tx.conn, chat.id):
                set_flag(tx, chat, chat.active_thread_id, "unassigned", False)
        else:
            # The last agent left a chat with an active thread: route it again.
            thread = repo.load_thread(tx.conn, chat.id, chat.active_thread_id)
            queued_at = thread.created_at if thread is not None else time.time()
            if rrepo.enqueue(tx.conn, license_id, chat.id, queued_at):
                newly_queued.append(chat.id)
    drain(tx, license_id)
    for chat_id in newly_queued:
        if rrepo.is_queued(tx.conn, chat_id):
            mark_unassigned(tx, chat_id)


def drain(tx: Tx, license_id: int) -> int:
    """Assign queued chats, oldest first, to agents with free slots; returns how many."""
    rrepo.lock_license(tx.conn, license_id)
    if mode(tx, license_id) != AUTOMATIC:
        return 0
    queued = rrepo.queued_chat_ids(tx.conn, license_id)
    if not queued:
        return 0
    free = {a: c for a, c in rrepo.candidates(tx.conn, license_id).items() if c.free > 0}
    assigned = 0
    for chat_id in queued:
        if not free:
            break
        chat = repo.load_chat(tx.conn, license_id, chat_id)
        if chat is None or chat.active_thread_id is None:
            rrepo.dequeue(tx.conn, chat_id)
            continue
        if chat.present_agent_ids():
            rrepo.dequeue(tx.conn, chat_id)
            set_flag(tx, chat, chat.active_thread_id, "unassigned", False)
            continue
        best = pick(free.values(), chat.group_ids)
        if best is None:
            continue  # nobody of this chat's groups is free; a later chat may still fit
        assign(tx, chat, best)
        assigned += 1
        best.load += 1
        if best.free <= 0:
            del free[best.agent_id]
    return assigned


def reroute_agent(tx: Tx, license_id: int, agent_id: str) -> None:
    """The agent went offline: take it off its active chats and route them again."""
    rrepo.lock_license(tx.conn, license_id)
    requeued = []
    for chat_id in rrepo.active_chats_of(tx.conn, license_id, agent_id):
        unassign(tx, chat_id, license_id, agent_id)
        chat = _load(tx, license_id, chat_id)
        if chat.present_agent_ids() or chat.active_thread_id is None:
            continue
        thread = repo.load_thread(tx.conn, chat.id, chat.active_thread_id)
        queued_at = thread.created_at if thread is not None else time.time()
        if rrepo.enqueue(tx.conn, license_id, chat.id, queued_at):
            requeued.append(chat.id)
    if not requeued:
        return
    drain(tx, license_id)
    for chat_id in requeued:
        if rrepo.is_queued(tx.conn, chat_id):
            mark_unassigned(tx, chat_id)


# -- choosing --------------------------------------------------------------------------


def pick(
    candidates: Iterable[Candidate], group_ids: list[int], exclude: Iterable[str] = ()
) -> Candidate | None:
    """The agent a chat of `group_ids` goes to: best priority in those groups, then the
    least loaded, then the agent id (so the choice is repeatable)."""
    skip = set(exclude)
    best: tuple[int, int, str] | None = None
    chosen: Candidate | None = None
    for cand in candidates:
        if cand.free <= 0 or cand.agent_id in skip:
            continue
        ranks = [
            PRIORITY_RANK.get(cand.groups[g], 1)
            for g in group_ids
            if g in cand.groups and cand.groups[g] != SUPERVISOR
        ]
        if 0 in group_ids and 0 not in cand.groups and not ranks:
            ranks = [PRIORITY_RANK["normal"]]  # group 0 holds every agent
        if not ranks:
            continue
        key = (min(ranks), cand.load, cand.agent_id)
        if best is None or key < best:
            best, chosen = key, cand
    return chosen


def serves(cand: Candidate, group_id: int) -> bool:
    """Whether routing may give the candidate a chat of the group (member, not supervisor)."""
    priority = cand.groups.get(group_id, "normal" if group_id == 0 else None)
    return priority is not None and priority != SUPERVISOR


# -- changing a chat's agents ----------------------------------------------------------


def assign(tx: Tx, chat: Chat, cand: Candidate, *, message: bool = True) -> Chat:
    """Add the agent to the chat and its active thread; tell the chat who got it."""
    now = time.time()
    thread_id = chat.active_thread_id
    assert thread_id is not None
    repo.upsert_chat_user(tx.conn, chat.id, cand.agent_id, AGENT, True, now)
    chats._add_thread_user(tx, chat, thread_id, cand.agent_id)
    rrepo.dequeue(tx.conn, chat.id)
    fresh = _load(tx, chat.license_id, chat.id)
    user = fresh.user(cand.agent_id)
    assert user is not None
    tx.emit(changes.UserAdded(chat.license_id, fresh, thread_id, user, reason="assigned"))
    set_flag(tx, fresh, thread_id, "unassigned", False)
    if message:
        chats.system_message(
            tx,
            fresh,
            thread_id,
            ASSIGNED,
            f"Chat assigned to {cand.name}",
            text_vars={"agent": cand.name},
            now=now,
        )
    return fresh


def unassign(tx: Tx, chat_id: str, license_id: int, agent_id: str) -> None:
    """Take an agent off a chat (it stays in `users` with `present: false`)."""
    repo.upsert_chat_user(tx.conn, chat_id, agent_id, AGENT, False, time.time())
    fresh = _load(tx, license_id, chat_id)
    thread_id = fresh.active_thread_id or fresh.last_thread_id
    tx.emit(changes.UserRemoved(license_id, fresh, thread_id, agent_id, AGENT, reason="unassigned"))


def mark_unassigned(tx: Tx, chat_id: str, license_id: int | None = None) -> None:
    """`routing.unassigned`: the chat waits in the queue for an agent."""
    row = repo.load_chat(tx.conn, license_id, chat_id) if license_id else _any_chat(tx, chat_id)
    if row is None or row.active_thread_id is None:
        return
    chats.system_message(tx, row, row.active_thread_id, UNASSIGNED, "Chat is unassigned")
    set_flag(tx, row, row.active_thread_id, "unassigned", True)


def set_flag(tx: Tx, chat: Chat, thread_id: str | None, name: str, value: bool) -> None:
    """Set a `routing` property (idle, unassigned) on the chat and its active thread,
    announcing it only when it changes (absent reads as false).

    The chat row is locked and its properties read afresh: `chat` may have been loaded
    before another transaction changed them (PostgreSQL runs writers side by side)."""
    chat.properties = rrepo.lock_chat_properties(tx.conn, chat.id)
    current = bool((chat.properties.get("routing") or {}).get(name, False))
    if current != value:
        routing_props = {**(chat.properties.get("routing") or {}), name: value}
        chat.properties = {**chat.properties, "routing": routing_props}
        repo.update_chat(tx.conn, chat.id, properties=chat.properties)
        tx.emit(
            changes.PropertiesUpdated(
                chat.license_id, chat, "chat", None, None, {"routing": {name: value}}
            )
        )
    if thread_id is None:
        return
    thread = repo.load_thread(tx.conn, chat.id, thread_id)
    if thread is None or bool((thread.properties.get("routing") or {}).get(name)) == value:
        return
    props = {
        **thread.properties,
        "routing": {**(thread.properties.get("routing") or {}), name: value},
    }
    repo.update_thread(tx.conn, thread_id, properties=props)
    tx.emit(
        changes.PropertiesUpdated(
            chat.license_id, chat, "thread", thread_id, None, {"routing": {name: value}}
        )
    )


def _load(tx: Tx, license_id: int, chat_id: str) -> Chat:
    chat = repo.load_chat(tx.conn, license_id, chat_id)
    assert chat is not None
    return chat


def _any_chat(tx: Tx, chat_id: str) -> Chat | None:
    lic = rrepo.chat_license_id(tx.conn, chat_id)
    return repo.load_chat(tx.conn, lic, chat_id) if lic is not None else None


def set_mode(tx: Tx, license_id: int, new_mode: str) -> None:
    """Switch the license between automatic and manual routing."""
    lic = accounts_repo.get_license(tx.conn, license_id, for_update=True)
    assert lic is not None
    settings = dict(lic.settings or {})
    settings["routing"] = {**(settings.get("routing") or {}), "mode": new_mode}
    accounts_repo.set_license_settings(tx.conn, license_id, settings)
    tx.emit(changes.RoutingChanged(license_id, "mode"))
    drain(tx, license_id)  # chats left waiting in manual mode are served now
