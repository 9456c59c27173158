"""Webhooks end to end (configuration-api/readme.md, "Webhooks", "Webhooks data structure"):
a real server, a real HTTP receiver on loopback, and the Agent Chat API's RTM pushes as the
reference for each webhook's `data`.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from .harness import Rtm
from .webhook_support import (
    Lic,
    Receiver,
    WebhookEnv,
    admin_deliveries,
    admin_redeliver,
    expect_api_error,
    for_chat,
    metrics,
    start_env,
)


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebhookEnv]:
    yield from start_env(tmp_path_factory.mktemp("webhooks"))


@pytest.fixture
def lic(wh: WebhookEnv) -> Lic:
    return wh.new_license()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    if r.gate is not None:
        r.gate.set()
    r.stop()


def register(wh: WebhookEnv, lic: Lic, url: str, action: str, **extra: Any) -> str:
    body = {"url": url, "action": action, "secret_key": f"secret-{action}", **extra}
    return wh.config(lic, "webhooks/register_webhook", body)["webhook_id"]


def agent(wh: WebhookEnv, lic: Lic, action: str, payload: dict[str, Any], **extra: Any) -> Any:
    return wh.http.agent(lic.token, action, payload, **extra)


# -- configuration ---------------------------------------------------------------------


def test_register_get_and_unregister_webhook(wh: WebhookEnv, lic: Lic) -> None:
    body = {
        "url": "http://127.0.0.1:9/webhooks",
        "description": "Test webhook",
        "action": "thread_closed",
        "secret_key": "laudla991lamda0pnoaa0",
        "filters": {"chat_member_ids": {"agents_any": ["johndoe@mail.com"]}},
        "additional_data": ["chat_properties"],
    }
    webhook_id = wh.config(lic, "webhooks/register_webhook", body)["webhook_id"]
    assert isinstance(webhook_id, str) and webhook_id
    config = wh.config(lic, "webhooks/get_webhooks_config", {})["webhooks_config"]
    assert config == [
        {
            "webhook_id": webhook_id,
            "url": body["url"],
            "description": "Test webhook",
            "action": "thread_closed",
            "secret_key": body["secret_key"],
            "filters": body["filters"],
            "additional_data": ["chat_properties"],
        }
    ]
    # Unversioned path, as the readme allows.
    assert (
        wh.http.post_raw(
            "/configuration/webhooks/unregister_webhook",
            token=lic.token,
            json_body={"webhook_id": webhook_id},
        ).json()
        == {}
    )
    assert wh.config(lic, "webhooks/get_webhooks_config", {}) == {"webhooks_config": []}
    err = expect_api_error(
        wh.config,
        lic,
        "webhooks/unregister_webhook",
        {"webhook_id": webhook_id},
        type="validation",
        status=404,
    )
    assert webhook_id in err.message


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"url": "not a url"}, "url"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"action": "chat_exploded"}, "chat_exploded"),
        ({"filters": {"author_type": "customer"}}, "author_type"),
        ({"filters": {"author_type": "robot"}, "action": "incoming_event"}, "author_type"),
        (
            {"filters": {"chat_member_ids": {"agents_any": ["a"], "agents_exclude": ["b"]}}},
            "agents_any and agents_exclude",
        ),
        ({"filters": {"chat_member_ids": {}}}, "chat_member_ids"),
        ({"filters": {"agent_ids": ["a"]}}, "agent_ids"),
        ({"additional_data": ["everything"]}, "everything"),
        ({"additional_data": ["thread_id"]}, "thread_id"),
        ({"additional_data": ["chat_properties"], "action": "agent_deleted"}, "chat_properties"),
        ({"secret_key": ""}, "secret_key"),
        ({"secret_key": None}, "secret_key"),
    ],
)
def test_register_webhook_refuses_bad_input(
    wh: WebhookEnv, lic: Lic, body: dict[str, Any], named: str
) -> None:
    request = {"url": "http://127.0.0.1:9/h", "action": "thread_closed", "secret_key": "s"}
    request.update(body)
    err = expect_api_error(
        wh.config, lic, "webhooks/register_webhook", request, type="validation", status=400
    )
    assert named in err.message, err.message


def test_webhook_scopes_my_and_all(wh: WebhookEnv, lic: Lic) -> None:
    out = wh.http.post_raw(
        "/v3.0/configuration/webhooks/get_webhooks_config", token="nope", json_body={}
    )
    assert out.status_code == 401
    normal = _normal_agent(wh, lic)
    expect_api_error(
        wh.config,
        Lic(lic.license_id, lic.client_id, normal),
        "webhooks/register_webhook",
        {"url": "http://127.0.0.1:9/h", "action": "thread_closed", "secret_key": "s"},
        type="authorization",
        status=403,
    )
    # Another license sees none of this license's webhooks.
    register(wh, lic, "http://127.0.0.1:9/h", "thread_closed")
    other = wh.new_license()
    assert wh.config(other, "webhooks/get_webhooks_config", {"all": True}) == {
        "webhooks_config": []
    }


def _normal_agent(wh: WebhookEnv, lic: Lic) -> str:
    from .harness import run_cli, unique

    out = run_cli(
        wh.data_dir,
        "agent",
        "create",
        "--email",
        f"{unique()}@example.com",
        "--name",
        "N",
        "--license-id",
        str(lic.license_id),
    )
    return out["access_token"]


# -- each action's body ----------------------------------------------------------------


def test_chat_actions_arrive_in_the_webhook_format_with_push_data(
    wh: WebhookEnv, lic: Lic, receiver: Receiver
) -> None:
    actions = [
        "incoming_chat_thread",
        "incoming_event",
        "last_seen_timestamp_updated",
        "chat_user_added",
        "chat_user_removed",
        "thread_closed",
    ]
    ids = {a: register(wh, lic, receiver.url(f"/{a}"), a) for a in actions}

    async def scenario() -> tuple[str, list[dict[str, Any]]]:
        # The owner's RTM connection gets the same pushes: they are the `data` reference.
        rtm = await Rtm(wh.server.ws_base + "/v3.0/agent/rtm/ws").connect()
        try:
            await rtm.call("login", {"token": f"Bearer {lic.token}"})
            chat_id, _cid, _ = wh.start_chat(lic, "Hi, I need a pizza")
            await rtm.wait_push("incoming_chat_thread")
            agent(
                wh,
                lic,
                "send_event",
                {"chat_id": chat_id, "event": {"type": "message", "text": "On it"}},
            )
            agent(wh, lic, "update_last_seen_timestamp", {"chat_id": chat_id, "timestamp": 123})
            owner_id = rtm.responses[0]["payload"]["my_profile"]["id"]
            agent(
                wh,
                lic,
                "remove_user_from_chat",
                {"chat_id": chat_id, "user_id": owner_id, "user_type": "agent"},
            )
            agent(
                wh,
                lic,
                "add_user_to_chat",
                {"chat_id": chat_id, "user_id": owner_id, "user_type": "agent"},
            )
            agent(wh, lic, "close_thread", {"chat_id": chat_id})
            await rtm.wait_push("thread_closed")
            return chat_id, list(rtm.pushes)
        finally:
            await rtm.close()

    import asyncio

    chat_id, pushes = asyncio.run(scenario())
    for action in actions:
        got = receiver.wait(for_chat(chat_id, action))
        hook = got[0]
        assert hook.path == f"/{action}"
        body = hook.body
        assert set(body) == {"webhook_id", "secret_key", "action", "data", "additional_data"}
        assert body["webhook_id"] == ids[action]
        assert body["secret_key"] == f"secret-{action}"
        assert body["action"] == action
        assert body["additional_data"] == {}
        same = [
            p["payload"]
            for p in pushes
            if p["action"] == action
            and (p["payload"].get("chat_id") or p["payload"].get("chat", {}).get("id")) == chat_id
        ]
        assert same, f"no {action} push to compare with"
        # The customer's first message arrives inside incoming_chat_thread; the agent's
        # message is the first incoming_event (the owner joined by sending it).
        assert any(_same_data(body["data"], p) for p in same), (body["data"], same)


def _same_data(data: dict[str, Any], push: dict[str, Any]) -> bool:
    # The RTM push shows routing_status of agents logged in on that process; a webhook is
    # the same object otherwise.
    def strip(obj: Any) -> Any:
        if isinstance(obj, dict):
            return {k: strip(v) for k, v in obj.items() if k != "routing_status"}
        if isinstance(obj, list):
            return [strip(v) for v in obj]
        return obj

    return bool(strip(data) == strip(push))


def test_additional_data_chat_properties_access_and_thread_id(
    wh: WebhookEnv, lic: Lic, receiver: Receiver
) -> None:
    register(
        wh,
        lic,
        receiver.url("/event"),
        "incoming_event",
        additional_data=["chat_properties", "access"],
    )
    register(
        wh,
        lic,
        receiver.url("/added"),
        "chat_user_added",
        additional_data=["chat_properties", "access", "thread_id"],
    )
    chat_id, _, _ = wh.start_chat(lic, "hi", properties={"test": {"string_property": "facebook"}})
    agent(wh, lic, "send_event", {"chat_id": chat_id, "event": {"type": "message", "text": "x"}})
    event_hook = receiver.wait(for_chat(chat_id, "incoming_event"))[0].body
    props = {"test": {"string_property": {"value": "facebook"}}}
    data = event_hook["additional_data"]
    # Routing keeps its own namespace on the chat too; this test's property is what matters.
    data["chat_properties"].pop("routing", None)
    assert data == {"chat_properties": props, "access": {"group_ids": [0]}}
    added = receiver.wait(for_chat(chat_id, "chat_user_added"))[0].body
    added["additional_data"]["chat_properties"].pop("routing", None)
    assert added["additional_data"] == {
        "chat_properties": props,
        "access": {"group_ids": [0]},
        "thread_id": added["data"]["thread_id"],
    }
    assert isinstance(added["data"]["thread_id"], str)


def test_filters_author_type_and_chat_member_ids(
    wh: WebhookEnv, lic: Lic, receiver: Receiver
) -> None:
    owner_id = wh.http.info(lic.token).json()["entity_id"]
    register(
        wh, lic, receiver.url("/customer"), "incoming_event", filters={"author_type": "customer"}
    )
    register(wh, lic, receiver.url("/agent"), "incoming_event", filters={"author_type": "agent"})
    register(
        wh,
        lic,
        receiver.url("/any"),
        "incoming_event",
        filters={"chat_member_ids": {"agents_any": [owner_id]}},
    )
    register(
        wh,
        lic,
        receiver.url("/exclude"),
        "incoming_event",
        filters={"chat_member_ids": {"agents_exclude": [owner_id]}},
    )
    chat_id, _, ctoken = wh.start_chat(lic, "first")
    wh.http.customer(
        ctoken,
        lic.license_id,
        "send_event",
        {"chat_id": chat_id, "event": {"type": "message", "text": "before the agent"}},
    )
    agent(
        wh,
        lic,
        "send_event",
        {"chat_id": chat_id, "event": {"type": "message", "text": "agent here"}},
    )
    wh.http.customer(
        ctoken,
        lic.license_id,
        "send_event",
        {"chat_id": chat_id, "event": {"type": "message", "text": "after the agent"}},
    )

    def texts(path: str, count: int) -> list[str]:
        got = receiver.wait(lambda r: r.path == path and for_chat(chat_id)(r), count)
        return sorted(r.body["data"]["event"].get("text", "") for r in got)

    # Everything for this chat is enqueued once the last send_event has answered: wait for
    # the last one on every path, then nothing else may have been sent to it.
    assert texts("/customer", 2) == ["after the agent", "before the agent"]
    assert "agent here" in texts("/agent", 1)
    assert "after the agent" in texts("/any", 2)
    assert "before the agent" in texts("/exclude", 1)
    deliveries = [d for d in admin_deliveries(wh.http, lic.token) if d["chat_id"] == chat_id]
    by_url: dict[str, int] = {}
    for d in deliveries:
        by_url[d["url"].rsplit("/", 1)[1]] = by_url.get(d["url"].rsplit("/", 1)[1], 0) + 1
    # System messages (routing's "Chat is unassigned", the owner joining) have no author:
    # neither author_type matches; routing's came while no agent was in the chat.
    assert by_url == {"customer": 2, "agent": 1, "any": 2, "exclude": 2}, by_url


# -- delivery --------------------------------------------------------------------------


def test_failing_receiver_gets_the_webhook_later_with_the_same_delivery_id(
    wh: WebhookEnv, lic: Lic
) -> None:
    receiver = Receiver(answer=lambda _p, n: 503 if n <= 2 else 200).start()
    try:
        register(wh, lic, receiver.url("/flaky"), "incoming_chat_thread")
        chat_id, _, _ = wh.start_chat(lic)
        receiver.wait(for_chat(chat_id))
        tries = receiver.matching(for_chat(chat_id))
        assert [r.status for r in tries] == [503, 503, 200]
        ids = {r.headers["X-Chatplane-Delivery"] for r in tries}
        assert len(ids) == 1
        assert [r.headers["X-Chatplane-Attempt"] for r in tries] == ["1", "2", "3"]
        for r in tries:
            ts = r.headers["X-Chatplane-Timestamp"]
            mac = hmac.new(
                b"secret-incoming_chat_thread", ts.encode() + b"." + r.raw, hashlib.sha256
            ).hexdigest()
            assert r.headers["X-Chatplane-Signature"] == f"v1={mac}"
        # The server records the attempt once it has the receiver's answer.
        delivery = _wait_status(wh, lic, chat_id, "delivered")
        assert delivery["delivery_id"] == ids.pop()
        assert delivery["attempts"] == 3
        assert [a["outcome"] for a in delivery["attempts_log"]] == ["retry", "retry", "delivered"]
        assert [a["status_code"] for a in delivery["attempts_log"]] == [503, 503, 200]
    finally:
        receiver.stop()


def test_one_chat_webhooks_arrive_in_order_despite_retries(wh: WebhookEnv, lic: Lic) -> None:
    # Every first attempt fails: order must still be the chat's order.
    receiver = Receiver(answer=lambda _p, n: 500 if n % 2 else 200).start()
    try:
        register(wh, lic, receiver.url("/ordered"), "incoming_event")
        chat_id, _, ctoken = wh.start_chat(lic)
        for i in range(5):
            wh.http.customer(
                ctoken,
                lic.license_id,
                "send_event",
                {"chat_id": chat_id, "event": {"type": "message", "text": f"m{i}"}},
            )
        got = receiver.wait(for_chat(chat_id), 5)
        assert [r.body["data"]["event"]["text"] for r in got] == [f"m{i}" for i in range(5)]
    finally:
        receiver.stop()


def test_slow_receiver_does_not_hold_up_the_chat_api(wh: WebhookEnv, lic: Lic) -> None:
    gate = threading.Event()
    receiver = Receiver(gate=gate).start()
    try:
        register(wh, lic, receiver.url("/slow"), "incoming_event")
        chat_id, _, ctoken = wh.start_chat(lic)
        wh.http.customer(
            ctoken,
            lic.license_id,
            "send_event",
            {"chat_id": chat_id, "event": {"type": "message", "text": "held"}},
        )
        receiver.wait_held(1)
        # The receiver holds the first webhook; the chat goes on regardless.
        for i in range(10):
            out = wh.http.customer(
                ctoken,
                lic.license_id,
                "send_event",
                {"chat_id": chat_id, "event": {"type": "message", "text": f"more {i}"}},
            )
            assert out["event"]["text"] == f"more {i}"
        assert receiver.matching(for_chat(chat_id)) == []
        gate.set()
        got = receiver.wait(for_chat(chat_id), 11)
        assert got[0].body["data"]["event"]["text"] == "held"
    finally:
        gate.set()
        receiver.stop()


def test_failed_delivery_is_listed_and_redelivered_by_an_administrator(
    wh: WebhookEnv, lic: Lic
) -> None:
    refuse = {"on": True}
    receiver = Receiver(answer=lambda _p, _n: 410 if refuse["on"] else 200).start()
    try:
        register(wh, lic, receiver.url("/gone"), "incoming_chat_thread")
        chat_id, _, _ = wh.start_chat(lic)
        receiver.wait(for_chat(chat_id), delivered=False)
        failed = _wait_status(wh, lic, chat_id, "failed")
        assert failed["attempts"] == 1  # a 4xx is not retried
        assert failed["last_status_code"] == 410
        before = metrics(wh.http)
        assert before["chatplane_webhook_deliveries_failed"] >= 1
        refuse["on"] = False
        out = admin_redeliver(wh.http, lic.token, {"delivery_id": failed["delivery_id"]})
        assert out == {"redelivered": 1}
        got = receiver.wait(for_chat(chat_id))
        assert got[0].headers["X-Chatplane-Delivery"] == failed["delivery_id"]
        done = _wait_status(wh, lic, chat_id, "delivered")
        assert [a["outcome"] for a in done["attempts_log"]] == ["failed", "delivered"]
        after = metrics(wh.http)
        assert (
            after["chatplane_webhook_deliveries_delivered_total"]
            > (before["chatplane_webhook_deliveries_delivered_total"])
        )
        # Bad requests to the administrator endpoint.
        err = expect_api_error(
            admin_redeliver, wh.http, lic.token, {}, type="validation", status=400
        )
        assert "delivery_id" in err.message
        expect_api_error(
            admin_redeliver,
            wh.http,
            _normal_agent(wh, lic),
            {"all_failed": True},
            type="authorization",
            status=403,
        )
    finally:
        receiver.stop()


def _wait_status(wh: WebhookEnv, lic: Lic, chat_id: str, status: str) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + 15
    while True:
        found = [d for d in admin_deliveries(wh.http, lic.token) if d["chat_id"] == chat_id]
        if found and found[0]["status"] == status:
            return found[0]
        assert time.monotonic() < deadline, f"delivery never became {status}: {found}"
        time.sleep(0.1)


def test_operator_lists_and_redelivers_failed_deliveries_from_the_command_line(
    wh: WebhookEnv, lic: Lic
) -> None:
    from .harness import run_cli

    refuse = {"on": True}
    receiver = Receiver(answer=lambda _p, _n: 400 if refuse["on"] else 204).start()
    try:
        register(wh, lic, receiver.url("/cli"), "incoming_chat_thread")
        chats = [wh.start_chat(lic)[0] for _ in range(2)]
        for chat_id in chats:
            _wait_status(wh, lic, chat_id, "failed")
        listed = run_cli(
            wh.data_dir,
            "webhooks",
            "list",
            "--status",
            "failed",
            "--license-id",
            str(lic.license_id),
        )["deliveries"]
        assert sorted(d["chat_id"] for d in listed) == sorted(chats)
        assert all(d["attempts_log"][0]["status_code"] == 400 for d in listed)
        refuse["on"] = False
        out = run_cli(
            wh.data_dir,
            "webhooks",
            "redeliver",
            "--all-failed",
            "--license-id",
            str(lic.license_id),
        )
        assert out == {"redelivered": 2}
        for chat_id in chats:
            receiver.wait(for_chat(chat_id))
            _wait_status(wh, lic, chat_id, "delivered")
    finally:
        receiver.stop()
