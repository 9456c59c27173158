"""Benchmark scenarios. Each module has ``NAME``, ``TITLE`` and ``async run(ctx) -> dict``.

Order matters only for the ceiling, which runs first so every Web API figure after it can be
given as a ratio to it."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bench.procs import Chatplane

T = TypeVar("T")


@dataclass
class Context:
    quick: bool
    meta: dict[str, Any]
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    keep_data: bool = False
    verbose: bool = True

    def pick(self, full: T, quick: T) -> T:
        """A parameter: its full-run value, or its ``--quick`` value."""
        return quick if self.quick else full

    def log(self, msg: str) -> None:
        if self.verbose:
            print(f"    {time.strftime('%H:%M:%S')} {msg}", flush=True)

    def ceiling(self, key: str = "c50") -> dict[str, Any] | None:
        c = self.results.get("ceiling", {})
        return c.get(key) if isinstance(c, dict) else None

    @contextlib.asynccontextmanager
    async def chatplane(
        self, agents: int = 0, label: str = "", env: dict[str, str] | None = None
    ) -> AsyncIterator[Chatplane]:
        """A fresh ``chatplane serve`` (temp data dir, free port) for one scenario; ``agents``
        extra agents are created before it starts; ``env`` adds to the server's environment.
        Killed and removed afterwards."""
        cp = Chatplane.create(prefix=f"chatplane-bench-{label}-")
        cp.env.update(env or {})
        try:
            t0 = time.perf_counter()
            cp.init()
            if agents:
                t1 = time.perf_counter()
                cp.create_agents(agents)
                self.log(f"created {agents} agents in {time.perf_counter() - t1:.1f}s")
            await cp.start()
            self.log(
                f"server pid {cp.server.pid if cp.server else '?'} on port {cp.port} "
                f"ready in {time.perf_counter() - t0:.1f}s"
            )
            yield cp
        finally:
            if cp.server is not None and cp.server.proc.poll() is not None:
                self.log(
                    f"server had exited with {cp.server.proc.returncode}:\n{cp.server.log_tail()}"
                )
            cp.stop(keep=self.keep_data)


def ratio(value: float | None, reference: float | None) -> float | None:
    if not value or not reference:
        return None
    return round(value / reference, 3)


ORDER = ["ceiling", "send_event", "send_event_pg", "rtm", "fanout", "idle", "growth", "synapse"]
# Not run by ``--quick`` unless named: installing Synapse takes minutes on first use.
NOT_QUICK = {"synapse"}
