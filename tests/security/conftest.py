"""Fixtures for the security tests: a real Redis (skipped when unreachable, failing under CI=true)
and a small OpenID provider served over real HTTP by CovetPy's own server."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis

from covet.testing.live import live_server
from tests.db.conftest import REDIS_URL, require_server
from tests.security.oidc_provider import Provider


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


@pytest.fixture(scope="session")
def _running_provider() -> Iterator[Provider]:
    provider = Provider()
    with live_server(provider.app()) as server:
        provider.issuer = server.url
        yield provider


@pytest.fixture
def provider(_running_provider: Provider) -> Iterator[Provider]:
    """The test OpenID provider, served over HTTP on loopback, with its knobs reset."""
    _running_provider.reset()
    yield _running_provider
    _running_provider.reset()


CompareDigestCalls = list[tuple[bytes, bytes]]


@pytest.fixture
def compare_digest_calls(monkeypatch: pytest.MonkeyPatch) -> CompareDigestCalls:
    """Every ``hmac.compare_digest(a, b)`` made during the test, in order (it still compares)."""
    calls: CompareDigestCalls = []
    compare_digest = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return compare_digest(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    return calls
