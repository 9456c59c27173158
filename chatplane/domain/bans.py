"""`ban_customer`: the customer cannot start or continue chats until the ban ends.

The ban closes the customer's active threads with the `customer_banned` system message,
and their connections are closed with `customer_disconnected` (reason `customer_banned`).
Each ban is also recorded with who banned, when, the customer's address and thread, for
the Configuration API v3.6 (`list_customer_bans`, `unban_customer`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from chatplane.domain import changes, chats, routing
from chatplane.domain.models import Principal
from chatplane.domain.timers import server_principal
from chatplane.errors import not_found, validation
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo
from chatplane.storage import bans as bans_repo
from chatplane.storage import chats as repo
from chatplane.storage import customers as customers_repo
from chatplane.storage import routing as rrepo

DAY = 86400


def ban_customer(tx: Tx, caller: Principal, customer_id: str, days: float) -> None:
    lic = caller.license_id
    customer = accounts_repo.get_customer(tx.conn, lic, customer_id)
    if customer is None:
        raise not_found("Customer", customer_id)
    now = time.time()
    accounts_repo.update_customer(tx.conn, customer.id, banned_until=now + days * DAY)
    tx.emit(changes.CustomerBanned(lic, customer.id, days))
    agent = accounts_repo.get_agent(tx.conn, lic, caller.user_id)
    name = agent.name if agent is not None else caller.user_id
    shown = int(days) if float(days).is_integer() else days
    active = customers_repo.active_chat_ids(tx.conn, lic, customer.id)
    thread_id = None
    if active:
        chat = repo.load_chat(tx.conn, lic, active[0])
        thread_id = chat.active_thread_id if chat is not None else None
    bans_repo.record(
        tx.conn,
        license_id=lic,
        customer_id=customer.id,
        ip=(customer.last_visit or {}).get("ip"),
        agent_id=caller.user_id,
        thread_id=thread_id,
        created_at=now,
        expires_at=now + days * DAY,
    )
    for chat_id in active:
        chat = repo.load_chat(tx.conn, lic, chat_id)
        assert chat is not None and chat.active_thread_id is not None
        chats.system_message(
            tx,
            chat,
            chat.active_thread_id,
            "customer_banned",
            f"Chat archived because customer was banned by {name} for {shown} days",
            text_vars={"agent": name},
            now=now,
        )
        rrepo.dequeue(tx.conn, chat.id)
        chats.close_thread(tx, server_principal(lic), chat.id, by_router=True)
    if active:
        routing.drain(tx, lic)  # the closed threads freed their agents' slots


@dataclass
class Ban:
    customer_id: str
    ip: str | None
    agent_id: str | None
    thread_id: str | None
    created_at: float
    expires_at: float


def active_bans(tx: Tx, license_id: int) -> list[Ban]:
    rows = bans_repo.active(tx.conn, license_id, time.time())
    return [
        Ban(r.customer_id, r.ip, r.agent_id, r.thread_id, r.created_at, r.expires_at) for r in rows
    ]


def unban(tx: Tx, caller: Principal, *, customer_id: str | None, ip: str | None) -> int:
    """Lift the ban of a customer, or the bans of every customer banned from an address;
    returns how many were lifted (`not found` when none was in force)."""
    if (customer_id is None) == (ip is None):
        raise validation("Give exactly one of ip and customer_id")
    lic = caller.license_id
    now = time.time()
    if customer_id is not None:
        customer = accounts_repo.get_customer(tx.conn, lic, customer_id)
        if customer is None or (customer.banned_until or 0) <= now:
            raise not_found("Ban of customer", customer_id)
        banned = [customer_id]
    else:
        banned = [r.customer_id for r in bans_repo.active_by_ip(tx.conn, lic, ip or "", now)]
        if not banned:
            raise not_found("Ban of address", ip)
    for cid in banned:
        accounts_repo.update_customer(tx.conn, cid, banned_until=None)
        bans_repo.remove(tx.conn, lic, cid)
    return len(banned)
