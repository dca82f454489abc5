"""Rate limiting with token buckets, in process memory or in Redis (shared by every worker).

A ``Rate("100/minute")`` is a bucket of 100 tokens refilled at 100 per minute: a client may
burst up to 100 requests, then gets one more every 0.6 s. Each ``hit`` takes ``cost`` tokens
and answers a RateLimitResult whose ``retry_after`` says when to come back; ``headers()``
gives ``Retry-After`` and the ``RateLimit-*`` fields for a 429 answer.

The key is a string the caller builds, from helpers that escape their values::

    limiter = RateLimiter(RedisRateLimitBackend(redis), Rate.parse("5/minute"))
    result = await limiter.hit(compose_key(route_key("POST", "/login"), ip_key(client_ip)))
    if not result.allowed: ...  # 429 with result.headers()

The Redis backend runs the whole read-refill-take step as one Lua script with the server's
clock, so workers on any number of processes or hosts share one exact limit.
"""

from __future__ import annotations

import ipaddress
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, Union
from urllib.parse import quote

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = [
    "MemoryRateLimitBackend",
    "Rate",
    "RateLimitBackend",
    "RateLimitResult",
    "RateLimiter",
    "RedisRateLimitBackend",
    "compose_key",
    "ip_key",
    "route_key",
    "user_key",
]

_UNITS = {
    **dict.fromkeys(("s", "sec", "second"), 1),
    **dict.fromkeys(("m", "min", "minute"), 60),
    **dict.fromkeys(("h", "hour"), 3600),
    **dict.fromkeys(("d", "day"), 86400),
}
_RATE = re.compile(r"\s*(\d+)\s*/\s*(\d*)\s*([a-z]+?)s?\s*")


@dataclass(frozen=True)
class Rate:
    """``limit`` requests per ``period`` seconds, as a bucket of ``limit`` tokens."""

    limit: int
    period: float

    def __post_init__(self) -> None:
        if self.limit < 1 or self.period <= 0:
            raise ValueError(f"a rate needs limit >= 1 and period > 0, got {self.limit}/{self.period}s")

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"100/minute"``, ``"10/s"``, ``"1000/hour"``, ``"5/15m"`` (5 per 15 minutes), ``"2/day"``."""
        match = _RATE.fullmatch(text.lower())
        if match is None or match[3] not in _UNITS:
            raise ValueError(f"cannot read rate {text!r}; write it like '100/minute', '10/s' or '5/15m'")
        return cls(int(match[1]), int(match[2] or 1) * _UNITS[match[3]])

    @property
    def per_second(self) -> float:
        return self.limit / self.period


@dataclass(frozen=True)
class RateLimitResult:
    """What one hit found. ``retry_after`` is 0 when allowed; ``reset_after`` is until the bucket is full."""

    allowed: bool
    limit: int
    remaining: int
    retry_after: float
    reset_after: float

    def headers(self) -> dict[str, str]:
        """``RateLimit-Limit/Remaining/Reset`` (IETF draft), plus ``Retry-After`` when refused."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(math.ceil(self.reset_after)),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        return headers


def _take(tokens: float, elapsed: float, rate: Rate, cost: int) -> tuple[float, RateLimitResult]:
    """One token-bucket step: the tokens left and the result (the Lua script mirrors this)."""
    tokens = min(float(rate.limit), tokens + max(0.0, elapsed) * rate.per_second)
    allowed = tokens >= cost
    if allowed:
        tokens -= cost
    retry_after = 0.0 if allowed else (cost - tokens) / rate.per_second
    reset_after = (rate.limit - tokens) / rate.per_second
    return tokens, RateLimitResult(allowed, rate.limit, int(tokens), retry_after, reset_after)


class RateLimitBackend(Protocol):
    async def consume(self, key: str, rate: Rate, cost: int) -> RateLimitResult:
        """Take ``cost`` tokens from ``key``'s bucket if it holds them; atomic per key."""
        ...

    async def reset(self, key: str) -> None:
        """Refill ``key``'s bucket (after a successful login, say)."""
        ...


