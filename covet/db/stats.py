"""Pool statistics: the same :class:`PoolStats` for every backend."""

from __future__ import annotations

import collections
import dataclasses
from typing import Optional

__all__ = ["AcquireTimes", "PoolStats"]


@dataclasses.dataclass(frozen=True)
class PoolStats:
    """A snapshot of a pool, from :meth:`Database.pool_stats`.

    ``size`` counts open connections (idle + in use, plus those being opened); ``waiting`` the
    tasks blocked in acquire. Acquire times are in milliseconds, over the last ``window``
    acquires (None before the first one). ``connections_replaced`` counts connections closed
    and replaced: broken, failed the checkout check, past max_lifetime or reaped after max_idle.
    """

    backend: str
    size: int
    idle: int
    in_use: int
    waiting: int
    min_size: int
    max_size: int
    acquires: int
    timeouts: int
    acquire_p50_ms: Optional[float]
    acquire_p90_ms: Optional[float]
    acquire_p99_ms: Optional[float]
    connections_replaced: int
    leaks_detected: int


class AcquireTimes:
    """The durations of the last ``window`` acquires, for percentiles on demand."""

    __slots__ = ("_samples", "count")

    def __init__(self, window: int = 1024) -> None:
        self._samples: collections.deque[float] = collections.deque(maxlen=window)
        self.count = 0

    def add(self, seconds: float) -> None:
        self._samples.append(seconds)
        self.count += 1

    def percentiles(self, *points: float) -> tuple[Optional[float], ...]:
        """Nearest-rank percentiles in milliseconds (None when nothing was recorded)."""
        if not self._samples:
            return tuple(None for _ in points)
        ordered = sorted(self._samples)
        last = len(ordered) - 1
        return tuple(round(ordered[min(last, int(p / 100.0 * len(ordered)))] * 1000.0, 3) for p in points)
