"""docs/coverage.md lists every method and push of the v3.0 references, and of the Agent
Chat API v3.6 and v3.5, with a test: no row is empty, and what Chatplane does not serve in
v3.x says why (tools/coverage_table.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT.parent / "shared" / "spec"


@pytest.mark.skipif(not SPEC.exists(), reason="the spec (../shared/spec) is not beside this clone")
def test_every_method_and_push_of_every_reference_has_a_test_or_a_reason() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "coverage_table.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
