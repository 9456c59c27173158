"""RTM sessions: login (with "Bearer <token>" or the bare token), its response payloads, the
ping action, logout and the disconnect push.

Spec: agent-chat-api "Login" (response {"license", "my_profile", "chats_summary"}), "Logout",
"Agent disconnected" ({"reason"}); customer-chat-api "Login" (response {"customer_id",
"has_active_thread", ...}); "Ping": "a client should use a protocol message with ping action".
"""

from __future__ import annotations

import asyncio
import base64
import os

import pytest

from .conftest import Agent
from .harness import Rtm, run_cli, unique


async def test_agent_login_with_bearer_token_returns_license_profile_and_chats_summary(env, rtm):
    client = await rtm.raw_agent()

    resp = await client.request(
        "login", {"token": f"Bearer {env.admin.token}"}, request_id="login-1"
    )

    assert resp["request_id"] == "login-1"
    assert resp["type"] == "response" and resp["action"] == "login" and resp["success"] is True
    payload = resp["payload"]
    assert {"license", "my_profile", "chats_summary"} <= set(payload), payload
    assert str(payload["license"]["id"]) == str(env.a.license_id)
    profile = payload["my_profile"]
    assert profile["id"] == env.admin.id
    assert profile["type"] == "agent"
    assert profile["email"] == "admin.agent@example.com"
    assert profile["name"] == "Adam Admin"
    assert profile.get("permission", "administrator") == "administrator"
    assert isinstance(payload["chats_summary"], list)


async def test_agent_login_accepts_bare_token(env, rtm):
    client = await rtm.raw_agent()
    payload = await client.call("login", {"token": env.admin.token})
    assert payload["my_profile"]["id"] == env.admin.id


async def test_normal_agent_login_reports_normal_permission(env, rtm):
    client = await rtm.agent(env.normal)
    profile = client.login_payload["my_profile"]
    assert profile["id"] == env.normal.id == "normal.agent@example.com"
    if "permission" in profile:
        assert profile["permission"] == "normal"


async def test_customer_login_returns_customer_id_and_active_thread_flag(env, rtm):
    cust = env.new_customer()
    first = await rtm.raw_customer(cust.license_id)
    payload = await first.call("login", {"token": f"Bearer {cust.token}"})
    assert payload["customer_id"] == cust.id
    assert payload["has_active_thread"] is False

    env.start_chat(cust, "now I have a thread")
    second = await rtm.raw_customer(cust.license_id)
    payload = await second.call("login", {"token": cust.token})
    assert payload["customer_id"] == cust.id
    assert payload["has_active_thread"] is True


@pytest.mark.parametrize("who", ["agent", "customer"])
async def test_ping_action_gets_a_successful_response(env, rtm, who):
    client = await (rtm.agent(env.a.owner) if who == "agent" else rtm.customer(env.new_customer()))
    resp = await client.request("ping", {}, request_id="p-1")
    assert resp["request_id"] == "p-1"
    assert resp["success"] is True and resp["type"] == "response" and resp["action"] == "ping"


async def test_agent_login_chats_summary_lists_chats_with_spec_fields(env, rtm):
    cust = env.new_customer()
    chat = env.start_chat(cust, "summarise me")["chat"]
    env.agent(
        env.admin,
        "add_user_to_chat",
        {"chat_id": chat["id"], "user_id": env.a.owner.id, "user_type": "agent"},
    )
    client = await rtm.agent(env.a.owner)
    summaries = client.login_payload["chats_summary"]
    mine = [c for c in summaries if c["id"] == chat["id"]]
    assert mine, "the agent's chat is in the login chats_summary"
    assert {"id", "users", "last_event_per_type", "last_thread_summary"} <= set(mine[0])


async def test_logout_closes_the_session_and_other_sessions_get_agent_disconnected(env, rtm):
    email = f"{unique('leaver')}@example.com"
    out = run_cli(env.server.data_dir, "agent", "create", "--email", email, "--name", "Lee Ver")
    leaver = Agent(id=out["id"], token=out["access_token"], license_id=env.a.license_id)
    here = await rtm.agent(leaver)
    elsewhere = await rtm.agent(leaver)

    resp = await here.request("logout", {}, request_id="bye")

    assert resp["request_id"] == "bye" and resp["success"] is True
    assert resp["type"] == "response" and resp["action"] == "logout"
    push = await elsewhere.wait_push("agent_disconnected", timeout=5)
    assert push["payload"]["reason"] == "agent_logged_out_remotely"
    # the logged-out connection is closed, or at least no longer logged in
    for _ in range(50):
        if here.closed:
            break
        await asyncio.sleep(0.1)
    if not here.closed:
        again = await here.request("get_archives", {}, request_id="after")
        assert again["success"] is False
        assert again["payload"]["error"]["type"] == "authentication"


async def test_request_without_request_id_still_gets_a_response(env, rtm):
    client = await rtm.agent(env.a.owner)
    await client.send_raw('{"action": "ping", "payload": {}}')
    resp = await client.next_orphan_response()
    assert resp["type"] == "response" and resp["action"] == "ping" and resp["success"] is True
    assert resp.get("request_id") in (None, "")


async def test_the_server_pings_a_silent_client_that_answers_stays_one_that_does_not_is_closed(
    server_factory,
):
    """Spec: "A client should ping the server each 15 seconds, otherwise the connection will be
    closed after about one minute of inactivity". A browser sends no pings (and the current
    customer SDK no `ping` action): the server pings every connection itself and counts the
    pong as activity, so only a client that stops answering is closed. Here with a 3 s idle
    timeout, pings every second and a 3 s pong deadline (the defaults: 60, 15 and 45 s)."""
    inst = server_factory()
    inst.server.settings.update(
        {"rtm_idle_timeout": "3", "rtm_ping_interval": "1", "rtm_ping_timeout": "3"}
    )
    inst.start()
    # Sends nothing, pings never, but its websocket stack answers the server's pings.
    silent = await Rtm(inst.server.ws_base + "/v3.0/agent/rtm/ws", control_pings=False).connect()
    deaf = await DeafWebSocket.open(inst.server.port, "/v3.0/agent/rtm/ws")
    try:
        await silent.call("login", {"token": f"Bearer {inst.lic.owner.token}"})
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.wait_for(deaf.closed(), 30)
        # Well past the idle timeout and a few of the reaper's rounds (every 5 s).
        await asyncio.sleep(max(0.0, 12 - (loop.time() - started)))
        assert not silent.closed, "a client that answers the server's pings stays connected"
        assert not [p for p in silent.pushes if p["action"] == "agent_disconnected"]
        assert await silent.alive()
    finally:
        deaf.close()
        await silent.close()


class DeafWebSocket:
    """A websocket client that never answers a ping (nor anything else)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int, path: str) -> DeafWebSocket:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(reader, writer)

    async def closed(self) -> None:
        """Returns once the server has closed the connection (frames read are ignored)."""
        while await self.reader.read(65536):
            pass

    def close(self) -> None:
        self.writer.close()
