"""Published npm packages that tests run (parsers, official client SDKs), installed by the
tests themselves from the npm registry into a cache outside the repository.

Without node or npm a test that needs a package is skipped with a message; in CI
(CHATPLANE_REQUIRE_SERVICES=1) it fails instead, as the service-backed tests do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CACHE = Path(os.environ.get("CHATPLANE_NPM_CACHE", Path.home() / ".cache" / "chatplane-tests"))


def _unavailable(message: str) -> None:
    if os.environ.get("CHATPLANE_REQUIRE_SERVICES"):
        pytest.fail(message)
    pytest.skip(message)


def node() -> str:
    found = shutil.which("node")
    if found is None:
        _unavailable("this test runs a published npm package and needs node on PATH")
    assert found is not None
    return found


def install(*specs: str) -> Path:
    """A directory whose node_modules holds exactly these `name@version` packages (made once,
    then reused)."""
    node()
    npm = shutil.which("npm")
    if npm is None:
        _unavailable("this test installs a published npm package and needs npm on PATH")
    assert npm is not None
    key = "+".join(s.replace("/", "_").replace("@", "-") for s in sorted(specs))
    where = CACHE / "npm" / key
    done = where / ".installed"
    if done.exists():
        return where
    where.mkdir(parents=True, exist_ok=True)
    (where / "package.json").write_text('{"name": "chatplane-test-tools", "private": true}\n')
    result = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", *specs],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        _unavailable(f"npm install {' '.join(specs)} failed: {result.stderr[-2000:]}")
    done.write_text("\n".join(specs) + "\n")
    return where
