"""Scenario 1: Web API ``send_event`` throughput with 50 concurrent clients over 1,000 chats.

Setup: customers through ``/accounts/customer/``, one chat each started by the owner agent.
Load: 50 keep-alive connections, closed loop (each sends its next request when the previous
answer arrives); request n of client w goes to chat (w + 50 n) mod chats, so concurrent
requests hit different chats. Then one client alone for the unloaded latency."""

from __future__ import annotations

import json
from typing import Any

from bench.fixtures import agent_action, create_customers, message_payload, start_chats
from bench.httpload import build_post, run_closed_loop
from bench.procs import HOST
from bench.scenarios import Context, ratio

NAME = "send_event"
TITLE = "1. Web API send_event throughput (50 clients, 1,000 chats)"


async def run(ctx: Context) -> dict[str, Any]:
    n_chats = ctx.pick(1000, 50)
    clients = 50
    async with ctx.chatplane(label=NAME) as cp:
        customers = await create_customers(cp, n_chats)
        chat_ids = await start_chats(cp, customers)
        ctx.log(f"{len(chat_ids)} chats ready")
        path = agent_action("send_event")
        reqs = [
            build_post(
                HOST,
                cp.port,
                path,
                json.dumps(message_payload(cid, "hello from the benchmark, message 1")).encode(),
                cp.owner_token,
            )
            for cid in chat_ids
        ]
        n = len(reqs)
        loaded = await run_closed_loop(
            HOST,
            cp.port,
            lambda w, s: reqs[(w + clients * s) % n],
            concurrency=clients,
            duration_s=ctx.pick(15.0, 1.5),
            warmup_s=ctx.pick(2.0, 0.3),
            cpu_probe=cp.server.cpu_seconds if cp.server else None,
        )
        alone = await run_closed_loop(
            HOST,
            cp.port,
            lambda w, s: reqs[s % n],
            concurrency=1,
            duration_s=ctx.pick(4.0, 0.7),
            warmup_s=ctx.pick(0.5, 0.1),
            cpu_probe=cp.server.cpu_seconds if cp.server else None,
        )
        rss = cp.server.rss_kb() if cp.server else None
    c50 = loaded.figures()
    c1 = alone.figures()
    ceil50, ceil1 = ctx.ceiling("c50"), ctx.ceiling("c1")
    return {
        "chats": n_chats,
        "c50": c50,
        "c1": c1,
        "ratio_to_ceiling_throughput": ratio(
            c50["throughput_rps"], ceil50["throughput_rps"] if ceil50 else None
        ),
        "ratio_to_ceiling_p50_c50": ratio(
            c50["latency"].get("p50_ms"), ceil50["latency"].get("p50_ms") if ceil50 else None
        ),
        "ratio_to_ceiling_p50_c1": ratio(
            c1["latency"].get("p50_ms"), ceil1["latency"].get("p50_ms") if ceil1 else None
        ),
        "server_rss_kb": rss,
    }


def summary(fig: dict[str, Any]) -> list[str]:
    c50, c1 = fig["c50"], fig["c1"]
    return [
        f"send_event, 50 clients / {fig['chats']} chats: {c50['throughput_rps']:.0f} req/s "
        f"({fig['ratio_to_ceiling_throughput']}x ceiling), p50 {c50['latency'].get('p50_ms')} ms, "
        f"p99 {c50['latency'].get('p99_ms')} ms, errors {c50['errors']} "
        f"(server CPU {c50.get('server_cpu_pct')}%, client CPU {c50.get('client_cpu_pct')}%)",
        f"send_event, 1 client: p50 {c1['latency'].get('p50_ms')} ms, "
        f"p99 {c1['latency'].get('p99_ms')} ms ({fig['ratio_to_ceiling_p50_c1']}x ceiling p50)",
    ]
