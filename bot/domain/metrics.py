"""Small summaries of measured durations for the admin /stats view."""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class DurationSummary:
    count: int
    p50: float | None
    p95: float | None


def summarize(durations: list[float]) -> DurationSummary:
    """Median and 95th percentile (None until there are measurements)."""
    if not durations:
        return DurationSummary(0, None, None)
    if len(durations) == 1:
        return DurationSummary(1, durations[0], durations[0])
    cuts = statistics.quantiles(durations, n=100, method="inclusive")
    return DurationSummary(len(durations), cuts[49], cuts[94])
