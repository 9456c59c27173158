"""The kill-and-outage soak (`python -m bench.soak`, issue 18) in its short setting: mixed
load over both transports, files and webhooks to a receiver that is sometimes down, while
the server is SIGKILLed and restarted (SQLite), and while single processes of a
three-process cluster are killed and its own PostgreSQL and Redis are restarted. The soak
itself checks that nothing acknowledged was lost or duplicated; here its exit status and
figures are asserted. CI: 4 kills on SQLite (CHATPLANE_SOAK_KILLS overrides).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.soak_services import missing_services

from .harness import REPO_ROOT
from .security.conftest import budget

KILLS = budget("soak_kills", ci=4, local=4)


def _soak(tmp_path: Path, backend: str) -> dict[str, Any]:
    out = tmp_path / "soak.json"
    cmd = [sys.executable, "-m", "bench.soak", "--short", "--backends", backend]
    cmd += ["--kills", str(KILLS), "--json", str(out)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATPLANE_")}
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    print(proc.stdout)
    assert proc.returncode == 0, f"the soak failed:\n{proc.stdout[-8000:]}\n{proc.stderr[-4000:]}"
    result: dict[str, Any] = json.loads(out.read_text())["results"][backend]
    assert result["problems"] == []
    return dict(result["figures"])


def _common(f: dict[str, Any]) -> None:
    assert f["events acknowledged"] > 0
    assert f["events lost"] == 0 and f["events duplicated"] == 0
    assert f["senders out of order"] == 0
    assert f["webhooks lost"] == 0
    assert f["webhooks duplicated with another delivery id"] == 0
    assert f["webhooks checked"] >= f["events acknowledged"]
    assert f["files downloaded intact"] >= f["files acknowledged"] > 0
    assert f["RTM clients back"] == f["RTM clients receiving"] == f["RTM clients"] > 0
    assert f["processes answering"] == f["processes"]


def test_sqlite_server_killed_again_and_again_loses_nothing(tmp_path: Path) -> None:
    figures = _soak(tmp_path, "sqlite")
    _common(figures)
    assert figures["kills survived"] == KILLS


def test_cluster_through_process_kills_and_redis_and_postgres_restarts_loses_nothing(
    tmp_path: Path,
) -> None:
    reason = missing_services()
    if reason is not None:
        if os.environ.get("CHATPLANE_REQUIRE_SERVICES"):
            pytest.fail(f"the cluster soak cannot run: {reason}")
        pytest.skip(f"the cluster soak cannot run: {reason}")
    figures = _soak(tmp_path, "cluster")
    _common(figures)
    assert figures["kills survived"] == 3
    assert figures["outages survived"] == 2  # a Redis and a PostgreSQL restart
