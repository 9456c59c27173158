"""Customer Chat API v3.0 handlers."""

from __future__ import annotations

import time
from typing import Any

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_0 import common
from chatplane.api.v3_0 import serialize as ser
from chatplane.api.v3_0 import structs as st
from chatplane.domain import changes, customers, views
from chatplane.errors import ApiError, authentication
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo
from chatplane.storage import customers as customers_repo

actions = Actions()

CUSTOMER = "customer"


actions(CUSTOMER, "start_chat", st.StartChat)(common.start_chat)
actions(CUSTOMER, "activate_chat", st.ActivateChat)(common.activate_chat)
actions(CUSTOMER, "send_event", st.SendEvent)(common.send_event)
actions(CUSTOMER, "close_thread", st.ChatOnly)(common.close_thread)
actions(CUSTOMER, "update_last_seen_timestamp", st.LastSeen)(common.update_last_seen_timestamp)
actions(CUSTOMER, "get_chat_threads", st.CustomerGetChatThreads)(common.get_chat_threads)


@actions(CUSTOMER, "login", st.CustomerLogin, web=False, needs_login=False)
async def login(ctx: Context, p: st.CustomerLogin) -> dict[str, Any]:
    services = ctx.services
    principal = await services.authenticate(p.token)
    if not principal.is_customer:
        raise authentication("This is not a customer's access token")
    if ctx.license_id is not None and principal.license_id != ctx.license_id:
        raise authentication(f"This token is not valid for license {ctx.license_id}")
    session = ctx.session
    assert session is not None
    if session.principal is not None:
        raise ApiError("validation", "This connection is logged in already")

    def load(tx: Tx) -> tuple[bool, int]:
        """Apply the login's customer data and start a visit; is a thread active?"""
        customer = accounts_repo.get_customer(tx.conn, principal.license_id, principal.user_id)
        if customer is None:
            raise authentication("The customer of this token no longer exists")
        if customer.banned_until and customer.banned_until > time.time():
            # ban_customer: no new connection is accepted while the ban lasts.
            raise ApiError("customer_banned", "Customer is banned")
        if p.customer is not None:
            values: dict[str, Any] = {
                k: v
                for k, v in (
                    ("name", p.customer.name),
                    ("email", p.customer.email),
                    ("avatar", p.customer.avatar),
                )
                if v is not None
            }
            if p.customer.fields:
                values["fields"] = {**customer.fields, **p.customer.fields}
            if values:
                accounts_repo.update_customer(tx.conn, customer.id, **values)
        page = None
        if p.customer_page is not None and p.customer_page.url:
            page = {"url": p.customer_page.url, "title": p.customer_page.title}
        visit_id = customers.start_visit(
            tx,
            principal,
            ip=ctx.client_ip,
            user_agent=ctx.user_agent,
            referrer=p.referrer,
            page=page,
        )
        active = customers_repo.active_chat_ids(tx.conn, principal.license_id, principal.user_id)
        return bool(active), visit_id

    session.principal = ctx.principal = principal
    session.referrer = p.referrer
    has_active_thread, visit_id = await ctx.commit(load)
    # The client keeps this map and sends it back in its next login.
    storage = {**(p.customer_side_storage or {}), "visit_id": str(visit_id)}
    await ctx.publish(
        [changes.CustomerSideStorageUpdated(principal.license_id, principal.user_id, storage)]
    )
    await services.register_session(session)
    return {"customer_id": principal.user_id, "has_active_thread": has_active_thread}


@actions(CUSTOMER, "get_chats_summary", st.GetChatsSummary)
async def get_chats_summary(ctx: Context, p: st.GetChatsSummary) -> dict[str, Any]:
    caller = ctx.caller

    def run(tx: Tx) -> Any:
        summaries, total = views.customer_chats(tx, caller, p.offset, p.limit)
        return summaries, total, views.thread_orders(tx, summaries)

    summaries, total, orders = await ctx.services.read(run)
    v = common.view(ctx)
    return {
        "chats_summary": [ser.customer_chat_summary(v, x, orders) for x in summaries],
        "total_chats": total,
    }


@actions(CUSTOMER, "get_chat_threads_summary", st.GetChatThreadsSummary)
async def get_chat_threads_summary(ctx: Context, p: st.GetChatThreadsSummary) -> dict[str, Any]:
    caller = ctx.caller
    threads, total = await ctx.services.read(
        lambda tx: views.customer_threads(tx, caller, p.chat_id, p.offset, p.limit)
    )
    return {
        "threads_summary": [
            {"id": t.id, "order": t.order, "total_events": t.total_events} for t in threads
        ],
        "total_threads": total,
    }
