"""Expiring key sets: atomic set-if-absent, expiry, and the same contract in memory and Redis."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from covet.security.stores import ExpiringKeySet, MemoryKeySet, RedisKeySet
from tests.security.fakes import Clock


@pytest.fixture(params=["memory", "redis"])
def key_set(request: pytest.FixtureRequest) -> ExpiringKeySet:
    if request.param == "memory":
        return MemoryKeySet()
    redis: Redis = request.getfixturevalue("redis")
    return RedisKeySet(redis, prefix=request.getfixturevalue("redis_prefix"))


async def test_add_wins_once_then_reports_the_key_present(key_set: ExpiringKeySet) -> None:
    assert not await key_set.contains("a")
    assert await key_set.add("a", 60)
    assert not await key_set.add("a", 60)
    assert await key_set.contains("a")
    assert not await key_set.contains("b")


async def test_concurrent_adds_of_one_key_have_exactly_one_winner(key_set: ExpiringKeySet) -> None:
    results = await asyncio.gather(*(key_set.add("race", 60) for _ in range(20)))
    assert results.count(True) == 1


async def test_redis_keys_expire_after_their_ttl(redis: Redis, redis_prefix: str) -> None:
    keys = RedisKeySet(redis, prefix=redis_prefix)
    assert await keys.add("short", 0.05)
    await asyncio.sleep(0.15)
    assert not await keys.contains("short")
    assert await keys.add("short", 60)
    assert await redis.exists(redis_prefix + "short")


async def test_memory_keys_expire_and_are_swept() -> None:
    clock = Clock(1000.0)
    keys = MemoryKeySet(clock=clock)
    assert await keys.add("a", 10)
    clock.now += 5
    assert await keys.contains("a")
    clock.now += 5
    assert not await keys.contains("a")
    assert len(keys) == 0
    assert await keys.add("b", 10)  # sweeps "a" away
    assert set(keys._expiries) == {"b"}
