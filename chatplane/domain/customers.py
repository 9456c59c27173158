"""Customers: their identity, fields, visits and pages, and finding them.

A visit starts when a customer's first RTM connection logs in and ends when the last one
closes; the pages it opened are kept on the visit (the newest 20).
"""

from __future__ import annotations

import time
from typing import Any

from chatplane.domain import changes, users
from chatplane.domain.models import Customer, Principal
from chatplane.errors import not_found, validation
from chatplane.storage import Tx, visits
from chatplane.storage import accounts as repo
from chatplane.storage import customers as customers_repo

MAX_PAGES = 20
MAX_FIELDS = 100


def profile(tx: Tx, license_id: int, customer_id: str) -> tuple[Customer, list[str]]:
    """A customer and the ids of their chats, oldest first."""
    customer = repo.get_customer(tx.conn, license_id, customer_id)
    if customer is None:
        raise not_found("Customer", customer_id)
    return customer, customers_repo.chat_ids(tx.conn, license_id, customer_id)


def ids_by_email(tx: Tx, license_id: int, email: str) -> list[str]:
    """The customers of the license with this e-mail address."""
    return customers_repo.ids_by_email(tx.conn, license_id, email)


def serving_agents(tx: Tx, customer_id: str) -> list[str]:
    """Agents present in the customer's active chats."""
    return customers_repo.serving_agents(tx.conn, customer_id)


def _fields(fields: dict[str, str] | None) -> dict[str, str] | None:
    if fields is None:
        return None
    if len(fields) > MAX_FIELDS:
        raise validation(f"fields may hold at most {MAX_FIELDS} keys")
    for key, value in fields.items():
        if len(key) > 255 or len(value) > 4096:
            raise validation(f"fields.{key[:40]} is too long (keys 255, values 4096 characters)")
    return fields


def create(
    tx: Tx,
    caller: Principal,
    name: str | None,
    email: str | None,
    avatar: str | None,
    fields: dict[str, str] | None,
) -> Customer:
    customer = users.create_customer(
        tx, caller.license_id, name=name, email=email, avatar=avatar, fields=_fields(fields)
    )
    tx.emit(changes.CustomerCreated(caller.license_id, customer))
    return customer


def update(
    tx: Tx,
    license_id: int,
    customer_id: str,
    *,
    name: str | None = None,
    email: str | None = None,
    avatar: str | None = None,
    fields: dict[str, str] | None = None,
    replace_fields: bool = False,
) -> Customer:
    customer = repo.get_customer(tx.conn, license_id, customer_id)
    if customer is None:
        raise not_found("Customer", customer_id)
    values: dict[str, Any] = {}
    for key, value in (("name", name), ("email", email), ("avatar", avatar)):
        if value is not None:
            values[key] = value
    checked = _fields(fields)
    if checked is not None:
        values["fields"] = dict(checked) if replace_fields else {**customer.fields, **checked}
    if values:
        repo.update_customer(tx.conn, customer_id, **values)
    fresh = repo.get_customer(tx.conn, license_id, customer_id)
    assert fresh is not None
    changed = list(fresh.fields.items()) != list(customer.fields.items())
    active = customers_repo.active_threads(tx.conn, license_id, customer_id) if changed else []
    tx.emit(
        changes.CustomerUpdated(
            license_id,
            fresh,
            serving_agents(tx, customer_id),
            fields_changed=changed,
            active_chats=active,
        )
    )
    return fresh


def start_visit(
    tx: Tx,
    caller: Principal,
    *,
    ip: str | None,
    user_agent: str | None,
    referrer: str | None,
    page: dict[str, Any] | None,
) -> int:
    now = time.time()
    customer = repo.get_customer(tx.conn, caller.license_id, caller.user_id)
    if customer is None:
        raise not_found("Customer", caller.user_id)
    visit_id = customer.visits_count + 1
    pages = [{"opened_at": now, **page}] if page and page.get("url") else []
    visits.insert_visit(
        tx.conn,
        caller.license_id,
        customer.id,
        visit_id,
        now,
        ip=ip,
        user_agent=user_agent,
        referrer=referrer,
        pages=pages,
    )
    last_visit = {
        "started_at": now,
        "referrer": referrer,
        "ip": ip,
        "user_agent": user_agent,
        "last_pages": pages,
    }
    repo.update_customer(tx.conn, customer.id, visits_count=visit_id, last_visit=last_visit)
    fresh = repo.get_customer(tx.conn, caller.license_id, customer.id)
    assert fresh is not None
    agents = serving_agents(tx, customer.id)
    tx.emit(
        changes.CustomerVisitStarted(
            caller.license_id, fresh, agents, visit=dict(last_visit, visit_id=visit_id)
        )
    )
    if pages:
        tx.emit(
            changes.CustomerPageUpdated(
                caller.license_id, fresh, agents, visit_id, pages[0], referrer
            )
        )
    return visit_id


def update_page(
    tx: Tx, caller: Principal, url: str, title: str | None, referrer: str | None
) -> None:
    now = time.time()
    visit = visits.last_visit(tx.conn, caller.user_id)
    if visit is None or visit.ended_at is not None:
        raise validation("No visit is going on: log in over RTM first")
    page = {"opened_at": now, "url": url, "title": title}
    pages = [*visit.pages, page][-MAX_PAGES:]
    visits.set_pages(tx.conn, caller.user_id, visit.visit_id, pages)
    customer = repo.get_customer(tx.conn, caller.license_id, caller.user_id)
    assert customer is not None
    last_visit = dict(customer.last_visit or {})
    last_visit["last_pages"] = pages
    repo.update_customer(tx.conn, customer.id, last_visit=last_visit)
    customer.last_visit = last_visit
    tx.emit(
        changes.CustomerPageUpdated(
            caller.license_id,
            customer,
            serving_agents(tx, customer.id),
            visit.visit_id,
            page,
            referrer or visit.referrer,
        )
    )


def end_visit(tx: Tx, license_id: int, customer_id: str) -> None:
    visit = visits.last_visit(tx.conn, customer_id)
    if visit is None or visit.ended_at is not None:
        return
    now = time.time()
    visits.end_visit(tx.conn, customer_id, visit.visit_id, now)
    customer = repo.get_customer(tx.conn, license_id, customer_id)
    if customer is None:
        return
    tx.emit(
        changes.CustomerVisitEnded(
            license_id, customer, serving_agents(tx, customer_id), visit.visit_id, now
        )
    )
