"""The Customer Chat API v3.6 and v3.5 over real sockets, beyond what the official SDKs
exercise (tests/e2e/sdk/test_sdk_customer.py, test_browser_customer_sdk.py): each
version's errors and refusals, the widget's GET bootstrap, and the pushes a customer hears
when agents act in its chat.

Spec: messaging/customer-chat-api (index.mdx, rtm-reference, rtm-pushes) and v3.5/.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from .conftest import Customer, Env
from .harness import ApiError, Rtm, unique

VERSIONS = ["3.6", "3.5"]


def web(env: Env, who: Customer, version: str, action: str, payload: Any = None) -> Any:
    """A customer's call to the v3.x Web API: the payload or ApiError."""
    resp = env.http.client.post(
        f"/v{version}/customer/action/{action}",
        params={"license_id": who.license_id},
        headers={"Authorization": f"Bearer {who.token}", "Content-Type": "application/json"},
        content=json.dumps(payload if payload is not None else {}),
    )
    if resp.status_code != 200:
        raise ApiError(resp.status_code, resp.json(), resp.text)
    return resp.json()


def get(env: Env, v: str, action: str, **query: Any) -> httpx.Response:
    return env.http.client.get(f"/v{v}/customer/action/{action}", params=query)


def refused(fn: Any, *args: Any, status: int, type: str) -> ApiError:
    with pytest.raises(ApiError) as caught:
        fn(*args)
    err = caught.value
    assert (err.status, err.type) == (status, type), err
    return err


@pytest.mark.parametrize("version", VERSIONS)
def test_each_version_answers_its_own_errors_naming_what_is_wrong(env: Env, version: str) -> None:
    me = env.new_customer()
    err = refused(
        web, env, me, version, "get_chat", {"chat_id": "NOSUCHCHAT"}, status=404, type="not_found"
    )
    assert "NOSUCHCHAT" in err.message
    err = refused(web, env, me, version, "update_customer", {}, status=400, type="validation")
    assert "at least one" in err.message
    err = refused(
        web,
        env,
        me,
        version,
        "start_chat",
        {"chat": {"users": [{"id": me.id, "type": "customer"}]}},
        status=400,
        type="validation",
    )
    assert "chat.users" in err.message
    err = refused(
        web, env, me, version, "get_customer", {"extra": 1}, status=400, type="validation"
    )
    assert "extra" in err.message
    for name in ("accept_greeting", "cancel_greeting"):
        payload = {"greeting_id": 7, "unique_id": "Q10X0W041P"}
        if name == "cancel_greeting":
            payload.pop("greeting_id")
        err = refused(web, env, me, version, name, payload, status=404, type="greeting_not_found")
        assert "Q10X0W041P" in err.message and "no greetings" in err.message
    err = refused(
        web,
        env,
        me,
        version,
        "request_email_verification",
        {"callback_uri": "https://x.example/"},
        status=501,
        type="service_unavailable",
    )
    assert "e-mail" in err.message
    # A group that does not exist is left out of the answer.
    statuses = web(env, me, version, "list_group_statuses", {"group_ids": [0, 4242]})
    assert set(statuses["groups_status"]) == {"0"}


def test_v3_6_has_what_v3_5_has_not(env: Env) -> None:
    me = env.new_customer()
    err = refused(
        web,
        env,
        me,
        "3.6",
        "update_customer",
        {"omnichannel": {"twilio": {"phone_number": "1"}}},
        status=400,
        type="validation",
    )
    assert "omnichannel" in err.message
    err = refused(
        web,
        env,
        me,
        "3.6",
        "send_greeting_button_clicked",
        {"greeting_unique_id": "Q10X0W041P", "button_id": "b1"},
        status=404,
        type="greeting_not_found",
    )
    for name in ("delete_event", "request_welcome_message", "send_greeting_button_clicked"):
        err = refused(web, env, me, "3.5", name, {}, status=404, type="validation")
        assert "Unknown action" in err.message
    err = refused(
        web,
        env,
        me,
        "3.5",
        "update_customer",
        {"address": {"city": "Warsaw"}},
        status=400,
        type="validation",
    )
    assert "address" in err.message


