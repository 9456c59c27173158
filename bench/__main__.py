"""``python -m bench [--quick] [--scenarios a,b] [--out DIR]``: run the benchmark scenarios.

Scenarios: ceiling, send_event, send_event_pg, rtm, fanout, idle, growth, synapse (in that
order; the ceiling first, so Web API figures can be given as ratios to it). ``send_event_pg``
is skipped when PostgreSQL is not reachable, ``synapse`` when Synapse cannot be installed;
``--quick`` leaves ``synapse`` out unless it is named. Each one starts its own ``chatplane serve``.
Writes ``bench-<stamp>.json`` / ``.md`` and ``latest.json`` / ``latest.md`` to the output
directory (default ``bench/results/``). Exit status 1 if any scenario failed."""

from __future__ import annotations

import argparse
import asyncio
import atexit
import importlib
import os
import shutil
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench.procs import (
    export_commit,
    kill_all_started,
    loadavg,
    machine_busy_seconds,
    machine_info,
    raise_nofile_limit,
    server_version,
    storage_backend,
)
from bench.report import RESULTS_DIR, render_performance_tables, write_report
from bench.scenarios import NOT_QUICK, ORDER, Context

# Per-scenario bounds (seconds): a scenario past its bound is cancelled and reported as failed.
TIME_BOUND = {
    "full": {
        "ceiling": 120,
        "send_event": 180,
        "send_event_pg": 240,
        "rtm": 300,
        "fanout": 300,
        "idle": 420,
        "growth": 900,
        # the first run installs Synapse (pip, minutes)
        "synapse": 1500,
    },
    "quick": {
        "ceiling": 30,
        "send_event": 30,
        "send_event_pg": 30,
        "rtm": 30,
        "fanout": 30,
        "idle": 30,
        "growth": 40,
        "synapse": 1500,
    },
}


def _loop_name() -> str:
    try:
        import uvloop  # noqa: F401

        return "uvloop"
    except ImportError:
        return "asyncio"


async def wait_for_quiet(max_wait_s: float, threshold_pct: float = 25.0) -> tuple[float, float]:
    """Wait (at most ``max_wait_s``) until other processes use under ``threshold_pct`` of the
    machine over one second: the cores are shared, and a busy neighbour skews every figure."""
    t0 = time.perf_counter()
    busy = 100.0
    while time.perf_counter() - t0 < max_wait_s:
        b0 = machine_busy_seconds()
        await asyncio.sleep(1.0)
        busy = 100.0 * (machine_busy_seconds() - b0)
        if busy < threshold_pct:
            break
    return time.perf_counter() - t0, busy


