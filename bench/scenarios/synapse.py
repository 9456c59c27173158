"""Scenario 7 (optional): side by side with Matrix Synapse's message ingest (``bench/synapse.py``,
also runnable alone as ``python -m bench.synapse``).

20 senders post into one room / chat in a closed loop while one more member receives; both
servers in this run, from this client. Reported: acknowledged messages per second and delivery
p50 / p99 for each, and Chatplane's ratios to Synapse. Synapse is installed on first use into a
venv of its own (``bench/synapse.py`` says where); if that or its start fails the scenario is
reported as skipped with the reason, and the run goes on."""

from __future__ import annotations

import asyncio
from typing import Any

from bench import synapse
from bench.scenarios import Context

NAME = "synapse"
TITLE = "7. Side by side: message ingest, Chatplane vs Matrix Synapse (optional)"


async def run(ctx: Context) -> dict[str, Any]:
    senders = 20
    duration = ctx.pick(20.0, 3.0)
    warmup = ctx.pick(3.0, 1.0)
    try:
        # pip runs for minutes on first use: in a thread, so the time bound still applies
        python = await asyncio.to_thread(synapse.synapse_python)
    except Exception as exc:
        return {"skipped": f"Synapse ({synapse.SYNAPSE_VERSION}) cannot be installed: {exc}"[:400]}
    ctx.log(f"Synapse venv: {python.parent.parent}")
    chatplane = await synapse.run_chatplane(senders, duration, warmup)
    try:
        theirs = await synapse.run_synapse(senders, duration, warmup)
    except Exception as exc:
        return {
            "skipped": f"Synapse did not run: {type(exc).__name__}: {exc}"[:400],
            "chatplane": chatplane.summary(),
        }
    c, s = chatplane.summary(), theirs.summary()
    return {
        "senders": senders,
        "seconds": duration,
        "synapse_version": synapse.SYNAPSE_VERSION,
        "chatplane": c,
        "synapse": s,
        "chatplane_vs_synapse": synapse.ratios(c, s),
    }


def summary(fig: dict[str, Any]) -> list[str]:
    if "skipped" in fig:
        return [f"skipped: {fig['skipped']}"]
    out = []
    for key in ("chatplane", "synapse"):
        f = fig[key]
        out.append(
            f"{key}: {f['messages_per_s']} msg/s acknowledged, delivery p50 "
            f"{f['delivery_p50_ms']} ms p99 {f['delivery_p99_ms']} ms, "
            f"{f['not_delivered']} not delivered, {f['errors']} errors"
        )
    r = fig["chatplane_vs_synapse"]
    out.append(
        f"Chatplane / Synapse: {r['messages_per_s']}x msg/s, {r['delivery_p99']}x delivery p99"
    )
    return out
