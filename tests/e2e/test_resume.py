"""Resumable RTM sessions (docs/resume.md): a client cut off mid-conversation logs in again
naming the last push it saw and gets every push it missed exactly once and in order, then
live ones; where it cannot, the login response says why. Over the websocket and socket.io,
for customers and agents, with the socket closed and with the network paused, and on
another process of a cluster."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from .conftest import Agent, Customer, Env
from .harness import Http, Rtm, ServerProcess, run_cli
from .test_cluster import ClusterNode


def _seq(push: dict[str, Any]) -> tuple[str, int]:
    mark = push["resume"]
    return mark["session_id"], mark["seq"]


async def _login(url: str, token: str, resume: dict[str, Any] | None = None) -> tuple[Rtm, dict]:
    client = await Rtm(url).connect()
    extra = {"resume": resume} if resume is not None else None
    answer = await client.request("login", {"token": f"Bearer {token}"}, extra=extra)
    assert answer["success"] is True, answer
    return client, answer


def _say(http: Http, agent: Agent | str, chat_id: str, text: str) -> None:
    token = agent if isinstance(agent, str) else agent.token
    http.agent(
        token, "send_event", {"chat_id": chat_id, "event": {"type": "message", "text": text}}
    )


async def _texts(client: Rtm, n: int) -> list[tuple[str, int, str]]:
    """The next `n` messages pushed (incoming_event of type message): (session_id, seq, text).
    Routing's system messages in between are numbered too, and skipped here."""
    out = []
    for _ in range(n):
        push = await client.wait_push(
            "incoming_event", lambda p: p["event"].get("type") == "message"
        )
        sid, seq = _seq(push)
        out.append((sid, seq, push["payload"]["event"]["text"]))
    return out


def _customer_url(base: str, customer: Customer) -> str:
    return f"{base}/v3.0/customer/rtm/ws?license_id={customer.license_id}"


async def test_a_customer_cut_off_resumes_with_every_missed_push_in_order(env: Env) -> None:
    customer = env.new_customer()
    url = _customer_url(env.server.ws_base, customer)
    client, answer = await _login(url, customer.token)
    chat_id = env.start_chat(customer)["chat"]["id"]
    session_id = answer["resume"]["session_id"]
    assert answer["resume"]["resumed"] is False and "reason" not in answer["resume"]
    _say(env.http, env.a.owner, chat_id, "before")
    (sid, seq, text), *_ = await _texts(client, 1)
    assert (sid, text) == (session_id, "before")
    await client.close()  # the connection drops
    missed = [f"missed {i} {uuid.uuid4().hex[:6]}" for i in range(5)]
    for text in missed:
        _say(env.http, env.a.owner, chat_id, text)
    again, answer = await _login(url, customer.token, {"session_id": sid, "seq": seq})
    try:
        resumed = answer["resume"]
        assert resumed["resumed"] is True, resumed
        assert resumed["replayed"] >= len(missed)
        got = await _texts(again, len(missed))
        assert [t for _, _, t in got] == missed
        # Numbered afresh under the new session id, in order, then live pushes follow.
        new_id = resumed["session_id"]
        assert {s for s, _, _ in got} == {new_id}
        seqs = [n for _, n, _ in got]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        _say(env.http, env.a.owner, chat_id, "live")
        ((live_sid, live_seq, live_text),) = await _texts(again, 1)
        assert (live_sid, live_text) == (new_id, "live")
        assert live_seq > seqs[-1]
        await asyncio.sleep(0.3)
        assert not [m for m in again._unconsumed if m.get("action") == "incoming_event"], (
            "duplicates"
        )
    finally:
        await again.close()


async def test_an_agent_resumes_too_and_nothing_is_sent_twice(env: Env) -> None:
    customer = env.new_customer()
    chat_id = env.start_chat(customer)["chat"]["id"]
    env.join(chat_id, env.normal)
    url = f"{env.server.ws_base}/v3.0/agent/rtm/ws"
    client, answer = await _login(url, env.normal.token)
    env.customer(
        customer, "send_event", {"chat_id": chat_id, "event": {"type": "message", "text": "one"}}
    )
    ((sid, seq, _),) = await _texts(client, 1)
    await client.close()
    for i in range(3):
        env.customer(
            customer,
            "send_event",
            {"chat_id": chat_id, "event": {"type": "message", "text": f"m{i}"}},
        )
    again, answer = await _login(url, env.normal.token, {"session_id": sid, "seq": seq})
    try:
        assert answer["resume"]["resumed"] is True
        assert [t for _, _, t in await _texts(again, 3)] == ["m0", "m1", "m2"]
    finally:
        await again.close()


