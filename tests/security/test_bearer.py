"""Resource-server bearer validation: header parsing, scopes, RFC 6750 challenges, remote keys."""

from __future__ import annotations

import httpx
import pytest

from covet.security.bearer import BearerTokenValidator, bearer_challenge, parse_bearer, token_scopes
from covet.security.errors import (
    ExpiredToken,
    InsufficientScope,
    InvalidRequest,
    InvalidToken,
    MissingCredentials,
)
from covet.security.jwks import RemoteJWKS
from covet.security.jwt import JWTCodec
from covet.security.keys import KeySet
from tests.security.fakes import NOW
from tests.security.keyring import key
from tests.security.oidc_provider import API_AUDIENCE, CLIENT_ID, Grant, Provider

ISSUER = "https://auth.test"


def issuer_codec(**options: object) -> JWTCodec:
    return JWTCodec(key("ES256"), issuer=ISSUER, audience="api", clock=lambda: NOW, **options)  # type: ignore[arg-type]


def validator() -> BearerTokenValidator:
    return BearerTokenValidator(
        KeySet.from_jwks(KeySet([key("ES256")]).jwks()), issuer=ISSUER, audience="api", clock=lambda: NOW
    )


def test_parse_bearer_reads_the_token_case_insensitively() -> None:
    assert parse_bearer("Bearer abc.def-ghi_jkl~") == "abc.def-ghi_jkl~"
    assert parse_bearer("bearer  abc/def+ghi==") == "abc/def+ghi=="


@pytest.mark.parametrize("header", [None, "", "   ", "Basic dXNlcjpwYXNz", "Token abc"])
def test_no_bearer_credentials_is_missing_credentials(header: str | None) -> None:
    with pytest.raises(MissingCredentials):
        parse_bearer(header)


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer ", "Bearer a b", "Bearer a,b", 'Bearer "abc"', "Bearer a=b"]
)
def test_malformed_bearer_credentials_are_an_invalid_request(header: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_bearer(header)
    assert caught.value.status_code == 400


def test_scopes_are_read_from_scope_or_scp() -> None:
    assert token_scopes({"scope": "read  write"}) == {"read", "write"}
    assert token_scopes({"scp": ["read", "admin"]}) == {"read", "admin"}
    assert token_scopes({"scope": 7}) == set() and token_scopes({}) == set()


async def test_a_valid_token_with_its_scopes_passes() -> None:
    token = issuer_codec().encode({"sub": "svc-1", "scope": "orders:read orders:write"})
    claims = await validator().authenticate(f"Bearer {token}", scopes={"orders:read"})
    assert claims["sub"] == "svc-1"


async def test_a_missing_scope_is_insufficient_scope_with_a_403_challenge() -> None:
    token = issuer_codec().encode({"sub": "svc-1", "scope": "orders:read"})
    with pytest.raises(InsufficientScope, match="lacks scope orders:write") as caught:
        await validator().validate(token, scopes={"orders:read", "orders:write"})
    error = caught.value
    assert error.status_code == 403
    assert bearer_challenge(error, realm="api") == (
        'Bearer realm="api", error="insufficient_scope", '
        'error_description="the token lacks scope orders:write", scope="orders:read orders:write"'
    )


@pytest.mark.parametrize(
    ("claims", "error"),
    [
        ({"sub": "1", "exp": NOW - 3600}, ExpiredToken),
        ({"sub": "1", "aud": "billing"}, InvalidToken),
        ({"sub": "1", "iss": "https://evil.test"}, InvalidToken),
        ({"scope": "x"}, InvalidToken),  # no sub
    ],
)
async def test_invalid_tokens_are_refused_with_invalid_token(claims: dict[str, object], error: type) -> None:
    token = issuer_codec().encode(claims)
    with pytest.raises(error) as caught:
        await validator().validate(token)
    assert 'error="invalid_token"' in bearer_challenge(caught.value)


async def test_a_token_signed_by_another_issuer_key_is_refused() -> None:
    token = JWTCodec(key("ES256", kid="es256-1-forged"), issuer=ISSUER, audience="api").encode({"sub": "1"})
    with pytest.raises(InvalidToken, match="kid"):
        await validator().validate(token)


def test_challenges_follow_rfc_6750() -> None:
    assert bearer_challenge() == "Bearer"
    assert bearer_challenge(MissingCredentials("none"), realm="api") == 'Bearer realm="api"'
    assert bearer_challenge(realm="api", scopes=["b", "a"]) == 'Bearer realm="api", scope="a b"'
    hostile = InvalidToken('bad "quote" \\ and\nnewline é')
    assert bearer_challenge(hostile) == (
        'Bearer error="invalid_token", error_description="bad quote  andnewline "'
    )


async def test_provider_access_tokens_validate_against_its_remote_jwks(provider: Provider) -> None:
    token = provider.access_token(Grant(CLIENT_ID, "", "", "orders:read", None))
    async with httpx.AsyncClient() as http:
        remote = BearerTokenValidator(
            RemoteJWKS(f"{provider.issuer}/jwks", http), issuer=provider.issuer, audience=API_AUDIENCE
        )
        claims = await remote.authenticate(f"Bearer {token}", scopes=["orders:read"])
        assert claims["sub"] == "user-123"
        with pytest.raises(InvalidToken):
            await remote.authenticate("Bearer not.a.jwt")
