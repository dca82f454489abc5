"""Access/refresh pairs: types kept apart, rotation, reuse detection, revocation in memory and Redis."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from covet.security.errors import ExpiredToken, InvalidToken, RevokedToken
from covet.security.jwt import JWTCodec
from covet.security.stores import ExpiringKeySet, MemoryKeySet, RedisKeySet
from covet.security.tokens import TokenService
from tests.security.fakes import Clock
from tests.security.keyring import key


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["memory", "redis"])
def revoked(request: pytest.FixtureRequest) -> ExpiringKeySet:
    if request.param == "memory":
        return MemoryKeySet()
    redis: Redis = request.getfixturevalue("redis")
    return RedisKeySet(redis, prefix=request.getfixturevalue("redis_prefix"))


@pytest.fixture
def service(revoked: ExpiringKeySet, clock: Clock) -> TokenService:
    codec = JWTCodec(key("EdDSA"), issuer="https://auth.test", audience="api", clock=clock)
    return TokenService(codec, revoked, access_ttl=300, refresh_ttl=3600)


async def test_a_pair_authenticates_with_its_access_token(service: TokenService) -> None:
    pair = service.issue("user-1", {"roles": ["editor"]})
    claims = await service.authenticate(pair.access_token)
    assert (claims["sub"], claims["roles"], claims["token_type"]) == ("user-1", ["editor"], "access")
    assert claims["exp"] - claims["iat"] == 300
    assert pair.as_response() == {
        "access_token": pair.access_token,
        "token_type": "Bearer",
        "expires_in": 300,
        "refresh_token": pair.refresh_token,
    }


async def test_a_refresh_token_is_not_an_access_token_and_vice_versa(service: TokenService) -> None:
    pair = service.issue("user-1")
    with pytest.raises(InvalidToken, match="refresh token was given where access is needed"):
        await service.authenticate(pair.refresh_token)
    with pytest.raises(InvalidToken, match="access token was given where refresh is needed"):
        await service.refresh(pair.access_token)


async def test_plain_jwts_without_the_pair_claims_are_refused(service: TokenService) -> None:
    token = service.codec.encode({"sub": "user-1"})
    with pytest.raises(InvalidToken, match="lacks required claim"):
        await service.authenticate(token)


async def test_refresh_rotates_and_keeps_the_claims(service: TokenService) -> None:
    first = service.issue("user-1", {"scope": "read"})
    second = await service.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    claims = await service.authenticate(second.access_token)
    first_claims = await service.authenticate(first.access_token)
    assert (claims["sub"], claims["scope"], claims["fam"]) == ("user-1", "read", first_claims["fam"])
    assert claims["jti"] != first_claims["jti"]


async def test_reusing_a_refresh_token_revokes_the_whole_login(service: TokenService) -> None:
    first = service.issue("user-1")
    second = await service.refresh(first.refresh_token)
    with pytest.raises(RevokedToken, match="reused"):
        await service.refresh(first.refresh_token)
    with pytest.raises(RevokedToken, match="login this token belongs to was revoked"):
        await service.authenticate(second.access_token)
    with pytest.raises(RevokedToken):
        await service.refresh(second.refresh_token)
    other_login = service.issue("user-1")
    assert await service.authenticate(other_login.access_token)


async def test_concurrent_refreshes_of_one_token_have_one_winner(service: TokenService) -> None:
    pair = service.issue("user-1")
    attempts = (service.refresh(pair.refresh_token) for _ in range(5))
    results = await asyncio.gather(*attempts, return_exceptions=True)
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, RevokedToken) for r in results if isinstance(r, BaseException))
    with pytest.raises(RevokedToken):  # the losers looked like a replay, so the login is gone
        await service.authenticate(winners[0].access_token)


async def test_revoking_an_access_token_leaves_its_login_usable(service: TokenService) -> None:
    pair = service.issue("user-1")
    await service.revoke(pair.access_token)
    with pytest.raises(RevokedToken, match="access token was revoked"):
        await service.authenticate(pair.access_token)
    renewed = await service.refresh(pair.refresh_token)
    assert await service.authenticate(renewed.access_token)


async def test_logout_with_the_refresh_token_revokes_every_token_of_the_login(service: TokenService) -> None:
    pair = service.issue("user-1")
    await service.revoke(pair.refresh_token)
    with pytest.raises(RevokedToken):
        await service.authenticate(pair.access_token)
    with pytest.raises(RevokedToken):
        await service.refresh(pair.refresh_token)


async def test_expired_tokens_are_refused(service: TokenService, clock: Clock) -> None:
    pair = service.issue("user-1")
    clock.now += 301
    with pytest.raises(ExpiredToken):
        await service.authenticate(pair.access_token)
    assert await service.refresh(pair.refresh_token)
    clock.now += 3600
    with pytest.raises(ExpiredToken):
        await service.refresh(pair.refresh_token)


async def test_revocations_in_redis_expire_with_the_token(
    redis: Redis, redis_prefix: str, clock: Clock
) -> None:
    codec = JWTCodec(key("EdDSA"), leeway=5, clock=clock)
    service = TokenService(codec, RedisKeySet(redis, prefix=redis_prefix), access_ttl=300, refresh_ttl=3600)
    pair = service.issue("user-1")
    clock.now += 100
    await service.revoke(pair.access_token)
    jti = codec.decode(pair.access_token)["jti"]
    ttl_ms = await redis.pttl(f"{redis_prefix}jti:{jti}")
    assert 200_000 < ttl_ms <= 205_000


def test_reserved_claims_and_bad_lifetimes_are_refused(service: TokenService) -> None:
    with pytest.raises(ValueError, match="set by the token service"):
        service.issue("user-1", {"sub": "admin", "jti": "x"})
    with pytest.raises(ValueError, match="shorter than refresh_ttl"):
        TokenService(service.codec, MemoryKeySet(), access_ttl=3600, refresh_ttl=60)
