"""Scenario 2: RTM, 1,000 connected users in 500 chats (an agent and a customer each) exchanging
messages at a fixed total rate (open loop: the schedule does not wait for answers).

Message k goes to chat k mod C, sent by its agent on even rounds and its customer on odd ones,
as an RTM ``send_event`` with request_id ``m<k>`` and text ``rtm <k>``. Round trip: request
sent to its response read. Push delay: request sent to the ``incoming_event`` read by the
other user of the chat. The first second of the schedule is a warm-up and not counted."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.fixtures import agent_ws_url, create_customers, customer_ws_url, start_chats
from bench.rtm import RTMSession, close_many, open_many
from bench.scenarios import Context
from bench.stats import summarize_ms

NAME = "rtm"
TITLE = "2. RTM: 1,000 users in 500 chats at a fixed total message rate"


def event_text(payload: dict[str, Any]) -> str:
    event = payload.get("event")
    if isinstance(event, dict):
        return str(event.get("text", ""))
    thread = payload.get("thread")  # incoming_chat_thread, if an event ever starts a thread
    if isinstance(thread, dict):
        events = thread.get("events") or []
        if events and isinstance(events[-1], dict):
            return str(events[-1].get("text", ""))
    return ""


async def run(ctx: Context) -> dict[str, Any]:
    n_chats = ctx.pick(500, 30)
    # a rate the server can be expected to sustain first, then the 500/s
    rates = ctx.pick([100.0, 500.0], [50.0])
    duration = ctx.pick(15.0, 2.0)
    warmup = ctx.pick(1.0, 0.5)
    async with ctx.chatplane(agents=n_chats, label=NAME) as cp:
        customers = await create_customers(cp, n_chats)
        agent_tokens = [a["access_token"] for a in cp.agents[:n_chats]]
        chat_ids = await start_chats(cp, customers, tokens=agent_tokens)
        ctx.log(f"{n_chats} chats with distinct agents and customers ready")

        sent_at: dict[int, float] = {}
        sender_of: dict[int, str] = {}
        push_delay: dict[int, float] = {}
        rtt: dict[int, float] = {}
        failures: list[str] = []
        fail_count = [0]

        def on_push(session: RTMSession, msg: dict[str, Any], t: float) -> None:
            if msg.get("action") not in ("incoming_event", "incoming_chat_thread"):
                return
            text = event_text(msg.get("payload") or {})
            if not text.startswith("rtm "):
                return
            k = int(text[4:])
            if sender_of.get(k) == session.name or k in push_delay or k not in sent_at:
                return
            push_delay[k] = t - sent_at[k]

        def on_response(rid: str, msg: dict[str, Any], sent: float, t: float) -> None:
            if not rid.startswith("m"):
                return
            k = int(rid[1:])
            if msg.get("success"):
                rtt[k] = t - sent
            else:
                fail_count[0] += 1
                if len(failures) < 3:
                    failures.append(str(msg.get("payload"))[:300])

        specs = []
        for i in range(n_chats):
            specs.append((agent_ws_url(cp.port), agent_tokens[i], f"a{i}"))
            specs.append((customer_ws_url(cp.port, cp.license_id), customers[i].token, f"c{i}"))
        t0 = time.perf_counter()
        sessions, errors = await open_many(
            specs, on_push, concurrency=100, deadline_s=ctx.pick(180.0, 30.0)
        )
        connect_s = time.perf_counter() - t0
        ctx.log(f"{len(sessions)} sessions logged in in {connect_s:.1f}s ({len(errors)} failed)")
        if len(sessions) != len(specs):
            await close_many(sessions)
            raise RuntimeError(f"only {len(sessions)}/{len(specs)} RTM sessions: {errors[:3]}")
        by_name = {s.name: s for s in sessions}
        for s in sessions:
            s.on_response = on_response

        server = cp.server
        assert server is not None

        async def run_rate(rate: float, k0: int) -> dict[str, Any]:
            total = int(rate * duration)
            cpu0 = server.cpu_seconds()
            start = time.perf_counter()
            n = 0
            while n < total:
                due = min(total, int((time.perf_counter() - start) * rate) + 1)
                while n < due:
                    k = k0 + n
                    chat = k % n_chats
                    side = "a" if (k // n_chats) % 2 == 0 else "c"
                    name = f"{side}{chat}"
                    sender_of[k] = name
                    sent_at[k] = time.perf_counter()
                    await by_name[name].send(
                        "send_event",
                        {
                            "chat_id": chat_ids[chat],
                            "event": {"type": "message", "text": f"rtm {k}"},
                        },
                        request_id=f"m{k}",
                    )
                    n += 1
                delay = start + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            send_done = time.perf_counter()
            keys = range(k0, k0 + total)
            deadline = send_done + 15.0
            while time.perf_counter() < deadline and (
                sum(1 for k in keys if k in rtt) + fail_count[0] < total
                or sum(1 for k in keys if k in push_delay) < sum(1 for k in keys if k in rtt)
            ):
                await asyncio.sleep(0.05)
            cpu1 = server.cpu_seconds()
            done_at = [sent_at[k] + rtt[k] for k in keys if k in rtt]
            skip = int(rate * warmup)
            measured = range(k0 + skip, k0 + total)
            elapsed = send_done - start
            served = (done_at and max(done_at) - start) or 0.0
            return {
                "target_rate_per_s": rate,
                "achieved_rate_per_s": round(total / elapsed, 1) if elapsed else 0.0,
                "served_rate_per_s": round(len(done_at) / served, 1) if served else 0.0,
                "messages": total,
                "warmup_messages_excluded": skip,
                "responses_ok": len(done_at),
                "pushes_received": sum(1 for k in keys if k in push_delay),
                "pushes_missing": sum(1 for k in keys if k in rtt and k not in push_delay),
                "round_trip": summarize_ms([rtt[k] for k in measured if k in rtt]),
                "push_delay": summarize_ms([push_delay[k] for k in measured if k in push_delay]),
                "server_cpu_pct": round(100 * (cpu1 - cpu0) / (time.perf_counter() - start), 1),
            }

        by_rate = []
        k0 = 0
        for rate in rates:
            fig = await run_rate(rate, k0)
            k0 += fig["messages"]
            by_rate.append(fig)
            ctx.log(
                f"{rate}/s: round trip p99 {fig['round_trip'].get('p99_ms')} ms, push p99 "
                f"{fig['push_delay'].get('p99_ms')} ms, served {fig['served_rate_per_s']}/s"
            )
            await asyncio.sleep(2.0)
        rss = server.rss_kb()
        await close_many(sessions)

    # the headline figures are those at the rate (the last, highest one)
    return {
        "users": len(specs),
        "chats": n_chats,
        **by_rate[-1],
        "responses_failed": fail_count[0],
        "failure_samples": failures,
        "connect_login_s": round(connect_s, 2),
        "server_rss_kb": rss,
        "by_rate": by_rate,
    }


def summary(fig: dict[str, Any]) -> list[str]:
    lines = []
    for r in fig.get("by_rate") or [fig]:
        rt, pd = r["round_trip"], r["push_delay"]
        lines += [
            f"{fig['users']} users, sent {r['achieved_rate_per_s']}/s "
            f"(target {r['target_rate_per_s']}), served {r.get('served_rate_per_s')}/s, "
            f"{r['responses_ok']} ok, {r['pushes_missing']} pushes missing "
            f"(server CPU {r['server_cpu_pct']}%)",
            f"  round trip p50 {rt.get('p50_ms')} ms, p99 {rt.get('p99_ms')} ms; "
            f"push delay p50 {pd.get('p50_ms')} ms, p99 {pd.get('p99_ms')} ms",
        ]
    lines.append(f"{fig['responses_failed']} failed responses in all")
    return lines
