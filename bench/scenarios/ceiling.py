"""Scenario 6, the ceilings: the bare endpoint of ``bench/ceiling.py`` as a plain ASGI app (no
framework: the ceiling every Web API ratio uses) and in Starlette, on the same uvicorn, under
the same client and concurrency as the Web API scenarios, measured first in the same run."""

from __future__ import annotations

import json
from typing import Any

from bench.fixtures import message_payload
from bench.httpload import build_post, run_closed_loop
from bench.procs import HOST, start_ceiling
from bench.scenarios import Context

NAME = "ceiling"
TITLE = "6. Ceiling: bare JSON POST on uvicorn (uvloop, httptools), no framework and Starlette"

FAKE_TOKEN = "dal:" + "x" * 40  # about the size of a Chatplane bearer token


def request_bytes(port: int) -> bytes:
    body = json.dumps(message_payload("PJ0MRSHTDG", "hello from the benchmark, message 1")).encode()
    return build_post(HOST, port, "/v3.0/agent/action/send_event", body, FAKE_TOKEN)


async def _measure(ctx: Context, bare: bool) -> dict[str, Any]:
    proc = await start_ceiling(bare=bare)
    try:
        req = request_bytes(proc.port)
        c50 = await run_closed_loop(
            HOST,
            proc.port,
            lambda w, s: req,
            concurrency=50,
            duration_s=ctx.pick(10.0, 1.5),
            warmup_s=ctx.pick(2.0, 0.3),
            cpu_probe=proc.cpu_seconds,
        )
        c1 = await run_closed_loop(
            HOST,
            proc.port,
            lambda w, s: req,
            concurrency=1,
            duration_s=ctx.pick(4.0, 0.7),
            warmup_s=ctx.pick(0.5, 0.1),
            cpu_probe=proc.cpu_seconds,
        )
        rss = proc.rss_kb()
    finally:
        proc.stop()
    return {"c50": c50.figures(), "c1": c1.figures(), "server_rss_kb": rss}


async def run(ctx: Context) -> dict[str, Any]:
    bare = await _measure(ctx, bare=True)
    framework = await _measure(ctx, bare=False)
    return {
        **bare,
        "stack": "plain ASGI app on uvicorn (uvloop, httptools), 1 process, no access log",
        "starlette": {
            **framework,
            "stack": "the same endpoint in Starlette on the same uvicorn",
        },
    }


def summary(fig: dict[str, Any]) -> list[str]:
    c50, c1 = fig["c50"], fig["c1"]
    star = fig.get("starlette", {}).get("c50")
    framework = (
        [
            f"the same in Starlette, 50 conns: {star['throughput_rps']:.0f} req/s, "
            f"p50 {star['latency'].get('p50_ms')} ms (server CPU {star.get('server_cpu_pct')}%)"
        ]
        if star
        else []
    )
    return [
        *framework,
        f"bare endpoint, 50 conns: {c50['throughput_rps']:.0f} req/s, "
        f"p50 {c50['latency'].get('p50_ms')} ms, p99 {c50['latency'].get('p99_ms')} ms "
        f"(server CPU {c50.get('server_cpu_pct')}%, client CPU {c50.get('client_cpu_pct')}%)",
        f"bare endpoint, 1 conn: {c1['throughput_rps']:.0f} req/s, "
        f"p50 {c1['latency'].get('p50_ms')} ms, p99 {c1['latency'].get('p99_ms')} ms",
    ]
