"""CORSMiddleware: preflights answered right, simple requests given the headers, Vary: Origin."""

import pytest

from covet import Covet, PlainTextResponse
from covet.middleware import Middleware
from covet.middleware.cors import CORSMiddleware

SITE = "https://app.example.com"


def make_app(**options):
    app = Covet(middleware=[Middleware(CORSMiddleware, **options)])

    @app.route("/items", methods=["GET", "POST", "DELETE"])
    async def items(request):
        return {"method": request.method}

    return app


def preflight(client, origin=SITE, method="DELETE", headers=None):
    asked = {"origin": origin, "access-control-request-method": method}
    if headers is not None:
        asked["access-control-request-headers"] = headers
    return client.options("/items", headers=asked)


def test_an_allowed_preflight_gets_the_origin_methods_and_max_age(serve):
    app = make_app(
        allow_origins=[SITE], allow_methods=["GET", "DELETE"], allow_headers=["x-token"], max_age=300
    )
    with serve(app) as client:
        reply = preflight(client, headers="X-Token, Content-Type")
    assert reply.status_code == 200
    assert reply.headers["access-control-allow-origin"] == SITE
    assert reply.headers["access-control-allow-methods"] == "DELETE, GET"
    assert reply.headers["access-control-allow-headers"] == (
        "accept, accept-language, content-language, content-type, x-token"
    )
    assert reply.headers["access-control-max-age"] == "300"
    assert "Origin" in reply.headers["vary"]
    assert "access-control-allow-credentials" not in reply.headers


@pytest.mark.parametrize(
    ("origin", "method", "headers", "failure"),
    [
        ("https://evil.example.net", "DELETE", None, "origin"),
        (SITE, "PATCH", None, "method"),
        (SITE, "DELETE", "x-secret", "headers"),
        ("https://evil.example.net", "PATCH", "x-secret", "origin, method, headers"),
    ],
)
def test_a_disallowed_preflight_is_400_naming_what_is_not_allowed(serve, origin, method, headers, failure):
    app = make_app(allow_origins=[SITE], allow_methods=["GET", "DELETE"])
    with serve(app) as client:
        reply = preflight(client, origin, method, headers)
    assert reply.status_code == 400
    assert reply.text == f"Disallowed CORS {failure}"
    if "origin" in failure:
        assert "access-control-allow-origin" not in reply.headers


def test_origins_can_be_matched_by_regex(serve):
    app = make_app(allow_origin_regex=r"https://[a-z]+\.example\.com", allow_methods=["DELETE"])
    with serve(app) as client:
        assert preflight(client, "https://shop.example.com").status_code == 200
        assert preflight(client, "https://shop.example.com.evil.net").status_code == 400
        assert client.get("/items", headers={"origin": "https://shop.example.com"}).headers[
            "access-control-allow-origin"
        ] == "https://shop.example.com"


def test_a_simple_request_from_an_allowed_origin_gets_the_headers(serve):
    app = make_app(allow_origins=[SITE], expose_headers=["x-request-id"])
    with serve(app) as client:
        reply = client.post("/items", headers={"origin": SITE})
    assert reply.json() == {"method": "POST"}
    assert reply.headers["access-control-allow-origin"] == SITE
    assert reply.headers["access-control-expose-headers"] == "x-request-id"
    assert reply.headers["vary"] == "Origin"


def test_a_simple_request_from_another_origin_gets_no_cors_headers(serve):
    with serve(make_app(allow_origins=[SITE])) as client:
        reply = client.get("/items", headers={"origin": "https://evil.example.net"})
    assert reply.status_code == 200
    assert "access-control-allow-origin" not in reply.headers
    assert reply.headers["vary"] == "Origin"


def test_requests_without_origin_still_say_vary_origin(serve):
    with serve(make_app(allow_origins=[SITE])) as client:
        reply = client.get("/items")
    assert "access-control-allow-origin" not in reply.headers
    assert reply.headers["vary"] == "Origin"


def test_any_origin_without_credentials_is_a_star_and_needs_no_vary(serve):
    with serve(make_app(allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])) as client:
        simple = client.get("/items", headers={"origin": SITE})
        reply = preflight(client, method="PATCH", headers="x-anything")
    assert simple.headers["access-control-allow-origin"] == "*"
    assert "vary" not in simple.headers
    assert reply.status_code == 200
    assert reply.headers["access-control-allow-origin"] == "*"
    assert reply.headers["access-control-allow-headers"] == "x-anything"


def test_star_is_never_sent_with_credentials(serve):
    app = make_app(allow_origins=["*"], allow_headers=["*"], allow_methods=["*"], allow_credentials=True)
    with serve(app) as client:
        simple = client.get("/items", headers={"origin": SITE})
        reply = preflight(client, headers="x-one, x-two")
    for answer in (simple, reply):
        assert answer.headers["access-control-allow-origin"] == SITE
        assert answer.headers["access-control-allow-credentials"] == "true"
    assert reply.headers["access-control-allow-headers"] == "x-one, x-two"
    assert "Origin" in simple.headers["vary"]


def test_vary_joins_what_the_response_already_varies_by(serve):
    app = Covet(middleware=[Middleware(CORSMiddleware, allow_origins=[SITE])])

    @app.get("/negotiated")
    async def negotiated(request):
        return PlainTextResponse("hi", headers={"vary": "Accept-Language"})

    with serve(app) as client:
        reply = client.get("/negotiated", headers={"origin": SITE})
    assert reply.headers["vary"] == "Accept-Language, Origin"


def test_an_options_request_that_is_not_a_preflight_reaches_the_app(serve):
    with serve(make_app(allow_origins=[SITE])) as client:
        reply = client.options("/items", headers={"origin": SITE})
    assert reply.status_code == 204
    assert "GET" in reply.headers["allow"]
    assert reply.headers["access-control-allow-origin"] == SITE


@pytest.mark.parametrize("origin", ["https://example.com/", "example.com", "https://example.com/path"])
def test_an_origin_written_like_a_url_is_refused(origin):
    with pytest.raises(ValueError, match="must look like 'https://example.com'"):
        CORSMiddleware(make_app().call_endpoint, allow_origins=[origin])
