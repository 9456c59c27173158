"""Protocol actions of both RTM APIs."""

from __future__ import annotations

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_0 import structs as st

actions = Actions()


@actions(("agent", "customer"), "ping", st.Empty, web=False, needs_login=False)
async def ping(ctx: Context, _p: st.Empty) -> None:
    # The transport already noted the activity; the response is the pong.
    return None
