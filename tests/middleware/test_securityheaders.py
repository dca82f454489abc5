"""SecurityHeadersMiddleware: sensible defaults on every response, each configurable or off."""

import pytest

from covet import Covet, HTMLResponse
from covet.middleware import Middleware
from covet.middleware.securityheaders import DEFAULT_CSP, SecurityHeadersMiddleware


def make_app(**options):
    app = Covet(middleware=[Middleware(SecurityHeadersMiddleware, **options)])

    @app.get("/")
    async def index(request):
        return "hello"

    @app.get("/docs")
    async def docs(request):
        own = "default-src 'self' https://cdn.example.com"
        return HTMLResponse("<h1>docs</h1>", headers={"content-security-policy": own})

    return app


def test_the_defaults_are_on_for_every_response(serve):
    with serve(make_app()) as client:
        for reply in (client.get("/"), client.get("/missing")):
            assert reply.headers["content-security-policy"] == DEFAULT_CSP
            assert reply.headers["x-content-type-options"] == "nosniff"
            assert reply.headers["x-frame-options"] == "DENY"
            assert reply.headers["referrer-policy"] == "strict-origin-when-cross-origin"
            assert "camera=()" in reply.headers["permissions-policy"]


def test_hsts_is_sent_over_https_only(serve):
    with serve(make_app()) as client:
        assert "strict-transport-security" not in client.get("/").headers
    with serve(make_app(), https=True) as client:
        assert client.get("/").headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_hsts_can_ask_for_preloading(serve):
    with serve(make_app(hsts_max_age=63_072_000, hsts_preload=True), https=True) as client:
        assert client.get("/").headers["strict-transport-security"] == (
            "max-age=63072000; includeSubDomains; preload"
        )


def test_each_header_can_be_changed_or_left_out(serve):
    app = make_app(
        hsts=False,
        content_security_policy=None,
        content_type_options=False,
        frame_options="sameorigin",
        referrer_policy="no-referrer",
        permissions_policy=None,
    )
    with serve(app, https=True) as client:
        headers = client.get("/").headers
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert headers["referrer-policy"] == "no-referrer"
    for absent in ("strict-transport-security", "content-security-policy", "x-content-type-options",
                   "permissions-policy"):
        assert absent not in headers


def test_a_header_the_response_sets_is_left_alone(serve):
    with serve(make_app()) as client:
        headers = client.get("/docs").headers
    assert headers.get_list("content-security-policy") == ["default-src 'self' https://cdn.example.com"]
    assert headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"frame_options": "ALLOW-FROM x"}, "frame_options is 'DENY', 'SAMEORIGIN' or None"),
        ({"hsts_max_age": -1}, "hsts_max_age is seconds"),
        ({"hsts_preload": True, "hsts_max_age": 3600}, "hsts_preload needs"),
    ],
)
def test_bad_settings_are_refused_with_what_to_do(options, message):
    with pytest.raises(ValueError, match=message):
        SecurityHeadersMiddleware(make_app().call_endpoint, **options)
