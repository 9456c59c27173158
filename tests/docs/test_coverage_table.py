"""docs/coverage.md lists every method and push of both references with a test: no row
is empty."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT.parent / "shared" / "spec"


@pytest.mark.skipif(not SPEC.exists(), reason="the spec (../shared/spec) is not beside this clone")
def test_every_method_and_push_of_both_references_has_a_test() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "coverage_table.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