async def test_a_resume_of_an_unknown_or_foreign_session_says_so(env: Env) -> None:
    customer, other = env.new_customer(), env.new_customer()
    url = _customer_url(env.server.ws_base, customer)
    client, answer = await _login(url, customer.token)
    env.start_chat(customer)
    session_id = answer["resume"]["session_id"]
    await client.close()
    # Another customer cannot take it.
    thief, answer = await _login(
        _customer_url(env.server.ws_base, other), other.token, {"session_id": session_id, "seq": 0}
    )
    assert answer["resume"] == {
        "session_id": answer["resume"]["session_id"],
        "resumed": False,
        "reason": "another_user",
    }
    await thief.close()
    nowhere, answer = await _login(url, customer.token, {"session_id": "nope.x", "seq": 3})
    assert answer["resume"]["resumed"] is False
    assert answer["resume"]["reason"] == "unknown_session"
    await nowhere.close()


async def test_a_malformed_resume_is_a_validation_error_and_no_login(env: Env) -> None:
    customer = env.new_customer()
    client = await Rtm(_customer_url(env.server.ws_base, customer)).connect()
    try:
        answer = await client.request(
            "login", {"token": f"Bearer {customer.token}"}, extra={"resume": {"seq": "1"}}
        )
        assert answer["success"] is False
        assert answer["payload"]["error"]["type"] == "validation"
        assert "resume.session_id" in answer["payload"]["error"]["message"]
    finally:
        await client.close()


def _own_server(tmp_path: Path, **settings: str) -> tuple[ServerProcess, dict[str, Any]]:
    data_dir = tmp_path / f"data-{uuid.uuid4().hex[:6]}"
    created = run_cli(data_dir, "init")
    server = ServerProcess(data_dir, settings)
    server.start()
    return server, created