def test_the_widget_bootstrap_is_read_by_get_without_a_token(env: Env) -> None:
    lic = env.a.license_id
    dynamic = get(env, "3.6", "get_dynamic_configuration", license_id=lic, group_id="0")
    assert dynamic.status_code == 200, dynamic.text
    body = dynamic.json()
    assert set(body) == {"organization_id", "default_widget", "livechat_active", "livechat"}
    flat = get(env, "3.5", "get_dynamic_configuration", license_id=lic).json()
    assert flat["config_version"] == body["livechat"]["config_version"]
    config = get(
        env, "3.6", "get_configuration", license_id=lic, group_id=0, version=flat["config_version"]
    )
    assert config.status_code == 200 and config.json()["prechat_form"]["fields"]
    phrases = get(
        env, "3.5", "get_localization", license_id=lic, group_id=0, language="en", version="v"
    )
    assert phrases.json()["Welcome_message"]
    assert get(env, "3.6", "list_license_properties", license_id=lic).json() == {}
    assert get(env, "3.6", "list_group_properties", license_id=lic, id=0).json() == {}

    def error(resp: httpx.Response) -> tuple[int, str, str]:
        e = resp.json()["error"]
        return resp.status_code, e["type"], e["message"]

    status, kind, message = error(get(env, "3.6", "get_configuration", license_id=lic, group_id=0))
    assert (status, kind) == (400, "validation") and "version" in message
    status, kind, _ = error(
        get(env, "3.6", "get_configuration", license_id=lic, group_id=4242, version="v")
    )
    assert (status, kind) == (404, "group_not_found")
    status, kind, message = error(
        get(env, "3.6", "get_dynamic_configuration", license_id=lic, group_id="x")
    )
    assert (status, kind) == (400, "validation") and "group_id" in message
    status, kind, message = error(
        get(env, "3.6", "get_localization", license_id=lic, group_id=0, language="de", version="v")
    )
    assert (status, kind) == (400, "validation") and "en" in message
    status, kind, _ = error(get(env, "3.6", "get_dynamic_configuration"))
    assert (status, kind) == (400, "validation")
    status, kind, _ = error(get(env, "3.6", "get_dynamic_configuration", organization_id="nope"))
    assert (status, kind) == (404, "license_not_found")
    # GET methods are not POST methods, nor the other way round.
    resp = env.http.client.post(
        "/v3.6/customer/action/get_configuration", params={"license_id": lic}
    )
    assert resp.status_code == 405 and "GET" in resp.json()["error"]["message"]
    status, kind, message = error(get(env, "3.6", "list_chats", license_id=lic))
    assert status == 405 and "POST" in message


class Clients:
    def __init__(self, env: Env) -> None:
        self.env = env
        self.opened: list[Rtm] = []

    async def raw(self, who: Customer, version: str) -> Rtm:
        url = f"{self.env.server.ws_base}/v{version}/customer/rtm/ws?license_id={who.license_id}"
        c = await Rtm(url).connect()
        self.opened.append(c)
        return c

    async def customer(self, who: Customer, version: str, **login: Any) -> Rtm:
        c = await self.raw(who, version)
        c.login_payload = await c.call(  # type: ignore[attr-defined]
            "login", {"token": f"Bearer {who.token}", **login}
        )
        return c


