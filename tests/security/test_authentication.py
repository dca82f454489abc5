"""Authentication backends and current_user over HTTP: who the request is, or 401 with challenges —
including the attacks on bearer tokens (tampered, expired, alg none, key confusion, revoked)."""

import asyncio
import contextlib
import dataclasses
import secrets
import time
from typing import Annotated, Any, Optional

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from covet import Covet, Depends
from covet.middleware import Middleware
from covet.security.authentication import (
    APIKeyAuth,
    Authentication,
    BearerAuth,
    SessionAuth,
    hash_api_key,
)
from covet.security.bearer import BearerTokenValidator
from covet.security.jwks import RemoteJWKS
from covet.security.jwt import JWTCodec
from covet.security.sessions import SessionMiddleware
from covet.security.settings import Settings
from covet.security.stores import MemoryKeySet
from covet.security.tokens import TokenService
from tests.security.keyring import forge, key
from tests.security.oidc_provider import API_AUDIENCE, CLIENT_ID, REDIRECT_URI, Grant, Provider
from tests.security.test_sessions import KEY

ISSUER = "https://api.example.com"


@dataclasses.dataclass
class User:
    id: int
    name: str
    roles: list[str]


USERS = {1: User(1, "alice", ["editor"]), 2: User(2, "bob", ["admin"])}
API_KEY = secrets.token_urlsafe(32)
API_KEYS = {hash_api_key(API_KEY): USERS[2]}


def load_user(user_id):
    return USERS.get(user_id)


def user_of_claims(claims):
    return USERS.get(int(claims["sub"]))


@pytest.fixture
def tokens():
    codec = JWTCodec(key("RS256"), issuer=ISSUER, audience=ISSUER)
    return TokenService(codec, MemoryKeySet())


def auth_app(tokens, *, login_url=None, backends=None):
    sessions = SessionAuth(load_user)
    auth = Authentication(
        backends
        or [sessions, BearerAuth(tokens, realm="api", load_user=user_of_claims), APIKeyAuth(API_KEYS.get)],
        login_url=login_url,
    )
    app = Covet(settings=Settings(secret_key=KEY), middleware=[Middleware(SessionMiddleware)])

    @app.get("/me")
    async def me(user: Annotated[Any, Depends(auth.current_user)]):
        return {"name": user.name}

    @app.get("/maybe")
    async def maybe(user: Annotated[Optional[Any], Depends(auth.optional_user)]):
        return {"name": user.name if user else None}

    @app.get("/both")
    async def both(
        request,
        user: Annotated[Any, Depends(auth.current_user)],
        again: Annotated[Any, Depends(auth.optional_user)],
    ):
        return {"same": user is again, "state": request.state.user.name}

    @app.post("/login/{user_id:int}")
    async def login(request):
        sessions.login(request, request.path_params["user_id"])
        return "ok"

    @app.post("/logout")
    async def logout(request):
        sessions.logout(request)
        return "ok"

    return app


def bearer(token):
    return {"authorization": f"Bearer {token}"}


def test_a_session_login_authenticates_later_requests_and_logout_ends_it(serve, tokens):
    with serve(auth_app(tokens)) as client:
        assert client.post("/login/1").status_code == 200
        assert client.get("/me").json() == {"name": "alice"}
        client.post("/logout")
        assert client.get("/me").status_code == 401


def test_logging_in_rotates_the_session_id(serve, tokens):
    with serve(auth_app(tokens)) as client:
        client.post("/login/1")
        first = client.cookies["session"]
        client.post("/login/2")
        assert client.cookies["session"] != first


def test_a_bearer_token_authenticates(serve, tokens):
    pair = tokens.issue("2")
    with serve(auth_app(tokens)) as client:
        assert client.get("/me", headers=bearer(pair.access_token)).json() == {"name": "bob"}


def test_an_api_key_authenticates_and_an_unknown_one_is_refused(serve, tokens):
    with serve(auth_app(tokens)) as client:
        assert client.get("/me", headers={"x-api-key": API_KEY}).json() == {"name": "bob"}
        refused = client.get("/me", headers={"x-api-key": "guess"})
    assert refused.status_code == 401 and refused.text == "the x-api-key header holds no known API key"


def test_an_anonymous_request_gets_401_with_a_challenge_per_scheme(serve, tokens):
    with serve(auth_app(tokens)) as client:
        response = client.get("/me")
    assert response.status_code == 401
    assert response.text == "authentication required: this resource needs a logged-in user"
    challenges = response.headers.get_list("www-authenticate")
    assert challenges == ['Bearer realm="api"', 'ApiKey header="x-api-key"']


def test_optional_user_is_none_for_anonymous_requests(serve, tokens):
    with serve(auth_app(tokens)) as client:
        assert client.get("/maybe").json() == {"name": None}
        client.post("/login/1")
        assert client.get("/maybe").json() == {"name": "alice"}


def test_the_user_is_found_once_per_request_and_kept_in_state(serve, tokens):
    with serve(auth_app(tokens)) as client:
        client.post("/login/1")
        assert client.get("/both").json() == {"same": True, "state": "alice"}


def test_a_browser_is_sent_to_the_login_page_instead_of_a_401(serve, tokens):
    with serve(auth_app(tokens, login_url="/login")) as client:
        page = client.get("/me?tab=2", headers={"accept": "text/html"})
        api = client.get("/me", headers={"accept": "application/json"})
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/me%3Ftab%3D2"
    assert api.status_code == 401


def test_a_session_naming_a_deleted_user_is_anonymous(serve, tokens):
    with serve(auth_app(tokens)) as client:
        client.post("/login/99")
        assert client.get("/maybe").json() == {"name": None}


