"""The RTM API over SockJS (`/v3.x/<api>/rtm/sjs`), as sockjs-client 1.3 (inside LiveChat's
`@livechat/customer-sdk` 2.0.0-alpha.3) uses it: `GET …/info`, the websocket transport and
xhr-polling, with the same sessions, limits and pushes as the plain websocket.

Spec: sockjs-protocol 0.3.3 (the frames `o`, `h`, `a[...]`, `c[code,"reason"]`; `xhr`,
`xhr_send`, the 2010 close of a second poll, the session timeout); the customer-sdk's
`createSocket` (`<server>/rtm/sjs?license_id=N&bh=…`, transports websocket and xhr-polling).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import websockets
from websockets.exceptions import InvalidStatus

from .conftest import Customer, Env
from .harness import Rtm, unique
from .transport_clients import (
    NodeSockJs,
    SockJsPolling,
    SockJsWebSocket,
    install_sockjs_client,
    session_path,
)


def sjs(base_url: str, api: str = "customer") -> str:
    return f"{base_url}/v3.0/{api}/rtm/sjs"


@pytest.fixture(scope="session")
def sockjs_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sockjs-client 1.3.0 from npm (the version the customer-sdk 2.0.0-alpha.3 bundle has)."""
    return install_sockjs_client(tmp_path_factory.mktemp("sockjs-client"))


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


async def chat_with_agent_reply(env: Env, client: Rtm, customer: Customer) -> None:
    """Log in as the customer, start a chat, and get an agent's reply as a push."""
    login = await client.call("login", {"token": f"Bearer {customer.token}"})
    assert login["customer_id"] == customer.id, login
    text = unique("hello over sockjs ")
    started = await client.call(
        "start_chat", {"chat": {"thread": {"events": [{"type": "message", "text": text}]}}}
    )
    chat_id = started["chat"]["id"]
    await client.wait_push("incoming_chat_thread", lambda p: p["chat"]["id"] == chat_id)
    reply = unique("agent reply ")
    sent = env.agent(
        env.admin, "send_event", {"chat_id": chat_id, "event": {"type": "message", "text": reply}}
    )
    push = await client.wait_push(
        "incoming_event", lambda p: p["event"]["id"] == sent["event"]["id"]
    )
    assert push["type"] == "push"
    assert push["payload"]["chat_id"] == chat_id
    assert push["payload"]["event"]["text"] == reply
    assert push["payload"]["event"]["author_id"] == env.admin.id


# -- what the client reads first --------------------------------------------------------


def test_base_url_greets_and_info_tells_websocket_and_no_cookie(env: Env) -> None:
    base = sjs(env.server.base_url)
    with httpx.Client(trust_env=False, timeout=10) as http:
        for url in (base, base + "/"):
            resp = http.get(url)
            assert resp.status_code == 200 and resp.text == "Welcome to SockJS!\n"
            assert resp.headers["content-type"].replace(" ", "") == "text/plain;charset=UTF-8"
        # As sockjs-client asks: the base URL's query string, and `t` against caches.
        url = f"{base}/info?license_id={env.a.license_id}&bh=abc&t=1"
        first = http.get(url, headers={"Origin": "https://shop.example"})
        second = http.get(url)
        assert first.status_code == 200
        info = first.json()
        assert info["websocket"] is True and info["cookie_needed"] is False
        assert info["origins"] == ["*:*"]
        assert isinstance(info["entropy"], int) and info["entropy"] != second.json()["entropy"]
        assert first.headers["cache-control"] == "no-store, no-cache, must-revalidate, max-age=0"
        # Any page may use it, with credentials (sockjs-client's XHRs send them).
        assert first.headers["access-control-allow-origin"] == "https://shop.example"
        assert first.headers["access-control-allow-credentials"] == "true"
        assert second.headers["access-control-allow-origin"] == "*"
        options = http.options(f"{base}/info", headers={"Origin": "https://shop.example"})
        assert options.status_code == 204
        assert options.headers["access-control-allow-methods"] == "OPTIONS, GET"
        assert int(options.headers["access-control-max-age"]) > 1_000_000
        # Unknown paths, and session ids with dots or empty parts, are not SockJS's.
        for suffix in ("/a", "/a/a", "/a./a/xhr", "/a/a./xhr", "//a/xhr", "/a/a/eventsource"):
            assert http.post(base + suffix).status_code in (404, 405), suffix
        # A plain GET of the websocket URL is no upgrade.
        resp = http.get(base + "/000/abc/websocket")
        assert resp.status_code == 400 and 'Can "Upgrade" only to "WebSocket".' in resp.text


