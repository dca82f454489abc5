"""A plain ``Covet()`` app is secure by default: security headers on, debug off, hosts checked
when listed, secrets required in production — with the compiled fast path kept."""

import secrets

import pytest

from covet import Covet, HTTPException, PlainTextResponse
from covet._speedups.router import Dispatcher
from covet.middleware import BaseHTTPMiddleware, Middleware
from covet.middleware.securityheaders import SecurityHeadersMiddleware
from covet.security.errors import SecretError
from covet.security.settings import Settings
from covet.staticfiles import StaticFiles
from covet.testing import TestClient

DEFAULT_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
}


class Passthrough(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        return await call_next(request)


def make_app(tmp_path=None, **covet_options):
    app = Covet(**covet_options)

    @app.get("/")
    async def index(request):
        return PlainTextResponse("hello")

    @app.get("/json")
    async def as_json() -> dict:
        return {"typed": True}

    @app.get("/dict")
    async def as_dict(request):
        return {"plain": True}

    @app.get("/framed")
    async def framed(request):
        return PlainTextResponse("ok", headers={"x-frame-options": "SAMEORIGIN"})

    @app.get("/teapot")
    async def teapot(request):
        raise HTTPException(418)

    @app.get("/boom")
    async def boom(request):
        raise RuntimeError("boom")

    if tmp_path is not None:
        (tmp_path / "file.txt").write_text("static")
        app.mount("/static", StaticFiles(directory=str(tmp_path)))
    return app


def assert_default_headers(response):
    for name, value in DEFAULT_HEADERS.items():
        assert response.headers.get_list(name) == [value], (name, response.url)


def test_every_kind_of_response_gets_the_default_headers(serve, tmp_path):
    with serve(make_app(tmp_path), raise_server_exceptions=False) as client:
        for path in ("/", "/json", "/dict", "/teapot", "/missing", "/static/file.txt"):
            assert_default_headers(client.get(path))
        assert_default_headers(client.post("/"))  # 405
        assert_default_headers(client.get("/json/"))  # trailing-slash redirect
        assert "content-security-policy" not in client.get("/").headers
        # The last-resort 500 carries them too, on every server alike.
        boom = client.get("/boom")
        assert boom.status_code == 500
        assert_default_headers(boom)


def test_hsts_is_added_over_https_only(serve):
    with serve(make_app()) as client:
        assert "strict-transport-security" not in client.get("/").headers
    with serve(make_app(), https=True) as client:
        assert client.get("/").headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_a_header_the_handler_set_itself_is_kept(serve):
    with serve(make_app()) as client:
        assert client.get("/framed").headers.get_list("x-frame-options") == ["SAMEORIGIN"]


def test_the_default_headers_come_inside_the_apps_own_middleware(serve):
    app = make_app(middleware=[Middleware(Passthrough)])
    with serve(app) as client:
        assert_default_headers(client.get("/"))
        assert_default_headers(client.get("/missing"))


def test_an_app_with_its_own_security_headers_middleware_gets_them_once(serve):
    app = make_app(middleware=[Middleware(SecurityHeadersMiddleware, frame_options="SAMEORIGIN")])
    with serve(app) as client:
        response = client.get("/")
    assert response.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_settings_choose_the_policy_or_turn_it_off(serve):
    policy = "default-src 'self'"
    settings = Settings(content_security_policy=policy, hsts_max_age=0)
    with serve(make_app(settings=settings), https=True) as client:
        response = client.get("/")
    assert response.headers["content-security-policy"] == policy
    assert "strict-transport-security" not in response.headers
    with serve(make_app(settings=Settings(security_headers=False))) as client:
        assert not set(DEFAULT_HEADERS) & set(client.get("/").headers)


def test_the_server_keeps_the_compiled_dispatcher_with_the_headers_on():
    assert type(make_app().__covet_handler__()) is Dispatcher
    assert type(make_app(settings=Settings(security_headers=False)).__covet_handler__()) is Dispatcher


def test_allowed_hosts_refuse_other_hosts(serve):
    with serve(make_app(settings=Settings(allowed_hosts=("testserver", "127.0.0.1")))) as client:
        assert client.get("/").status_code == 200
        refused = client.get("/", headers={"host": "evil.example"})
    assert refused.status_code == 400 and refused.text == "Invalid host header"


def test_debug_is_off_by_default_and_the_settings_or_the_argument_turn_it_on():
    assert make_app().debug is False
    assert make_app(settings=Settings(debug=True)).debug is True
    assert make_app(settings=Settings(debug=True), debug=False).debug is False
    with TestClient(make_app(), raise_server_exceptions=False) as client:
        assert client.get("/boom").text == "Internal Server Error"


def test_an_app_started_in_production_without_a_secret_fails_at_once(monkeypatch):
    monkeypatch.setenv("COVET_ENV", "production")
    monkeypatch.delenv("COVET_SECRET_KEY", raising=False)
    with pytest.raises(SecretError, match="COVET_SECRET_KEY is not set"):
        Covet()
    monkeypatch.setenv("COVET_SECRET_KEY", secrets.token_urlsafe(48))
    assert Covet().settings.production
