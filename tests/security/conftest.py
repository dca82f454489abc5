"""Fixtures for the security tests: a real Redis (skipped when unreachable, failing under CI=true)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from tests.db.conftest import REDIS_URL, require_server


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    require_server("redis")
    client = Redis.from_url(REDIS_URL)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix of this test's own: other helpers' suites share the Redis server."""
    return f"covet-test:{uuid.uuid4().hex[:12]}:"
