"""Sets of keys that expire: "has this been seen?" for OTP replay and token revocation.

``add`` is atomic set-if-absent, so two workers racing to accept the same one-time code (or
to rotate the same refresh token) cannot both win. The memory set serves one process (tests,
a single worker); the Redis set is shared by every worker and host that uses the same server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["ExpiringKeySet", "MemoryKeySet", "RedisKeySet"]


class ExpiringKeySet(Protocol):
    """Keys that are forgotten ``ttl`` seconds after they were added."""

    async def add(self, key: str, ttl: float) -> bool:
        """Add ``key`` for ``ttl`` seconds; True if it was absent (this caller won), else False."""
        ...

    async def contains(self, key: str) -> bool:
        """Whether ``key`` was added and has not expired yet."""
        ...


class MemoryKeySet:
    """An in-process ExpiringKeySet; thread-safe, expired keys swept as new ones arrive."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._expiries: dict[str, float] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self._next_sweep = 0.0

    def __len__(self) -> int:
        now = self._clock()
        with self._lock:
            return sum(1 for expiry in self._expiries.values() if expiry > now)

    def _sweep(self, now: float) -> None:
        # Amortised: at most once a second, so a burst of adds stays O(1) each.
        if now >= self._next_sweep:
            self._expiries = {k: e for k, e in self._expiries.items() if e > now}
            self._next_sweep = now + 1.0

    async def add(self, key: str, ttl: float) -> bool:
        now = self._clock()
        with self._lock:
            self._sweep(now)
            expiry = self._expiries.get(key)
            if expiry is not None and expiry > now:
                return False
            self._expiries[key] = now + ttl
            return True

    async def contains(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            expiry = self._expiries.get(key)
            return expiry is not None and expiry > now


class RedisKeySet:
    """An ExpiringKeySet in Redis (``SET NX PX``), shared by every process using the server.

    ``prefix`` namespaces the keys (``covet:otp:``, ``covet:jwt:revoked:``); give each
    application its own when several share one Redis database.
    """

    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    async def add(self, key: str, ttl: float) -> bool:
        # Redis refuses a zero expiry; anything already expired is added for a millisecond.
        milliseconds = max(1, int(ttl * 1000))
        return bool(await self.redis.set(self.prefix + key, b"1", nx=True, px=milliseconds))

    async def contains(self, key: str) -> bool:
        return bool(await self.redis.exists(self.prefix + key))
