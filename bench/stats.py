"""Small statistics helpers: percentiles and summaries of latency samples (seconds in, ms out)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted sequence (p in 0..100)."""
    if not sorted_values:
        return math.nan
    k = max(0, min(len(sorted_values) - 1, math.ceil(p / 100.0 * len(sorted_values)) - 1))
    return sorted_values[k]


def summarize_ms(samples_s: Sequence[float]) -> dict[str, Any]:
    """Summary of latency samples given in seconds, reported in milliseconds (3 decimals)."""
    values = sorted(samples_s)
    if not values:
        return {"n": 0}

    def ms(x: float) -> float:
        return round(x * 1000.0, 3)

    return {
        "n": len(values),
        "p50_ms": ms(percentile(values, 50)),
        "p95_ms": ms(percentile(values, 95)),
        "p99_ms": ms(percentile(values, 99)),
        "max_ms": ms(values[-1]),
        "mean_ms": ms(sum(values) / len(values)),
    }
