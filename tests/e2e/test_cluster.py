"""Scale-out: three `chatplane serve` processes sharing PostgreSQL and Redis act as one.

Agents and customers are spread over the processes; every push arrives exactly once on
whichever process holds the connection; a process killed mid-conversation loses nothing
that was acknowledged, and its clients carry on through another process.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .harness import Http, Rtm, ServerProcess, _env, chatplane_command


class ClusterNode(ServerProcess):
    """A server process pointed at shared PostgreSQL and Redis."""

    def __init__(self, data_dir: Path, database_url: str, redis_url: str) -> None:
        super().__init__(
            data_dir,
            {
                "database_url": database_url,
                "redis_url": redis_url,
                # One channel per cluster: concurrent test runs share the Redis server.
                "redis_prefix": f"chatplane-test-{data_dir.parent.name}",
                "offline_grace": "1",
            },
        )


@pytest.fixture
def cluster(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> Iterator[tuple[list[ClusterNode], dict[str, Any]]]:
    data = tmp_path / "data"
    data.mkdir()
    cmd = [
        *chatplane_command(),
        "init",
        "--database-url",
        postgres_url,
        "--data-dir",
        str(data),
        "--json",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, env=_env(), check=True).stdout
    import json

    created = json.loads(out.strip().splitlines()[-1])
    nodes = [ClusterNode(data, postgres_url, redis_url) for _ in range(3)]
    for node in nodes:
        node.start()
    try:
        yield nodes, created
    finally:
        for node in nodes:
            if node.proc is not None and node.proc.poll() is None:
                node.proc.send_signal(signal.SIGTERM)
        for node in nodes:
            if node.proc is not None:
                try:
                    node.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    node.kill()


def _customer(http: Http, owner_token: str) -> dict[str, Any]:
    return http.create_customer(owner_token)


async def _login(url: str, token: str) -> Rtm:
    rtm = await Rtm(url).connect()
    await rtm.call("login", {"token": f"Bearer {token}"})
    return rtm


async def test_pushes_reach_sessions_on_every_process_exactly_once(
    cluster: tuple[list[ClusterNode], dict[str, Any]],
) -> None:
    nodes, created = cluster
    owner = created["owner"]["access_token"]
    lic = created["license_id"]
    http = [Http(n.base_url) for n in nodes]
    agent = await _login(f"{nodes[0].ws_base}/v3.0/agent/rtm/ws", owner)
    customers: list[tuple[Rtm, dict[str, Any]]] = []
    for node in nodes[1:]:
        identity = _customer(http[1], owner)
        rtm = await _login(
            f"{node.ws_base}/v3.0/customer/rtm/ws?license_id={lic}", identity["access_token"]
        )
        customers.append((rtm, identity))
    chat_ids = []
    for rtm, _ in customers:
        started = await rtm.call(
            "start_chat", {"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}}
        )
        chat_ids.append(started["chat"]["id"])
    for chat_id in chat_ids:
        await agent.wait_push("incoming_chat_thread", lambda p, c=chat_id: p["chat"]["id"] == c)
    # The agent answers each chat through a third process's Web API.
    for i, chat_id in enumerate(chat_ids):
        http[(i + 2) % 3].agent(
            owner,
            "send_event",
            {"chat_id": chat_id, "event": {"type": "message", "text": f"reply {i}"}},
        )
    for i, (rtm, _) in enumerate(customers):
        push = await rtm.wait_push(
            "incoming_event", lambda p: p["event"].get("text", "").startswith("reply")
        )
        assert push["payload"]["event"]["text"] == f"reply {i}"
    await asyncio.sleep(0.5)  # let any duplicate arrive before counting
    for i, (rtm, _) in enumerate(customers):
        replies = [
            p
            for p in rtm.pushes_for_chat(chat_ids[i], "incoming_event")
            if p["payload"]["event"].get("text") == f"reply {i}"
        ]
        assert len(replies) == 1
        threads = [p for p in agent.pushes_for_chat(chat_ids[i], "incoming_chat_thread")]
        assert len(threads) == 1
    await agent.close()
    for rtm, _ in customers:
        await rtm.close()
    for h in http:
        h.close()


async def test_a_killed_process_loses_no_acknowledged_event(
    cluster: tuple[list[ClusterNode], dict[str, Any]],
) -> None:
    nodes, created = cluster
    owner = created["owner"]["access_token"]
    lic = created["license_id"]
    identity = _customer(Http(nodes[0].base_url), owner)
    url = f"{nodes[1].ws_base}/v3.0/customer/rtm/ws?license_id={lic}"
    rtm = await _login(url, identity["access_token"])
    started = await rtm.call(
        "start_chat", {"chat": {"thread": {"events": [{"type": "message", "text": "m0"}]}}}
    )
    chat_id = started["chat"]["id"]
    acked = ["m0"]
    for i in range(1, 30):
        await rtm.call(
            "send_event", {"chat_id": chat_id, "event": {"type": "message", "text": f"m{i}"}}
        )
        acked.append(f"m{i}")
    nodes[1].kill()  # SIGKILL mid-conversation
    await rtm.close()
    # The customer reconnects to another process and carries on.
    rtm2 = await _login(
        f"{nodes[2].ws_base}/v3.0/customer/rtm/ws?license_id={lic}", identity["access_token"]
    )
    await rtm2.call(
        "send_event", {"chat_id": chat_id, "event": {"type": "message", "text": "after"}}
    )
    chat = await rtm2.call(
        "get_chat_threads", {"chat_id": chat_id, "thread_ids": [started["chat"]["thread"]["id"]]}
    )
    texts = [e.get("text") for e in chat["chat"]["threads"][0]["events"] if e["type"] == "message"]
    assert texts == [*acked, "after"]
    orders = [e["order"] for e in chat["chat"]["threads"][0]["events"]]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)
    await rtm2.close()
    with httpx.Client() as client:
        assert client.get(nodes[0].base_url + "/healthz").status_code == 200


async def test_an_agent_who_moves_to_another_process_stays_online(
    cluster: tuple[list[ClusterNode], dict[str, Any]],
) -> None:
    nodes, created = cluster
    owner = created["owner"]["access_token"]
    first = await _login(f"{nodes[0].ws_base}/v3.0/agent/rtm/ws", owner)
    second = await _login(f"{nodes[1].ws_base}/v3.0/agent/rtm/ws", owner)
    await first.close()  # the agent's last connection on process 0 goes
    await asyncio.sleep(3)  # well past the 1 s offline grace
    profile = await _login(f"{nodes[2].ws_base}/v3.0/agent/rtm/ws", owner)
    login = profile.responses[-1]["payload"]
    assert login["my_profile"]["routing_status"] == "accepting_chats"
    assert not [
        p
        for p in second.pushes
        if p["action"] == "agent_updated" and p["payload"].get("routing_status") == "offline"
    ]
    await second.close()
    await profile.close()


async def test_an_agent_stays_online_when_redis_comes_back_empty(
    cluster: tuple[list[ClusterNode], dict[str, Any]], redis_url: str
) -> None:
    """Redis restarted without persistence forgets which process holds which agent's
    connections. The processes count theirs again at their next heartbeat, and until all of
    them have had the time to, no process takes an agent offline on the board's word.
    Found by the soak (bench/soak.py): agents were told they were offline while connected."""
    import redis

    nodes, created = cluster
    owner = created["owner"]["access_token"]
    agent = await _login(f"{nodes[0].ws_base}/v3.0/agent/rtm/ws", owner)
    other = await _login(f"{nodes[1].ws_base}/v3.0/agent/rtm/ws", owner)
    prefix = nodes[0].settings["redis_prefix"]
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        # What a restart of Redis does to this cluster: its keys are gone (only its own
        # keys here: other tests share this Redis).
        client.delete(*client.keys(f"{prefix}:*"))
        # The agent's last connection on process 1 goes: after the 1 s grace, process 1
        # asks the board whether the agent is connected elsewhere.
        await other.close()
        # Until the board has been counted again (two heartbeats after a process found
        # it empty), process 1 cannot tell; then it can. Wait past that (or for the wrong
        # decision).
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while not _told_offline(agent):
            since = client.get(f"{prefix}:presence-board-since")
            if since is not None and time.time() - float(since) > 10:
                await asyncio.sleep(3)  # well past the next 1 s grace period's decision
                break
            assert loop.time() < deadline, "the presence board was not made again"
            await asyncio.sleep(0.5)
    finally:
        client.close()
    assert _told_offline(agent) == []
    assert await agent.alive()
    profile = await _login(f"{nodes[2].ws_base}/v3.0/agent/rtm/ws", owner)
    assert profile.responses[-1]["payload"]["my_profile"]["routing_status"] == "accepting_chats"
    await agent.close()
    await profile.close()


def _told_offline(agent: Rtm) -> list[dict[str, Any]]:
    return [
        p
        for p in agent.pushes
        if p["action"] == "agent_updated" and p["payload"].get("routing_status") == "offline"
    ]
