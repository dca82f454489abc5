"""OAuth2/OIDC client against a provider served over HTTP: PKCE, state, nonce, ID token checks."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from covet.security.errors import OAuth2Error
from covet.security.keys import Key
from covet.security.oauth2 import AuthorizationRequest, OAuth2Client, ProviderMetadata, pkce_challenge
from tests.security.conftest import CompareDigestCalls
from tests.security.oidc_provider import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, Provider


@pytest.fixture
async def client(provider: Provider) -> AsyncIterator[OAuth2Client]:
    async with await OAuth2Client.discover(
        provider.issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT_URI
    ) as oauth:
        yield oauth


async def follow_to_callback(request: AuthorizationRequest) -> dict[str, str]:
    """What the browser does: open the authorization URL, land on the redirect URI."""
    async with httpx.AsyncClient() as browser:
        response = await browser.get(request.url)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_pkce_challenge_matches_rfc_7636_appendix_b() -> None:
    assert (
        pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


async def test_the_authorization_url_carries_pkce_state_and_nonce(
    client: OAuth2Client, provider: Provider
) -> None:
    request = client.authorization_request(extra_params={"prompt": "consent"})
    parts = urlsplit(request.url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{provider.issuer}/authorize"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "prompt": "consent",
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid email profile",
        "state": request.state,
        "code_challenge": pkce_challenge(request.code_verifier),
        "code_challenge_method": "S256",
        "nonce": request.nonce,
    }
    assert len(request.state) >= 43 and len(request.code_verifier) >= 43 and request.nonce
    other = client.authorization_request()
    assert (other.state, other.nonce, other.code_verifier) != (
        request.state,
        request.nonce,
        request.code_verifier,
    )


async def test_login_completes_with_a_validated_id_token_and_userinfo(client: OAuth2Client) -> None:
    request = client.authorization_request()
    tokens = await client.complete(request, await follow_to_callback(request))
    assert tokens.token_type == "Bearer" and tokens.expires_in == 300 and tokens.refresh_token
    claims = tokens.id_token_claims
    assert claims is not None
    assert (claims["sub"], claims["nonce"], claims["aud"]) == ("user-123", request.nonce, CLIENT_ID)
    profile = await client.userinfo(tokens.access_token, subject=claims["sub"])
    assert profile["email"] == "ada@example.com"


async def test_the_stored_request_survives_a_trip_through_json(client: OAuth2Client) -> None:
    request = client.authorization_request()
    restored = AuthorizationRequest.from_dict(json.loads(json.dumps(request.as_dict())))
    assert restored == request
    assert (await client.complete(restored, await follow_to_callback(request))).id_token_claims
    with pytest.raises(OAuth2Error, match="lacks code_verifier"):
        AuthorizationRequest.from_dict({"url": "u", "state": "s", "redirect_uri": "r"})


async def test_a_callback_with_another_state_is_refused(client: OAuth2Client) -> None:
    request = client.authorization_request()
    params = await follow_to_callback(request)
    for bad in ({**params, "state": "forged"}, {k: v for k, v in params.items() if k != "state"}):
        with pytest.raises(OAuth2Error, match="state does not match"):
            await client.complete(request, bad)


async def test_a_callback_from_another_issuer_is_refused(client: OAuth2Client) -> None:
    request = client.authorization_request()
    params = await follow_to_callback(request)
    with pytest.raises(OAuth2Error, match="another issuer"):
        await client.complete(request, {**params, "iss": "https://evil.example"})


async def test_the_providers_refusal_is_reported_with_its_code(client: OAuth2Client) -> None:
    request = client.authorization_request()
    callback = {"error": "access_denied", "error_description": "user said no", "state": request.state}
    with pytest.raises(OAuth2Error, match="access_denied") as caught:
        await client.complete(request, callback)
    assert (caught.value.error, caught.value.description) == ("access_denied", "user said no")
    with pytest.raises(OAuth2Error, match="no authorization code"):
        await client.complete(request, {"state": request.state})


async def test_the_provider_checks_the_pkce_verifier(client: OAuth2Client) -> None:
    request = client.authorization_request()
    params = await follow_to_callback(request)
    other_verifier = client.authorization_request().code_verifier
    stolen_code = AuthorizationRequest(
        request.url, request.state, other_verifier, request.redirect_uri, request.nonce
    )
    with pytest.raises(OAuth2Error, match="invalid_grant") as caught:
        await client.complete(stolen_code, params)
    assert caught.value.description == "PKCE verifier"


async def test_an_authorization_code_works_once(client: OAuth2Client) -> None:
    request = client.authorization_request()
    params = await follow_to_callback(request)
    await client.complete(request, params)
    with pytest.raises(OAuth2Error, match="invalid_grant"):
        await client.complete(request, params)


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"nonce": "another-login"}, "nonce is not this login attempt"),
        ({"iss": "https://evil.example"}, "issuer"),
        ({"aud": "someone-else"}, "audience"),
        ({"aud": [CLIENT_ID, "someone-else"]}, "azp is not this client"),
        ({"exp": 1_000_000_000}, "expired"),
        ({"iat": time.time() + 3600}, "iat"),
    ],
)
async def test_id_tokens_that_fail_oidc_checks_are_refused(
    client: OAuth2Client, provider: Provider, claims: dict[str, Any], message: str
) -> None:
    provider.overrides["id_token_claims"] = claims
    request = client.authorization_request()
    with pytest.raises(OAuth2Error, match=message):
        await client.complete(request, await follow_to_callback(request))


async def test_several_audiences_pass_when_azp_names_this_client(
    client: OAuth2Client, provider: Provider
) -> None:
    provider.overrides["id_token_claims"] = {"aud": [CLIENT_ID, "other"], "azp": CLIENT_ID}
    request = client.authorization_request()
    assert (await client.complete(request, await follow_to_callback(request))).id_token_claims


async def test_an_id_token_signed_by_a_key_outside_the_jwks_is_refused(
    client: OAuth2Client, provider: Provider
) -> None:
    provider.overrides["id_token_key"] = Key.generate("RS256", kid="attacker")
    request = client.authorization_request()
    with pytest.raises(OAuth2Error, match="kid names no known key"):
        await client.complete(request, await follow_to_callback(request))


async def test_an_id_token_signed_with_the_client_secret_is_refused(
    client: OAuth2Client, provider: Provider
) -> None:
    # HS256 over a secret the attacker might know: the JWKS holds no such key, whatever the kid says.
    provider.overrides["id_token_key"] = Key.hmac(CLIENT_SECRET * 2, kid="idp-rsa")
    request = client.authorization_request()
    with pytest.raises(OAuth2Error, match="HS256 is not allowed for key 'idp-rsa'"):
        await client.complete(request, await follow_to_callback(request))


async def test_userinfo_for_another_subject_is_refused(client: OAuth2Client, provider: Provider) -> None:
    request = client.authorization_request()
    tokens = await client.complete(request, await follow_to_callback(request))
    provider.overrides["userinfo_sub"] = "user-999"
    with pytest.raises(OAuth2Error, match="not the ID token's subject"):
        await client.userinfo(tokens.access_token, subject="user-123")
    with pytest.raises(OAuth2Error, match="HTTP 401"):
        await client.userinfo("not-a-token")


async def test_refresh_returns_new_tokens(client: OAuth2Client) -> None:
    request = client.authorization_request()
    tokens = await client.complete(request, await follow_to_callback(request))
    assert tokens.refresh_token is not None
    renewed = await client.refresh(tokens.refresh_token)
    assert renewed.access_token and renewed.refresh_token != tokens.refresh_token
    assert renewed.id_token_claims and renewed.id_token_claims["sub"] == "user-123"
    with pytest.raises(OAuth2Error, match="invalid_grant"):
        await client.refresh(tokens.refresh_token)


async def test_token_endpoint_errors_and_odd_token_types_are_reported(
    client: OAuth2Client, provider: Provider
) -> None:
    request = client.authorization_request()
    params = await follow_to_callback(request)
    provider.overrides["token_error"] = "temporarily_unavailable"
    with pytest.raises(OAuth2Error, match="temporarily_unavailable") as caught:
        await client.complete(request, params)
    assert caught.value.error == "temporarily_unavailable"
    provider.overrides.clear()
    provider.overrides["token_type"] = "MAC"
    with pytest.raises(OAuth2Error, match="only Bearer"):
        await client.complete(request, params)


async def test_client_secret_post_and_wrong_secrets(provider: Provider) -> None:
    metadata = ProviderMetadata(
        provider.issuer,
        f"{provider.issuer}/authorize",
        f"{provider.issuer}/token",
        jwks_uri=f"{provider.issuer}/jwks",
    )
    async with OAuth2Client(
        metadata,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=REDIRECT_URI,
        client_auth="client_secret_post",
    ) as post_client:
        request = post_client.authorization_request(scopes=["email"])
        tokens = await post_client.complete(request, await follow_to_callback(request))
        assert tokens.id_token is None and tokens.id_token_claims is None
    async with OAuth2Client(
        metadata, client_id=CLIENT_ID, client_secret="wrong", redirect_uri=REDIRECT_URI
    ) as bad:
        request = bad.authorization_request()
        with pytest.raises(OAuth2Error, match="invalid_client"):
            await bad.complete(request, await follow_to_callback(request))
    with pytest.raises(ValueError, match="needs a client_secret"):
        OAuth2Client(
            metadata, client_id=CLIENT_ID, redirect_uri=REDIRECT_URI, client_auth="client_secret_basic"
        )


async def test_discovery_refuses_a_document_for_another_issuer(provider: Provider) -> None:
    provider.overrides["discovery_issuer"] = "https://evil.example"
    with pytest.raises(OAuth2Error, match="names issuer 'https://evil.example'"):
        await OAuth2Client.discover(provider.issuer, client_id=CLIENT_ID, redirect_uri=REDIRECT_URI)


async def test_an_unreachable_provider_is_a_clear_error() -> None:
    with pytest.raises(OAuth2Error, match="cannot reach the provider"):
        await OAuth2Client.discover("http://127.0.0.1:1", client_id=CLIENT_ID, redirect_uri=REDIRECT_URI)


async def test_state_and_nonce_are_compared_in_constant_time(
    client: OAuth2Client, compare_digest_calls: CompareDigestCalls
) -> None:
    request = client.authorization_request()
    await client.complete(request, await follow_to_callback(request))
    compared = [b for _, b in compare_digest_calls]
    assert request.state.encode() in compared
    assert request.nonce is not None and request.nonce.encode() in compared
