"""The report: JSON for machines, Markdown for people, and the tables for docs/performance.md.

``render_performance_tables(report)`` returns the Markdown that goes into
``docs/performance.md`` (targets with the measured figure beside each, then every figure);
``python -m bench.report bench/results/latest.json`` prints it for a saved run."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _get(d: Any, *keys: Any) -> Any:
    for k in keys:
        if isinstance(d, dict):
            d = d.get(k)
        elif isinstance(d, list) and isinstance(k, int) and -len(d) <= k < len(d):
            d = d[k]
        else:
            return None
    return d


def _fig(report: dict[str, Any], name: str) -> dict[str, Any]:
    sc = report.get("scenarios", {}).get(name) or {}
    return sc.get("figures") or {}


def _fmt(v: Any, unit: str = "", nd: int = 1) -> str:
    if v is None:
        return "not measured"
    if isinstance(v, float):
        return f"{v:,.{nd}f}{unit}"
    if isinstance(v, int):
        return f"{v:,}{unit}"
    return f"{v}{unit}"


def _send_event_row(
    report: dict[str, Any], label: str, fig: dict[str, Any], add: Any, goal: float = 0.25
) -> None:
    """A Web API send_event figure as a ratio to the bare endpoint of the same run."""
    r = fig.get("ratio_to_ceiling_throughput")
    cpu = cpu_us_per_request(fig.get("c50"))
    add(
        f"{label}, 50 connections, vs bare ASGI JSON endpoint (no framework)",
        f">= {goal:.2f}x",
        f"{r:.2f}x ({_fmt(_get(fig, 'c50', 'throughput_rps'), ' req/s', 0)} vs "
        f"{_fmt(_get(_fig(report, 'ceiling'), 'c50', 'throughput_rps'), ' req/s', 0)})"
        if r
        else None,
        None if r is None else r >= goal,
        f"server CPU per request {cpu:,.0f} µs" if cpu else "",
    )


def evaluate_targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each issue-19 target with the measured figure and whether it is met (None: not measured
    or not comparable). Rates are ratios to the ceiling measured in the same run."""
    quick = bool(report.get("quick"))
    rows: list[dict[str, Any]] = []

    def add(target: str, goal: str, measured: Any, met: bool | None, note: str = "") -> None:
        if quick and met is not None:
            note = ("quick run: smaller counts, not comparable; " + note).rstrip("; ")
        rows.append(
            {"target": target, "goal": goal, "measured": measured, "met": met, "note": note}
        )

    se = _fig(report, "send_event")
    _send_event_row(report, "Web API send_event (v3.0)", se, add)
    v36 = se.get("v3_6") or {}
    _send_event_row(
        report,
        "Web API send_event in v3.6 (`/v3.6/agent/action/send_event`, SDK headers)",
        v36,
        add,
    )
    cpu_se = cpu_us_per_request(se.get("c50"))
    cpu_ce = cpu_us_per_request(_get(_fig(report, "ceiling"), "c50"))
    add(
        "Server CPU per send_event (v3.0, 50 connections, SQLite)",
        "<= 250 µs",
        f"{cpu_se:,.0f} µs" if cpu_se else None,
        None if cpu_se is None else cpu_se <= 250,
        f"{cpu_se / cpu_ce:.1f}x the bare endpoint's {cpu_ce:,.0f} µs" if cpu_se and cpu_ce else "",
    )

    rt = _fig(report, "rtm")
    users = rt.get("users")
    rate = rt.get("achieved_rate_per_s")
    ctx_note = f"{users} sessions at {rate}/s" if users else ""
    p = _get(rt, "round_trip", "p99_ms")
    add(
        "RTM round trip p99 (1,000 sessions, 500 msg/s)",
        "< 15 ms",
        _fmt(p, " ms", 2),
        None if p is None else p < 15,
        ctx_note,
    )
    p = _get(rt, "push_delay", "p99_ms")
    add(
        "RTM push delivery p99 (1,000 sessions, 500 msg/s)",
        "< 25 ms",
        _fmt(p, " ms", 2),
        None if p is None else p < 25,
        ctx_note,
    )

    fo = _fig(report, "fanout")
    bo = fo.get("burst_out") or {}
    done = bo.get("burst_complete") or {}
    worst = done.get("max_ms")
    complete = bo.get("delivered") is not None and bo.get("delivered") == bo.get("expected")
    add(
        "Burst: one message into each of 200 chats, all pushes delivered",
        "< 60 ms",
        f"{_fmt(done.get('p50_ms'), ' ms', 1)} p50, {_fmt(worst, ' ms', 1)} worst of "
        f"{done.get('n')} rounds"
        if worst is not None
        else None,
        None if worst is None else (worst < 60 and complete),
        f"{bo.get('delivered')}/{bo.get('expected')} pushes delivered" if bo else "",
    )

    arch_levels = _get(_fig(report, "growth"), "archives", "levels") or []
    big = arch_levels[-1] if arch_levels else {}
    worst = None
    parts = []
    any_error = False
    for method in ("get_archives", "list_archives"):
        for name, row in (big.get(method) or {}).items():
            p95 = _get(row, "latency", "p95_ms")
            if row.get("errors"):
                any_error = True
                parts.append(f"{method} {name}: error")
                continue
            parts.append(f"{method} {name} {_fmt(p95, ' ms', 1)}")
            if p95 is not None:
                worst = p95 if worst is None else max(worst, p95)
    stored = big.get("stored_events")
    note = f"{stored:,} events stored" if stored else ""
    if stored and stored < 1_000_000:
        note += " (fewer than 1,000,000: not the target's size)"
    if any_error:
        note += "; some filters answered an error"
    add(
        "get_archives / list_archives p95 at 1,000,000 events, every filter",
        "< 50 ms",
        "; ".join(parts) if parts else None,
        None if worst is None or (stored or 0) < 1_000_000 else (worst < 50 and not any_error),
        note.strip("; "),
    )

    idle = _fig(report, "idle")
    levels = idle.get("levels") or []
    top = levels[-1] if levels else {}
    kb = top.get("kb_per_session")
    add(
        "Idle RTM sessions: memory each at 10,000 sessions",
        "< 20 KB",
        f"{kb:.1f} KB at {top.get('sessions_alive'):,} sessions" if kb is not None else None,
        None if kb is None else kb < 20,
    )

    pg = _fig(report, "send_event_pg")
    if "skipped" in pg:
        add(
            "PostgreSQL: server CPU per send_event vs SQLite's",
            "<= 1.5x",
            "skipped: " + str(pg["skipped"])[:160],
            None,
        )
    else:
        r = pg.get("ratio_to_sqlite_cpu")
        add(
            "PostgreSQL: server CPU per send_event vs SQLite's",
            "<= 1.5x",
            f"{r:.2f}x ({_fmt(pg.get('server_cpu_us_per_request'), ' µs', 0)} vs "
            f"{_fmt(pg.get('sqlite_server_cpu_us_per_request'), ' µs', 0)})"
            if r
            else None,
            None if r is None else r <= 1.5,
            "Chatplane's process only (PostgreSQL's own CPU is not in it)",
        )

    sy = _fig(report, "synapse")
    if "skipped" in sy:
        add(
            "Side by side with Matrix Synapse (message ingest)",
            "report",
            "skipped: " + str(sy["skipped"])[:160],
            None,
        )
    elif sy:
        c, s, r = (
            sy.get("chatplane") or {},
            sy.get("synapse") or {},
            sy.get("chatplane_vs_synapse") or {},
        )
        add(
            "Side by side with Matrix Synapse (message ingest)",
            "report",
            f"Chatplane {_fmt(c.get('messages_per_s'), ' msg/s', 0)}, delivery p99 "
            f"{_fmt(c.get('delivery_p99_ms'), ' ms', 1)}; Synapse "
            f"{_fmt(s.get('messages_per_s'), ' msg/s', 0)}, p99 "
            f"{_fmt(s.get('delivery_p99_ms'), ' ms', 1)} "
            f"({_fmt(r.get('messages_per_s'), 'x', 2)} msg/s, "
            f"{_fmt(r.get('delivery_p99'), 'x', 2)} p99)",
            None,
            f"{sy.get('senders')} senders, {sy.get('synapse_version')}",
        )
    return rows