@pytest_asyncio.fixture
async def clients(env: Env) -> AsyncIterator[Clients]:
    made = Clients(env)
    try:
        yield made
    finally:
        for c in made.opened:
            await c.close()


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_customer_hears_what_agents_do_in_its_chat(
    env: Env, clients: Clients, version: str
) -> None:
    me = env.new_customer()
    rtm = await clients.customer(me, version)
    assert rtm.login_payload["customer"]["id"] == me.id  # type: ignore[attr-defined]
    started = await rtm.call(
        "start_chat", {"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}}
    )
    chat_id, thread_id = started["chat_id"], started["thread_id"]
    incoming = await rtm.wait_push("incoming_chat")
    assert incoming["version"] == version and incoming["payload"]["chat"]["id"] == chat_id
    # The server's own reaction (routing's system message) is not the request's answer.
    system = await rtm.wait_push("incoming_event", lambda p: p["event"]["type"] == "system_message")
    assert "request_id" not in system

    admin = env.admin.token
    env.http.agent(
        admin,
        "add_user_to_chat",
        {"chat_id": chat_id, "user_id": env.admin.id, "user_type": "agent"},
    )
    added = await rtm.wait_push("user_added_to_chat")
    assert added["payload"]["user"]["id"] == env.admin.id
    assert "email" not in added["payload"]["user"]

    env.http.agent(admin, "send_typing_indicator", {"chat_id": chat_id, "is_typing": True})
    typing = await rtm.wait_push("incoming_typing_indicator")
    assert typing["payload"]["typing_indicator"]["recipients"] == "all"
    env.http.agent(
        admin,
        "send_typing_indicator",
        {"chat_id": chat_id, "is_typing": True, "recipients": "agents"},
    )
    rich = env.http.agent(
        admin,
        "send_event",
        {
            "chat_id": chat_id,
            "event": {
                "type": "rich_message",
                "template_id": "quick_replies",
                "elements": [{"title": "OK?", "buttons": [{"text": "yes", "postback_id": "yes"}]}],
            },
        },
    )
    env.http.agent(
        admin,
        "send_event",
        {
            "chat_id": chat_id,
            "event": {"type": "message", "text": "for agents", "recipients": "agents"},
        },
    )
    await rtm.call(
        "send_rich_message_postback",
        {
            "chat_id": chat_id,
            "thread_id": thread_id,
            "event_id": rich["event"]["id"],
            "postback": {"id": "yes", "toggled": True},
        },
    )
    postback = await rtm.wait_push("incoming_rich_message_postback")
    assert postback["payload"]["postback"] == {"id": "yes", "toggled": True}
    updated = await rtm.wait_push("event_updated")
    assert updated["payload"]["event"]["elements"][0]["buttons"][0]["user_ids"] == [me.id]
    await rtm.call("send_sneak_peek", {"chat_id": chat_id, "sneak_peek_text": "typing…"})

    env.http.agent(
        admin,
        "multicast",
        {"scopes": {"customers": {"ids": [me.id]}}, "content": {"note": unique("m")}},
    )
    multicast = await rtm.wait_push("incoming_multicast")
    assert set(multicast["payload"]) == {"author_id", "content"}

    env.http.agent(
        admin,
        "transfer_chat",
        {"chat_id": chat_id, "target": {"type": "agent", "ids": [env.normal.id]}, "force": True},
    )
    transferred = await rtm.wait_push("chat_transferred")
    assert transferred["payload"]["transferred_to"]["agent_ids"] == [env.normal.id]
    assert transferred["payload"]["reason"] == "manual"
    env.http.agent(
        admin,
        "remove_user_from_chat",
        {"chat_id": chat_id, "user_id": env.normal.id, "user_type": "agent"},
    )
    # The transfer took the admin off the chat; now the new agent is removed.
    await rtm.wait_push("user_removed_from_chat", lambda p: p["user_id"] == env.admin.id)
    await rtm.wait_push("user_removed_from_chat", lambda p: p["user_id"] == env.normal.id)

    await rtm.call("update_customer", {"name": "Rita"})
    assert (await rtm.wait_push("customer_updated"))["payload"]["name"] == "Rita"
    await rtm.call("deactivate_chat", {"id": chat_id})
    deactivated = await rtm.wait_push("chat_deactivated")
    assert deactivated["payload"]["chat_id"] == chat_id

    heard = {p["action"] for p in rtm.pushes}
    # What a customer never hears: agents' pushes, nor anything for agents only.
    assert not heard & {"incoming_sneak_peek", "chat_access_updated", "routing_status_set"}
    texts = [
        p["payload"]["event"].get("text") for p in rtm.pushes if p["action"] == "incoming_event"
    ]
    assert "for agents" not in texts
    typings = [p for p in rtm.pushes if p["action"] == "incoming_typing_indicator"]
    assert len(typings) == 1
    assert {p["version"] for p in rtm.pushes} == {version}


async def test_login_may_choose_the_pushes_of_its_version(env: Env, clients: Clients) -> None:
    me = env.new_customer()
    rtm = await clients.customer(me, "3.6", pushes={"3.6": ["incoming_chat"]})
    await rtm.call(
        "start_chat", {"chat": {"thread": {"events": [{"type": "message", "text": "x"}]}}}
    )
    await rtm.wait_push("incoming_chat")
    await rtm.call("get_customer")
    assert {p["action"] for p in rtm.pushes} == {"incoming_chat"}
    other = env.new_customer()
    # What the customer SDK 4.0.2 asks for: a retired push's name is accepted.
    retired = ["incoming_event", "customer_page_updated"]
    await clients.customer(other, "3.5", pushes={"3.5": retired})
    raw = await clients.raw(other, "3.5")
    bad = await raw.request(
        "login", {"token": f"Bearer {other.token}", "pushes": {"3.5": ["no_such_push"]}}
    )
    assert bad["success"] is False and "no_such_push" in bad["payload"]["error"]["message"]
    bad = await raw.request(
        "login", {"token": f"Bearer {other.token}", "pushes": {"3.6": ["incoming_chat"]}}
    )
    assert bad["success"] is False and "v3.6" in bad["payload"]["error"]["message"]


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_banned_customer_is_told_why_it_is_disconnected(
    env: Env, clients: Clients, version: str
) -> None:
    me = env.new_customer()
    rtm = await clients.customer(me, version)
    env.http.agent(env.admin.token, "ban_customer", {"customer_id": me.id, "ban": {"days": 1}})
    gone = await rtm.wait_push("customer_disconnected")
    assert gone["payload"] == {"reason": "customer_banned"} and gone["version"] == version
    again = await clients.raw(me, version)
    refused_login = await again.request("login", {"token": f"Bearer {me.token}"})
    assert refused_login["payload"]["error"]["type"] == "customer_banned"


async def test_a_customer_deletes_its_own_events_and_no_other(env: Env, clients: Clients) -> None:
    me = env.new_customer()
    rtm = await clients.customer(me, "3.6")
    started = web(
        env,
        me,
        "3.6",
        "start_chat",
        {"chat": {"thread": {"events": [{"type": "message", "text": "a"}]}}},
    )
    chat_id, thread_id = started["chat_id"], started["thread_id"]
    mine = web(
        env,
        me,
        "3.6",
        "send_event",
        {"chat_id": chat_id, "event": {"type": "message", "text": "oops"}},
    )["event_id"]
    env.join(chat_id, env.admin)
    theirs = env.agent(
        env.admin, "send_event", {"chat_id": chat_id, "event": {"type": "message", "text": "hello"}}
    )["event"]["id"]
    where = {"chat_id": chat_id, "thread_id": thread_id}
    assert web(env, me, "3.6", "delete_event", {**where, "event_id": mine}) == {}
    deleted = await rtm.wait_push("event_deleted")
    assert deleted["payload"] == {**where, "event_id": mine}
    texts = [
        e.get("text")
        for e in web(env, me, "3.6", "get_chat", {"chat_id": chat_id})["thread"]["events"]
    ]
    assert "oops" not in texts and "hello" in texts
    err = refused(
        web,
        env,
        me,
        "3.6",
        "delete_event",
        {**where, "event_id": theirs},
        status=403,
        type="authorization",
    )
    assert theirs in err.message
    refused(
        web,
        env,
        me,
        "3.6",
        "delete_event",
        {**where, "event_id": mine},
        status=404,
        type="not_found",
    )
    # A v3.5 connection hears nothing of it: v3.6 added the push.
    old = await clients.customer(me, "3.5")
    again = web(
        env,
        me,
        "3.6",
        "send_event",
        {"chat_id": chat_id, "event": {"type": "message", "text": "x"}},
    )["event_id"]
    web(env, me, "3.6", "delete_event", {**where, "event_id": again})
    await rtm.wait_push("event_deleted", lambda p: p["event_id"] == again)
    assert [p for p in old.pushes if p["action"] == "event_deleted"] == []


async def test_a_v3_6_customer_sees_the_agent_thinking_and_a_preview(
    env: Env, clients: Clients
) -> None:
    me = env.new_customer()
    rtm = await clients.customer(me, "3.6")
    old = await clients.customer(me, "3.5")
    started = web(
        env,
        me,
        "3.6",
        "start_chat",
        {"chat": {"thread": {"events": [{"type": "message", "text": "?"}]}}},
    )
    chat_id = started["chat_id"]

    def agent(action: str, payload: dict[str, Any]) -> None:
        resp = env.http.client.post(
            f"/v3.6/agent/action/{action}",
            headers={"Authorization": f"Bearer {env.admin.token}"},
            json=payload,
        )
        assert resp.status_code == 200, resp.text

    agent(
        "add_user_to_chat",
        {
            "chat_id": chat_id,
            "user_id": env.admin.id,
            "user_type": "agent",
            "visibility": "all",
            "ignore_requester_presence": True,
        },
    )
    agent("send_thinking_indicator", {"chat_id": chat_id, "title": "Thinking..."})
    thinking = await rtm.wait_push("incoming_thinking_indicator")
    assert thinking["payload"]["author_id"] == env.admin.id
    assert thinking["payload"]["title"] == "Thinking..."
    agent("send_event_preview", {"chat_id": chat_id, "event": {"type": "message", "text": "Look"}})
    preview = await rtm.wait_push("incoming_event_preview")
    assert preview["payload"]["event"]["text"] == "Look" and "id" not in preview["payload"]["event"]
    # Tags are the agents' business.
    agent("tag_thread", {"chat_id": chat_id, "thread_id": started["thread_id"], "tag": "vip"})
    await rtm.call("get_customer")
    heard = {p["action"] for p in rtm.pushes} | {p["action"] for p in old.pushes}
    assert "thread_tagged" not in heard
    # v3.6 added both pushes: a v3.5 connection hears neither.
    assert not {"incoming_thinking_indicator", "incoming_event_preview"} & {
        p["action"] for p in old.pushes
    }
