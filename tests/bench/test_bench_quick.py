"""Smoke test of the benchmark suite: the quick mode's smallest server scenario, end to end.

It starts a real ``chatplane serve`` through ``python -m bench --quick`` and checks only that
figures were produced and a report was written. No timing assertions: figures go to the report.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_quick_send_event_scenario_produces_figures(tmp_path: Path) -> None:
    pytest.importorskip("websockets")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--scenarios",
            "send_event",
            "--out",
            str(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    report = json.loads((tmp_path / "latest.json").read_text())
    scenario = report["scenarios"]["send_event"]
    assert "error" not in scenario, scenario.get("error")
    figures = scenario["figures"]
    assert figures["c50"]["requests_ok"] > 0
    assert figures["c50"]["latency"]["n"] > 0
    assert figures["c1"]["latency"]["n"] > 0
    # the same load on the v3.6 wire (payload as the body, the SDK client's headers)
    assert figures["v3_6"]["wire"] == "3.6"
    assert figures["v3_6"]["c50"]["requests_ok"] > 0
    assert figures["v3_6"]["c50"]["errors"] == 0, figures["v3_6"]["c50"].get("error_samples")
    assert report["meta"]["machine"]["cores"]
    assert (tmp_path / "latest.md").read_text().startswith("# Chatplane benchmark report")