async def run_all(
    names: list[str], quick: bool, keep_data: bool, out_dir: Path, wait_quiet_s: float = 0.0
) -> dict[str, Any]:
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    meta: dict[str, Any] = {
        "server": server_version(),
        "machine": machine_info(),
        "storage": storage_backend(),
        "client": f"one Python process, {_loop_name()} event loop, raw-socket HTTP/1.1 "
        "keep-alive client, `websockets` RTM client, on the same cores as the server",
    }
    ctx = Context(quick=quick, meta=meta, keep_data=keep_data)
    report: dict[str, Any] = {
        "started": started,
        "stamp": time.strftime("%Y%m%d-%H%M%S"),
        "quick": quick,
        "meta": meta,
        "scenarios": {},
    }
    head = (
        f"{meta['server'].get('version')} (git {meta['server'].get('git')}) | "
        f"{meta['machine']['cores']} cores, {meta['machine']['cpu_model']} | "
        f"storage: {meta['storage']}"
    )
    t_all = time.perf_counter()
    bounds = TIME_BOUND["quick" if quick else "full"]
    for name in names:
        module = importlib.import_module(f"bench.scenarios.{name}")
        # a scenario on another store than the run's (send_event_pg) names it
        line = head.replace(meta["storage"], getattr(module, "STORAGE", meta["storage"]))
        print(f"\n== {module.TITLE}\n   {line}", flush=True)
        if wait_quiet_s > 0:
            waited, busy = await wait_for_quiet(wait_quiet_s)
            print(f"   waited {waited:.0f} s for a quiet machine (other CPU {busy:.0f}%)")
        entry: dict[str, Any] = {"title": module.TITLE, "loadavg_before": loadavg()}
        t0 = time.perf_counter()
        busy0 = machine_busy_seconds()
        try:
            figures = await asyncio.wait_for(module.run(ctx), bounds[name])
            ctx.results[name] = figures
            entry["figures"] = figures
            entry["summary"] = module.summary(figures)
            for line in entry["summary"]:
                print(f"   {line}", flush=True)
        except Exception as exc:
            if isinstance(exc, asyncio.TimeoutError):
                msg = f"exceeded its time bound of {bounds[name]} s"
            else:
                msg = f"{type(exc).__name__}: {exc}"
            entry["error"] = msg[:2000]
            entry["traceback"] = traceback.format_exc()[-4000:]
            print(f"   FAILED: {msg[:2000]}", flush=True)
        entry["seconds"] = round(time.perf_counter() - t0, 1)
        entry["machine_cpu_pct"] = round(
            100.0 * (machine_busy_seconds() - busy0) / max(1e-9, time.perf_counter() - t0), 1
        )
        entry["loadavg_after"] = loadavg()
        print(
            f"   [{entry['seconds']} s; machine CPU {entry['machine_cpu_pct']}% of "
            f"{100 * (os.cpu_count() or 1)}%; load {entry['loadavg_before']} -> "
            f"{entry['loadavg_after']}]",
            flush=True,
        )
        report["scenarios"][name] = entry
    report["seconds"] = round(time.perf_counter() - t_all, 1)
    jpath, mpath = write_report(report, out_dir)
    print("\n" + render_performance_tables(report))
    print(f"\nreport: {jpath}\n        {mpath}")
    return report


def _on_signal(signum: int, frame: Any) -> None:
    kill_all_started()
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small counts and short runs (whole run under a minute; CI smoke)",
    )
    parser.add_argument(
        "--scenarios",
        default=None,
        help=f"comma-separated subset of {','.join(ORDER)} (default: all; with --quick all but "
        f"{','.join(sorted(NOT_QUICK))})",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=None,
        metavar="S",
        help="before each scenario wait up to S seconds for other processes to go quiet "
        "(default 20 in a full run, 0 with --quick)",
    )
    parser.add_argument(
        "--commit",
        metavar="REV",
        help="benchmark chatplane/ as of this git revision (exported to a temp dir), not the "
        "work tree",
    )
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="report directory")
    parser.add_argument(
        "--keep-data", action="store_true", help="keep each scenario's temp data dir and server log"
    )
    args = parser.parse_args(argv)
    if args.scenarios is None:
        names = [n for n in ORDER if not (args.quick and n in NOT_QUICK)]
    else:
        names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in names if n not in ORDER]
    if unknown:
        parser.error(f"unknown scenarios {unknown}; choose from {ORDER}")
    names = [n for n in ORDER if n in names]
    if args.commit:
        src, short = export_commit(args.commit)
        os.environ["BENCH_CHATPLANE_SRC"] = src
        os.environ["BENCH_CHATPLANE_COMMIT"] = short
        atexit.register(shutil.rmtree, src, True)
        print(f"benchmarking chatplane/ at {short} (exported to {src})")
    raise_nofile_limit()
    atexit.register(kill_all_started)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _on_signal)
    wait_quiet = args.wait_quiet if args.wait_quiet is not None else (0.0 if args.quick else 20.0)
    coro = run_all(names, args.quick, args.keep_data, args.out, wait_quiet)
    try:
        import uvloop

        report = uvloop.run(coro)
    except ImportError:
        report = asyncio.run(coro)
    failed = [n for n, s in report["scenarios"].items() if s.get("error")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