def refused_token(client, token):
    response = client.get("/me", headers=bearer(token))
    assert response.status_code == 401, response.text
    challenge = response.headers.get_list("www-authenticate")[0]
    assert challenge.startswith('Bearer realm="api", error="invalid_token", error_description=')
    return response.text


def test_a_tampered_token_is_refused(serve, tokens):
    head, payload, signature = tokens.issue("1").access_token.split(".")
    forged_payload = forge({}, {"sub": "2", "exp": 9999999999}).split(".")[1]
    with serve(auth_app(tokens)) as client:
        forged = f"{head}.{forged_payload}.{signature}"
        assert refused_token(client, forged) == "token signature does not verify"
        flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
        assert refused_token(client, f"{head}.{payload}.{flipped}") == "token signature does not verify"


def test_an_expired_token_is_refused(serve, tokens):
    an_hour_ago = JWTCodec(key("RS256"), issuer=ISSUER, audience=ISSUER, clock=lambda: time.time() - 3600)
    token = TokenService(an_hour_ago, MemoryKeySet(), access_ttl=60, refresh_ttl=120).issue("1").access_token
    with serve(auth_app(tokens)) as client:
        assert refused_token(client, token).startswith("token expired")


def test_an_unsigned_alg_none_token_is_refused(serve, tokens):
    token = forge({"alg": "none", "kid": key("RS256").kid}, {"sub": "2", "exp": 9999999999})
    with serve(auth_app(tokens)) as client:
        assert refused_token(client, token) == "unsigned tokens (alg 'none') are refused"


def test_the_public_key_used_as_an_hmac_secret_is_refused(serve, tokens):
    rsa_key = key("RS256")
    public_pem = rsa_key.verifying_material.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = {"sub": "2", "exp": 9999999999, "iss": ISSUER, "aud": ISSUER, "jti": "x", "fam": "y",
              "token_type": "access"}  # fmt: skip
    token = forge({"alg": "HS256", "kid": rsa_key.kid}, claims, hmac_secret=public_pem)
    with serve(auth_app(tokens)) as client:
        assert refused_token(client, token) == "token algorithm HS256 is not allowed for key 'rs256-1'"


def test_a_refresh_token_is_no_access_token(serve, tokens):
    with serve(auth_app(tokens)) as client:
        text = refused_token(client, tokens.issue("1").refresh_token)
    assert text == "a refresh token was given where access is needed"


def test_a_revoked_token_is_refused(serve, tokens):
    pair = tokens.issue("1")
    with serve(auth_app(tokens)) as client:
        assert client.get("/me", headers=bearer(pair.access_token)).status_code == 200
        asyncio.run(tokens.revoke(pair.refresh_token))  # logout: the whole login's tokens
        assert refused_token(client, pair.access_token) == "the login this token belongs to was revoked"


def test_a_token_for_an_unknown_user_is_refused(serve, tokens):
    with serve(auth_app(tokens)) as client:
        unknown = tokens.issue("99").access_token
        assert refused_token(client, unknown) == "the token's subject is not a known user"


def test_a_malformed_bearer_header_is_a_400(serve, tokens):
    with serve(auth_app(tokens)) as client:
        response = client.get("/me", headers={"authorization": "Bearer two tokens"})
    assert response.status_code == 400
    assert 'error="invalid_request"' in response.headers["www-authenticate"]


def test_bad_credentials_are_refused_even_where_a_user_is_optional(serve, tokens):
    with serve(auth_app(tokens)) as client:
        assert client.get("/maybe", headers=bearer("not-a-token")).status_code == 401


def test_a_session_only_app_answers_401_without_a_challenge(serve, tokens):
    with serve(auth_app(tokens, backends=[SessionAuth(load_user)])) as client:
        response = client.get("/me")
    assert response.status_code == 401 and "www-authenticate" not in response.headers


def test_an_authentication_needs_a_backend():
    with pytest.raises(ValueError, match="at least one backend"):
        Authentication([])


def resource_server(issuer):
    """An API that accepts the access tokens of an OpenID provider, checked against its JWKS."""

    @contextlib.asynccontextmanager
    async def lifespan(app):
        async with httpx.AsyncClient() as http:
            jwks = RemoteJWKS(f"{issuer}/jwks", http)
            validator = BearerTokenValidator(jwks, issuer=issuer, audience=API_AUDIENCE)
            app.state_auth.backends = (BearerAuth(validator, realm="api"),)
            yield

    app = Covet(settings=Settings(secret_key=KEY), lifespan=lifespan)
    app.state_auth = auth = Authentication([SessionAuth(load_user)])

    @app.get("/documents", dependencies=[auth.requires_scopes("documents:read")])
    async def documents(request):
        return {"for": request.state.user["sub"]}

    return app


def test_a_resource_server_accepts_the_providers_access_tokens(serve, provider: Provider):
    read = provider.access_token(Grant(CLIENT_ID, REDIRECT_URI, "", "documents:read", None))
    other = provider.access_token(Grant(CLIENT_ID, REDIRECT_URI, "", "profile", None))
    with serve(resource_server(provider.issuer)) as client:
        assert client.get("/documents", headers=bearer(read)).json() == {"for": "user-123"}
        refused = client.get("/documents", headers=bearer(other))
        forged = client.get("/documents", headers=bearer(forge({"alg": "none"}, {"sub": "x"})))
    assert refused.status_code == 403 and 'error="insufficient_scope"' in refused.headers["www-authenticate"]
    assert forged.status_code == 401
