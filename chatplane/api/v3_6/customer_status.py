"""Customer Chat API v3.6, status: login (RTM), ping (RTM) and list_group_statuses.

Login answers what the reference's sample shows and the official customer SDK reads: the
customer with its statistics, whether a thread is active, its chats (and whether each has
events it has not seen), and `__priv_dynamic_config` (the groups with an agent accepting
chats, and the group the customer is in). No greeting: Chatplane sends none.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from chatplane.api.customer_sessions import CustomerDetails, has_unread_events, login_customer
from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_0.session import ping
from chatplane.api.v3_6 import customer_structs as cst
from chatplane.api.v3_6 import structs as st
from chatplane.api.v3_6.agent_customers import session_fields
from chatplane.api.v3_6.customer_pushes import PUSH_NAMES
from chatplane.api.v3_6.customer_shapes import CUSTOMER_SHAPES as SHAPES
from chatplane.api.viewers import view
from chatplane.domain import availability
from chatplane.errors import validation

CUSTOMER = "customer"
# Pushes the references removed that a client may still ask for (the customer SDK 4.0.2
# asks for `customer_page_updated`): accepted, and never sent.
RETIRED = frozenset({"customer_page_updated"})


def push_filter(
    ctx: Context, pushes: dict[str, list[str]] | None, known: frozenset[str]
) -> frozenset[str] | None:
    """The pushes a login asked for (`pushes.<version>`), None for all of them."""
    if pushes is None:
        return None
    version = ctx.session.version if ctx.session is not None else ctx.version
    other = sorted(v for v in pushes if v != version)
    if other:
        raise validation(
            f"pushes: this v{version} connection sends pushes of v{version} only, "
            f"not of {', '.join('v' + v for v in other)}"
        )
    names = pushes.get(version, [])
    if "all" in names:
        return None
    unknown = sorted(set(names) - known - RETIRED)
    if unknown:
        raise validation(f"pushes.{version}: unknown push {', '.join(unknown)}")
    return frozenset(names)


async def login(known: frozenset[str], ctx: Context, p: cst.Login) -> dict[str, Any]:
    if ctx.session is not None and ctx.session.principal is None:
        # Chosen before the session is registered, so no push slips through unchosen.
        ctx.session.pushes = push_filter(ctx, p.pushes, known)
    given = p.customer or cst.LoginCustomer()
    if getattr(given, "address", None) is not None:
        raise validation("customer.address: Chatplane keeps no addresses of customers")
    details = CustomerDetails(
        name=given.name,
        email=given.email,
        avatar=given.avatar,
        fields=session_fields(given.session_fields) if given.session_fields is not None else None,
    )
    page = None
    if p.customer_page is not None and p.customer_page.url:
        page = {"url": p.customer_page.url, "title": p.customer_page.title}
    done = await login_customer(
        ctx,
        p.token,
        details=details,
        page=page,
        referrer=p.referrer,
        side_storage=p.customer_side_storage,
        group_id=p.group_id,
    )
    lic = done.principal.license_id
    online = await ctx.services.read(lambda tx: availability.online_group_ids(tx, lic))
    dynamic: dict[str, Any] = {}
    if online:  # the reference leaves it out when no group is online
        dynamic["online_groups_ids"] = online
    dynamic["customer_groups"] = {"monitoring": {"id": p.group_id or 0}}
    me = done.principal.user_id
    return {
        "customer": SHAPES.logged_in(view(ctx), done.customer),
        "has_active_thread": done.has_active_thread,
        "chats": [
            {"chat_id": s.chat.id, "has_unread_events": has_unread_events(s, me)}
            for s in done.summaries
        ],
        "__priv_dynamic_config": dynamic,
    }


async def list_group_statuses(ctx: Context, p: cst.ListGroupStatuses) -> dict[str, Any]:
    caller = ctx.caller
    if not p.all and not p.group_ids:
        raise validation("Give `group_ids` (group ids) or `all: true`")
    wanted = None if p.all else p.group_ids
    # A group that does not exist is left out of the answer (the reference says so).
    found = await ctx.services.read(
        lambda tx: availability.group_statuses(tx, caller.license_id, wanted)
    )
    return {"groups_status": {str(g): status for g, status in found.items()}}


def actions_for(login_struct: type[cst.Login], known: frozenset[str]) -> Actions:
    """The status methods of a version whose login takes `login_struct` and whose pushes
    are `known`."""
    actions = Actions()
    actions(CUSTOMER, "login", login_struct, web=False, needs_login=False)(partial(login, known))
    actions(CUSTOMER, "ping", st.Empty, web=False, needs_login=False)(ping)
    actions(CUSTOMER, "list_group_statuses", cst.ListGroupStatuses)(list_group_statuses)
    return actions


actions = actions_for(cst.Login, PUSH_NAMES)
