"""LiveChat's official Python SDK (lc-sdk-python, pinned in tests/e2e/sdk/requirements.txt)
lives in a virtual environment of its own, `.venv-sdk`, because it pins an httpx of its
own; tests run its calls there. The first test that needs it builds it (one `pip install`
from the package index, once per clone), so the README's test command runs the SDK tests
too. Where it cannot be built (no network) they are skipped with a message, and fail when
CHATPLANE_REQUIRE_SDK is set (CI).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv-sdk"
PYTHON = VENV / "bin" / "python"
REQUIREMENTS = ROOT / "tests" / "e2e" / "sdk" / "requirements.txt"
_READY = VENV / ".installed"


def _unavailable(message: str) -> None:
    if os.environ.get("CHATPLANE_REQUIRE_SDK"):
        pytest.fail(message)
    pytest.skip(message)


def sdk_python() -> Path:
    """The SDK venv's python, built from the requirements on first use."""
    wanted = REQUIREMENTS.read_text()
    if _READY.exists() and _READY.read_text() == wanted:
        return PYTHON
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(ROOT / ".venv-sdk.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # pytest workers or parallel runs build it once
        if _READY.exists() and _READY.read_text() == wanted:
            return PYTHON
        steps = [
            [sys.executable, "-m", "venv", str(VENV)],
            [str(PYTHON), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)],
        ]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True, timeout=900)
            if done.returncode != 0:
                _unavailable(
                    f"could not build {VENV.name} for the SDK tests ({' '.join(step[:3])}): "
                    f"{done.stderr[-1500:]}"
                )
        _READY.write_text(wanted)
    return PYTHON
