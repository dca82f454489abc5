"""RemoteJWKS: cached, refetched on expiry or unknown kid at a bounded rate, stale-if-error."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from covet.security.errors import OAuth2Error
from covet.security.jwks import RemoteJWKS
from covet.security.keys import Key
from tests.security.fakes import Clock
from tests.security.oidc_provider import Provider


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


async def test_keys_are_fetched_once_and_cached(provider: Provider, http: httpx.AsyncClient) -> None:
    jwks = RemoteJWKS(f"{provider.issuer}/jwks", http)
    first = await jwks.keys()
    assert sorted(k.kid for k in first) == ["idp-ec", "idp-rsa"]
    assert await jwks.keys("idp-rsa") is first
    assert provider.jwks_fetches == 1


async def test_the_cache_expires_after_its_ttl(provider: Provider, http: httpx.AsyncClient) -> None:
    clock = Clock(0.0)
    jwks = RemoteJWKS(f"{provider.issuer}/jwks", http, ttl=100, clock=clock)
    await jwks.keys()
    clock.now = 99
    await jwks.keys()
    clock.now = 100
    await jwks.keys()
    assert provider.jwks_fetches == 2


async def test_an_unknown_kid_refetches_at_most_once_per_interval(
    provider: Provider, http: httpx.AsyncClient
) -> None:
    clock = Clock(0.0)
    jwks = RemoteJWKS(f"{provider.issuer}/jwks", http, min_refresh_interval=60, clock=clock)
    await jwks.keys()
    clock.now = 61
    for _ in range(20):  # a flood of tokens with made-up kids
        keys = await jwks.keys("made-up")
    assert "made-up" not in keys
    assert provider.jwks_fetches == 2


async def test_a_rotated_provider_key_is_picked_up(provider: Provider, http: httpx.AsyncClient) -> None:
    clock = Clock(0.0)
    jwks = RemoteJWKS(f"{provider.issuer}/jwks", http, min_refresh_interval=60, clock=clock)
    await jwks.keys()
    provider.keys.add(Key.generate("EdDSA", kid="idp-new"))
    try:
        clock.now = 61
        assert "idp-new" in await jwks.keys("idp-new")
    finally:
        provider.keys.retire("idp-new")


async def test_cached_keys_keep_serving_while_the_provider_is_down(
    provider: Provider, http: httpx.AsyncClient
) -> None:
    clock = Clock(0.0)
    jwks = RemoteJWKS(f"{provider.issuer}/jwks", http, ttl=100, min_refresh_interval=10, clock=clock)
    cached = await jwks.keys()
    provider.overrides["jwks_down"] = True
    clock.now = 150
    assert await jwks.keys() is cached
    assert await jwks.keys() is cached  # no new attempt within min_refresh_interval
    assert provider.jwks_fetches == 2
    provider.overrides.clear()
    clock.now = 161
    assert await jwks.keys() is not cached


async def test_without_cached_keys_a_failure_is_an_error(provider: Provider, http: httpx.AsyncClient) -> None:
    provider.overrides["jwks_down"] = True
    with pytest.raises(OAuth2Error, match="answered HTTP 503"):
        await RemoteJWKS(f"{provider.issuer}/jwks", http).keys()
    with pytest.raises(OAuth2Error, match="not a JWKS document"):
        await RemoteJWKS(f"{provider.issuer}/.well-known/openid-configuration", http).keys()
    with pytest.raises(OAuth2Error, match="cannot fetch"):
        await RemoteJWKS("http://127.0.0.1:1/jwks", http).keys()
