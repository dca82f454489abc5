"""The "log in with provider X" flow through a CovetPy app and a real OpenID provider: state,
nonce and PKCE verifier kept in the session; forged, replayed and stale callbacks refused."""

import contextlib
import dataclasses
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from covet import Covet
from covet.middleware import Middleware
from covet.security.oauth2 import OAuth2Client
from covet.security.oauth2_login import OAuth2Login, safe_next_url
from covet.security.sessions import SessionMiddleware
from covet.security.settings import Settings
from tests.security.fakes import Clock
from tests.security.oidc_provider import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, Provider
from tests.security.test_sessions import KEY


def login_app(issuer, clock=None, **login_options):
    @contextlib.asynccontextmanager
    async def lifespan(app):
        client = await OAuth2Client.discover(
            issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT_URI
        )
        app.state_login = OAuth2Login(client, clock=clock or Clock(), **login_options)
        async with client:
            yield

    app = Covet(
        settings=Settings(secret_key=KEY), middleware=[Middleware(SessionMiddleware)], lifespan=lifespan
    )

    @app.get("/login")
    async def start(request):
        return app.state_login.start(request, next_url=request.query_params.get("next"))

    @app.get("/callback")
    async def callback(request):
        result = await app.state_login.complete(request)
        request.session.rotate()
        request.session["user"] = result.subject
        return {"subject": result.subject, "email": result.userinfo["email"], "next": result.next_url}

    @app.get("/pending")
    async def pending(request):
        return {"attempts": len(request.session.get("oauth2", []))}

    return app


def to_provider_and_back(client, path="/login"):
    """The browser: start the login, follow the provider's redirect, return the callback query."""
    start = client.get(path)
    assert start.status_code == 303, start.text
    answer = httpx.get(start.headers["location"])
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    return urlsplit(location).query


def callback(client, query):
    return client.get(f"/callback?{query}")


def test_a_login_completes_and_logs_the_user_in(serve, provider: Provider):
    with serve(login_app(provider.issuer)) as client:
        query = to_provider_and_back(client, "/login?next=/account")
        params = parse_qs(query)
        assert set(params) == {"code", "state", "iss"}
        response = callback(client, query)
        assert response.json() == {"subject": "user-123", "email": "ada@example.com", "next": "/account"}
        assert client.get("/pending").json() == {"attempts": 0}


def test_the_provider_gets_pkce_and_a_nonce_never_the_verifier(serve, provider: Provider):
    with serve(login_app(provider.issuer)) as client:
        url = client.get("/login").headers["location"]
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    assert "code_verifier" not in query


def test_a_callback_this_browser_did_not_start_is_refused(serve, provider: Provider):
    app = login_app(provider.issuer)
    with serve(app) as attacker, serve(app) as victim:
        forged = to_provider_and_back(attacker)  # the attacker's own valid callback (login CSRF)
        response = callback(victim, forged)
    assert response.status_code == 400
    assert "no login attempt of this browser matches the callback's state" in response.text


def test_a_callback_works_once(serve, provider: Provider):
    with serve(login_app(provider.issuer)) as client:
        query = to_provider_and_back(client)
        assert callback(client, query).status_code == 200
        assert callback(client, query).status_code == 400


def test_a_stale_attempt_is_refused(serve, provider: Provider):
    clock = Clock()
    with serve(login_app(provider.issuer, clock=clock)) as client:
        query = to_provider_and_back(client)
        clock.now += 601
        response = callback(client, query)
    assert (response.status_code, response.text) == (400, "this login attempt expired; start the login again")


def test_the_providers_refusal_is_a_400_with_its_reason(serve, provider: Provider):
    with serve(login_app(provider.issuer)) as client:
        state = parse_qs(to_provider_and_back(client))["state"][0]
        response = callback(client, f"error=access_denied&state={state}")
    assert response.status_code == 400
    assert "the provider refused the authorization: access_denied" in response.text


def test_an_id_token_with_another_nonce_is_refused(serve, provider: Provider):
    provider.overrides["id_token_claims"] = {"nonce": "an-old-nonce"}
    with serve(login_app(provider.issuer)) as client:
        response = callback(client, to_provider_and_back(client))
    assert response.status_code == 400 and "nonce" in response.text


def test_a_tampered_code_is_refused_by_the_provider(serve, provider: Provider):
    with serve(login_app(provider.issuer)) as client:
        params = {k: v[0] for k, v in parse_qs(to_provider_and_back(client)).items()}
        params["code"] = "guessed"
        response = client.get("/callback", params=params)
    assert response.status_code == 400 and "invalid_grant" in response.text


def test_several_tabs_may_log_in_at_once(serve, provider: Provider):
    with serve(login_app(provider.issuer)) as client:
        first, second = to_provider_and_back(client), to_provider_and_back(client)
        assert client.get("/pending").json() == {"attempts": 2}
        assert callback(client, second).status_code == 200
        assert callback(client, first).status_code == 200


def test_only_a_few_attempts_are_kept(serve, provider: Provider):
    with serve(login_app(provider.issuer, max_pending=2)) as client:
        oldest = to_provider_and_back(client)
        to_provider_and_back(client)
        to_provider_and_back(client)
        assert client.get("/pending").json() == {"attempts": 2}
        assert callback(client, oldest).status_code == 400


def test_the_login_cannot_be_an_open_redirect(serve, provider: Provider):
    with serve(login_app(provider.issuer)) as client:
        query = to_provider_and_back(client, "/login?next=https://evil.example/")
        assert callback(client, query).json()["next"] == "/"


@pytest.mark.parametrize(
    "url, safe",
    [
        ("/account?tab=2", "/account?tab=2"),
        ("https://evil.example", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/ok\r\nSet-Cookie: x", "/"),
        (None, "/"),
        ("", "/"),
    ],
)
def test_next_urls_are_kept_only_when_they_stay_on_this_site(url, safe):
    assert safe_next_url(url) == safe


def test_an_unreachable_provider_is_a_502(serve, provider: Provider):
    app = login_app(provider.issuer)
    with serve(app) as client:
        query = to_provider_and_back(client)
        oauth = app.state_login.client
        oauth.provider = dataclasses.replace(oauth.provider, token_endpoint="http://127.0.0.1:9/token")
        response = callback(client, query)
    assert response.status_code == 502 and "cannot be reached" in response.text


def test_the_callbacks_state_is_compared_in_constant_time(serve, provider: Provider, compare_digest_calls):
    with serve(login_app(provider.issuer)) as client:
        query = to_provider_and_back(client)
        state = parse_qs(query)["state"][0]
        compare_digest_calls.clear()
        assert callback(client, query).status_code == 200
    assert any(state in pair for pair in compare_digest_calls)
