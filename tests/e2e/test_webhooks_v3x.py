"""Webhooks v3.6 and v3.5 delivered by a real server to a real receiver: every action a
chat's life causes reaches the webhooks registered in that version, in the v3.x envelope
and shapes, signed as v3.0's are, and every body passes lc-sdk-python 0.4.2's own
`livechat.webhooks.parser.parse_webhook` for its version; a `bot` webhook fires only where
one of its application's bots is.

The webhooks are registered through the v3.x Configuration API (`register_webhook` of
their version, with their `type` and owner application).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests import sdk_venv

from . import configuration_flow
from .webhook_support import (
    Lic,
    Received,
    Receiver,
    WebhookEnv,
    admin_deliveries,
    configuration,
    start_env,
)

# Every chat and agent action the flow below causes, in both versions (and v3.5's own).
ACTIONS = [
    "incoming_chat",
    "incoming_event",
    "user_added_to_chat",
    "user_removed_from_chat",
    "event_updated",
    "incoming_rich_message_postback",
    "chat_properties_updated",
    "chat_properties_deleted",
    "thread_properties_updated",
    "thread_properties_deleted",
    "event_properties_updated",
    "event_properties_deleted",
    "events_marked_as_seen",
    "thread_tagged",
    "thread_untagged",
    "chat_access_updated",
    "chat_transferred",
    "chat_deactivated",
    "customer_session_fields_updated",
    "routing_status_set",
    "bot_deleted",
]
VERSIONS = {"3.6": [*ACTIONS, "event_deleted"], "3.5": [*ACTIONS, "incoming_customer"]}
# The configuration actions (tests/e2e/configuration_flow.py causes each), in both versions,
# with how many of each the flow causes.
CONFIGURATION_ACTIONS = {
    "agent_created": 2,
    "agent_updated": 1,
    "agent_suspended": 1,
    "agent_unsuspended": 1,
    "agent_approved": 1,
    "agent_deleted": 1,
    "bot_created": 1,
    "bot_updated": 1,
    "bot_deleted": 1,
    "group_created": 1,
    "group_updated": 1,
    "group_deleted": 1,
    "tag_created": 1,
    "tag_updated": 1,
    "tag_deleted": 1,
    "auto_accesses_updated": 2,
}


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebhookEnv]:
    yield from start_env(tmp_path_factory.mktemp("webhooks-v3x"))


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    try:
        yield r
    finally:
        r.stop()


def register_v3x(
    wh: WebhookEnv,
    lic: Lic,
    url: str,
    version: str,
    action: str,
    *,
    type: str = "license",
    additional_data: list[str] | None = None,
) -> str:
    """A webhook registered through the v3.x Configuration API of `version`, owned by the
    license's application; `additional_data` only where the action takes it (as
    list_webhook_names tells)."""
    names = wh.http.post_raw(f"/v{version}/configuration/action/list_webhook_names", json_body={})
    assert names.status_code == 200, names.text
    takes = {n["action"]: n.get("additional_data", []) for n in names.json()}
    body: dict[str, Any] = {
        "url": url,
        "action": action,
        "secret_key": f"secret-{action}",
        "owner_client_id": lic.client_id,
        "type": type,
    }
    extra = [a for a in additional_data or [] if a in takes[action]]
    if extra:
        body["additional_data"] = extra
    resp = wh.http.post_raw(
        f"/v{version}/configuration/action/register_webhook", token=lic.token, json_body=body
    )
    assert resp.status_code == 200, resp.text
    webhook_id: str = resp.json()["id"]
    return webhook_id


def parse_with_the_sdk(bodies: list[tuple[str, Any]]) -> list[Any]:
    """(version, error) for each body lc-sdk-python's parse_webhook refuses."""
    sdk_python = sdk_venv.sdk_python()
    script = (
        "import json, sys\n"
        "from livechat.webhooks.parser import parse_webhook\n"
        "failed = []\n"
        "for version, body in json.loads(sys.stdin.read()):\n"
        "    try:\n"
        "        parsed = parse_webhook(body, version)\n"
        "        assert parsed.action == body['action']\n"
        "    except Exception as exc:\n"
        "        failed.append([version, body.get('action'), repr(exc)])\n"
        "print(json.dumps(failed))\n"
    )
    proc = subprocess.run(
        [str(sdk_python), "-c", script],
        input=json.dumps(bodies),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    failed: list[Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return failed


def test_every_v3x_webhook_of_a_chats_life_is_delivered_and_the_sdk_reads_it(
    wh: WebhookEnv, receiver: Receiver
) -> None:
    lic = wh.new_license()
    for version, actions in VERSIONS.items():
        for action in actions:
            register_v3x(
                wh,
                lic,
                receiver.url(f"/{version}/{action}"),
                version,
                action,
                additional_data=["chat_properties", "chat_presence_user_ids"],
            )
    # A `bot` webhook: only events in chats one of the application's bots is in.
    for_bots = register_v3x(
        wh, lic, receiver.url("/bot/incoming_event"), "3.6", "incoming_event", type="bot"
    )
    http = wh.http
    owner = lic.token
    props = {"rating": {"type": "string", "locations": {}}}
    access = {"agent": {"read": True, "write": True}, "customer": {"read": True, "write": True}}
    props["rating"]["locations"] = {loc: {"access": access} for loc in ("chat", "thread", "event")}
    configuration(http, owner, "properties/create_properties", props)
    # Not accepting chats: routing never puts it in the chat, only the requests below do.
    bot = configuration(
        http, owner, "agents/create_bot_agent", {"name": "Helper", "status": "not accepting chats"}
    )["bot_agent_id"]

    customer_id, customer_token = wh.customer(lic)
    first = {"thread": {"events": [{"type": "message", "text": "hello, webhooks"}]}}
    started = http.customer(customer_token, lic.license_id, "start_chat", {"chat": first})
    chat_id, thread_id = started["chat"]["id"], started["chat"]["thread"]["id"]
    http.agent(
        owner, "add_user_to_chat", {"chat_id": chat_id, "user_id": bot, "user_type": "agent"}
    )
    sent = http.customer(
        customer_token,
        lic.license_id,
        "send_event",
        {"chat_id": chat_id, "event": {"type": "message", "text": "anyone?"}},
    )
    event_id = sent["event"]["id"]
    rich = http.agent(
        owner,
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
    http.customer(
        customer_token,
        lic.license_id,
        "send_rich_message_postback",
        {
            "chat_id": chat_id,
            "thread_id": thread_id,
            "event_id": rich["event"]["id"],
            "postback": {"id": "yes", "toggled": True},
        },
    )
    ns = lic.client_id
    where = {"chat_id": chat_id, "thread_id": thread_id}
    for method, body in [
        ("update_chat_properties", {"chat_id": chat_id}),
        ("update_chat_thread_properties", where),
        ("update_event_properties", {**where, "event_id": event_id}),
    ]:
        http.customer(
            customer_token,
            lic.license_id,
            method,
            {**body, "properties": {ns: {"rating": "good"}}},
        )
    for method, body in [
        ("delete_chat_properties", {"chat_id": chat_id}),
        ("delete_chat_thread_properties", where),
        ("delete_event_properties", {**where, "event_id": event_id}),
    ]:
        http.customer(
            customer_token, lic.license_id, method, {**body, "properties": {ns: ["rating"]}}
        )
    http.customer(
        customer_token, lic.license_id, "update_last_seen_timestamp", {"chat_id": chat_id}
    )
    for action in ("tag_thread", "untag_thread"):
        tagged = http.client.post(
            f"/v3.6/agent/action/{action}",
            headers={"Authorization": f"Bearer {owner}"},
            json={"chat_id": chat_id, "thread_id": thread_id, "tag": "bug_report"},
        )
        assert tagged.status_code == 200, tagged.text
    http.agent(
        owner,
        "set_access",
        {"resource": "chat", "id": chat_id, "access": {"type": "group", "id": 0}},
    )
    http.agent(
        owner,
        "transfer_chat",
        {"chat_id": chat_id, "target": {"type": "agent", "ids": [bot]}, "force": True},
    )
    http.agent(
        owner, "remove_user_from_chat", {"chat_id": chat_id, "user_id": bot, "user_type": "agent"}
    )
    alone = http.customer(
        customer_token,
        lic.license_id,
        "send_event",
        {"chat_id": chat_id, "event": {"type": "message", "text": "still there?"}},
    )["event"]["id"]
    http.customer(
        customer_token, lic.license_id, "set_customer_fields", {"fields": {"plan": "gold"}}
    )
    deleted = http.client.post(
        "/v3.6/customer/action/delete_event",
        params={"license_id": lic.license_id},
        headers={"Authorization": f"Bearer {customer_token}"},
        json={"chat_id": chat_id, "thread_id": thread_id, "event_id": event_id},
    )
    assert deleted.status_code == 200, deleted.text
    http.agent(owner, "close_thread", {"chat_id": chat_id})
    configuration(http, owner, "agents/update_bot_agent", {"id": bot, "status": "accepting chats"})
    configuration(http, owner, "agents/remove_bot_agent", {"bot_agent_id": bot})
    made = http.agent(owner, "create_customer", {"name": "Webhook Customer"})

    delivered: list[tuple[str, Any]] = []
    for version, actions in VERSIONS.items():
        for action in actions:

            def here(r: Received, path: str = f"/{version}/{action}") -> bool:
                return r.path == path

            got = receiver.wait(here)
            for r in got:
                body = r.body
                assert body["action"] == action, (version, body)
                assert list(body) == [
                    "webhook_id",
                    "secret_key",
                    "action",
                    "organization_id",
                    "payload",
                    "additional_data",
                ]
                assert body["secret_key"] == f"secret-{action}"
                assert r.headers.get("X-Chatplane-Signature")
                delivered.append((version, body))
    # lc-sdk-python 0.4.2 predates v3.6's `event_deleted` (it refuses the action itself);
    # it reads every other body.
    refused = parse_with_the_sdk(delivered)
    assert [(v, a) for v, a, _why in refused] == [("3.6", "event_deleted")], refused

    by = {(v, b["action"]): b for v, b in delivered}
    assert {a for v, a in by if v == "3.6"} == {*ACTIONS, "event_deleted"}
    assert by["3.6", "event_deleted"]["payload"] == {
        "chat_id": chat_id,
        "thread_id": thread_id,
        "event_id": event_id,
    }
    incoming = by["3.6", "incoming_chat"]["payload"]
    assert set(incoming) == {"chat"} and incoming["chat"]["id"] == chat_id
    assert by["3.6", "incoming_chat"]["additional_data"]["chat_presence_user_ids"] == [customer_id]
    event = by["3.6", "incoming_event"]["payload"]["event"]
    assert event["visibility"] == "all" and "recipients" not in event
    status = by["3.6", "routing_status_set"]["payload"]
    assert status["agent_id"] == bot and status["status"] in (
        "accepting chats",
        "not accepting chats",
    )
    assert by["3.6", "bot_deleted"]["payload"] == {"id": bot}
    assert by["3.5", "incoming_rich_message_postback"]["payload"]["postback"] == {
        "id": "yes",
        "toggled": True,
    }
    tag = {"chat_id": chat_id, "thread_id": thread_id, "tag": "bug_report"}
    assert by["3.6", "thread_tagged"]["payload"] == by["3.5", "thread_untagged"]["payload"] == tag
    fields = by["3.6", "customer_session_fields_updated"]["payload"]
    assert fields == {
        "id": customer_id,
        "active_chat": {"chat_id": chat_id, "thread_id": thread_id},
        "session_fields": [{"plan": "gold"}],
    }
    assert by["3.5", "incoming_customer"]["payload"]["customer"]["id"] == made["id"]
    added = by["3.6", "user_added_to_chat"]["payload"]
    assert added["user_type"] == "agent" and "requester_id" in added

    # The bot webhook got the events of the chat while the bot was in it, not the one sent
    # after it left (deliveries are written with the change: the outbox knows them all).
    hooks = [d for d in admin_deliveries(http, owner) if d["action"] == "incoming_event"]
    bot_hooks = [d for d in hooks if d["webhook_id"] == for_bots]
    license_hooks = [d for d in hooks if d["url"] == receiver.url("/3.6/incoming_event")]
    assert 0 < len(bot_hooks) < len(license_hooks)
    got = receiver.wait(lambda r: r.path == "/bot/incoming_event", count=len(bot_hooks))
    events = {r.body["payload"]["event"]["id"] for r in got}
    assert event_id in events and alone not in events
    assert {r.body["webhook_id"] for r in got} == {for_bots}


def test_disabling_license_webhooks_stops_every_versions_until_enabled(
    wh: WebhookEnv, receiver: Receiver
) -> None:
    """disable_license_webhooks (v3.6) stops the application's license webhooks of every
    version, v3.0 registrations included, not its `bot` ones; enable_license_webhooks
    (v3.5) resumes them. Counted in the outbox, where deliveries are written with their
    change."""
    lic = wh.new_license()
    http = wh.http
    owner = lic.token
    v30 = configuration(
        http,
        owner,
        "webhooks/register_webhook",
        {"url": receiver.url("/switch/3.0"), "action": "incoming_event", "secret_key": "s30"},
    )["webhook_id"]
    hooks = {
        "3.0": v30,
        "3.5": register_v3x(wh, lic, receiver.url("/switch/3.5"), "3.5", "incoming_event"),
        "3.6": register_v3x(wh, lic, receiver.url("/switch/3.6"), "3.6", "incoming_event"),
        "bot": register_v3x(
            wh, lic, receiver.url("/switch/bot"), "3.6", "incoming_event", type="bot"
        ),
    }
    bot = configuration(
        http, owner, "agents/create_bot_agent", {"name": "Switch", "status": "not accepting chats"}
    )["bot_agent_id"]
    chat_id, _customer_id, customer_token = wh.start_chat(lic)
    http.agent(
        owner, "add_user_to_chat", {"chat_id": chat_id, "user_id": bot, "user_type": "agent"}
    )

    def send(text: str) -> None:
        http.customer(
            customer_token,
            lic.license_id,
            "send_event",
            {"chat_id": chat_id, "event": {"type": "message", "text": text}},
        )

    def switch(version: str, method: str) -> Any:
        resp = http.post_raw(
            f"/v{version}/configuration/action/{method}", token=owner, json_body={}
        )
        assert resp.status_code == 200, resp.text
        return resp.json()

    def counts() -> dict[str, int]:
        found = admin_deliveries(http, owner)
        return {k: sum(d["webhook_id"] == h for d in found) for k, h in hooks.items()}

    def sent(text: str) -> dict[str, int]:
        """Which webhooks the customer's message `text` fired (the system messages of
        joining came before)."""
        before = counts()
        send(text)
        return {k: n - before[k] for k, n in counts().items()}

    assert sent("one") == {"3.0": 1, "3.5": 1, "3.6": 1, "bot": 1}
    switch("3.6", "disable_license_webhooks")
    for version in ("3.6", "3.5"):
        assert switch(version, "get_license_webhooks_state") == {"license_webhooks_enabled": False}
    assert sent("two") == {"3.0": 0, "3.5": 0, "3.6": 0, "bot": 1}
    switch("3.5", "enable_license_webhooks")
    assert switch("3.6", "get_license_webhooks_state") == {"license_webhooks_enabled": True}
    assert sent("three") == {"3.0": 1, "3.5": 1, "3.6": 1, "bot": 1}
    final = counts()
    for path, count in final.items():
        receiver.wait(lambda r, p=f"/switch/{path}": r.path == p, count=count)


def test_every_configuration_webhook_reaches_license_webhooks_and_the_sdk_reads_it(
    wh: WebhookEnv, receiver: Receiver
) -> None:
    """Configuring a license through the Configuration API v3.6 fires every configuration
    webhook registered (as `license` webhooks) in v3.6 and v3.5, in the envelope and with
    their push's payload; `source_type` tells the application that made the change; a
    `bot` webhook cannot take a configuration action."""
    lic = wh.new_license()
    http = wh.http
    for version in ("3.6", "3.5"):
        for action in CONFIGURATION_ACTIONS:
            register_v3x(wh, lic, receiver.url(f"/cfg/{version}/{action}"), version, action)
    # The license's own application makes the changes below: `my_client`, not another's.
    mine = _register_filtered(wh, lic, receiver.url("/cfg/source/mine"), "tag_deleted", "my_client")
    others = _register_filtered(
        wh, lic, receiver.url("/cfg/source/others"), "group_deleted", "other_clients"
    )
    as_bot = http.post_raw(
        "/v3.6/configuration/action/register_webhook",
        token=lic.token,
        json_body={
            "url": receiver.url("/cfg/bot"),
            "action": "agent_created",
            "secret_key": "s",
            "owner_client_id": lic.client_id,
            "type": "bot",
        },
    )
    assert as_bot.status_code == 400, as_bot.text
    assert as_bot.json()["error"]["type"] == "validation"
    assert "license" in as_bot.json()["error"]["message"]

    def configure(method: str, body: dict[str, Any]) -> Any:
        resp = http.post_raw(
            f"/v3.6/configuration/action/{method}", token=lic.token, json_body=body
        )
        assert resp.status_code == 200, (method, resp.text)
        return resp.json()

    def set_status(status: str) -> None:
        resp = http.post_raw(
            "/v3.6/agent/action/set_routing_status", token=lic.token, json_body={"status": status}
        )
        assert resp.status_code == 200, resp.text

    done = configuration_flow.run(configure, set_status, lic.owner_id, lic.client_id)

    delivered: list[tuple[str, Any]] = []
    by: dict[tuple[str, str], list[Any]] = {}
    for version in ("3.6", "3.5"):
        for action, count in CONFIGURATION_ACTIONS.items():
            path = f"/cfg/{version}/{action}"
            got = receiver.wait(lambda r, p=path: r.path == p, count=count)
            for r in got:
                assert list(r.body) == [
                    "webhook_id",
                    "secret_key",
                    "action",
                    "organization_id",
                    "payload",
                    "additional_data",
                ]
                assert r.body["action"] == action and r.body["additional_data"] == {}
                delivered.append((version, r.body))
                by.setdefault((version, action), []).append(r.body["payload"])
    # lc-sdk-python 0.4.2 knows v3.4's per-rule auto access webhooks, not v3.5's
    # `auto_accesses_updated`; it reads every other configuration webhook.
    refused = parse_with_the_sdk(delivered)
    assert sorted({(v, a) for v, a, _why in refused}) == [
        ("3.5", "auto_accesses_updated"),
        ("3.6", "auto_accesses_updated"),
    ], refused

    for version in ("3.6", "3.5"):
        assert {p["id"] for p in by[version, "agent_created"]} == {done.agent_id, done.waiting_id}
        assert by[version, "agent_updated"] == [{"id": done.agent_id, "job_title": "Lead"}]
        assert by[version, "agent_approved"] == [{"id": done.waiting_id}]
        assert by[version, "bot_updated"] == [{"id": done.bot_id, "name": "Renamed Bot"}]
        assert by[version, "bot_deleted"] == [{"id": done.bot_id}]
        assert by[version, "group_updated"] == [{"id": done.group_id, "language_code": "de"}]
        (tag,) = by[version, "tag_created"]
        assert tag["author_id"] == lic.owner_id and tag["group_ids"] == [done.group_id]
        added, deleted = by[version, "auto_accesses_updated"]
        assert [r["status"] for r in added] == ["added"] and added[0]["id"] == done.rule_id
        assert deleted == [{"id": done.rule_id, "status": "deleted"}]

    receiver.wait(lambda r: r.path == "/cfg/source/mine")
    sources = admin_deliveries(http, lic.token)
    assert sum(d["webhook_id"] == mine for d in sources) == 1
    assert sum(d["webhook_id"] == others for d in sources) == 0


def _register_filtered(wh: WebhookEnv, lic: Lic, url: str, action: str, source: str) -> str:
    """A v3.6 license webhook of `action` for changes made by `source` only (an
    application may register three of each action: both versions' took two)."""
    resp = wh.http.post_raw(
        "/v3.6/configuration/action/register_webhook",
        token=lic.token,
        json_body={
            "url": url,
            "action": action,
            "secret_key": "s",
            "owner_client_id": lic.client_id,
            "type": "license",
            "filters": {"source_type": [source]},
        },
    )
    assert resp.status_code == 200, resp.text
    webhook_id: str = resp.json()["id"]
    return webhook_id
