"""v3.5's list_chats and list_archives: their v3.5 filters read as v3.6's (v3.6 replaced
`include_active` with `active`, and added filters v3.5 does not have). The other reads
are v3.6's in v3.5's shapes (chatplane/app.py wires `agent_reads.actions_for(SHAPES)`)."""

from __future__ import annotations

from functools import partial
from typing import Any

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_5 import structs as st
from chatplane.api.v3_5.serialize import SHAPES
from chatplane.api.v3_6 import agent_reads
from chatplane.api.v3_6 import structs as st36
from chatplane.api.v3_6.serialize import Shapes
from chatplane.domain.access import CHATS_READ_WIDE

AGENT = "agent"


async def list_chats(shapes: Shapes, ctx: Context, p: st.ListChats) -> dict[str, Any]:
    filters = None
    if p.filters is not None:
        f = p.filters
        filters = st36.ListChatsFilters(
            # include_active false: inactive chats only; true: both.
            active=None if f.include_active else False,
            include_chats_without_threads=f.include_chats_without_threads,
            group_ids=f.group_ids,
            properties=f.properties,
        )
    asked = st36.ListChats(
        filters=filters, sort_order=p.sort_order, limit=p.limit, page_id=p.page_id
    )
    return await agent_reads.list_chats(shapes, ctx, asked)


actions = Actions()
actions(AGENT, "list_chats", st.ListChats, scopes=CHATS_READ_WIDE)(partial(list_chats, SHAPES))
# v3.6's handler reads v3.5's request (its filters are a part of v3.6's).
actions(AGENT, "list_archives", st.ListArchives, scopes=CHATS_READ_WIDE)(
    partial(agent_reads.list_archives, SHAPES)
)
