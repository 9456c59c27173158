"""Failpoints: named places where a test may have the server kill itself, to prove that
what was committed before survives (e.g. an idempotent request killed between its commit
and its answer). Off unless CHATPLANE_FAILPOINTS names them (comma-separated) at start-up;
never set in a deployment."""

from __future__ import annotations

import os
import signal

_ENABLED = frozenset(
    name.strip() for name in os.environ.get("CHATPLANE_FAILPOINTS", "").split(",") if name.strip()
)


def hit(name: str) -> None:
    """SIGKILL this process here if the failpoint `name` is enabled."""
    if name in _ENABLED:
        os.kill(os.getpid(), signal.SIGKILL)