# -- a customer's chat over each transport ----------------------------------------------


async def test_customer_chats_over_the_sockjs_websocket_transport(env: Env, opened: Opened):
    customer = env.new_customer()
    client = await opened.add(
        SockJsWebSocket(sjs(env.server.base_url), f"license_id={customer.license_id}&bh=x")
    )
    assert client.opened == "o"
    await chat_with_agent_reply(env, client, customer)
    # Every frame after the open frame carried messages (or heartbeats).
    assert all(f[0] in "ah" for f in client.frames), client.frames


async def test_customer_chats_over_xhr_polling(env: Env, opened: Opened):
    customer = env.new_customer()
    client = await opened.add(
        SockJsPolling(sjs(env.server.base_url), f"license_id={customer.license_id}&bh=x")
    )
    assert client.opened == "o\n"
    await chat_with_agent_reply(env, client, customer)


@pytest.mark.parametrize(
    "transports", [["websocket", "xhr-polling"], ["xhr-polling"]], ids=["sdk-whitelist", "polling"]
)
async def test_sockjs_client_1_3_connects_as_the_customer_sdk_does(
    env: Env, opened: Opened, sockjs_client: Path, transports: list[str]
):
    """The real sockjs-client 1.3.0, with the SDK's URL and whitelist (and with websockets
    left out, as in a browser that blocks them: it falls back to xhr-polling)."""
    customer = env.new_customer()
    url = f"{sjs(env.server.base_url)}?license_id={customer.license_id}&bh=k3b9x0"
    client = await opened.add(NodeSockJs(url, transports, sockjs_client))
    assert client.transport == transports[0]
    await chat_with_agent_reply(env, client, customer)
    # The SDK's keep-alive message: `{"action": "ping"}`, no request_id.
    await client.send_raw('{"action": "ping"}')
    pong = await client.next_orphan_response()
    assert pong["action"] == "ping" and pong["success"] is True


async def test_agent_over_sockjs_gets_the_same_pushes_as_over_the_websocket(
    env: Env, opened: Opened, rtm: Any
):
    plain = await rtm.agent(env.admin)
    over_ws = await opened.add(SockJsWebSocket(sjs(env.server.base_url, "agent")))
    over_xhr = await opened.add(SockJsPolling(sjs(env.server.base_url, "agent")))
    for client in (over_ws, over_xhr):
        login = await client.call("login", {"token": f"Bearer {env.admin.token}"})
        assert login["my_profile"]["id"] == env.admin.id
    customer = env.new_customer()
    chat = env.start_chat(customer, unique("queued "))["chat"]
    for client in (plain, over_ws, over_xhr):
        push = await client.wait_push(
            "incoming_chat_thread", lambda p: p["chat"]["id"] == chat["id"]
        )
        assert push["payload"]["chat"]["id"] == chat["id"]
    sent = env.customer(
        customer, "send_event", {"chat_id": chat["id"], "event": {"type": "message", "text": "2"}}
    )
    payloads = []
    for client in (plain, over_ws, over_xhr):
        push = await client.wait_push(
            "incoming_event", lambda p: p["event"]["id"] == sent["event"]["id"]
        )
        payloads.append(push["payload"])
    assert payloads[0] == payloads[1] == payloads[2]


# -- the protocol's rules ---------------------------------------------------------------


