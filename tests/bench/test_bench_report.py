"""The report's targets table (issue 19) from a saved run's figures: which figure each target
reads, skipped scenarios, quick runs marked not comparable. No benchmark is run here."""

from __future__ import annotations

from typing import Any

from bench.report import evaluate_targets, render_performance_tables


def _load(rps: float, cpu_pct: float, ok: int, p50: float = 1.0) -> dict[str, Any]:
    return {
        "throughput_rps": rps,
        "server_cpu_pct": cpu_pct,
        "duration_s": 10.0,
        "requests_ok": ok,
        "latency": {"n": ok, "p50_ms": p50, "p95_ms": p50, "p99_ms": p50},
    }


def _report(quick: bool = False) -> dict[str, Any]:
    def sc(figures: dict[str, Any]) -> dict[str, Any]:
        return {"figures": figures}

    arch = {
        name: {"latency": {"n": 100, "p50_ms": 20.0, "p95_ms": p95}}
        for name, p95 in (("none", 30.0), ("query", 45.0))
    }
    return {
        "quick": quick,
        "scenarios": {
            "ceiling": sc({"c50": _load(10_000, 50.0, 100_000)}),
            "send_event": sc(
                {
                    "c50": _load(3_000, 60.0, 30_000),
                    "ratio_to_ceiling_throughput": 0.3,
                    "v3_6": {"c50": _load(2_000, 60.0, 20_000), "ratio_to_ceiling_throughput": 0.2},
                }
            ),
            "send_event_pg": sc({"skipped": "PostgreSQL not reachable"}),
            "fanout": sc(
                {
                    "burst_out": {
                        "delivered": 1000,
                        "expected": 1000,
                        "burst_complete": {"n": 5, "p50_ms": 40.0, "max_ms": 55.0},
                    }
                }
            ),
            "growth": sc(
                {
                    "archives": {
                        "levels": [
                            {
                                "stored_events": 1_000_000,
                                "get_archives": arch,
                                "list_archives": {
                                    "none": {"latency": {"n": 100, "p95_ms": 70.0}},
                                },
                            }
                        ]
                    }
                }
            ),
            "idle": sc({"levels": [{"sessions_alive": 10_000, "kb_per_session": 19.5}]}),
        },
    }


def _rows(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["target"].split(",")[0].split(" (")[0]: row for row in evaluate_targets(report)}


def test_each_target_reads_its_figure() -> None:
    rows = _rows(_report())
    assert rows["Web API send_event"]["met"] is True  # 0.3x >= 0.25x
    assert rows["Web API send_event in v3.6"]["met"] is False  # 0.2x
    cpu = rows["Server CPU per send_event"]
    assert cpu["met"] is True and cpu["measured"] == "200 µs"  # 60% of 10 s / 30,000
    assert rows["Burst: one message into each of 200 chats"]["met"] is True
    # every filter of both methods counts: list_archives' 70 ms misses
    assert rows["get_archives / list_archives p95 at 1"]["met"] is False
    assert rows["Idle RTM sessions: memory each at 10"]["met"] is True
    pg = rows["PostgreSQL: server CPU per send_event vs SQLite's"]
    assert pg["met"] is None and "skipped" in pg["measured"]
    assert rows["RTM round trip p99"]["met"] is None  # not measured


def test_quick_runs_are_marked_not_comparable() -> None:
    rows = evaluate_targets(_report(quick=True))
    assert all("quick run" in r["note"] for r in rows if r["met"] is not None)
    text = render_performance_tables(_report(quick=True))
    assert "| Target (issue 19) |" in text
    assert "list_archives" in text
