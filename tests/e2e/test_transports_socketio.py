"""The RTM API over socket.io (`/v3.x/<api>/rtm/sio`), which the Agent Chat API reference lists
beside the websocket, driven by a real socket.io client (python-socketio's AsyncClient;
Engine.IO 4 / Socket.IO 5, the protocol of the socket.io JavaScript client 3.x and 4.x).

Spec: agent-chat-api/api-reference.md "API endpoints" (socket.io:
`https://api.livechatinc.com/v3.0/agent/rtm/sio`); every request, response and push is a
`message` event carrying the message object.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
import socketio

from .conftest import Env
from .harness import Rtm, unique
from .transport_clients import SocketIo

AGENT = "/v3.0/agent/rtm/sio"
CUSTOMER = "/v3.0/customer/rtm/sio"


class Opened:
    def __init__(self) -> None:
        self.clients: list[Rtm] = []

    async def add(self, client: Any) -> Any:
        self.clients.append(client)
        return await client.connect()


@pytest_asyncio.fixture
async def opened() -> AsyncIterator[Opened]:
    made = Opened()
    try:
        yield made
    finally:
        for client in made.clients:
            await client.close()


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_agent_logs_in_calls_methods_and_gets_the_pushes_a_websocket_client_gets(
    env: Env, opened: Opened, rtm: Any, transport: str
):
    plain = await rtm.agent(env.admin)
    sio = await opened.add(SocketIo(env.server.base_url, AGENT, transports=[transport]))
    assert sio.sio.transport() == transport

    login = await sio.call("login", {"token": f"Bearer {env.admin.token}"})
    assert login["my_profile"]["id"] == env.admin.id
    assert {"license", "my_profile", "chats_summary"} <= set(login)

    # A customer starts a chat: both connections of the agent hear of it.
    customer = env.new_customer()
    chat = env.start_chat(customer, unique("hello socket.io "))["chat"]
    pushes = [
        await client.wait_push("incoming_chat_thread", lambda p: p["chat"]["id"] == chat["id"])
        for client in (plain, sio)
    ]
    assert pushes[0]["payload"] == pushes[1]["payload"]

    # Methods over socket.io: the agent joins and answers; the websocket client hears it.
    await sio.call(
        "add_user_to_chat", {"chat_id": chat["id"], "user_id": env.admin.id, "user_type": "agent"}
    )
    sent = await sio.call(
        "send_event", {"chat_id": chat["id"], "event": {"type": "message", "text": "hi there"}}
    )
    got = await sio.call("get_chat_threads", {"chat_id": chat["id"]})
    assert sent["event"]["id"] in {e["id"] for e in got["chat"]["threads"][0]["events"]}, got

    # The customer writes: the same push, with the same payload, on both framings.
    reply = env.customer(
        customer, "send_event", {"chat_id": chat["id"], "event": {"type": "message", "text": "ok"}}
    )
    events = [
        await client.wait_push("incoming_event", lambda p: p["event"]["id"] == reply["event"]["id"])
        for client in (plain, sio)
    ]
    assert events[0]["payload"] == events[1]["payload"]
    # The agent's own message was pushed to its other connection too.
    own = await plain.wait_push("incoming_event", lambda p: p["event"]["id"] == sent["event"]["id"])
    assert own["payload"]["event"]["text"] == "hi there"


async def test_customer_over_socketio_gets_the_agents_reply(env: Env, opened: Opened):
    customer = env.new_customer()
    client = await opened.add(
        SocketIo(env.server.base_url, CUSTOMER, query=f"license_id={customer.license_id}")
    )
    login = await client.call("login", {"token": f"Bearer {customer.token}"})
    assert login["customer_id"] == customer.id
    started = await client.call(
        "start_chat", {"chat": {"thread": {"events": [{"type": "message", "text": "hey"}]}}}
    )
    chat_id = started["chat"]["id"]
    sent = env.agent(
        env.admin, "send_event", {"chat_id": chat_id, "event": {"type": "message", "text": "yo"}}
    )
    push = await client.wait_push(
        "incoming_event", lambda p: p["event"]["id"] == sent["event"]["id"]
    )
    assert push["payload"]["event"]["text"] == "yo"


async def test_requests_as_text_other_events_and_bad_messages_are_answered(
    env: Env, opened: Opened
):
    client = await opened.add(SocketIo(env.server.base_url, AGENT))
    # The request's JSON text as the event's argument works as the object does.
    await client.sio.emit("message", '{"request_id": "t", "action": "ping"}')
    resp = await client.next_orphan_response()
    assert resp["request_id"] == "t"
    assert resp["success"] is True and resp["action"] == "ping"
    # Another event name: a validation error naming the `message` event.
    await client.emit("login", {"request_id": "wrong-event", "payload": {}})
    resp = await client.next_orphan_response()
    assert resp["request_id"] == "wrong-event"
    assert resp["success"] is False
    assert resp["payload"]["error"]["type"] == "validation"
    assert "message" in resp["payload"]["error"]["message"]
    # A message that is no request object, and malformed JSON text.
    await client.sio.emit("message", 42)
    await client.sio.emit("message", "{not json")
    for _ in range(2):
        resp = await client.next_orphan_response()
        assert resp["success"] is False
        assert resp["payload"]["error"]["type"] == "validation"
    assert await client.alive()


@pytest.fixture
def small(server_factory: Any) -> Any:
    inst = server_factory()
    inst.server.settings.update(
        {
            "max_frame_bytes": "2000",
            "max_connections_per_address": "2",
            "requests_per_second": "0",
            "rtm_idle_timeout": "3",
            "rtm_ping_interval": "1",
            "rtm_ping_timeout": "3",
        }
    )
    inst.start()
    return inst


async def test_limits_hold_frame_size_and_connections_per_address(small: Any, opened: Opened):
    base = small.server.base_url
    first = await opened.add(SocketIo(base, AGENT))
    await opened.add(SocketIo(base, AGENT, transports=["polling"]))
    big = {"request_id": "big", "action": "ping", "payload": {"pad": "x" * 3000}}
    resp = await first.request_message(big)
    assert resp["success"] is False
    assert resp["payload"]["error"]["type"] == "entity_too_large"
    assert await first.alive(), "a message over the limit leaves the connection open"
    third = SocketIo(base, AGENT)
    with pytest.raises(socketio.exceptions.ConnectionError) as refused:
        await opened.add(third)
    assert "Too many connections" in str(refused.value) or "Too many connections" in str(
        third.connect_error
    )


async def test_an_idle_client_that_answers_engineio_pings_stays_connected(
    small: Any, opened: Opened
):
    """Nothing sent for well past the idle timeout (3 s): Engine.IO's pings keep it alive."""
    client = await opened.add(SocketIo(small.server.base_url, AGENT))
    await client.call("login", {"token": f"Bearer {small.lic.owner.token}"})
    await asyncio.sleep(12)  # the reaper looks every 5 s
    assert not client.closed
    assert not [p for p in client.pushes if p["action"] == "agent_disconnected"]
    assert await client.alive()
