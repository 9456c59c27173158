"""Who a response is shaped for, in every API version: the caller's `View`."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from chatplane.api.dispatch import Context
from chatplane.domain.models import Principal
from chatplane.domain.viewer import View
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo


def view(ctx: Context) -> View:
    caller = ctx.caller
    return ctx.services.view_for(caller.license_id, caller.user_type)


def reader_view(ctx: Context, group_ids: Sequence[int] | None) -> View:
    """The caller's view when it reads chats: an agent sees threads of chats it has no
    access to as `restricted_access` (agent-chat-api, Thread)."""
    v = view(ctx)
    caller = ctx.caller
    if caller.is_agent:
        v = dataclasses.replace(v, role=caller.role)
    # chats--all:rw (administrators) reads and writes every chat in full.
    if group_ids is None or not caller.is_agent or "chats--all:rw" in caller.scopes:
        return v
    return dataclasses.replace(v, viewer_id=caller.user_id, viewer_group_ids=tuple(group_ids))


def agent_groups(tx: Tx, caller: Principal) -> list[int] | None:
    if not caller.is_agent:
        return None
    return accounts_repo.agent_group_ids(tx.conn, caller.license_id, caller.user_id)
