"""What a run collected, and the medians and same-round ratios derived from it."""

from __future__ import annotations

import dataclasses
import statistics
from typing import Optional

from bench.http.wrk import WrkResult


@dataclasses.dataclass
class Measurement:
    """One wrk run against one server in one round."""

    target: str
    test: str
    round: int
    result: Optional[WrkResult]
    server_cpu: float = 0.0  # share of one core the server used during the run
    failure: Optional[str] = None  # why there is no result
    loadavg: float = 0.0  # 1-minute load average when the run started
    others_cpu: float = 0.0  # CPU other processes took on the two pinned cores (share of one core)
    wrk_output: str = ""


@dataclasses.dataclass
class Summary:
    """The rounds of one (target, test), reduced to medians."""

    rounds: int
    rps: float
    rps_min: float
    rps_max: float
    p50_ms: Optional[float]  # None when wrk's latency histogram is not trustworthy (pipelining)
    p99_ms: Optional[float]
    wrk_cpu: float
    server_cpu: float
    others_cpu: float
    errors: int


def _median_or_none(values: list[Optional[float]]) -> Optional[float]:
    if not values or any(v is None for v in values):
        return None
    return statistics.median(v for v in values if v is not None)


@dataclasses.dataclass
class Outcome:
    measurements: list[Measurement] = dataclasses.field(default_factory=list)
    broken: dict[str, str] = dataclasses.field(default_factory=dict)  # target -> why
    planned: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # target -> tests

    def results(self, target: str, test: str) -> dict[int, WrkResult]:
        """Round -> result, for the rounds in which ``target`` answered ``test``."""
        return {
            m.round: m.result
            for m in self.measurements
            if m.target == target and m.test == test and m.result is not None
        }

    def failures(self, target: str, test: str) -> list[str]:
        return [m.failure for m in self.measurements if m.target == target and m.test == test and m.failure]

    def summary(self, target: str, test: str) -> Optional[Summary]:
        runs = [
            m for m in self.measurements if m.target == target and m.test == test and m.result is not None
        ]
        if not runs:
            return None
        rps = [m.result.requests_per_s for m in runs if m.result]
        return Summary(
            rounds=len(runs),
            rps=statistics.median(rps),
            rps_min=min(rps),
            rps_max=max(rps),
            p50_ms=_median_or_none([m.result.p50_ms for m in runs if m.result]),
            p99_ms=_median_or_none([m.result.p99_ms for m in runs if m.result]),
            wrk_cpu=statistics.median(m.result.wrk_cpu for m in runs if m.result),
            server_cpu=statistics.median(m.server_cpu for m in runs),
            others_cpu=statistics.median(m.others_cpu for m in runs),
            errors=sum(m.result.errors for m in runs if m.result),
        )

    def ratio(self, target: str, peer: str, test: str) -> Optional[float]:
        """Median over rounds of target req/s / peer req/s, pairing runs of the same round."""
        mine, theirs = self.results(target, test), self.results(peer, test)
        pairs = [
            mine[r].requests_per_s / theirs[r].requests_per_s
            for r in mine
            if r in theirs and theirs[r].requests_per_s > 0
        ]
        return statistics.median(pairs) if pairs else None