async def _customer_chat(http: Http, owner: str, license_id: int) -> tuple[Customer, str]:
    identity = http.create_customer(owner)
    customer = Customer(identity["entity_id"], identity["access_token"], license_id)
    chat_id = http.customer(
        customer.token,
        license_id,
        "start_chat",
        {"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}},
    )["chat"]["id"]
    return customer, chat_id


async def test_after_the_window_or_past_the_buffer_the_login_says_it_cannot(
    tmp_path: Path,
) -> None:
    server, created = _own_server(tmp_path, resume_window="2", resume_max_pushes="3")
    http = Http(server.base_url)
    owner, lic = created["owner"]["access_token"], created["license_id"]
    try:
        customer, chat_id = await _customer_chat(http, owner, lic)
        url = _customer_url(server.ws_base, customer)
        # Past the buffer: 5 pushes missed, 3 kept.
        client, answer = await _login(url, customer.token)
        sid = answer["resume"]["session_id"]
        await client.close()
        for i in range(5):
            _say(http, owner, chat_id, f"overflow {i}")
        again, answer = await _login(url, customer.token, {"session_id": sid, "seq": 0})
        assert answer["resume"]["resumed"] is False
        assert answer["resume"]["reason"] == "pushes_dropped"
        sid = answer["resume"]["session_id"]
        await again.close()
        # After the window.
        await asyncio.sleep(2.5)
        late, answer = await _login(url, customer.token, {"session_id": sid, "seq": 0})
        assert answer["resume"]["resumed"] is False
        assert answer["resume"]["reason"] == "unknown_session"
        await late.close()
    finally:
        http.close()
        server.stop()


class PausableProxy:
    """A TCP proxy between a client and the server whose traffic can be paused in both
    directions, as a network that stops carrying packets (a sleeping laptop)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.running = asyncio.Event()
        self.running.set()
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                await self.running.wait()
                writer.write(data)
                await writer.drain()
        with contextlib.suppress(Exception):
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()


async def test_a_client_whose_network_paused_resumes_after_the_server_gave_up(
    tmp_path: Path,
) -> None:
    server, created = _own_server(
        tmp_path, rtm_ping_interval="0.5", rtm_ping_timeout="1", rtm_idle_timeout="2"
    )
    http = Http(server.base_url)
    owner, lic = created["owner"]["access_token"], created["license_id"]
    proxy = PausableProxy(server.port)
    await proxy.start()
    try:
        customer, chat_id = await _customer_chat(http, owner, lic)
        url = f"ws://127.0.0.1:{proxy.port}/v3.0/customer/rtm/ws?license_id={lic}"
        client = await Rtm(url, control_pings=False).connect()
        answer = await client.request("login", {"token": f"Bearer {customer.token}"})
        _say(http, owner, chat_id, "seen")
        ((sid, seq, _),) = await _texts(client, 1)
        proxy.running.clear()  # the network stops
        _say(http, owner, chat_id, "while paused 1")
        _say(http, owner, chat_id, "while paused 2")
        await asyncio.sleep(7)  # the server's pings go unanswered; it gives the session up
        proxy.running.set()
        with contextlib.suppress(Exception):
            await client.close()
        direct = _customer_url(server.ws_base, customer)
        again, answer = await _login(direct, customer.token, {"session_id": sid, "seq": seq})
        assert answer["resume"]["resumed"] is True, answer["resume"]
        assert [t for _, _, t in await _texts(again, 2)] == ["while paused 1", "while paused 2"]
        await again.close()
    finally:
        await proxy.close()
        http.close()
        server.stop()


async def test_socket_io_clients_resume_as_well(env: Env) -> None:
    import socketio

    customer = env.new_customer()
    chat_id = env.start_chat(customer)["chat"]["id"]
    pushes: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    responses: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def connect() -> socketio.AsyncClient:
        sio = socketio.AsyncClient(reconnection=False)

        @sio.on("message")
        async def on_message(data: Any) -> None:
            msg = data if isinstance(data, dict) else json.loads(data)
            await (pushes if msg.get("type") == "push" else responses).put(msg)

        await sio.connect(
            f"{env.server.base_url}?license_id={customer.license_id}",
            socketio_path="/v3.0/customer/rtm/sio",
            transports=["websocket"],
        )
        return sio

    first = await connect()
    await first.emit(
        "message", {"action": "login", "payload": {"token": f"Bearer {customer.token}"}}
    )
    login = await asyncio.wait_for(responses.get(), 10)
    assert login["success"] is True
    _say(env.http, env.a.owner, chat_id, "sio seen")
    seen = await asyncio.wait_for(pushes.get(), 10)
    while seen.get("action") != "incoming_event":
        seen = await asyncio.wait_for(pushes.get(), 10)
    sid, seq = _seq(seen)
    await first.disconnect()
    _say(env.http, env.a.owner, chat_id, "sio missed")
    await asyncio.sleep(0.5)
    second = await connect()
    try:
        await second.emit(
            "message",
            {
                "action": "login",
                "payload": {"token": f"Bearer {customer.token}"},
                "resume": {"session_id": sid, "seq": seq},
            },
        )
        login = await asyncio.wait_for(responses.get(), 10)
        assert login["resume"]["resumed"] is True
        push = await asyncio.wait_for(pushes.get(), 10)
        while push.get("action") != "incoming_event":
            push = await asyncio.wait_for(pushes.get(), 10)
        assert push["payload"]["event"]["text"] == "sio missed"
    finally:
        await second.disconnect()


@pytest.mark.postgres
@pytest.mark.redis
async def test_a_session_resumes_on_another_process_of_a_cluster(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    created = run_cli(data, "init", "--database-url", postgres_url)
    nodes = [ClusterNode(data, postgres_url, redis_url) for _ in range(2)]
    for node in nodes:
        node.start()
    http = Http(nodes[0].base_url)
    owner, lic = created["owner"]["access_token"], created["license_id"]
    try:
        customer, chat_id = await _customer_chat(http, owner, lic)
        client, answer = await _login(_customer_url(nodes[0].ws_base, customer), customer.token)
        _say(http, owner, chat_id, "on the first")
        ((sid, seq, _),) = await _texts(client, 1)
        await client.close()
        missed = [f"between {i}" for i in range(4)]
        for text in missed:
            _say(http, owner, chat_id, text)
        again, answer = await _login(
            _customer_url(nodes[1].ws_base, customer),
            customer.token,
            {"session_id": sid, "seq": seq},
        )
        assert answer["resume"]["resumed"] is True, answer["resume"]
        assert [t for _, _, t in await _texts(again, 4)] == missed
        _say(http, owner, chat_id, "live on the second")
        assert [t for _, _, t in await _texts(again, 1)] == ["live on the second"]
        await asyncio.sleep(0.3)
        left = [m for m in again._unconsumed if m.get("action") == "incoming_event"]
        assert not [m for m in left if m["payload"]["event"].get("type") == "message"], left
        await again.close()
    finally:
        http.close()
        for node in nodes:
            node.stop()
