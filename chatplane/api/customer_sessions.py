"""A customer's RTM login in the newer API versions: who it is, what its login changes
about it (name, e-mail, avatar, session fields), the visit it starts, and what it starts
with (its chats). Each version shapes the answer.

The same steps as the Customer Chat API v3.0's login (api/v3_0/customer.py), over the
same domain rules.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from typing import Any

from chatplane.api.dispatch import Context
from chatplane.domain import availability, changes, customers, views
from chatplane.domain.models import Customer, Principal
from chatplane.errors import ApiError, authentication, validation
from chatplane.realtime.hub import Session
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo

# The group a customer's RTM connection said it chats with (login `group_id`), for the
# methods that take no group of their own (get_predicted_agent, request_welcome_message)
# and for the access of the chats it starts. Kept per connection, forgotten with it.
_login_groups: weakref.WeakKeyDictionary[Session, int] = weakref.WeakKeyDictionary()


def login_group(ctx: Context) -> int | None:
    """The group the caller's connection logged in to, if any (None over the Web API)."""
    return _login_groups.get(ctx.session) if ctx.session is not None else None


@dataclass
class CustomerDetails:
    """What a login may say about the customer; None leaves a value as it is."""

    name: str | None = None
    email: str | None = None
    avatar: str | None = None
    fields: dict[str, str] | None = None


@dataclass
class CustomerLogin:
    principal: Principal
    customer: Customer
    has_active_thread: bool
    visit_id: int
    # The customer's chats, most recently active first.
    summaries: list[views.ChatSummary]


# How many of a customer's chats a login lists.
LOGIN_CHATS = 100


async def login_customer(
    ctx: Context,
    token: str,
    *,
    details: CustomerDetails,
    page: dict[str, Any] | None,
    referrer: str | None,
    side_storage: dict[str, Any] | None,
    group_id: int | None,
) -> CustomerLogin:
    """Log the connection in with a customer's token; tells the customer what to keep
    (`customer_side_storage_updated`) and registers the session."""
    services = ctx.services
    principal = await services.authenticate(token)
    if not principal.is_customer:
        raise authentication("This is not a customer's access token")
    if ctx.license_id is not None and principal.license_id != ctx.license_id:
        raise authentication(f"This token is not valid for license {ctx.license_id}")
    session = ctx.session
    assert session is not None
    if session.principal is not None:
        raise validation("This connection is logged in already")

    def load(tx: Tx) -> tuple[Customer, bool, int, list[views.ChatSummary]]:
        customer = accounts_repo.get_customer(tx.conn, principal.license_id, principal.user_id)
        if customer is None:
            raise authentication("The customer of this token no longer exists")
        if customer.banned_until and customer.banned_until > time.time():
            # ban_customer: no new connection is accepted while the ban lasts.
            raise ApiError("customer_banned", "Customer is banned")
        if group_id is not None and not availability.group_exists(
            tx, principal.license_id, group_id
        ):
            raise ApiError("group_not_found", f"Group {group_id} not found", status=404)
        if any(v is not None for v in vars(details).values()):
            customers.update(
                tx,
                principal.license_id,
                principal.user_id,
                name=details.name,
                email=details.email,
                avatar=details.avatar,
                fields=details.fields,
            )
        visit_id = customers.start_visit(
            tx,
            principal,
            ip=ctx.client_ip,
            user_agent=ctx.user_agent,
            referrer=referrer,
            page=page,
        )
        fresh = accounts_repo.get_customer(tx.conn, principal.license_id, principal.user_id)
        assert fresh is not None
        summaries, _total = views.customer_chats(tx, principal, 0, LOGIN_CHATS)
        active = any(s.chat.active_thread_id for s in summaries)
        return fresh, active, visit_id, summaries

    session.principal = ctx.principal = principal
    session.referrer = referrer
    if group_id is not None:
        _login_groups[session] = group_id
    try:
        customer, active, visit_id, summaries = await ctx.commit(load)
    except Exception:
        session.principal = ctx.principal = None
        _login_groups.pop(session, None)
        raise
    # The client keeps this map and sends it back in its next login.
    storage = {**(side_storage or {}), "visit_id": str(visit_id)}
    await ctx.publish(
        [changes.CustomerSideStorageUpdated(principal.license_id, principal.user_id, storage)]
    )
    await services.register_session(session)
    return CustomerLogin(principal, customer, active, visit_id, summaries)


def has_unread_events(summary: views.ChatSummary, customer_id: str) -> bool:
    """Whether the chat has an event someone else wrote after the customer last saw it."""
    me = summary.chat.user(customer_id)
    seen = None
    if me is not None:
        seen = me.events_seen_up_to
        if seen is None and me.last_seen_timestamp is not None:
            seen = float(me.last_seen_timestamp)
    for e in summary.last_event_per_type.values():
        if e.author_id != customer_id and (seen is None or e.created_at > seen):
            return True
    return False
