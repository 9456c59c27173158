"""lc-sdk-python's ConfigurationApi (3.6 and 3.5): auto access rules (a new chat gets the
groups of the first rule the customer's page matches), customer bans (v3.6), and the
methods about the hosted product, which answer why they are not served."""

from __future__ import annotations

import asyncio
from typing import Any

from .configuration_support import (
    Server,
    agent_web,
    customer_rtm,
    customer_start_chat,
    new_customer,
    ok,
    refused,
    unique,
)
from .conftest import Client

# Every test that takes `version` runs in both (conftest.py).
VERSIONS = ["3.6", "3.5"]


def _domain(value: str) -> dict[str, Any]:
    return {"domain": {"values": [{"value": value, "exact_match": True}]}}


def test_auto_access_rules_are_added_listed_reordered_and_deleted(
    server: Server, client: Client
) -> None:
    c = client()
    group = ok(c.create_group(name=unique("Rules"), agent_priorities={server.owner_id: "normal"}))[
        "id"
    ]
    a = ok(c.add_auto_access(access={"groups": [group]}, conditions=_domain("a.example.com")))["id"]
    b = ok(
        c.add_auto_access(
            access={"groups": [0]},
            conditions={
                "url": {"exclude_values": [{"value": "/private"}]},
                "geolocation": {"values": [{"country": "Poland", "country_code": "PL"}]},
            },
            description="B",
        )
    )["id"]
    mine = [r for r in ok(c.list_auto_accesses()) if r["id"] in (a, b)]
    assert [r["id"] for r in mine] == [a, b] and mine[0]["next_id"] == b
    assert mine[1]["conditions"]["geolocation"] == {
        "values": [{"country": "Poland", "country_code": "PL"}]
    }
    ok(c.update_auto_access(id=b, next_id=a, description="B first"))
    order = [r["id"] for r in ok(c.list_auto_accesses()) if r["id"] in (a, b)]
    assert order == [b, a]
    ok(c.update_auto_access(id=b, next_id=""))  # to the end
    assert [r["id"] for r in ok(c.list_auto_accesses()) if r["id"] in (a, b)] == [a, b]
    refused(c.add_auto_access(access={"groups": [0]}, conditions={}), "validation")
    refused(
        c.add_auto_access(access={"groups": [4242]}, conditions=_domain("x")), "group_not_found"
    )
    for rule in (a, b):
        ok(c.delete_auto_access(id=rule))
    refused(c.delete_auto_access(id=a), "not_found")


def test_an_auto_access_rule_puts_a_new_chat_in_its_group(server: Server, client: Client) -> None:
    c = client()
    group = ok(c.create_group(name=unique("Shop"), agent_priorities={server.owner_id: "normal"}))[
        "id"
    ]
    host = f"{unique('shop')}.example.com"
    rule = ok(c.add_auto_access(access={"groups": [group]}, conditions=_domain(host)))["id"]

    async def chat_from(page: str) -> list[int]:
        customer = new_customer(server)
        rtm = await customer_rtm(server)
        try:
            await rtm.call(
                "login",
                {"token": f"Bearer {customer['token']}", "customer_page": {"url": page}},
            )
            started = await rtm.call(
                "start_chat",
                {"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}},
            )
            return list(started["chat"]["access"]["group_ids"])
        finally:
            await rtm.close()

    try:
        assert asyncio.run(chat_from(f"https://{host}/cart")) == [group]
        assert asyncio.run(chat_from("https://other.example.com/")) == [0]
    finally:
        ok(c.delete_auto_access(id=rule))


def test_customer_bans_are_listed_and_lifted(server: Server, client: Client, version: str) -> None:
    c = client()
    customer = new_customer(server)
    customer_start_chat(server, customer)
    banned = agent_web(
        server.http,
        server.owner_token,
        "ban_customer",
        {"customer_id": customer["id"], "ban": {"days": 1}},
    )
    assert banned.status_code == 200, banned.text
    if version == "3.5":  # v3.6 added the bans methods
        resp = server.http.post_raw(
            "/v3.5/configuration/action/list_customer_bans", token=server.owner_token, json_body={}
        )
        assert resp.status_code == 404, resp.text
        return
    bans = {b["customer_id"]: b for b in ok(c.list_customer_bans())}
    ban = bans[customer["id"]]
    assert ban["agent_id"] == server.owner_id and ban["thread_id"]
    assert ban["created_at"] < ban["expires_at"]
    refused(c.unban_customer(ip="1.2.3.4", customer_id=customer["id"]), "validation")
    ok(c.unban_customer(customer_id=customer["id"]))
    assert customer["id"] not in {b["customer_id"] for b in ok(c.list_customer_bans())}
    customer_start_chat(server, customer, "I am back")  # no longer refused
    refused(c.unban_customer(customer_id=customer["id"]), "not_found")


def test_methods_of_the_hosted_product_answer_why_they_are_not_served(
    client: Client, version: str
) -> None:
    c = client()
    hosted: dict[str, dict[str, Any]] = {
        "list_channels": {},
        "check_product_limits_for_plan": {"plan": "starter"},
        "get_product_source": {},
        "reactivate_email": {"agent_id": "owner@chatplane.local"},
        "update_company_details": {"company": "Example"},
        "get_company_details": {},
        "create_greeting": {"payload": {"name": "Hi"}},
        "update_greeting": {"payload": {"id": 1}},
        "delete_greeting": {"id": 1},
        "list_greetings": {},
        "get_greeting": {"id": 1},
    }
    for method, kw in hosted.items():
        if not c.has(method):
            continue  # not in this version's SDK (v3.6 added them)
        resp = getattr(c, method)(**kw)
        # As the chat APIs' hosted-only methods: nothing to retry, no such service here.
        error = refused(resp, "service_unavailable", 501)
        assert method in error["message"] and "self-hosted" in error["message"]
        reason = (
            "not_implemented" if method.endswith(("greeting", "greetings")) else "not_self_hosted"
        )
        assert error["data"] == {"reason": reason}