class MemoryRateLimitBackend:
    """Buckets in this process (one worker, or tests); full buckets are dropped as time passes."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._buckets: dict[str, tuple[float, float, float]] = {}  # key: (tokens, updated, full_at)
        self._lock = threading.Lock()
        self._clock = clock
        self._next_sweep = 0.0

    def __len__(self) -> int:
        return len(self._buckets)

    async def consume(self, key: str, rate: Rate, cost: int) -> RateLimitResult:
        now = self._clock()
        with self._lock:
            if now >= self._next_sweep:
                self._buckets = {k: b for k, b in self._buckets.items() if b[2] > now}
                self._next_sweep = now + 10.0
            tokens, updated, _ = self._buckets.get(key, (float(rate.limit), now, now))
            tokens, result = _take(tokens, now - updated, rate, cost)
            self._buckets[key] = (tokens, now, now + result.reset_after)
        return result

    async def reset(self, key: str) -> None:
        with self._lock:
            self._buckets.pop(key, None)


# KEYS[1] bucket; ARGV limit, period (ms), cost. Returns allowed, tokens, retry_after_ms, reset_after_ms.
# The server's TIME keeps every client on one clock; numbers go back as strings because Redis
# truncates Lua floats to integers in replies.
_BUCKET_SCRIPT = """
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local per_ms = limit / period
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1]) or limit
local updated = tonumber(state[2]) or now
tokens = math.min(limit, tokens + math.max(0, now - updated) * per_ms)
local allowed = 0
local retry_after = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry_after = (cost - tokens) / per_ms
end
local reset_after = (limit - tokens) / per_ms
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(reset_after) + 1000)
return {allowed, tostring(tokens), tostring(retry_after), tostring(reset_after)}
"""


class RedisRateLimitBackend:
    """Buckets in Redis, each a hash that expires once it would be full again."""

    def __init__(self, redis: Redis, *, prefix: str = "covet:ratelimit:") -> None:
        self.redis = redis
        self.prefix = prefix
        self._script = redis.register_script(_BUCKET_SCRIPT)

    async def consume(self, key: str, rate: Rate, cost: int) -> RateLimitResult:
        allowed, tokens, retry_ms, reset_ms = await self._script(
            keys=[self.prefix + key], args=[rate.limit, rate.period * 1000, cost]
        )
        return RateLimitResult(
            bool(allowed), rate.limit, int(float(tokens)), float(retry_ms) / 1000, float(reset_ms) / 1000
        )

    async def reset(self, key: str) -> None:
        await self.redis.delete(self.prefix + key)


class RateLimiter:
    """One rate applied to any number of keys in one backend."""

    def __init__(self, backend: RateLimitBackend, rate: Union[Rate, str]) -> None:
        self.backend = backend
        self.rate = Rate.parse(rate) if isinstance(rate, str) else rate

    def __repr__(self) -> str:
        return f"RateLimiter({self.rate.limit}/{self.rate.period:g}s, {type(self.backend).__name__})"

    async def hit(self, key: str, cost: int = 1) -> RateLimitResult:
        """Count one request (``cost`` tokens) against ``key``."""
        if not 1 <= cost <= self.rate.limit:
            raise ValueError(f"cost must be between 1 and the limit ({self.rate.limit}), not {cost}")
        return await self.backend.consume(key, self.rate, cost)

    async def reset(self, key: str) -> None:
        await self.backend.reset(key)


def _escape(value: object) -> str:
    return quote(str(value), safe="")


def ip_key(ip: str, *, ipv6_prefix: int = 64) -> str:
    """``ip=203.0.113.7``; IPv6 clients are grouped by their /64, which one host usually owns whole."""
    address = ipaddress.ip_address(ip.strip())
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"ip={address.ipv4_mapped}"
        network = ipaddress.IPv6Network((address, ipv6_prefix), strict=False)
        return f"ip={_escape(network)}"
    return f"ip={address}"


def user_key(user_id: object) -> str:
    """``user=<id>``, for limits that follow an account across addresses."""
    return f"user={_escape(user_id)}"


def route_key(method: str, path_template: str) -> str:
    """``route=POST%20/login``: use the route's template, not the raw path, so ``/items/{id}`` is one key."""
    return f"route={_escape(method.upper() + ' ' + path_template)}"


def compose_key(*parts: str) -> str:
    """Several keys as one: ``compose_key(route_key(...), ip_key(...))`` limits per route and address."""
    if not parts:
        raise ValueError("compose_key needs at least one part")
    return "|".join(parts)
