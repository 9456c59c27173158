"""Rate limits: token buckets keyed by caller, address or account, kept in memory.

Each process limits what it sees; behind a load balancer a caller spread over N processes
gets up to N times the rate, which is fine for limits meant to stop abuse, not to meter.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from chatplane.errors import ApiError


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucket:
    """`rate` per second on average, bursts up to `burst`; rate <= 0 means no limit."""

    def __init__(self, rate: float, burst: float | None = None, max_keys: int = 200_000) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, 2 * rate)
        self.max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str, cost: float = 1.0) -> float:
        """Spend `cost`; returns 0 when allowed, else the seconds to wait before retrying."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._buckets.clear()
            bucket = self._buckets[key] = _Bucket(self.burst, now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return 0.0
        return (cost - bucket.tokens) / self.rate

    def check(self, key: str, what: str) -> None:
        wait = self.take(key)
        if wait:
            retry = round(wait, 2)
            raise ApiError(
                "too_many_requests",
                f"Too many {what}: retry in {retry} s",
                status=429,
                data={"retry_after": retry},
            )
