"""The official Python SDK (lc-sdk-python 0.4.2, unchanged) against `chatplane serve
--tls-self-signed`: AgentWeb and AgentRTM of v3.6 and v3.5, with a Bearer access token and
with a personal access token (Basic), run every method Chatplane serves with
`base_url="127.0.0.1:PORT"`, the RTM clients receive the pushes, and the calls
of the SDK's own agent examples run with only the host and the token changed.

The SDK pins httpx 0.28.1, so it lives in a virtual environment of its own, `.venv-sdk`
(tests/sdk_venv.py builds it on first use from tests/e2e/sdk/requirements.txt); these tests
run its calls there (tests/e2e/sdk/scenarios.py) and check what they answered.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chatplane.domain.access import SCOPES
from tests import sdk_venv

from .. import properties_helpers as props
from ..harness import Http, ServerProcess, run_cli

SCENARIOS = Path(__file__).with_name("scenarios.py")
VERSIONS = ["3.6", "3.5"]
# Bearer access tokens, and personal access tokens (Basic).
AUTH = ["bearer", "basic"]


@pytest.fixture(scope="module")
def sdk_python() -> Path:
    return sdk_venv.sdk_python()


@dataclass
class SdkServer:
    server: ServerProcess
    http: Http
    license_id: int
    client_id: str
    owner_id: str
    owner_token: str
    # The owner's personal access token, `Basic base64(<account id>:<token>)` (every scope).
    owner_basic: str
    admin_id: str
    admin_token: str
    normal_id: str

    @property
    def certificate(self) -> Path:
        return self.server.data_dir / "tls" / "selfsigned.crt"

    def customer_chat(self) -> tuple[str, str]:
        """A new customer with a chat it started (Customer Chat API v3.0)."""
        made = self.http.create_customer(self.owner_token)
        chat = self.http.customer(
            made["access_token"],
            self.license_id,
            "start_chat",
            {"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}},
        )
        return made["entity_id"], chat["chat"]["id"]

    def customer(self) -> str:
        return str(self.http.create_customer(self.owner_token)["entity_id"])


@pytest.fixture(scope="module")
def sdk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SdkServer]:
    data_dir = tmp_path_factory.mktemp("chatplane-sdk") / "data"
    init = run_cli(data_dir, "init")
    admin = run_cli(
        data_dir,
        "agent",
        "create",
        "--email",
        "admin@sdk.example",
        "--name",
        "Ada",
        "--role",
        "administrator",
    )
    normal = run_cli(data_dir, "agent", "create", "--email", "normal@sdk.example", "--name", "Ned")
    pat = run_cli(
        data_dir,
        "pat",
        "create",
        "--agent",
        init["owner"]["id"],
        "--name",
        "SDK tests",
        "--scopes",
        ",".join(sorted(SCOPES)),
    )
    # No offline grace: an agent a test leaves goes offline (and says so) at once, not
    # amid a later test's pushes.
    server = ServerProcess(data_dir, {"tls_self_signed": "true", "offline_grace": "0"})
    server.start()
    http = Http(server.base_url, verify=False)
    # Manual routing: a queued chat of one test never goes to an agent another test logs
    # in (the SDK's RTM example reads the newest message as its `incoming_chat`).
    resp = http.post_raw(
        "/v3.0/configuration/routing/update_routing_settings",
        token=init["owner"]["access_token"],
        json_body={"mode": "manual"},
    )
    assert resp.status_code == 200, resp.text
    try:
        yield SdkServer(
            server,
            http,
            init["license_id"],
            init["client_id"],
            init["owner"]["id"],
            init["owner"]["access_token"],
            pat["authorization"],
            admin["id"],
            admin["access_token"],
            normal["id"],
        )
    finally:
        http.close()
        try:
            server.stop()
        finally:
            server.kill()


def run(sdk_python: Path, scenario: str, args: dict[str, Any], env: dict[str, str] | None = None):
    proc = subprocess.run(
        [str(sdk_python), str(SCENARIOS), scenario, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**{k: v for k, v in os.environ.items() if "proxy" not in k.lower()}, **(env or {})},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def scenario_args(s: SdkServer, version: str, auth: str = "bearer") -> dict[str, Any]:
    """What a scenario needs; `auth`: the owner calls with its access token (`bearer`) or
    its personal access token (`basic`)."""
    name = props.prop_name()
    props.create(s.http, s.owner_token, {name: props.config("string", ("chat", "thread", "event"))})
    customer_id, chat_id = s.customer_chat()
    return {
        "version": version,
        "base_url": s.server.host,
        "token": f"Bearer {s.owner_token}" if auth == "bearer" else s.owner_basic,
        "watcher_token": f"Bearer {s.admin_token}",
        "agent_id": s.owner_id,
        "other_agent_id": s.normal_id,
        "customer_id": customer_id,
        "customer_chat_id": chat_id,
        "banned_customer_id": s.customer(),
        "namespace": s.client_id,
        "property": name,
    }


# What every Web API method answers, `{}` where the reference says "no response payload".
EMPTY = {
    "send_rich_message_postback",
    "update_chat_properties",
    "update_thread_properties",
    "update_event_properties",
    "delete_chat_properties",
    "delete_thread_properties",
    "delete_event_properties",
    "mark_events_as_seen",
    "send_typing_indicator",
    "multicast",
    "add_user_to_chat",
    "transfer_chat",
    "remove_user_from_chat",
    "update_customer",
    "ban_customer",
    "set_routing_status",
    "deactivate_chat",
    "tag_thread",
    "untag_thread",
    "follow_chat",
    "unfollow_chat",
}


@pytest.mark.parametrize("auth", AUTH)
@pytest.mark.parametrize("version", VERSIONS)
def test_agent_web_client_runs_every_method(
    sdk_python: Path, sdk_server: SdkServer, version: str, auth: str
) -> None:
    args = scenario_args(sdk_server, version, auth)
    out = run(sdk_python, "web_methods", args)
    expected = WEB_METHODS | (ONLY_3_6 if version == "3.6" else set())
    assert set(out) >= expected, sorted(expected - set(out))
    failed = {
        name: r
        for name, r in out.items()
        if r["status"] != 200 and name != "request_thread_summary"
    }
    assert not failed, failed
    for name in EMPTY:
        assert out[name]["body"] == {}, (name, out[name])
    assert set(out["start_chat"]["body"]) == {"chat_id", "thread_id"}
    assert set(out["send_event"]["body"]) == {"event_id"}
    assert set(out["resume_chat"]["body"]) == {"thread_id"}
    chat = out["get_chat"]["body"]
    assert chat["thread"]["events"][0]["text"] == "Hello from the SDK"
    assert chat["thread"]["events"][0]["visibility"] == "all"
    assert out["list_chats"]["body"]["chats_summary"] and "found_chats" in out["list_chats"]["body"]
    assert out["list_threads"]["body"]["found_threads"] == 1
    assert out["list_archives"]["body"]["found_chats"] == 1
    assert out["upload_file"]["body"]["url"].startswith(f"https://{args['base_url']}/files/")
    assert isinstance(out["list_agents_for_transfer"]["body"], list)
    assert isinstance(out["list_routing_statuses"]["body"], list)
    customer = out["get_customer"]["body"]
    assert customer["id"] == args["customer_id"]
    assert customer["statistics"]["chats_count"] == 1
    if version == "3.6":
        summary = out["request_thread_summary"]
        assert summary["status"] == 501
        assert summary["body"]["error"]["type"] == "service_unavailable"
    else:
        created = out["create_customer"]["body"]["customer_id"]
        listed = out["list_customers"]["body"]
        assert [c["id"] for c in listed["customers"]] == [created]
        assert out["get_license_info"]["body"]["license_id"] == str(sdk_server.license_id)


# The methods each client ran (scenarios.py), besides the version's own (see the tests).
WEB_METHODS = {
    "start_chat",
    "send_event",
    "get_chat",
    "list_chats",
    "list_threads",
    "list_archives",
    "upload_file",
    "get_customer",
    "resume_chat",
    "list_agents_for_transfer",
    "list_routing_statuses",
    *EMPTY,
}
RTM_METHODS = (WEB_METHODS - {"upload_file"}) | {
    "login",
    "change_push_notifications",
    "set_away_status",
    "logout",
}
# What v3.6 has and v3.5 has not.
ONLY_3_6 = {"send_thinking_indicator", "send_event_preview"}

# The pushes the RTM clients must have received, all in the connection's version.
PUSHES = {
    "incoming_chat",
    "incoming_event",
    "event_updated",
    "incoming_rich_message_postback",
    "chat_properties_updated",
    "thread_properties_updated",
    "event_properties_updated",
    "chat_properties_deleted",
    "thread_properties_deleted",
    "event_properties_deleted",
    "events_marked_as_seen",
    "incoming_multicast",
    "user_added_to_chat",
    "chat_transferred",
    "user_removed_from_chat",
    "customer_updated",
    "customer_banned",
    "routing_status_set",
    "chat_deactivated",
    "thread_tagged",
    "thread_untagged",
    "chat_unfollowed",
}


@pytest.mark.parametrize("auth", AUTH)
@pytest.mark.parametrize("version", VERSIONS)
def test_agent_rtm_client_runs_every_method_and_receives_the_pushes(
    sdk_python: Path, sdk_server: SdkServer, version: str, auth: str
) -> None:
    args = scenario_args(sdk_server, version, auth)
    out = run(sdk_python, "rtm_methods", args)
    pushes = out.pop("pushes") + out.pop("actor pushes")
    expected = RTM_METHODS | (ONLY_3_6 | {"update_session"} if version == "3.6" else set())
    assert set(out) >= expected, sorted(expected - set(out))
    failed = {
        name: r
        for name, r in out.items()
        if r["success"] is not True and name != "request_thread_summary"
    }
    assert not failed, failed
    if version == "3.6":
        summary = out["request_thread_summary"]["payload"]
        assert summary["error"]["type"] == "service_unavailable"
    login = out["login"]["payload"]
    assert login["my_profile"]["id"] == sdk_server.owner_id
    assert login["license"]["id"] == str(sdk_server.license_id)
    assert set(out["start_chat"]["payload"]) == {"chat_id", "thread_id"}
    assert set(out["send_event"]["payload"]) == {"event_id"}
    received = {p["action"] for p in pushes}
    assert received >= PUSHES, sorted(PUSHES - received)
    assert {p["version"] for p in pushes} == {version}
    typing = [p for p in pushes if p["action"] == "incoming_typing_indicator"]
    assert all(p["payload"]["typing_indicator"]["visibility"] == "agents" for p in typing)
    if version == "3.5":
        assert out["list_customers"]["payload"]["total_customers"] == 1


def test_the_sdks_agent_web_example_runs_with_only_the_host_and_token_changed(
    sdk_python: Path, sdk_server: SdkServer
) -> None:
    out = run(
        sdk_python,
        "example_web",
        {"base_url": sdk_server.server.host, "raw_token": sdk_server.owner_token},
        {"SSL_CERT_FILE": str(sdk_server.certificate)},
    )
    assert {name: r["status"] for name, r in out.items()} == dict.fromkeys(out, 200), out
    assert out["get_chat"]["body"]["thread"]["events"][0]["text"] == "Hello from Agent WEB!"


def test_the_sdks_agent_rtm_example_runs_with_only_the_host_and_token_changed(
    sdk_python: Path, sdk_server: SdkServer
) -> None:
    out = run(
        sdk_python,
        "example_rtm",
        {"base_url": sdk_server.server.host, "raw_token": sdk_server.owner_token},
    )
    newest = out.pop("incoming_chat_push")
    received = out.pop("received")
    assert {name: r["success"] for name, r in out.items()} == dict.fromkeys(out, True), out
    assert newest["type"] == "push", newest
    chat_id = out["start_chat"]["payload"]["chat_id"]
    assert [
        m
        for m in received
        if m.get("action") == "incoming_chat" and m["payload"]["chat"]["id"] == chat_id
    ]
    assert out["get_chat"]["payload"]["thread"]["events"][0]["text"] == "Hello from Agent RTM!"
