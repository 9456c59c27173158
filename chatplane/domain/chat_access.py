"""Chat access: the groups whose agents may see a chat (`access.group_ids`).

`grant_access`, `revoke_access` and `set_access` change it. v3.0's Access object holds
only `group_ids`, so access is given to groups of chats (docs/decisions.md).
"""

from __future__ import annotations

import time

from chatplane.domain import changes, chats, routing
from chatplane.domain.models import Principal
from chatplane.errors import not_found, validation
from chatplane.storage import Tx
from chatplane.storage import chats as repo
from chatplane.storage import groups as groups_repo

GRANTED, REVOKED, SET = "granted", "revoked", "set"


def change_access(
    tx: Tx,
    caller: Principal,
    how: str,
    resource: str,
    resource_id: str,
    access_type: str,
    access_id: int | str,
) -> None:
    if resource != "chat":
        raise validation(f"resource {resource!r} is not supported: access is kept on chats")
    if access_type != "group":
        raise validation(
            f"access.type {access_type!r} is not supported: chat access is given to groups"
        )
    if isinstance(access_id, str) or access_id < 0:
        raise validation("access.id must be a group id: a whole number, 0 or more")
    group_id = access_id
    if groups_repo.get_group(tx.conn, caller.license_id, group_id) is None:
        raise not_found("Group", group_id)
    chat = chats.get_chat(tx, caller, resource_id, meta="rw")
    before = sorted(chat.group_ids)
    if how == GRANTED:
        after = sorted({*before, group_id})
        shown = [group_id]
    elif how == REVOKED:
        if group_id not in before:
            raise validation(f"Group {group_id} has no access to chat {chat.id!r}")
        after = [g for g in before if g != group_id]
        if not after:
            raise validation(
                f"Group {group_id} is the only group with access to chat {chat.id!r}: "
                "use set_access to give it to another group"
            )
        shown = [group_id]
    else:
        after = shown = [group_id]
    access = {"group_ids": after}
    repo.update_chat(tx.conn, chat.id, access=access, updated_at=time.time())
    if chat.active_thread_id:
        # The active thread follows its chat; closed threads keep the access they had.
        repo.update_thread(tx.conn, chat.active_thread_id, access=access)
    fresh = repo.load_chat(tx.conn, chat.license_id, chat.id)
    assert fresh is not None
    tx.emit(changes.AccessChanged(chat.license_id, fresh, how, shown, before))
    # A queued chat may now fit agents of the new groups.
    routing.drain(tx, chat.license_id)
