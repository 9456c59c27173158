"""Scenario 1: Web API ``send_event`` throughput with 50 concurrent clients over 1,000 chats,
in v3.0 and in v3.6.

Setup: customers through ``/accounts/customer/``, one chat each started by the owner agent.
Load: 50 keep-alive connections, closed loop (each sends its next request when the previous
answer arrives); request n of client w goes to chat (w + 50 n) mod chats, so concurrent
requests hit different chats. Then one client alone for the unloaded latency. The same load
again on ``POST /v3.6/agent/action/send_event`` with the v3.6 body (the payload itself, no
envelope) and the headers lc-sdk-python's client sends (``Authorization: Bearer``, httpx's
defaults), on the same server and chats.

``measure`` is shared with scenario 1b (``send_event_pg``), the same load on PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

from bench.fixtures import (
    SDK_HEADERS,
    agent_action,
    create_customers,
    message_payload,
    message_payload_v3x,
    start_chats,
)
from bench.httpload import build_post, run_closed_loop
from bench.procs import HOST, Chatplane
from bench.scenarios import Context, ratio

NAME = "send_event"
TITLE = "1. Web API send_event throughput (50 clients, 1,000 chats; v3.0 and v3.6)"

CLIENTS = 50
TEXT = "hello from the benchmark, message 1"


def requests_for(cp: Chatplane, chat_ids: list[str], wire: str) -> list[bytes]:
    """One request per chat: v3.0 (``{"payload": ...}`` to ``/v3.0/...``) or v3.6 (the
    payload itself to ``/v3.6/...``, with the SDK client's headers)."""
    if wire == "3.0":
        path = agent_action("send_event")
        return [
            build_post(
                HOST, cp.port, path, json.dumps(message_payload(c, TEXT)).encode(), cp.owner_token
            )
            for c in chat_ids
        ]
    path = "/v3.6/agent/action/send_event"
    return [
        build_post(
            HOST,
            cp.port,
            path,
            # httpx sends compact JSON
            json.dumps(message_payload_v3x(c, TEXT), separators=(",", ":")).encode(),
            cp.owner_token,
            headers=SDK_HEADERS,
        )
        for c in chat_ids
    ]


async def measure(
    ctx: Context, cp: Chatplane, chat_ids: list[str], wire: str, alone: bool = True
) -> dict[str, Any]:
    """The 50-client closed loop (and, with ``alone``, one client alone) on one wire version;
    figures with their ratios to the ceiling of this run."""
    reqs = requests_for(cp, chat_ids, wire)
    n = len(reqs)
    probe = cp.server.cpu_seconds if cp.server else None
    loaded = await run_closed_loop(
        HOST,
        cp.port,
        lambda w, s: reqs[(w + CLIENTS * s) % n],
        concurrency=CLIENTS,
        duration_s=ctx.pick(15.0, 1.5),
        warmup_s=ctx.pick(2.0, 0.3),
        cpu_probe=probe,
    )
    c50 = loaded.figures()
    ceil50, ceil1 = ctx.ceiling("c50"), ctx.ceiling("c1")
    out: dict[str, Any] = {
        "wire": wire,
        "c50": c50,
        "ratio_to_ceiling_throughput": ratio(
            c50["throughput_rps"], ceil50["throughput_rps"] if ceil50 else None
        ),
        "ratio_to_ceiling_p50_c50": ratio(
            c50["latency"].get("p50_ms"), ceil50["latency"].get("p50_ms") if ceil50 else None
        ),
    }
    if alone:
        one = await run_closed_loop(
            HOST,
            cp.port,
            lambda w, s: reqs[s % n],
            concurrency=1,
            duration_s=ctx.pick(4.0, 0.7),
            warmup_s=ctx.pick(0.5, 0.1),
            cpu_probe=probe,
        )
        c1 = one.figures()
        out["c1"] = c1
        out["ratio_to_ceiling_p50_c1"] = ratio(
            c1["latency"].get("p50_ms"), ceil1["latency"].get("p50_ms") if ceil1 else None
        )
    return out


async def run(ctx: Context) -> dict[str, Any]:
    n_chats = ctx.pick(1000, 50)
    async with ctx.chatplane(label=NAME) as cp:
        customers = await create_customers(cp, n_chats)
        chat_ids = await start_chats(cp, customers)
        ctx.log(f"{len(chat_ids)} chats ready")
        v30 = await measure(ctx, cp, chat_ids, "3.0")
        v36 = await measure(ctx, cp, chat_ids, "3.6", alone=not ctx.quick)
        rss = cp.server.rss_kb() if cp.server else None
    # v3.0's figures stay at the top level (the report's and earlier runs' keys)
    return {"chats": n_chats, **v30, "v3_6": v36, "server_rss_kb": rss}


def _x(r: float | None, of: str) -> str:
    return f"{r}x {of}" if r is not None else f"no {of} in this run"


def lines_for(label: str, fig: dict[str, Any]) -> list[str]:
    c50 = fig["c50"]
    out = [
        f"{label}, 50 clients: {c50['throughput_rps']:.0f} req/s "
        f"({_x(fig.get('ratio_to_ceiling_throughput'), 'ceiling')}), "
        f"p50 {c50['latency'].get('p50_ms')} ms, "
        f"p99 {c50['latency'].get('p99_ms')} ms, errors {c50['errors']} "
        f"(server CPU {c50.get('server_cpu_pct')}%, client CPU {c50.get('client_cpu_pct')}%)"
    ]
    c1 = fig.get("c1")
    if c1:
        out.append(
            f"{label}, 1 client: p50 {c1['latency'].get('p50_ms')} ms, "
            f"p99 {c1['latency'].get('p99_ms')} ms "
            f"({_x(fig.get('ratio_to_ceiling_p50_c1'), 'ceiling p50')})"
        )
    return out


def summary(fig: dict[str, Any]) -> list[str]:
    out = lines_for(f"v3.0 send_event ({fig['chats']} chats)", fig)
    if fig.get("v3_6"):
        out += lines_for("v3.6 send_event", fig["v3_6"])
    return out