async def test_a_second_poll_gets_2010_and_bad_sends_are_refused(env: Env, opened: Opened):
    base = sjs(env.server.base_url, "agent") + session_path()
    async with httpx.AsyncClient(trust_env=False, timeout=60) as http:
        assert (await http.post(base + "/xhr")).text == "o\n"
        waiting = asyncio.create_task(http.post(base + "/xhr"))
        await asyncio.sleep(1)  # the first poll is waiting on the server
        second = await http.post(base + "/xhr")
        assert second.text == 'c[2010,"Another connection still open"]\n'
        ping = json.dumps({"request_id": "p", "action": "ping"})
        assert (await http.post(base + "/xhr_send", content=json.dumps([ping]))).status_code == 204
        answered = (await waiting).text
        assert (
            answered.startswith("a[")
            and json.loads(json.loads(answered[1:])[0])["request_id"] == "p"
        )
        # xhr_send to a session that does not exist
        stranger = await http.post(
            sjs(env.server.base_url, "agent") + session_path() + "/xhr_send", content='["x"]'
        )
        assert stranger.status_code == 404
    client = await opened.add(SockJsPolling(sjs(env.server.base_url, "agent")))
    await client.call("login", {"token": f"Bearer {env.admin.token}"})
    empty = await client.xhr_send("")
    assert empty.status_code == 500 and "Payload expected." in empty.text
    broken = await client.xhr_send('["x')
    assert broken.status_code == 500 and "Broken JSON encoding." in broken.text
    # Several messages in one send, answered in order; a message that is not a string
    # still reaches the RTM API (and its validation) rather than being dropped.
    batch = [
        json.dumps({"request_id": "b1", "action": "ping"}),
        json.dumps({"request_id": "b2", "action": "ping"}),
    ]
    sent = await client.xhr_send(json.dumps([*batch, 42]))
    assert sent.status_code == 204 and sent.text == ""
    assert sent.headers["content-type"].replace(" ", "") == "text/plain;charset=UTF-8"
    answers = [await client.next_orphan_response() for _ in range(3)]
    assert [(r.get("request_id"), r["success"]) for r in answers] == [
        ("b1", True),
        ("b2", True),
        (None, False),
    ]
    assert answers[2]["payload"]["error"]["type"] == "validation"
    assert await client.alive()


async def test_broken_framing_on_the_websocket_closes_it_with_a_reason(env: Env, opened: Opened):
    client = await opened.add(SockJsWebSocket(sjs(env.server.base_url, "agent")))
    await client.send_frame("")  # empty frames are ignored
    await client.send_frame('["{\\"action\\": \\"ping\\", \\"request_id\\": \\"e\\"}"]')
    assert (await client.request_message({"request_id": "f", "action": "ping"}))["success"]
    await client.send_frame('["a')
    for _ in range(50):
        if client.closed:
            break
        await asyncio.sleep(0.1)
    assert client.close_frame is not None and client.close_frame[0] == 1002
    assert "JSON array of strings" in client.close_frame[1]


# -- private servers: short timers and small limits ---------------------------------------


@pytest.fixture
def small(server_factory: Any) -> Any:
    """A server with short SockJS timers and small RTM limits."""
    inst = server_factory()
    inst.server.settings.update(
        {
            "sockjs_heartbeat": "1",
            "sockjs_disconnect_delay": "1",
            "max_frame_bytes": "2000",
            "max_connections_per_address": "2",
            "requests_per_second": "0",
        }
    )
    http = inst.start()
    inst.customer = lambda: http.create_customer(inst.lic.owner.token)
    return inst


async def test_a_closed_session_answers_its_close_frame(small: Any, opened: Opened):
    """logout closes the session; later polls get the close frame, not a new session."""
    client = await opened.add(SockJsPolling(sjs(small.server.base_url, "agent")))
    await client.call("login", {"token": f"Bearer {small.lic.owner.token}"})
    await client.call("logout")
    for _ in range(50):
        if client.closed:
            break
        await asyncio.sleep(0.1)
    assert client.close_frame == [1000, "Normal closure"]
    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        again = await http.post(client._url("/xhr"))
        assert again.text == 'c[1000,"Normal closure"]\n'
        gone = await http.post(client._url("/xhr_send"), content='["{}"]')
        assert gone.status_code == 404


async def test_heartbeats_on_both_transports(small: Any, opened: Opened):
    base = sjs(small.server.base_url, "agent")
    over_ws = await opened.add(SockJsWebSocket(base))
    over_xhr = await opened.add(SockJsPolling(base))
    for _ in range(100):
        if over_ws.heartbeats and over_xhr.heartbeats:
            break
        await asyncio.sleep(0.1)
    assert over_ws.heartbeats and over_xhr.heartbeats
    assert "h" in over_ws.frames and "h" in over_xhr.frames


