"""Scenario 3: fan-out. One agent (the owner) in 200 chats, each with a connected customer,
plus 2,000 idle logged-in connections (customers and some other agents).

- burst out: the agent sends one message into each of its 200 chats back to back over RTM;
  delay from each send to its customer's ``incoming_event``, and from the burst's start to the
  last delivery.
- burst in: the 200 customers each send one message at once; delay to the agent's push.
- multicast: the agent multicasts to ``agents: all`` (every agent session gets
  ``incoming_multicast``), then to ``agents: all`` plus every connected customer by id; delay
  from the request to each delivery. Skipped with a note if the server answers an error.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.fixtures import agent_ws_url, create_customers, customer_ws_url, start_chats
from bench.rtm import KeepAlive, RTMSession, close_many, open_many
from bench.scenarios import Context
from bench.scenarios.rtm import event_text
from bench.stats import summarize_ms

NAME = "fanout"
TITLE = "3. Fan-out: one agent in 200 chats plus 2,000 idle connections"


async def run(ctx: Context) -> dict[str, Any]:
    n_chats = ctx.pick(200, 10)
    idle_agents = ctx.pick(50, 5)
    idle_customers = ctx.pick(2000, 100) - idle_agents
    rounds = ctx.pick(5, 2)
    arrivals: dict[str, dict[str, float]] = {}

    def on_push(session: RTMSession, msg: dict[str, Any], t: float) -> None:
        action = msg.get("action")
        payload = msg.get("payload") or {}
        if action in ("incoming_event", "incoming_chat_thread"):
            tag = event_text(payload)
        elif action == "incoming_multicast":
            content = payload.get("content")
            tag = str(content.get("bench", "")) if isinstance(content, dict) else ""
        else:
            return
        if tag.startswith("fan "):
            arrivals.setdefault(tag.rsplit(" ", 1)[0], {}).setdefault(session.name, t)

    async with ctx.chatplane(agents=idle_agents, label=NAME) as cp:
        customers = await create_customers(cp, n_chats + idle_customers, concurrency=48)
        chat_customers = customers[:n_chats]
        chat_ids = await start_chats(cp, chat_customers)
        curl = customer_ws_url(cp.port, cp.license_id)
        aurl = agent_ws_url(cp.port)
        specs = [(aurl, cp.owner_token, "owner")]
        specs += [(curl, c.token, f"chat{i}") for i, c in enumerate(chat_customers)]
        specs += [(curl, c.token, f"idle-c{i}") for i, c in enumerate(customers[n_chats:])]
        specs += [(aurl, a["access_token"], f"idle-a{i}") for i, a in enumerate(cp.agents)]
        t0 = time.perf_counter()
        sessions, errors = await open_many(
            specs, on_push, concurrency=100, deadline_s=ctx.pick(180.0, 30.0)
        )
        ctx.log(f"{len(sessions)}/{len(specs)} sessions in {time.perf_counter() - t0:.1f}s")
        if not sessions or sessions[0].name != "owner":
            await close_many(sessions)
            raise RuntimeError(f"owner session failed: {errors[:3]}")
        keepalive = KeepAlive(sessions)
        owner = sessions[0]
        by_name = {s.name: s for s in sessions}
        out: dict[str, Any] = {
            "chats": n_chats,
            "idle_connections": idle_customers + idle_agents,
            "idle_agents": idle_agents,
            "sessions_connected": len(sessions),
            "session_errors": errors[:3],
        }
        try:
            out["burst_out"] = await burst_out(owner, chat_ids, rounds, arrivals)
            out["burst_in"] = await burst_in(by_name, chat_ids, rounds, arrivals)
            agent_sessions = [
                s.name for s in sessions if s.name == "owner" or s.name.startswith("idle-a")
            ]
            customer_ids = [c.id for c in customers]
            out["multicast_agents"] = await multicast(
                owner, {"agents": {"all": True}}, agent_sessions, rounds, arrivals, "ma"
            )
            out["multicast_agents_customers"] = await multicast(
                owner,
                {"agents": {"all": True}, "customers": {"ids": customer_ids}},
                [s.name for s in sessions],
                rounds,
                arrivals,
                "mc",
            )
            out["server_rss_kb"] = cp.server.rss_kb() if cp.server else None
        finally:
            await keepalive.stop()
            await close_many(sessions)
    return out


async def _wait_for(
    tag: str, names: set[str], arrivals: dict[str, dict[str, float]], timeout_s: float
) -> None:
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline and len(names.intersection(arrivals.get(tag, {}))) < len(
        names
    ):
        await asyncio.sleep(0.005)


async def burst_out(
    owner: RTMSession, chat_ids: list[str], rounds: int, arrivals: dict[str, dict[str, float]]
) -> dict[str, Any]:
    delays: list[float] = []
    completion: list[float] = []
    delivered = 0
    for r in range(rounds):
        tag = f"fan out{r}"
        sent: dict[str, float] = {}
        start = time.perf_counter()
        for i, cid in enumerate(chat_ids):
            sent[f"chat{i}"] = time.perf_counter()
            await owner.send(
                "send_event", {"chat_id": cid, "event": {"type": "message", "text": f"{tag} {i}"}}
            )
        await _wait_for(tag, set(sent), arrivals, 15.0)
        got = {k: v for k, v in arrivals.get(tag, {}).items() if k in sent}
        delivered += len(got)
        delays += [t - sent[name] for name, t in got.items()]
        if got:
            completion.append(max(got.values()) - start)
        await asyncio.sleep(0.3)
    return {
        "events_per_burst": len(chat_ids),
        "rounds": rounds,
        "delivered": delivered,
        "expected": rounds * len(chat_ids),
        "delay": summarize_ms(delays),
        "burst_complete": summarize_ms(completion),
    }


async def burst_in(
    by_name: dict[str, RTMSession],
    chat_ids: list[str],
    rounds: int,
    arrivals: dict[str, dict[str, float]],
) -> dict[str, Any]:
    delays: list[float] = []
    completion: list[float] = []
    delivered = 0
    for r in range(rounds):
        sent: dict[str, float] = {}
        start = time.perf_counter()

        async def one(i: int, cid: str, r: int = r, sent: dict[str, float] = sent) -> None:
            s = by_name.get(f"chat{i}")
            if s is None:
                return
            text = f"fan in{r}c{i} x"
            sent[text.rsplit(" ", 1)[0]] = time.perf_counter()
            await s.send("send_event", {"chat_id": cid, "event": {"type": "message", "text": text}})

        await asyncio.gather(*(one(i, cid) for i, cid in enumerate(chat_ids)))
        deadline = time.perf_counter() + 15.0
        while time.perf_counter() < deadline and sum(
            1 for t in sent if "owner" in arrivals.get(t, {})
        ) < len(sent):
            await asyncio.sleep(0.005)
        got = {t: arrivals[t]["owner"] for t in sent if "owner" in arrivals.get(t, {})}
        delivered += len(got)
        delays += [got[t] - sent[t] for t in got]
        if got:
            completion.append(max(got.values()) - start)
        await asyncio.sleep(0.3)
    return {
        "events_per_burst": len(chat_ids),
        "rounds": rounds,
        "delivered": delivered,
        "expected": rounds * len(chat_ids),
        "delay": summarize_ms(delays),
        "burst_complete": summarize_ms(completion),
    }


async def multicast(
    owner: RTMSession,
    scopes: dict[str, Any],
    receivers: list[str],
    rounds: int,
    arrivals: dict[str, dict[str, float]],
    label: str,
) -> dict[str, Any]:
    delays: list[float] = []
    completion: list[float] = []
    delivered = 0
    names = set(receivers)
    for r in range(rounds):
        tag = f"fan {label}{r}"
        start = time.perf_counter()
        try:
            resp = await owner.request(
                "multicast", {"scopes": scopes, "content": {"bench": f"{tag} x"}}, 15.0
            )
        except Exception as exc:
            return {"skipped": f"multicast request failed: {exc!r}"[:300]}
        if not resp.get("success"):
            return {"skipped": f"server answered an error: {resp.get('payload')}"[:300]}
        await _wait_for(tag, names, arrivals, 5.0)
        got = {k: v for k, v in arrivals.get(tag, {}).items() if k in names}
        delivered += len(got)
        delays += [t - start for t in got.values()]
        if got:
            completion.append(max(got.values()) - start)
        await asyncio.sleep(0.3)
    return {
        "receivers_expected": len(receivers),
        "rounds": rounds,
        "delivered": delivered,
        "expected": rounds * len(receivers),
        "delay": summarize_ms(delays),
        "all_delivered": summarize_ms(completion),
    }


def summary(fig: dict[str, Any]) -> list[str]:
    lines = [
        f"{fig['chats']} chats + {fig['idle_connections']} idle connections "
        f"({fig['sessions_connected']} sessions)"
    ]
    for key in ("burst_out", "burst_in"):
        b = fig.get(key) or {}
        lines.append(
            f"{key}: {b.get('delivered')}/{b.get('expected')} delivered, delay p50 "
            f"{b.get('delay', {}).get('p50_ms')} ms p99 {b.get('delay', {}).get('p99_ms')} ms, "
            f"whole burst p50 {b.get('burst_complete', {}).get('p50_ms')} ms"
        )
    for key in ("multicast_agents", "multicast_agents_customers"):
        m = fig.get(key) or {}
        if "skipped" in m:
            lines.append(f"{key}: skipped ({m['skipped']})")
        else:
            lines.append(
                f"{key}: {m.get('delivered')}/{m.get('expected')} delivered, delay p50 "
                f"{m.get('delay', {}).get('p50_ms')} ms p99 {m.get('delay', {}).get('p99_ms')} ms"
            )
    return lines
