"""Smoke test of bench/bench_archives_properties.py in its quick setting: it seeds a store,
starts a real `chatplane serve` and measures get_archives. Only checks that every case
produced figures and found what the seeded data holds; no timing assertions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_quick_archive_benchmark_produces_figures(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    doc = tmp_path / "performance-properties.md"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.bench_archives_properties",
            "--quick",
            "--out",
            str(out),
            "--write-doc",
            str(doc),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = json.loads(out.read_text())
    figures = report["figures"]
    chats = report["meta"]["chats"]
    assert figures["no filter"]["threads_matching"] == chats
    # tier = i % 10: one chat in ten has tier 7, the other nine do not.
    assert figures["property values (int, 10% of chats)"]["threads_matching"] == chats // 10
    assert figures["property exclude_values (int, 90%)"]["threads_matching"] == chats - chats // 10
    # The thread property is set on every other thread.
    assert (
        figures["property exists: false (thread property, 50%)"]["threads_matching"] == chats // 2
    )
    assert all(f["requests"] > 0 and f["p50_ms"] > 0 for f in figures.values())
    assert doc.read_text().startswith("### get_archives on 2,000 chats")
