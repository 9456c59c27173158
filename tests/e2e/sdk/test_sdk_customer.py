"""The official Python SDK (lc-sdk-python 0.4.2, unchanged) as a customer, against `chatplane
serve --tls-self-signed`: CustomerWeb and CustomerRTM of v3.6 and v3.5 get a token from
`/v2/customer/token` (the accounts host), run every method of the Customer Chat API, and
the RTM client hears the agent's reply as a push. The calls run in the SDK's own virtual
environment (tests/e2e/sdk/customer_scenarios.py; see test_sdk_agent.py).

Spec: messaging/customer-chat-api (v3.6) and its v3.5/ pages; authorization/
customer-authorization.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from .. import properties_helpers as props
from ..harness import Http, ServerProcess, run_cli
from .test_sdk_agent import sdk_python

__all__ = ["sdk_python"]

SCENARIOS = Path(__file__).with_name("customer_scenarios.py")
VERSIONS = ["3.6", "3.5"]
ACCOUNTS = "accounts.livechatinc.com"
RFC3339_MICRO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


@dataclass
class CustomerServer:
    server: ServerProcess
    http: Http
    license_id: int
    organization_id: str
    client_id: str
    owner_token: str
    agent_id: str
    agent_token: str

    def customer_token(self) -> tuple[str, str]:
        """A new customer's (entity id, access token), as a widget gets one: the cookie
        grant on the accounts host."""
        resp = httpx.post(
            f"{self.server.base_url}/v2/customer/token",
            headers={"Host": ACCOUNTS},
            json={
                "grant_type": "cookie",
                "response_type": "token",
                "client_id": self.client_id,
                "organization_id": self.organization_id,
            },
            verify=False,
            trust_env=False,
        )
        assert resp.status_code == 200, resp.text
        body = resp.json()
        return body["entity_id"], f"Bearer {body['access_token']}"


@pytest.fixture(scope="module")
def customer_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CustomerServer]:
    data_dir = tmp_path_factory.mktemp("chatplane-sdk-customer") / "data"
    init = run_cli(data_dir, "init")
    agent = run_cli(data_dir, "agent", "create", "--email", "ada@sdk.example", "--name", "Ada")
    server = ServerProcess(
        data_dir,
        {
            "accounts_hosts": ACCOUNTS,
            "customer_token_rate_limit": "0",
            "tls_self_signed": "true",
            # get_url_info reads a page the scenario serves on 127.0.0.1.
            "url_details_allow_private": "true",
        },
    )
    server.start()
    http = Http(server.base_url, verify=False)
    try:
        yield CustomerServer(
            server,
            http,
            init["license_id"],
            init["organization_id"],
            init["client_id"],
            init["owner"]["access_token"],
            agent["id"],
            agent["access_token"],
        )
    finally:
        http.close()
        try:
            server.stop()
        finally:
            server.kill()


def scenario_args(s: CustomerServer, version: str) -> dict[str, Any]:
    name = props.prop_name()
    props.create(s.http, s.owner_token, {name: props.config("string", ("chat", "thread", "event"))})
    customer_id, token = s.customer_token()
    return {
        "version": version,
        "base_url": s.server.host,
        "organization_id": s.organization_id,
        "token": token,
        "customer_id": customer_id,
        "agent_token": f"Bearer {s.agent_token}",
        "namespace": s.client_id,
        "property": name,
    }


def run_customer(sdk_python: Path, scenario: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run a scenario of customer_scenarios.py in the SDK's environment."""
    proc = subprocess.run(
        [str(sdk_python), str(SCENARIOS), scenario, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if "proxy" not in k.lower()},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


# Methods the reference answers with no payload.
EMPTY = {
    "deactivate_chat",
    "send_rich_message_postback",
    "send_sneak_peek",
    "update_chat_properties",
    "delete_chat_properties",
    "update_thread_properties",
    "delete_thread_properties",
    "update_event_properties",
    "delete_event_properties",
    "update_customer",
    "set_customer_session_fields",
    "check_goals",
    "mark_events_as_seen",
}
# Methods of what Chatplane does not have: their documented errors (docs/decisions.md).
REFUSED = {
    "accept_greeting": (404, "greeting_not_found"),
    "cancel_greeting": (404, "greeting_not_found"),
    "request_email_verification": (501, "service_unavailable"),
    "get_chat (a chat that is not there)": (404, "not_found"),
}


@pytest.mark.parametrize("version", VERSIONS)
def test_customer_web_client_runs_every_method(
    sdk_python: Path, customer_server: CustomerServer, version: str
) -> None:
    args = scenario_args(customer_server, version)
    out = run_customer(sdk_python, "web_methods", args)
    failed = {n: r for n, r in out.items() if n not in REFUSED and r.get("status", 200) != 200}
    assert not failed, failed
    agent_calls = {n: r for n, r in out.items() if n.startswith("agent ")}
    assert all(r["success"] for r in agent_calls.values()), agent_calls
    for name, (status, kind) in REFUSED.items():
        if name in out:
            assert (out[name]["status"], out[name]["body"]["error"]["type"]) == (status, kind)
    for name in EMPTY:
        assert out[name]["body"] == {}, (name, out[name])
    if version == "3.6":
        assert out["delete_event"]["body"] == {}

    started = out["start_chat"]["body"]
    assert set(started) == {"chat_id", "thread_id", "event_ids"}
    assert set(out["send_event"]["body"]) == {"event_id"}
    assert set(out["resume_chat"]["body"]) == {"thread_id"}
    chat = out["get_chat"]["body"]
    assert chat["id"] == started["chat_id"]
    texts = [e.get("text") for e in chat["thread"]["events"] if e["type"] == "message"]
    assert texts == ["Hello from the customer", "Anyone there?", "Hello, how can I help?"]
    for e in chat["thread"]["events"]:
        assert RFC3339_MICRO.match(e["created_at"]) and "visibility" not in e, e
    kinds = {u["type"] for u in chat["users"]}
    assert kinds == {"customer", "agent"}, chat["users"]
    agent = next(u for u in chat["users"] if u["type"] == "agent")
    assert agent["id"] == customer_server.agent_id and "email" not in agent
    files = [e for e in chat["thread"]["events"] if e["type"] == "file"]
    assert files and files[0]["url"] == out["upload_file"]["body"]["url"]
    assert files[0]["width"] == 1 and files[0]["content_type"] == "image/png"
    with_props = out["get_chat (with properties)"]["body"]
    ns, prop = args["namespace"], args["property"]
    assert with_props["properties"][ns] == {prop: "chat"}
    assert with_props["thread"]["properties"][ns] == {prop: "thread"}
    assert out["get_chat (resumed)"]["body"]["thread"]["active"] is True

    summary = out["list_chats"]["body"]["chats_summary"][0]
    assert summary["id"] == started["chat_id"] and summary["active"] is True
    assert {"last_thread_id", "last_thread_created_at", "last_event_per_type", "users"} <= set(
        summary
    )
    assert out["list_chats"]["body"]["total_chats"] == 1
    assert out["list_threads"]["body"]["found_threads"] == 1

    me = out["get_customer"]["body"]
    assert me["id"] == args["customer_id"] and me["name"] == "Thomas Anderson"
    assert me["email"] == "t.anderson@example.com"
    assert me["session_fields"] == [{"plan": "gold"}, {"seat": "12"}]
    assert "statistics" not in me and "visit" not in me

    assert out["list_group_statuses"]["body"] == {"groups_status": {"0": "online"}}
    assert out["get_form"]["body"]["enabled"] is True
    predicted = out["get_predicted_agent"]["body"]
    assert predicted["agent"]["id"] == customer_server.agent_id
    assert predicted["agent"]["type"] == "agent" and predicted["queue"] is False
    if version == "3.6":
        welcome = out["request_welcome_message"]["body"]
        assert welcome["predicted_agent"]["id"] == customer_server.agent_id
        assert set(welcome) == {"id", "predicted_agent", "queue"}
    info = out["get_url_info"]["body"]
    assert info["title"] == "A page to preview"
    assert info["description"] == "What the page is about"
    assert info["image_url"] == info["image_original_url"] == "https://example.com/preview.png"

    # The widget's bootstrap.
    dynamic = out["get_dynamic_configuration"]["body"]
    if version == "3.6":
        assert dynamic["organization_id"] == customer_server.organization_id
        assert dynamic["default_widget"] == "livechat" and dynamic["livechat_active"] is True
        dynamic = dynamic["livechat"]
    assert dynamic["group_id"] == 0 and dynamic["online_group_ids"] == [0]
    assert dynamic["language"] == "en" and dynamic["domain_allowed"] is True
    configuration = out["get_configuration"]["body"]
    assert configuration["buttons"] == [] and configuration["integrations"] == {}
    assert configuration["prechat_form"]["fields"]
    assert configuration["properties"] == {"group": {}, "license": {}}
    localization = out["get_localization"]["body"]
    assert localization["Welcome_message"] and localization["Agents_not_available"]
    assert out["list_license_properties"]["body"] == {}
    assert out["list_group_properties"]["body"] == {}


# The pushes the customer's RTM client must have received, all in the connection's version.
PUSHES = {
    "customer_side_storage_updated",
    "incoming_chat",
    "user_added_to_chat",
    "incoming_event",
    "events_marked_as_seen",
    "chat_properties_updated",
    "thread_properties_updated",
    "event_properties_updated",
    "chat_properties_deleted",
    "thread_properties_deleted",
    "event_properties_deleted",
    "customer_updated",
    "chat_deactivated",
}


@pytest.mark.parametrize("version", VERSIONS)
def test_customer_rtm_client_runs_every_method_and_hears_the_agent(
    sdk_python: Path, customer_server: CustomerServer, version: str
) -> None:
    args = scenario_args(customer_server, version)
    out = run_customer(sdk_python, "rtm_methods", args)
    pushes = out.pop("pushes")
    reply = out.pop("agent reply push")
    refused = {"get_url_info"}
    failed = {n: r for n, r in out.items() if r["success"] is not True and n not in refused}
    assert not failed, failed
    # The address the page is on takes no connection: the method says so, as an error.
    assert out["get_url_info"]["success"] is False

    login = out["login"]["payload"]
    assert set(login) == {"customer", "has_active_thread", "chats", "__priv_dynamic_config"}
    assert login["customer"]["id"] == args["customer_id"]
    assert login["customer"]["name"] == "Rita"
    assert login["customer"]["statistics"]["visits_count"] == 1
    assert login["__priv_dynamic_config"]["customer_groups"] == {"monitoring": {"id": 0}}
    assert login["__priv_dynamic_config"]["online_groups_ids"] == [0]
    assert out["update_customer_page"]["payload"] == {}
    assert out["list_group_statuses"]["payload"] == {"groups_status": {"0": "online"}}
    assert out["get_form"]["payload"]["enabled"] is True
    assert set(out["start_chat"]["payload"]) == {"chat_id", "thread_id", "event_ids"}
    assert out["get_customer"]["payload"]["session_fields"] == [{"source": "rtm"}]
    assert len(out["list_threads"]["payload"]["threads"]) == 1

    assert reply is not None, pushes
    assert reply["version"] == version
    assert reply["payload"]["event"]["author_id"] == customer_server.agent_id
    assert "visibility" not in reply["payload"]["event"]
    received = {p["action"] for p in pushes}
    wanted = PUSHES | ({"incoming_welcome_message"} if version == "3.6" else set())
    assert received >= wanted, sorted(wanted - received)
    assert {p["version"] for p in pushes} == {version}
    # What a customer never hears.
    assert not received & {"incoming_sneak_peek", "chat_access_updated", "routing_status_set"}
    if version == "3.6":
        welcome = next(p for p in pushes if p["action"] == "incoming_welcome_message")
        assert welcome["payload"]["id"] == "welcome-1"
        assert welcome["payload"]["event"]["author_id"] == customer_server.agent_id
        assert welcome["payload"]["event"]["type"] == "message"
    added = next(p for p in pushes if p["action"] == "user_added_to_chat")
    assert added["payload"]["user"]["id"] == customer_server.agent_id
