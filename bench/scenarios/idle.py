"""Scenario 4: idle connections. Resident memory of the server per logged-in RTM session.

Customers are created first (so their rows and caches are in the baseline), then the server's
VmRSS (``/proc/<pid>/status``, the process and any children) is read as the baseline. Sessions
are opened and logged in up to each level (1,000 then 10,000), the server is given a moment
to settle, and VmRSS is read again: per session = (RSS - baseline) / sessions. Clients do not
offer permessage-deflate (``compression=None``); each session sends the RTM ``ping`` action
every 20 s so the server's inactivity timeout does not close it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.fixtures import create_customers, customer_ws_url
from bench.rtm import KeepAlive, RTMSession, close_many, open_many
from bench.scenarios import Context

NAME = "idle"
TITLE = "4. Idle RTM sessions: server resident memory per session"


async def _settled_rss(read: Any, seconds: float) -> int:
    await asyncio.sleep(seconds)
    return int(read())


async def run(ctx: Context) -> dict[str, Any]:
    levels = ctx.pick([1000, 10000], [100, 300])
    settle = ctx.pick(3.0, 1.0)
    async with ctx.chatplane(label=NAME) as cp:
        server = cp.server
        assert server is not None
        t0 = time.perf_counter()
        customers = await create_customers(cp, max(levels), concurrency=48)
        ctx.log(f"{len(customers)} customers in {time.perf_counter() - t0:.1f}s")
        url = customer_ws_url(cp.port, cp.license_id)
        # one session opened and closed first, so lazily built per-connection machinery
        # (imports, caches) is in the baseline rather than spread over the sessions
        warm, _ = await open_many([(url, customers[0].token, "warm")])
        await close_many(warm)
        base = await _settled_rss(server.rss_kb, settle)
        sessions: list[RTMSession] = []
        keepalive = KeepAlive(sessions)
        out: dict[str, Any] = {"baseline_rss_kb": base, "levels": []}
        try:
            for level in levels:
                specs = [
                    (url, c.token, f"c{i}")
                    for i, c in enumerate(customers[len(sessions) : level], start=len(sessions))
                ]
                t1 = time.perf_counter()
                opened, errors = await open_many(
                    specs, None, concurrency=100, deadline_s=ctx.pick(240.0, 20.0)
                )
                took = time.perf_counter() - t1
                sessions += opened
                rss = await _settled_rss(server.rss_kb, settle)
                alive = sum(1 for s in sessions if not s.closed)
                per = (rss - base) / alive if alive else None
                row = {
                    "sessions_target": level,
                    "sessions_alive": alive,
                    "open_errors": len(errors),
                    "error_samples": [e for e in errors if e][:3],
                    "rss_kb": rss,
                    "kb_per_session": round(per, 1) if per is not None else None,
                    "connect_login_per_s": round(len(opened) / took, 1) if took else None,
                }
                out["levels"].append(row)
                ctx.log(f"{alive} sessions: RSS {rss} KB, {row['kb_per_session']} KB/session")
        finally:
            await keepalive.stop()
            await close_many(sessions)
    return out


def summary(fig: dict[str, Any]) -> list[str]:
    lines = [f"baseline RSS {fig['baseline_rss_kb']} KB"]
    for row in fig["levels"]:
        lines.append(
            f"{row['sessions_alive']} sessions: RSS {row['rss_kb']} KB, "
            f"{row['kb_per_session']} KB per session, "
            f"connect+login {row['connect_login_per_s']}/s, {row['open_errors']} failed"
        )
    return lines