async def test_frame_size_limit_holds_on_both_transports(small: Any, opened: Opened):
    base = sjs(small.server.base_url, "agent")
    token = small.lic.owner.token
    for client in (SockJsWebSocket(base), SockJsPolling(base)):
        await opened.add(client)
        await client.call("login", {"token": f"Bearer {token}"})
        big = {"request_id": "big", "action": "ping", "payload": {"pad": "x" * 3000}}
        resp = await client.request_message(big)
        assert resp["success"] is False
        assert resp["payload"]["error"]["type"] == "entity_too_large"
        assert await client.alive(), "a frame over the limit leaves the connection open"


async def test_xhr_send_past_the_hard_cap_closes_the_session(small: Any, opened: Opened):
    client = await opened.add(SockJsPolling(sjs(small.server.base_url, "agent")))
    huge = json.dumps(["x" * (17 * 1024 * 1024)])
    try:
        resp = await client.xhr_send(huge)
    except httpx.TransportError:
        pass  # the server may answer 413 and hang up before the whole body is sent
    else:
        assert resp.status_code == 413
    for _ in range(50):
        if client.closed:
            break
        await asyncio.sleep(0.1)
    assert client.close_frame == [1009, "Message too big"]


async def test_connections_per_address_hold_and_a_session_that_stops_polling_frees_its_slot(
    small: Any, opened: Opened
):
    base = sjs(small.server.base_url, "customer")
    query = f"license_id={small.lic.license_id}"
    first = await opened.add(SockJsPolling(base, query))
    await opened.add(SockJsWebSocket(base, query))
    # A third connection from this address is refused on either transport.
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(
            "ws" + base[4:] + session_path() + "/websocket?" + query, proxy=None
        )
    assert refused.value.response.status_code == 403
    third = await opened.add(SockJsPolling(base, query))
    assert third.close_frame == [1013, "Too many connections from this address"]
    # The first client goes away without a word: it stops polling. Its session times out
    # (sockjs_disconnect_delay), the RTM session and its slot with it.
    await first.pause()
    fourth = await _connect_when_free(opened, base, query)
    customer = small.customer()
    login = await fourth.call("login", {"token": f"Bearer {customer['access_token']}"})
    assert login["customer_id"] == customer["entity_id"]
    # A page that goes away aborts its poll: the session closes at once.
    await fourth.stop_polling()
    await _connect_when_free(opened, base, query)


async def _connect_when_free(opened: Opened, base: str, query: str) -> SockJsPolling:
    for _ in range(100):
        client = await opened.add(SockJsPolling(base, query))
        if client.opened == "o\n":
            return client
        assert client.close_frame == [1013, "Too many connections from this address"]
        await asyncio.sleep(0.2)
    raise AssertionError("no connection slot came free")


async def test_license_id_of_the_base_url_reaches_the_session(env: Env, opened: Opened):
    """Without `license_id` a customer cannot log in (the same rule as /rtm/ws)."""
    customer = env.new_customer()
    client = await opened.add(SockJsPolling(sjs(env.server.base_url)))
    resp = await client.request("login", {"token": f"Bearer {customer.token}"})
    assert resp["success"] is False
    assert "license_id" in resp["payload"]["error"]["message"]


async def test_idle_sockjs_clients_stay_connected_while_they_answer_pings_or_poll(
    server_factory: Any, opened: Opened
):
    """Nothing sent for well past the idle timeout (3 s): the websocket transport's pongs to
    the server's pings, and the polling transport's polls, keep the sessions open."""
    inst = server_factory()
    inst.server.settings.update(
        {"rtm_idle_timeout": "3", "rtm_ping_interval": "1", "sockjs_heartbeat": "1"}
    )
    inst.start()
    base = sjs(inst.server.base_url, "agent")
    clients = [
        await opened.add(SockJsWebSocket(base, control_pings=False)),
        await opened.add(SockJsPolling(base)),
    ]
    for client in clients:
        await client.call("login", {"token": f"Bearer {inst.lic.owner.token}"})
    await asyncio.sleep(12)  # the reaper looks every 5 s
    for client in clients:
        assert not client.closed, client.close_frame
        assert not [p for p in client.pushes if p["action"] == "agent_disconnected"]
        assert await client.alive()
