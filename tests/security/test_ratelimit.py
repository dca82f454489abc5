"""Token-bucket rate limits: bursts, refill, retry_after, keys, and one limit across two processes."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

import pytest
from redis.asyncio import Redis

from covet.security.ratelimit import (
    MemoryRateLimitBackend,
    Rate,
    RateLimitBackend,
    RateLimiter,
    RedisRateLimitBackend,
    compose_key,
    ip_key,
    route_key,
    user_key,
)
from tests.db.conftest import REDIS_URL
from tests.security.fakes import Clock


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> RateLimitBackend:
    if request.param == "memory":
        return MemoryRateLimitBackend()
    redis: Redis = request.getfixturevalue("redis")
    return RedisRateLimitBackend(redis, prefix=request.getfixturevalue("redis_prefix"))


@pytest.mark.parametrize(
    ("text", "limit", "period"),
    [("100/minute", 100, 60), ("10/s", 10, 1), ("1000/hours", 1000, 3600), ("5/15m", 5, 900),
     ("2 / day", 2, 86400), ("7/sec", 7, 1), ("3/10min", 3, 600)],
)  # fmt: skip
def test_rates_parse_from_text(text: str, limit: int, period: float) -> None:
    assert Rate.parse(text) == Rate(limit, period)


@pytest.mark.parametrize("text", ["100", "ten/minute", "5/fortnight", "0/minute", "-1/s", "5/0s"])
def test_unreadable_or_empty_rates_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="rate"):
        Rate.parse(text)


async def test_a_burst_up_to_the_limit_is_allowed_then_refused(backend: RateLimitBackend) -> None:
    limiter = RateLimiter(backend, "5/minute")
    results = [await limiter.hit("k") for _ in range(6)]
    assert [r.allowed for r in results] == [True] * 5 + [False]
    assert [r.remaining for r in results] == [4, 3, 2, 1, 0, 0]
    refused = results[-1]
    assert 11.0 < refused.retry_after <= 12.0  # one token every 12 s
    assert refused.headers()["Retry-After"] == "12"
    assert refused.headers()["RateLimit-Limit"] == "5"
    assert await limiter.hit("other-key")


async def test_concurrent_hits_never_exceed_the_limit(backend: RateLimitBackend) -> None:
    limiter = RateLimiter(backend, "10/hour")
    results = await asyncio.gather(*(limiter.hit("k") for _ in range(25)))
    assert sum(r.allowed for r in results) == 10


async def test_reset_refills_the_bucket(backend: RateLimitBackend) -> None:
    limiter = RateLimiter(backend, "1/hour")
    assert (await limiter.hit("k")).allowed
    assert not (await limiter.hit("k")).allowed
    await limiter.reset("k")
    assert (await limiter.hit("k")).allowed


async def test_tokens_refill_with_time() -> None:
    clock = Clock(100.0)
    limiter = RateLimiter(MemoryRateLimitBackend(clock=clock), Rate(2, 10))
    assert (await limiter.hit("k", cost=2)).allowed
    refused = await limiter.hit("k")
    assert not refused.allowed and refused.retry_after == pytest.approx(5.0)
    assert refused.reset_after == pytest.approx(10.0)
    clock.now += 5
    assert (await limiter.hit("k")).allowed
    clock.now += 1000
    result = await limiter.hit("k")
    assert result.remaining == 1  # capped at the limit, not 200 tokens saved up


async def test_redis_refills_on_the_server_clock(redis: Redis, redis_prefix: str) -> None:
    limiter = RateLimiter(RedisRateLimitBackend(redis, prefix=redis_prefix), Rate(2, 0.2))
    assert (await limiter.hit("k", cost=2)).allowed
    assert not (await limiter.hit("k")).allowed
    await asyncio.sleep(0.15)
    assert (await limiter.hit("k")).allowed


async def test_redis_buckets_expire_once_full_again(redis: Redis, redis_prefix: str) -> None:
    limiter = RateLimiter(RedisRateLimitBackend(redis, prefix=redis_prefix), Rate(10, 60))
    await limiter.hit("k", cost=3)
    ttl = await redis.pttl(redis_prefix + "k")
    assert 18_000 < ttl <= 19_100  # 3 tokens at 6 s each, plus a second of slack


async def test_full_memory_buckets_are_swept() -> None:
    clock = Clock(100.0)
    backend = MemoryRateLimitBackend(clock=clock)
    limiter = RateLimiter(backend, Rate(1, 1))
    for n in range(100):
        await limiter.hit(f"client-{n}")
    clock.now += 11
    await limiter.hit("late")
    assert len(backend) == 1


async def test_cost_must_fit_the_bucket() -> None:
    limiter = RateLimiter(MemoryRateLimitBackend(), "3/minute")
    with pytest.raises(ValueError, match="between 1 and the limit .3."):
        await limiter.hit("k", cost=4)
    with pytest.raises(ValueError, match="between 1"):
        await limiter.hit("k", cost=0)


def test_allowed_results_carry_no_retry_after() -> None:
    result = asyncio.run(RateLimiter(MemoryRateLimitBackend(), "3/minute").hit("k"))
    assert result.retry_after == 0 and "Retry-After" not in result.headers()
    assert result.headers()["RateLimit-Remaining"] == "2"


def test_ip_keys_normalise_addresses_and_group_ipv6_by_64() -> None:
    assert ip_key("203.0.113.7") == "ip=203.0.113.7"
    assert ip_key("::ffff:203.0.113.7") == "ip=203.0.113.7"
    same_64 = "ip=2001%3Adb8%3A1%3A2%3A%3A%2F64"
    assert ip_key("2001:db8:1:2:aaaa::1") == ip_key("2001:0db8:0001:0002:ffff::9") == same_64
    assert ip_key("2001:db8::1", ipv6_prefix=128) != ip_key("2001:db8::2", ipv6_prefix=128)
    with pytest.raises(ValueError):
        ip_key("not-an-ip")


def test_keys_escape_their_values_so_parts_cannot_collide() -> None:
    assert user_key(42) == "user=42"
    assert user_key("a|route=x") == "user=a%7Croute%3Dx"
    assert route_key("post", "/items/{id}") == "route=POST%20%2Fitems%2F%7Bid%7D"
    assert compose_key(route_key("GET", "/"), user_key("u")) == "route=GET%20%2F|user=u"
    with pytest.raises(ValueError):
        compose_key()


def _hit_from_a_worker(url: str, key: str, attempts: int) -> int:
    """Runs in a separate process: how many of ``attempts`` hits the shared limit allowed."""

    async def run() -> int:
        redis = Redis.from_url(url)
        try:
            limiter = RateLimiter(RedisRateLimitBackend(redis, prefix=""), "20/hour")
            await redis.incr(key + ":ready")  # a barrier: start together, once both are connected
            deadline = time.monotonic() + 30
            while int(await redis.get(key + ":ready") or 0) < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            allowed = 0
            for _ in range(attempts):
                allowed += (await limiter.hit(key)).allowed
                await asyncio.sleep(0.002)  # keep the two processes interleaved
            return allowed
        finally:
            await redis.aclose()

    return asyncio.run(run())


@pytest.mark.slow
async def test_two_worker_processes_share_one_exact_limit(redis: Redis, redis_prefix: str) -> None:
    key = redis_prefix + "shared"
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_hit_from_a_worker, REDIS_URL, key, 30) for _ in range(2)]
        allowed = [await asyncio.wrap_future(f) for f in futures]
    assert sum(allowed) == 20
    assert all(n > 0 for n in allowed), allowed  # both really competed for the bucket
    await redis.delete(key, key + ":ready")
