"""Customers: get/create/update_customer, set_customer_fields, visits and pages."""

from __future__ import annotations

from .conftest import Env, RtmFactory


def test_create_customer_then_find_it_with_filters_and_pages(env: Env) -> None:
    owner = env.a.owner
    created = [
        env.agent(
            owner,
            "create_customer",
            {"name": f"Finder {i}", "email": f"finder{i}@x.io", "fields": {"plan": "gold"}},
        )
        for i in range(3)
    ]
    for c in created:
        assert c["type"] == "customer" and c["fields"] == {"plan": "gold"}
        assert c["statistics"] == {"chats_count": 0, "threads_count": 0, "visits_count": 0}
    emails = [c["email"] for c in created]
    first = env.agent(
        owner,
        "get_customers",
        {"limit": 2, "order": "asc", "filters": {"email": {"values": emails}}},
    )
    assert first["total_customers"] == 3
    assert [c["email"] for c in first["customers"]] == emails[:2]
    second = env.agent(owner, "get_customers", {"page_id": first["next_page_id"]})
    assert [c["email"] for c in second["customers"]] == emails[2:]
    assert "next_page_id" not in second and "previous_page_id" in second


def test_get_customers_range_filters(env: Env) -> None:
    customer = env.new_customer()
    env.start_chat(customer)
    found = env.agent(
        env.a.owner,
        "get_customers",
        {"filters": {"customer_id": {"values": [customer.id]}, "chats_count": {"gte": 1}}},
    )
    assert [c["id"] for c in found["customers"]] == [customer.id]
    none = env.agent(
        env.a.owner,
        "get_customers",
        {"filters": {"customer_id": {"values": [customer.id]}, "chats_count": {"gt": 1}}},
    )
    assert none["customers"] == [] and none["total_customers"] == 0


def test_update_customer_needs_a_uuid(env: Env) -> None:
    resp = env.http.post_raw(
        "/v3.0/agent/action/update_customer",
        token=env.a.owner.token,
        json_body={"payload": {"customer_id": "not-a-uuid", "name": "x"}},
    )
    assert resp.status_code == 400 and "customer_id" in resp.json()["error"]["message"]


async def test_customer_updates_reach_the_agent_in_the_chat(env: Env, rtm: RtmFactory) -> None:
    customer = env.new_customer()
    chat = env.start_chat(customer)["chat"]
    env.agent(
        env.a.owner,
        "send_event",
        {"chat_id": chat["id"], "event": {"type": "message", "text": "hello"}},
    )
    agent = await rtm.agent(env.a.owner)
    me = await rtm.customer(customer)
    answer = await me.call(
        "update_customer", {"name": "Jane", "fields": {"company_size": "10-100"}}
    )
    assert answer["customer"]["name"] == "Jane"
    push = await agent.wait_push("customer_updated", lambda p: p["customer"]["id"] == customer.id)
    assert push["payload"]["customer"]["fields"] == {"company_size": "10-100"}
    await me.call("set_customer_fields", {"fields": {"tier": "vip"}})
    push = await agent.wait_push("customer_updated", lambda p: "tier" in p["customer"]["fields"])
    assert push["payload"]["customer"]["fields"] == {"company_size": "10-100", "tier": "vip"}


async def test_visits_and_pages(env: Env, rtm: RtmFactory) -> None:
    customer = env.new_customer()
    chat = env.start_chat(customer)["chat"]
    env.agent(
        env.a.owner,
        "send_event",
        {"chat_id": chat["id"], "event": {"type": "message", "text": "hello"}},
    )
    agent = await rtm.agent(env.a.owner)
    me = await rtm.raw_customer(customer.license_id)
    await me.call(
        "login",
        {"token": customer.token, "customer_page": {"url": "https://shop.example/a", "title": "A"}},
    )
    started = await agent.wait_push(
        "customer_visit_started", lambda p: p["customer_id"] == customer.id
    )
    visit_id = started["payload"]["visit_id"]
    await me.call(
        "update_customer_page", {"url": "https://shop.example/pricing", "title": "Pricing"}
    )
    page = await agent.wait_push("customer_page_updated", lambda p: p["url"].endswith("/pricing"))
    assert page["payload"]["customer_id"] == customer.id and page["payload"]["visit_id"] == visit_id
    mine = await me.wait_push("customer_page_updated", lambda p: p["url"].endswith("/pricing"))
    assert mine["payload"]["title"] == "Pricing" and isinstance(mine["payload"]["timestamp"], int)
    await me.close()
    ended = await agent.wait_push("customer_visit_ended", lambda p: p["customer_id"] == customer.id)
    assert ended["payload"]["visit_id"] == visit_id
    found = env.agent(
        env.a.owner, "get_customers", {"filters": {"customer_id": {"values": [customer.id]}}}
    )
    visit = found["customers"][0]["last_visit"]
    assert [p["url"] for p in visit["last_pages"]] == [
        "https://shop.example/a",
        "https://shop.example/pricing",
    ]
    assert found["customers"][0]["statistics"]["visits_count"] >= 1


async def test_login_answers_then_pushes_customer_side_storage(env: Env, rtm: RtmFactory) -> None:
    customer = env.new_customer()
    me = await rtm.raw_customer(customer.license_id)
    login = await me.call("login", {"token": customer.token, "customer_side_storage": {"k": "v"}})
    assert login["customer_id"] == customer.id and login["has_active_thread"] is False
    push = await me.wait_push("customer_side_storage_updated")
    storage = push["payload"]["customer_side_storage"]
    assert storage["k"] == "v" and storage["visit_id"].isdigit()


async def test_create_customer_pushes_customer_created_to_agents(env: Env, rtm: RtmFactory) -> None:
    watcher = await rtm.agent(env.normal)
    created = env.agent(env.a.owner, "create_customer", {"name": "Pushed", "email": "p@x.io"})
    push = await watcher.wait_push(
        "customer_created", lambda p: p["customer"]["id"] == created["id"]
    )
    assert push["payload"]["customer"]["name"] == "Pushed"
    assert push["payload"]["customer"]["type"] == "customer"


async def test_the_agent_who_updates_a_customer_hears_it_on_all_its_connections(
    env: Env, rtm: RtmFactory
) -> None:
    """It heard `customer_created`; it hears `customer_updated` too, though it serves no
    chat of the customer. An agent neither serving nor updating it does not."""
    first, second = await rtm.agent(env.admin), await rtm.agent(env.admin)
    bystander = await rtm.agent(env.normal)
    created = env.agent(env.admin, "create_customer", {"name": "Before"})
    for conn in (first, second):
        await conn.wait_push("customer_created", lambda p: p["customer"]["id"] == created["id"])

    answer = await first.call("update_customer", {"customer_id": created["id"], "name": "After"})
    assert answer["name"] == "After"
    env.agent(env.admin, "update_customer", {"customer_id": created["id"], "email": "a@x.io"})
    for conn in (first, second):
        renamed = await conn.wait_push(
            "customer_updated", lambda p: p["customer"]["id"] == created["id"]
        )
        assert renamed["payload"]["customer"]["name"] == "After"
        by_web = await conn.wait_push(
            "customer_updated", lambda p: p["customer"]["id"] == created["id"]
        )
        assert by_web["payload"]["customer"]["email"] == "a@x.io"
    # Every push of those changes went out before this ping's answer is queued.
    await bystander.call("ping", {})
    assert not [
        p
        for p in bystander.pushes
        if p["action"] == "customer_updated" and p["payload"]["customer"]["id"] == created["id"]
    ]
