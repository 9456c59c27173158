"""Scenario 5: growth.

(a) ``send_event`` latency in a chat holding 10 events against one holding 10,000: one client,
    one keep-alive connection, requests alternating between a pool of small chats (seeded
    with 10 events each; each gets only a few more during the measurement, so it stays near
    10) and the big chat. Alternating cancels drift (WAL growth, checkpoints) between the two.
(b) ``get_archives`` latency with 1,000 and then 1,000,000 stored events: the same server is
    seeded to the first level, measured, seeded on to the second and measured again. Events
    are spread about 100 per chat. Seeding: agent Web API ``send_event`` over many keep-alive
    connections (bounded in time; the report states the count actually stored). Variants: no
    filter, ``query`` (a word in 1 event of 1,000), ``agent_ids``, and a property filter.
"""

from __future__ import annotations

import json
import time
from typing import Any

from bench.fixtures import (
    agent_action,
    create_customers,
    message_payload,
    seed_events,
    start_chats,
)
from bench.httpload import HTTPConnection, build_post, run_sequential
from bench.procs import HOST, Chatplane
from bench.scenarios import Context, ratio
from bench.stats import summarize_ms

SQL_METHOD = (
    "one event per chat through the Web API, then rows copied straight into the stopped "
    "server's SQLite store (bench/_sqlseed.py: new ids and orders, FTS kept by the schema's "
    "trigger), server restarted"
)

NAME = "growth"
TITLE = "5. Growth: send_event in a 10 vs 10,000-event chat; get_archives at 1k vs 1M events"

WORDS = [
    "order",
    "refund",
    "delivery",
    "password",
    "invoice",
    "shipping",
    "discount",
    "account",
    "login",
    "upgrade",
    "cancel",
    "address",
    "payment",
]


def archive_text(k: int) -> str:
    text = f"bench archive message {k} about {WORDS[k % len(WORDS)]}"
    return text + " needle" if k % 1000 == 999 else text


async def run(ctx: Context) -> dict[str, Any]:
    out: dict[str, Any] = {}
    try:
        out["chat_length"] = await chat_length(ctx)
    except Exception as exc:
        out["chat_length"] = {"error": repr(exc)[:500]}
        ctx.log(f"chat_length failed: {exc!r}")
    out["archives"] = await archives(ctx)
    return out


async def chat_length(ctx: Context) -> dict[str, Any]:
    n_small = ctx.pick(200, 10)
    small_events = 10
    big_events = ctx.pick(10_000, 1_000)
    rounds = ctx.pick(1000, 60)
    async with ctx.chatplane(label="growth-chat") as cp:
        customers = await create_customers(cp, n_small + 1)
        chat_ids = await start_chats(cp, customers)
        small, big = chat_ids[:n_small], chat_ids[n_small]
        # one real event per chat through the Web API, then the rest copied into the store
        await seed_events(cp, chat_ids, len(chat_ids), lambda k: f"first {k}")
        plan = [(cid, small_events - 1) for cid in small] + [(big, big_events - 1)]
        try:
            seeding = await cp.sql_seed(plan, "plain", 0)
            seeding["method"] = SQL_METHOD
        except Exception as exc:
            ctx.log(f"direct seeding unavailable ({exc!r:.200}); seeding through the Web API")
            s1 = await seed_events(cp, small, n_small * (small_events - 1), lambda k: f"small {k}")
            seeding = await seed_events(
                cp,
                [big],
                big_events - 1,
                lambda k: f"big {k}",
                concurrency=50,
                time_cap_s=ctx.pick(300.0, 10.0),
            )
            seeding["inserted"] = s1["events_sent"] + seeding["events_sent"]
        big_count = 1 + (
            big_events - 1
            if "method" in seeding and seeding["method"] == SQL_METHOD
            else seeding.get("events_sent", 0)
        )
        ctx.log(
            f"seeded: {n_small} chats of {small_events} events, one of {big_count} "
            f"({seeding.get('method')})"
        )
        path = agent_action("send_event")

        def req(cid: str, k: int) -> bytes:
            return build_post(
                HOST,
                cp.port,
                path,
                json.dumps(message_payload(cid, f"growth probe {k}")).encode(),
                cp.owner_token,
            )

        conn = HTTPConnection(HOST, cp.port)
        lat_small: list[float] = []
        lat_big: list[float] = []
        errors: list[str] = []
        stop_at = time.perf_counter() + ctx.pick(60.0, 5.0)
        for i in range(rounds):
            if time.perf_counter() > stop_at:
                break
            for cid, sink in ((small[i % n_small], lat_small), (big, lat_big)):
                t0 = time.perf_counter()
                status, body = await conn.send_raw(req(cid, i))
                if status == 200:
                    if i >= 10:  # first rounds are a warm-up
                        sink.append(time.perf_counter() - t0)
                elif len(errors) < 3:
                    errors.append(f"{status} {body[:200]!r}")
        conn.close()
    s, b = summarize_ms(lat_small), summarize_ms(lat_big)
    return {
        "small_chat_events": small_events,
        "big_chat_events": big_count,
        "seeding": seeding,
        "send_event_small": s,
        "send_event_big": b,
        "ratio_p50": ratio(b.get("p50_ms"), s.get("p50_ms")),
        "ratio_p99": ratio(b.get("p99_ms"), s.get("p99_ms")),
        "errors": errors,
    }


