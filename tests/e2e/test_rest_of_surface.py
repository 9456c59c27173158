"""Rich message postbacks, forms, goals, URL details, push notification settings."""

from __future__ import annotations

from .conftest import Env, RtmFactory
from .harness import run_cli

CARDS = {
    "type": "rich_message",
    "template_id": "cards",
    "elements": [
        {
            "title": "Pizza?",
            "buttons": [
                {"text": "yes", "postback_id": "action_yes", "user_ids": []},
                {"text": "no", "postback_id": "action_no", "user_ids": []},
            ],
        },
        {
            "title": "Again",
            "buttons": [{"text": "yes!", "postback_id": "action_yes", "user_ids": []}],
        },
    ],
}


async def test_a_postback_toggles_every_button_with_its_id(env: Env, rtm: RtmFactory) -> None:
    customer = env.new_customer()
    chat = env.start_chat(customer)["chat"]
    sent = env.agent(env.a.owner, "send_event", {"chat_id": chat["id"], "event": CARDS})
    agent = await rtm.agent(env.a.owner)
    me = await rtm.customer(customer)
    where = {"chat_id": chat["id"], "thread_id": sent["thread_id"], "event_id": sent["event"]["id"]}
    await me.call(
        "send_rich_message_postback", {**where, "postback": {"id": "action_yes", "toggled": True}}
    )
    push = await agent.wait_push("incoming_rich_message_postback")
    assert push["payload"] == {
        "user_id": customer.id,
        **where,
        "postback": {"id": "action_yes", "toggled": True},
    }
    updated = await agent.wait_push("event_updated")
    buttons = [b for el in updated["payload"]["event"]["elements"] for b in el["buttons"]]
    assert [b["user_ids"] for b in buttons] == [[customer.id], [], [customer.id]]
    await me.call(
        "send_rich_message_postback", {**where, "postback": {"id": "action_yes", "toggled": False}}
    )
    updated = await agent.wait_push("event_updated")
    buttons = [b for el in updated["payload"]["event"]["elements"] for b in el["buttons"]]
    assert [b["user_ids"] for b in buttons] == [[], [], []]


def test_a_postback_to_an_unknown_button_is_refused(env: Env) -> None:
    customer = env.new_customer()
    chat = env.start_chat(customer)["chat"]
    sent = env.agent(env.a.owner, "send_event", {"chat_id": chat["id"], "event": CARDS})
    resp = env.http.post_raw(
        f"/v3.0/customer/action/send_rich_message_postback?license_id={customer.license_id}",
        token=customer.token,
        json_body={
            "payload": {
                "chat_id": chat["id"],
                "thread_id": sent["thread_id"],
                "event_id": sent["event"]["id"],
                "postback": {"id": "nope", "toggled": True},
            }
        },
    )
    assert resp.status_code == 400 and "nope" in resp.json()["error"]["message"]


def test_get_form_has_sensible_defaults_and_follows_configuration(env: Env, tmp_path) -> None:
    customer = env.new_customer()
    pre = env.customer(customer, "get_form", {"group_id": 0, "type": "prechat"})
    assert pre["enabled"] is True
    assert [f["type"] for f in pre["form"]["fields"]] == ["header", "name", "email"]
    assert all(f["id"] for f in pre["form"]["fields"]) and pre["form"]["id"]
    post = env.customer(customer, "get_form", {"group_id": 0, "type": "postchat"})
    assert "rating" in [f["type"] for f in post["form"]["fields"]]
    form = tmp_path / "form.json"
    form.write_text('{"enabled": true, "fields": [{"type": "question", "label": "Order number?"}]}')
    run_cli(
        env.server.data_dir, "form", "set", "--group", "7", "--type", "prechat", "--file", str(form)
    )
    custom = env.customer(customer, "get_form", {"group_id": 7, "type": "prechat"})
    assert [f["label"] for f in custom["form"]["fields"]] == ["Order number?"]
    resp = env.http.post_raw(
        f"/v3.0/customer/action/get_form?license_id={customer.license_id}",
        token=customer.token,
        json_body={"payload": {"group_id": 0, "type": "survey"}},
    )
    assert resp.status_code == 400 and "type" in resp.json()["error"]["message"]


def test_check_goals_is_web_only_and_validates_the_url(env: Env) -> None:
    customer = env.new_customer()
    run_cli(env.server.data_dir, "goal", "add", "--name", "Checkout", "--url-contains", "/checkout")
    assert (
        env.customer(
            customer,
            "check_goals",
            {
                "page_url": "https://shop.example/checkout/done",
                "customer_fields": {"a": "b"},
                "group_id": 0,
            },
        )
        == {}
    )
    resp = env.http.post_raw(
        f"/v3.0/customer/action/check_goals?license_id={customer.license_id}",
        token=customer.token,
        json_body={
            "payload": {"page_url": "javascript:alert(1)", "customer_fields": {}, "group_id": 0}
        },
    )
    assert resp.status_code == 400 and "page_url" in resp.json()["error"]["message"]


def test_get_url_details_refuses_private_addresses_by_default(env: Env) -> None:
    customer = env.new_customer()
    resp = env.http.post_raw(
        f"/v3.0/customer/action/get_url_details?license_id={customer.license_id}",
        token=customer.token,
        json_body={"payload": {"url": env.server.base_url + "/healthz"}},
    )
    assert resp.status_code == 400
    assert "private" in resp.json()["error"]["message"]


async def test_change_push_notifications_is_rtm_only(env: Env, rtm: RtmFactory) -> None:
    agent = await rtm.agent(env.a.owner)
    await agent.call(
        "change_push_notifications", {"firebase_token": "tok-1", "platform": "ios", "enabled": True}
    )
    bad = await agent.request(
        "change_push_notifications", {"firebase_token": "t", "platform": "palm", "enabled": True}
    )
    assert bad["success"] is False and bad["payload"]["error"]["type"] == "validation"
    resp = env.http.post_raw(
        "/v3.0/agent/action/change_push_notifications",
        token=env.a.owner.token,
        json_body={"payload": {"firebase_token": "t", "platform": "ios", "enabled": True}},
    )
    assert resp.status_code == 400
