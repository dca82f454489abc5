"""The default answers to covet.security errors: status, message and challenge headers."""

from covet import Covet, PlainTextResponse
from covet.security.errors import (
    CSRFFailure,
    ExpiredToken,
    InsufficientScope,
    InvalidRequest,
    MissingCredentials,
    PermissionDenied,
    RateLimitExceeded,
)


def raising(error):
    app = Covet()

    @app.get("/")
    async def index(request):
        raise error

    return app


def test_an_invalid_token_is_a_401_with_a_bearer_challenge_saying_why(serve):
    with serve(raising(ExpiredToken("token expired 5 s ago (leeway 0 s)"))) as client:
        response = client.get("/")
    assert response.status_code == 401
    assert response.text == "token expired 5 s ago (leeway 0 s)"
    assert response.headers["www-authenticate"] == (
        'Bearer error="invalid_token", error_description="token expired 5 s ago (leeway 0 s)"'
    )


def test_missing_credentials_get_a_challenge_without_an_error_code(serve):
    with serve(raising(MissingCredentials("no Authorization header"))) as client:
        response = client.get("/")
    assert (response.status_code, response.headers["www-authenticate"]) == (401, "Bearer")


def test_the_challenges_an_error_carries_are_sent_one_header_each(serve):
    error = MissingCredentials("log in first")
    error.challenges = ('Bearer realm="api"', 'ApiKey header="x-api-key"')
    with serve(raising(error)) as client:
        response = client.get("/")
    challenges = response.headers.get_list("www-authenticate")
    assert challenges == ['Bearer realm="api"', 'ApiKey header="x-api-key"']
    error = MissingCredentials("log in first")
    error.challenges = ()
    with serve(raising(error)) as client:
        assert "www-authenticate" not in client.get("/").headers


def test_a_malformed_authorization_header_is_a_400(serve):
    with serve(raising(InvalidRequest("malformed Bearer credentials"))) as client:
        response = client.get("/")
    assert response.status_code == 400
    assert 'error="invalid_request"' in response.headers["www-authenticate"]


def test_a_token_without_a_needed_scope_is_a_403_naming_the_scope(serve):
    error = InsufficientScope("the token lacks scope write", required=frozenset({"write"}))
    with serve(raising(error)) as client:
        response = client.get("/")
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    assert 'scope="write"' in response.headers["www-authenticate"]


def test_permission_denied_and_csrf_failures_are_403s(serve):
    with serve(raising(PermissionDenied("not allowed: articles:edit"))) as client:
        assert (client.get("/").status_code, client.get("/").text) == (403, "not allowed: articles:edit")
    with serve(raising(CSRFFailure("no CSRF token"))) as client:
        assert client.get("/").text == "CSRF check failed: no CSRF token"


def test_rate_limited_is_a_429_with_its_headers(serve):
    error = RateLimitExceeded("too many requests", headers={"Retry-After": "7", "RateLimit-Limit": "5"})
    with serve(raising(error)) as client:
        response = client.get("/")
    assert response.status_code == 429
    assert (response.headers["retry-after"], response.headers["ratelimit-limit"]) == ("7", "5")


def test_the_apps_own_handler_replaces_a_default(serve):
    app = raising(PermissionDenied("no"))

    @app.exception_handler(PermissionDenied)
    def denied(request, exc):
        return PlainTextResponse("go away", status_code=404)

    with serve(app) as client:
        assert (client.get("/").status_code, client.get("/").text) == (404, "go away")