def render_targets_table(report: dict[str, Any]) -> str:
    lines = [
        "| Target (issue 19) | Goal | Measured | Met? | Note |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in evaluate_targets(report):
        met = {True: "yes", False: "**no**", None: "n/a"}[row["met"]]
        lines.append(
            f"| {row['target']} | {row['goal']} | {row['measured'] or 'not measured'} "
            f"| {met} | {row['note']} |"
        )
    return "\n".join(lines)


def _lat(d: Any, keys: tuple[str, ...] = ("p50_ms", "p99_ms")) -> str:
    if not isinstance(d, dict) or not d.get("n"):
        return "not measured"
    return " / ".join(_fmt(d.get(k), "", 2) for k in keys) + " ms"


def cpu_us_per_request(load: Any) -> float | None:
    """Server CPU time per answered request (microseconds) of a closed-loop load figure: less
    sensitive than throughput to other processes sharing the cores."""
    if not isinstance(load, dict):
        return None
    pct, dur, ok = load.get("server_cpu_pct"), load.get("duration_s"), load.get("requests_ok")
    if pct is None or not dur or not ok:
        return None
    return round(pct / 100.0 * dur / ok * 1e6, 1)


def render_figures_table(report: dict[str, Any]) -> str:
    """Every measured figure: one row each, with its ratio to the ceiling where it is a Web API
    figure."""
    rows: list[tuple[str, str, str, str]] = []
    ce = _fig(report, "ceiling")
    if ce:
        rows.append(
            (
                "6. ceiling",
                "bare JSON POST, 50 connections: throughput",
                _fmt(_get(ce, "c50", "throughput_rps"), " req/s", 0),
                "1.00",
            )
        )
        rows.append(
            (
                "6. ceiling",
                "bare JSON POST, 50 connections: latency p50 / p99",
                _lat(_get(ce, "c50", "latency")),
                "1.00",
            )
        )
        rows.append(
            (
                "6. ceiling",
                "bare JSON POST, 1 connection: latency p50 / p99",
                _lat(_get(ce, "c1", "latency")),
                "1.00",
            )
        )
        rows.append(
            (
                "6. ceiling",
                "bare JSON POST, 50 connections: server CPU per request",
                _fmt(cpu_us_per_request(ce.get("c50")), " µs", 0),
                "1.00",
            )
        )
    se = _fig(report, "send_event")
    if se:
        rows.append(
            (
                "1. send_event",
                f"50 clients over {se.get('chats')} chats: throughput",
                _fmt(_get(se, "c50", "throughput_rps"), " req/s", 0),
                _fmt(se.get("ratio_to_ceiling_throughput"), "x", 2),
            )
        )
        rows.append(
            (
                "1. send_event",
                "50 clients: latency p50 / p99",
                _lat(_get(se, "c50", "latency")),
                _fmt(se.get("ratio_to_ceiling_p50_c50"), "x (p50)", 1),
            )
        )
        cpu_se, cpu_ce = cpu_us_per_request(se.get("c50")), cpu_us_per_request(ce.get("c50"))
        rows.append(
            (
                "1. send_event",
                "50 clients: server CPU per request",
                _fmt(cpu_se, " µs", 0),
                f"{cpu_se / cpu_ce:.1f}x" if cpu_se and cpu_ce else "",
            )
        )
        rows.append(
            (
                "1. send_event",
                "1 client: latency p50 / p99",
                _lat(_get(se, "c1", "latency")),
                _fmt(se.get("ratio_to_ceiling_p50_c1"), "x (p50)", 1),
            )
        )
    for key, scen, label in (
        ("v3_6", "1. send_event", "v3.6, 50 clients"),
        (None, "1b. send_event PostgreSQL", "v3.0, 50 clients"),
    ):
        f = (se.get(key) or {}) if key else _fig(report, "send_event_pg")
        if "skipped" in f:
            rows.append((scen, "skipped", str(f["skipped"])[:160], ""))
            continue
        if not f.get("c50"):
            continue
        rows.append(
            (
                scen,
                f"{label}: throughput",
                _fmt(_get(f, "c50", "throughput_rps"), " req/s", 0),
                _fmt(f.get("ratio_to_ceiling_throughput"), "x", 2),
            )
        )
        rows.append((scen, f"{label}: latency p50 / p99", _lat(_get(f, "c50", "latency")), ""))
        cpu = cpu_us_per_request(f.get("c50"))
        ref = cpu_us_per_request(ce.get("c50"))
        rows.append(
            (
                scen,
                f"{label}: server CPU per request",
                _fmt(cpu, " µs", 0),
                f"{cpu / ref:.1f}x" if cpu and ref else "",
            )
        )
        if f.get("c1"):
            rows.append(
                (
                    scen,
                    f"{label.split(',')[0]}, 1 client: latency p50 / p99",
                    _lat(_get(f, "c1", "latency")),
                    _fmt(f.get("ratio_to_ceiling_p50_c1"), "x (p50)", 1),
                )
            )
    rt = _fig(report, "rtm")
    if rt:
        for r in rt.get("by_rate") or [rt]:
            where = (
                f"{rt.get('users')} sessions, sent {r.get('achieved_rate_per_s')} msg/s "
                f"(target {r.get('target_rate_per_s')})"
            )
            served = f"served {r.get('served_rate_per_s')}/s" if r.get("served_rate_per_s") else ""
            rows.append(
                ("2. RTM", f"{where}: round trip p50 / p99", _lat(r.get("round_trip")), served)
            )
            rows.append(
                (
                    "2. RTM",
                    f"{where}: push delay p50 / p99",
                    _lat(r.get("push_delay")),
                    f"{r.get('pushes_missing')} of {r.get('messages')} missing",
                )
            )
            unanswered = (r.get("messages") or 0) - (r.get("responses_ok") or 0)
            if unanswered > 0:
                rows.append(
                    (
                        "2. RTM",
                        f"{where}: requests not answered within 15 s of the schedule's end",
                        f"{unanswered:,} of {r.get('messages'):,}",
                        "server saturated",
                    )
                )
        rows.append(("2. RTM", "failed responses (all rates)", f"{rt.get('responses_failed')}", ""))
    fo = _fig(report, "fanout")
    if fo:
        base = f"{fo.get('chats')} chats + {fo.get('idle_connections')} idle"
        for key, label in (
            ("burst_out", "agent sends 1 event into each chat"),
            ("burst_in", "every customer sends 1 event to the agent"),
        ):
            b = fo.get(key) or {}
            rows.append(
                (
                    "3. fan-out",
                    f"{base}, {label}: delay p50 / p99",
                    _lat(b.get("delay")),
                    f"{b.get('delivered')}/{b.get('expected')}",
                )
            )
            rows.append(
                (
                    "3. fan-out",
                    f"{base}, {label}: whole burst delivered (p50)",
                    _fmt(_get(b, "burst_complete", "p50_ms"), " ms", 2),
                    "",
                )
            )
        for key, label in (
            ("multicast_agents", "multicast to all agents"),
            ("multicast_agents_customers", "multicast to all agents + every customer"),
        ):
            m = fo.get(key) or {}
            if "skipped" in m:
                rows.append(("3. fan-out", f"{label}", "skipped: " + m["skipped"][:120], ""))
            elif m:
                rows.append(
                    (
                        "3. fan-out",
                        f"{label}: delay p50 / p99 / all delivered (p50)",
                        _lat(m.get("delay"))
                        + " / "
                        + _fmt(_get(m, "all_delivered", "p50_ms"), " ms", 2),
                        f"{m.get('delivered')}/{m.get('expected')}",
                    )
                )
    idle = _fig(report, "idle")
    for row in idle.get("levels") or []:
        rows.append(
            (
                "4. idle",
                f"{row.get('sessions_alive'):,} logged-in sessions: memory each",
                _fmt(row.get("kb_per_session"), " KB", 1),
                f"RSS {_fmt(row.get('rss_kb'), ' KB')}",
            )
        )
    gr = _fig(report, "growth")
    cl = gr.get("chat_length") or {}
    if cl and "error" not in cl:
        rows.append(
            (
                "5. growth",
                "send_event in a 10-event chat: p50 / p99",
                _lat(cl.get("send_event_small")),
                "",
            )
        )
        rows.append(
            (
                "5. growth",
                f"send_event in a {_fmt(cl.get('big_chat_events'))}-event chat: p50 / p99",
                _lat(cl.get("send_event_big")),
                f"{_fmt(cl.get('ratio_p50'), 'x', 2)} of the 10-event chat (p50)",
            )
        )
    ce1 = _get(ce, "c1", "latency", "p50_ms")
    for lvl, method in [
        (lvl, m)
        for lvl in _get(gr, "archives", "levels") or []
        for m in ("get_archives", "list_archives")
    ]:
        for name, row in (lvl.get(method) or {}).items():
            lat = row.get("latency") or {}
            value = (
                _lat(lat, ("p50_ms", "p95_ms", "p99_ms"))
                if not row.get("errors")
                else "error: " + str(row["errors"][0])[:100]
            )
            r = (
                f"{lat['p50_ms'] / ce1:.1f}x (p50)"
                if ce1 and lat.get("p50_ms") and not row.get("errors")
                else ""
            )
            rows.append(
                (
                    "5. growth",
                    f"{method}, {_fmt(lvl.get('stored_events'))} events, "
                    f"filter {name}: p50 / p95 / p99",
                    value,
                    r,
                )
            )
    sy = _fig(report, "synapse")
    if "skipped" in sy:
        rows.append(("7. Synapse", "skipped", str(sy["skipped"])[:160], ""))
    elif sy:
        for who in ("chatplane", "synapse"):
            f = sy.get(who) or {}
            rows.append(
                (
                    "7. Synapse",
                    f"{who}: {sy.get('senders')} senders into one room, acknowledged msgs/s; "
                    "delivery p50 / p99",
                    f"{_fmt(f.get('messages_per_s'), ' msg/s', 0)}; "
                    f"{_fmt(f.get('delivery_p50_ms'), '', 1)} / "
                    f"{_fmt(f.get('delivery_p99_ms'), ' ms', 1)}",
                    f"{f.get('not_delivered')} not delivered",
                )
            )
    lines = ["| Scenario | Figure | Measured | vs ceiling / count |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    errors = [(n, s.get("error")) for n, s in report.get("scenarios", {}).items() if s.get("error")]
    for n, e in errors:
        lines.append(f"| {n} | scenario failed | {str(e)[:160]} | |")
    return "\n".join(lines)


def render_conditions(report: dict[str, Any]) -> str:
    """How busy the machine was during each scenario (other processes share the cores)."""
    lines = [
        "| Scenario | Seconds | Machine CPU during it (of 100% x cores) | Load average before |",
        "| --- | --- | --- | --- |",
    ]
    for name, sc in report.get("scenarios", {}).items():
        lines.append(
            f"| {name} | {sc.get('seconds')} | {_fmt(sc.get('machine_cpu_pct'), '%', 0)} "
            f"| {sc.get('loadavg_before')} |"
        )
    return "\n".join(lines)


def render_header(report: dict[str, Any]) -> str:
    meta = report.get("meta", {})
    m = meta.get("machine", {})
    srv = meta.get("server", {})
    return (
        f"Run {report.get('started')} ({'quick' if report.get('quick') else 'full'} mode, "
        f"{report.get('seconds')} s). Server: {srv.get('version')} (git {srv.get('git')}); "
        f"storage: {meta.get('storage')}. Machine: {m.get('cores')} cores, {m.get('cpu_model')}, "
        f"{m.get('memory_gb')} GB, Linux {m.get('kernel')}, Python {m.get('python')}. "
        f"Client: {meta.get('client')}."
    )


def render_performance_tables(report: dict[str, Any]) -> str:
    """The Markdown block for docs/performance.md."""
    return "\n\n".join(
        [
            render_header(report),
            "### Targets\n\n" + render_targets_table(report),
            "### All figures\n\n" + render_figures_table(report),
            "### Conditions\n\n" + render_conditions(report),
        ]
    )


def render_markdown(report: dict[str, Any]) -> str:
    out = [
        "# Chatplane benchmark report",
        "",
        render_performance_tables(report),
        "",
        "## Per scenario",
        "",
    ]
    for name, sc in report.get("scenarios", {}).items():
        out.append(f"### {sc.get('title', name)}")
        out.append("")
        out.append(f"{sc.get('seconds')} s.")
        for line in sc.get("summary") or []:
            out.append(f"- {line}")
        if sc.get("error"):
            out.append(f"- **failed**: `{sc['error']}`")
        out.append("")
    return "\n".join(out)


def write_report(report: dict[str, Any], out_dir: Path = RESULTS_DIR) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = report.get("stamp", "run")
    jpath = out_dir / f"bench-{stamp}.json"
    mpath = out_dir / f"bench-{stamp}.md"
    text = json.dumps(report, indent=2, default=str)
    md = render_markdown(report)
    jpath.write_text(text)
    mpath.write_text(md)
    (out_dir / "latest.json").write_text(text)
    (out_dir / "latest.md").write_text(md)
    return jpath, mpath


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS_DIR / "latest.json"
    print(render_performance_tables(json.loads(path.read_text())))
