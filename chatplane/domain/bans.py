"""`ban_customer`: the customer cannot start or continue chats until the ban ends.

The ban closes the customer's active threads with the `customer_banned` system message,
and their connections are closed with `customer_disconnected` (reason `customer_banned`).
"""

from __future__ import annotations

import time

from chatplane.domain import changes, chats, routing
from chatplane.domain.models import Principal
from chatplane.domain.timers import server_principal
from chatplane.errors import not_found
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo
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