def _v36_archives_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The v3.6 ``list_archives`` request of a v3.0 ``get_archives`` one: the same filters
    (v3.6 names ``agent_ids`` ``agents: {"values": [...]}``), ``limit`` at the top level
    instead of ``pagination.limit``."""
    out = {k: v for k, v in payload.items() if k != "pagination"}
    filters = out.get("filters")
    if isinstance(filters, dict) and "agent_ids" in filters:
        filters = {k: v for k, v in filters.items() if k != "agent_ids"}
        filters["agents"] = {"values": payload["filters"]["agent_ids"]}
        out["filters"] = filters
    limit = (payload.get("pagination") or {}).get("limit")
    if limit is not None:
        out["limit"] = limit
    return out


async def _measure_archives(
    ctx: Context, cp: Chatplane, filters: dict[str, dict[str, Any]], n: int, v36: bool = False
) -> dict[str, Any]:
    """``get_archives`` (v3.0), or with ``v36`` ``list_archives`` (v3.6: the payload itself as
    the body), ``n`` sequential requests per filter."""
    path = "/v3.6/agent/action/list_archives" if v36 else agent_action("get_archives")
    result: dict[str, Any] = {}
    for name, payload in filters.items():
        if v36:
            payload = _v36_archives_payload(payload)
            body = json.dumps(payload).encode()
        else:
            body = json.dumps({"payload": payload}).encode()
        req = build_post(HOST, cp.port, path, body, cp.owner_token)
        lat, errors, bodies = await run_sequential(
            HOST, cp.port, [req] * n, time_cap_s=ctx.pick(30.0, 2.0)
        )
        row: dict[str, Any] = {"payload": payload, "latency": summarize_ms(lat)}
        if errors:
            row["errors"] = errors
        if bodies:
            try:
                parsed = json.loads(bodies[0])
                row["total"] = (parsed.get("pagination") or {}).get(
                    "total", parsed.get("found_chats")
                )
                row["chats_returned"] = len(parsed.get("chats") or [])
            except (ValueError, AttributeError):
                pass
        result[name] = row
    return result


async def archives(ctx: Context) -> dict[str, Any]:
    levels = ctx.pick([1_000, 1_000_000], [500, 10_000])
    per_chat = 100
    seed_cap = ctx.pick(480.0, 8.0)
    n_requests = ctx.pick(100, 10)
    out: dict[str, Any] = {"levels": []}
    # The seeded threads stay active. With the default idle timeout (600 s) every one of the
    # 10,000 goes idle about ten minutes after its first event, a burst of timer writes that
    # lands in the measurement whenever seeding takes that long; they are not what this
    # measures, so the timeouts are set past the scenario's length.
    quiet_timers = {"CHATPLANE_IDLE_TIMEOUT": "86400", "CHATPLANE_ARCHIVE_TIMEOUT": "86400"}
    async with ctx.chatplane(label="growth-archives", env=quiet_timers) as cp:
        # can chats carry a custom property? (a property filter needs one)
        probe_customer = (await create_customers(cp, 1))[0]
        # the license's built-in test property (configuration-api readme: "for each license
        # there are added some test properties"), written flat as {namespace: {name: value}}
        props = {"test": {"string_property": "gold"}}
        try:
            await start_chats(cp, [probe_customer], properties=props)
            with_props = True
        except Exception as exc:
            with_props = False
            out["property_note"] = f"start_chat with chat.properties refused: {exc}"[:300]
        prop_filter = (
            {"test": {"string_property": {"values": ["gold"]}}}
            if with_props
            else {"routing": {"unassigned": {"exists": True}}}
        )
        filters: dict[str, dict[str, Any]] = {
            "none": {"pagination": {"limit": 25}},
            "query": {"filters": {"query": "needle"}, "pagination": {"limit": 25}},
            "agent": {"filters": {"agent_ids": [cp.owner_id]}, "pagination": {"limit": 25}},
            "property": {"filters": {"properties": prop_filter}, "pagination": {"limit": 25}},
        }
        chat_ids: list[str] = []
        stored = 0
        seeding: list[dict[str, Any]] = []
        started = time.perf_counter()
        for level in levels:
            want_chats = max(1, level // per_chat)
            if want_chats > len(chat_ids):
                extra = want_chats - len(chat_ids)
                customers = await create_customers(cp, extra, concurrency=48)
                # every second chat carries the property
                half = extra // 2
                if with_props:
                    new = await start_chats(cp, customers[:half], properties=props)
                    new += await start_chats(
                        cp, customers[half:], properties={"test": {"string_property": "silver"}}
                    )
                else:
                    new = await start_chats(cp, customers)
                chat_ids += new
                first = await seed_events(
                    cp, new, len(new), lambda k, base=stored: archive_text(base + k)
                )
                stored += first["events_sent"]
            remaining = level - stored
            seeded: dict[str, Any]
            if remaining > 5_000:
                per = remaining // len(chat_ids)
                plan = [
                    (cid, per + (1 if i < remaining % len(chat_ids) else 0))
                    for i, cid in enumerate(chat_ids)
                ]
                try:
                    seeded = await cp.sql_seed(plan, "archive", stored)
                    seeded["method"] = SQL_METHOD
                    stored += int(seeded["inserted"])
                except Exception as exc:
                    ctx.log(f"direct seeding unavailable ({exc!r:.200}); using the Web API")
                    seeded = {}
            else:
                seeded = {}
            if not seeded and level > stored:
                remaining_cap = seed_cap - (time.perf_counter() - started)
                seeded = await seed_events(
                    cp,
                    chat_ids,
                    level - stored,
                    lambda k, base=stored: archive_text(base + k),
                    concurrency=64,
                    time_cap_s=max(1.0, remaining_cap),
                    batch=20_000,
                )
                stored += seeded["events_sent"]
            seeding.append(seeded)
            ctx.log(
                f"archives: {stored} events stored ({seeded.get('rate_per_s')}/s), "
                f"{len(chat_ids)} chats"
            )
            measured = await _measure_archives(ctx, cp, filters, n_requests)
            listed = await _measure_archives(ctx, cp, filters, n_requests, v36=True)
            out["levels"].append(
                {
                    "target_events": level,
                    "stored_events": stored,
                    "chats": len(chat_ids) + 1,
                    "get_archives": measured,
                    "list_archives": listed,
                }
            )
        out["seeding"] = seeding
        out["server_rss_kb"] = cp.server.rss_kb() if cp.server else None
        db_bytes = sum(p.stat().st_size for p in cp.data_dir.rglob("*") if p.is_file())
        out["data_dir_mb"] = round(db_bytes / 1e6, 1)
    return out


def summary(fig: dict[str, Any]) -> list[str]:
    lines = []
    cl = fig.get("chat_length", {})
    if "error" in cl:
        lines.append(f"chat length: error {cl['error']}")
    else:
        s, b = cl["send_event_small"], cl["send_event_big"]
        lines.append(
            f"send_event in {cl['small_chat_events']}-event chats p50 {s.get('p50_ms')} ms "
            f"p99 {s.get('p99_ms')} ms; in a {cl['big_chat_events']}-event chat p50 "
            f"{b.get('p50_ms')} ms p99 {b.get('p99_ms')} ms; ratio p50 {cl['ratio_p50']}"
        )
    for lvl in fig.get("archives", {}).get("levels", []):
        for method in ("get_archives", "list_archives"):
            parts = []
            for name, row in (lvl.get(method) or {}).items():
                lat = row["latency"]
                err = " ERR" if row.get("errors") else ""
                parts.append(f"{name} p50 {lat.get('p50_ms')} p95 {lat.get('p95_ms')}{err}")
            if parts:
                lines.append(f"{method} @ {lvl['stored_events']} events (ms): " + "; ".join(parts))
    return lines
