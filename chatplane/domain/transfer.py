"""`transfer_chat`: hand a chat to an agent, or to the agents of some groups.

Without a target the chat goes to another agent of its own groups. A group transfer
moves the chat's access to those groups and routes it among their agents (never back to
the agents it had); with nobody free it fails (`group_offline` when none of them is
online, `group_unavailable` when none has a free slot) unless `force`, which queues it.
"""

from __future__ import annotations

import time

from chatplane.domain import changes, chats, routing
from chatplane.domain.models import Principal
from chatplane.domain.routing import ACCEPTING, NOT_ACCEPTING, OFFLINE
from chatplane.errors import agent_offline, chat_inactive, not_found, validation
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo
from chatplane.storage import chats as repo
from chatplane.storage import groups as groups_repo
from chatplane.storage import routing as rrepo
from chatplane.storage.routing import Candidate


def transfer_chat(
    tx: Tx,
    caller: Principal,
    chat_id: str,
    target_type: str | None,
    ids: list[int | str] | None,
    force: bool,
) -> None:
    lic = caller.license_id
    access_changed = False
    chat = chats.get_chat(tx, caller, chat_id, meta="rw")
    if chat.active_thread_id is None:
        raise chat_inactive(f"Chat {chat.id!r} has no active thread to transfer")
    rrepo.lock_license(tx.conn, lic)
    previous = chat.present_agent_ids()
    if target_type is None:
        target_type, ids = "group", list(chat.group_ids)
    assert ids is not None
    if target_type == "agent":
        agent_id = _agent_target(tx, lic, ids, previous, force)
        agent = accounts_repo.get_agent(tx.conn, lic, agent_id)
        assert agent is not None
        for other in previous:
            if other != agent_id:
                routing.unassign(tx, chat.id, lic, other)
        if agent_id not in previous:
            cand = Candidate(agent.id, agent.name, agent.max_chats_count, 0, {})
            routing.assign(tx, _reload(tx, chat.id, lic), cand, message=False)
    else:
        group_ids = _group_target(tx, lic, ids)
        cands = rrepo.candidates(tx.conn, lic)
        best = routing.pick(cands.values(), group_ids, exclude=previous)
        if best is None and not force:
            members = rrepo.group_member_ids(tx.conn, lic, group_ids) - set(previous)
            online = any(rrepo.current_status(tx.conn, lic, a) != OFFLINE for a in members)
            if online:
                raise agent_offline(
                    "group_unavailable",
                    f"No agent of groups {group_ids} is accepting chats with a free slot",
                )
            raise agent_offline("group_offline", f"No agent of groups {group_ids} is online")
        access_changed = sorted(chat.group_ids) != group_ids
        if access_changed:
            access = {"group_ids": group_ids}
            repo.update_chat(tx.conn, chat.id, access=access, updated_at=time.time())
            repo.update_thread(tx.conn, chat.active_thread_id, access=access)
        for other in previous:
            routing.unassign(tx, chat.id, lic, other)
        if best is not None:
            routing.assign(tx, _reload(tx, chat.id, lic), best)
        else:
            rrepo.enqueue(tx.conn, lic, chat.id, time.time())
            routing.mark_unassigned(tx, chat.id, lic)
        ids = list(group_ids)
    fresh = _reload(tx, chat.id, lic)
    tx.emit(
        changes.ChatTransferred(
            lic,
            fresh,
            fresh.active_thread_id,
            caller.user_id,
            target_type,
            list(ids),
            [a for a in previous if not fresh.is_present(a)],
            access_changed,
        )
    )


def agents_for_transfer(tx: Tx, caller: Principal, chat_id: str) -> list[tuple[str, int]]:
    """(agent id, active chats with customers) of the agents the chat could go to: online
    (accepting chats or not), with access to the chat, not in it already; least loaded
    first."""
    lic = caller.license_id
    chat = chats.get_chat(tx, caller, chat_id, meta="ro")
    online = {
        **rrepo.candidates(tx.conn, lic, ACCEPTING),
        **rrepo.candidates(tx.conn, lic, NOT_ACCEPTING),
    }
    present = set(chat.present_agent_ids())
    groups = set(chat.group_ids)
    eligible = [
        c.agent_id
        for c in online.values()
        if c.agent_id not in present and (0 in groups or groups & set(c.groups))
    ]
    load = rrepo.loads(tx.conn, lic, eligible, with_customers=True)
    return sorted(((a, load.get(a, 0)) for a in eligible), key=lambda pair: (pair[1], pair[0]))


def _agent_target(tx: Tx, lic: int, ids: list[int | str], previous: list[str], force: bool) -> str:
    if len(ids) != 1 or not isinstance(ids[0], str):
        raise validation("target.ids must hold exactly one agent id when target.type is 'agent'")
    agent_id = ids[0]
    if accounts_repo.get_agent(tx.conn, lic, agent_id) is None:
        raise not_found("Agent", agent_id)
    if agent_id in previous and len(previous) == 1:
        raise validation(f"Agent {agent_id!r} already has this chat")
    if not force and rrepo.current_status(tx.conn, lic, agent_id) == OFFLINE:
        raise agent_offline(
            "validation", f"Agent {agent_id!r} is offline; use force to transfer anyway"
        )
    return agent_id


def _group_target(tx: Tx, lic: int, ids: list[int | str]) -> list[int]:
    if not ids:
        raise validation("target.ids must hold at least one group id")
    if any(isinstance(i, str) or i < 0 for i in ids):
        raise validation("target.ids must be group ids (whole numbers) when target.type is 'group'")
    group_ids = sorted({int(i) for i in ids})
    missing = set(group_ids) - groups_repo.existing_ids(tx.conn, lic, group_ids)
    if missing:
        raise not_found("Group", sorted(missing)[0])
    return group_ids


def _reload(tx: Tx, chat_id: str, lic: int):  # type: ignore[no-untyped-def]
    chat = repo.load_chat(tx.conn, lic, chat_id)
    assert chat is not None
    return chat
