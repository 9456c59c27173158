"""200 customers start chats at once against 10 agents with 6 slots each: no agent gets
more than 6 chats, no chat gets two agents, every chat is either assigned (and says so
once) or waits unassigned (and says so once).

How it holds: every routing decision runs in a unit of work that locks the license
(SQLite: the single writer; PostgreSQL: `SELECT ... FOR UPDATE` on the license row) and
counts loads from the database inside it (docs/decisions.md).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from .routing_env import RoutingEnv, present_agents, serve, system_messages

CUSTOMERS = 200
AGENTS = 10
SLOTS = 6


@pytest.fixture(scope="module")
def renv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RoutingEnv]:
    yield from serve(tmp_path_factory)


async def test_concurrent_chats_never_overfill_an_agent_or_assign_a_chat_twice(renv):
    team = renv.team(*(f"Agent{i}" for i in range(AGENTS)))
    sockets = [await renv.agent_rtm(m) for m in team.agents.values()]
    tokens = [renv.customer(team)[1] for _ in range(CUSTOMERS)]

    async with httpx.AsyncClient(
        base_url=renv.server.base_url, trust_env=False, timeout=60,
        limits=httpx.Limits(max_connections=CUSTOMERS),
    ) as client:  # fmt: skip

        async def start(token: str) -> str:
            resp = await client.post(
                "/v3.0/customer/action/start_chat",
                params={"license_id": team.license_id},
                headers={"Authorization": f"Bearer {token}"},
                json={
                    "payload": {"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}}
                },
            )
            assert resp.status_code == 200, resp.text
            return resp.json()["chat"]["id"]

        chat_ids = await asyncio.gather(*(start(t) for t in tokens))

    assert len(set(chat_ids)) == CUSTOMERS
    chats = [renv.threads(team, cid) for cid in chat_ids]
    agents_of = [present_agents(c) for c in chats]
    assert all(len(a) <= 1 for a in agents_of), "a chat has two agents"
    load = Counter(a[0] for a in agents_of if a)
    assert set(load) == {m.id for m in team.agents.values()}
    assert all(n == SLOTS for n in load.values()), load  # full, never over-full
    for chat, agents in zip(chats, agents_of, strict=True):
        kinds = [k for k, _ in system_messages(chat)]
        assert kinds == (["routing.assigned"] if agents else ["routing.unassigned"])

    # Every agent was told of exactly its own chats.
    for socket, member in zip(sockets, team.agents.values(), strict=True):
        mine = {cid for cid, a in zip(chat_ids, agents_of, strict=True) if a == [member.id]}
        await asyncio.gather(
            *(
                socket.wait_push(
                    "chat_user_added",
                    lambda p, c=cid, m=member.id: p["chat_id"] == c and p["user"]["id"] == m,
                )
                for cid in mine
            )
        )
        told = {
            p["payload"]["chat_id"]
            for p in socket.pushes
            if p["action"] == "chat_user_added" and p["payload"]["user"]["id"] == member.id
        }
        assert told == mine
        await socket.close()
