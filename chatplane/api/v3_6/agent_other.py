"""Agent Chat API v3.6 methods that need a service a self-hosted server does not have.

Each answers `service_unavailable` (v3.x's closest error type) with HTTP 501 Not
Implemented, saying why (docs/decisions.md); never 404, and never 503, which would tell
a client to come back later:
- `request_thread_summary`: AI-written thread summaries are a service of LiveChat's cloud.
- `subscribe_customers` / `unsubscribe_customers`: tracking a website's visitors by group
  is LiveChat's traffic service; Chatplane knows customers once they chat, and tells an
  agent of the customers of its own chats (pushes `incoming_customer`,
  `customer_updated`, `customer_page_updated`, `customer_left`).
"""

from __future__ import annotations

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_6 import structs as st
from chatplane.errors import ApiError

actions = Actions()

AGENT = "agent"


@actions(AGENT, "request_thread_summary", st.ThreadRef)
async def request_thread_summary(ctx: Context, p: st.ThreadRef) -> None:
    raise _not_here(
        "Thread summaries are written by LiveChat's AI service, which a self-hosted "
        "Chatplane does not have"
    )


@actions(AGENT, "subscribe_customers", st.SubscribeCustomers, web=False)
async def subscribe_customers(ctx: Context, p: st.SubscribeCustomers) -> None:
    raise _not_here(_NO_TRAFFIC)


@actions(AGENT, "unsubscribe_customers", st.UnsubscribeCustomers, web=False)
async def unsubscribe_customers(ctx: Context, p: st.UnsubscribeCustomers) -> None:
    raise _not_here(_NO_TRAFFIC)


def _not_here(message: str) -> ApiError:
    return ApiError("service_unavailable", message, status=NOT_IMPLEMENTED)


NOT_IMPLEMENTED = 501
_NO_TRAFFIC = (
    "Chatplane does not track a website's visitors by group (LiveChat's traffic service); "
    "an agent hears of the customers of its own chats"
)
