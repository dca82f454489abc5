"""SessionMiddleware and request.session: cookie flags, what gets written, expiry, rotation."""

import base64
import secrets

import orjson
import pytest

from covet import Covet
from covet.middleware import Middleware
from covet.security.session_cookies import CookieBackend, SessionTooLarge
from covet.security.sessions import SessionMiddleware
from covet.security.settings import Settings
from covet.testing import TestClient
from tests.security.fakes import Clock

KEY = secrets.token_urlsafe(48)
DAY = 86400


def session_app(environment="development", **options):
    app = Covet(
        settings=Settings(environment=environment, secret_key=KEY),
        middleware=[Middleware(SessionMiddleware, **options)],
    )

    @app.get("/")
    async def show(request):
        return dict(request.session)

    @app.get("/plain")
    async def plain(request):
        return "no session used"

    @app.post("/set/{key}/{value}")
    async def set_value(request):
        request.session[request.path_params["key"]] = request.path_params["value"]
        return "set"

    @app.post("/delete/{key}")
    async def delete_value(request):
        del request.session[request.path_params["key"]]
        return "deleted"

    @app.post("/login/{user}")
    async def login(request):
        request.session.rotate()
        request.session["user"] = request.path_params["user"]
        return "logged in"

    @app.post("/logout")
    async def logout(request):
        request.session.clear()
        return "logged out"

    @app.post("/unserialisable")
    async def unserialisable(request):
        request.session["bad"] = object()
        return "never"

    @app.post("/big")
    async def big(request):
        request.session["blob"] = "x" * 5000
        return "never"

    return app


def set_cookie_lines(response):
    return response.headers.get_list("set-cookie")


def is_secure(line):
    return "Secure" in [part.strip() for part in line.split(";")]


def test_a_request_that_leaves_the_session_alone_sets_no_cookie(serve):
    with serve(session_app()) as client:
        assert set_cookie_lines(client.get("/plain")) == []
        assert set_cookie_lines(client.get("/")) == []  # read, still empty: nothing to keep


def test_a_written_session_comes_back_on_the_next_request(serve):
    with serve(session_app()) as client:
        assert client.post("/set/colour/blue").status_code == 200
        assert client.get("/").json() == {"colour": "blue"}


def test_the_cookie_is_httponly_samesite_lax_and_lives_max_age(serve):
    with serve(session_app()) as client:
        (line,) = set_cookie_lines(client.post("/set/a/1"))
    assert line.startswith("session=1.")
    assert "; Max-Age=1209600; Path=/; HttpOnly; SameSite=Lax" in line
    assert not is_secure(line)


def test_the_cookie_is_secure_over_https_and_always_in_production(serve):
    with serve(session_app(), https=True) as client:
        (line,) = set_cookie_lines(client.post("/set/a/1"))
    assert is_secure(line)
    with serve(session_app(environment="production")) as client:  # plain HTTP: behind a proxy, say
        (line,) = set_cookie_lines(client.post("/set/a/1"))
    assert is_secure(line)
    with serve(session_app(environment="production", secure=False)) as client:
        (line,) = set_cookie_lines(client.post("/set/a/1"))
    assert not is_secure(line)


def test_an_unchanged_session_is_not_written_again_but_varies_by_cookie(serve):
    with serve(session_app()) as client:
        client.post("/set/a/1")
        response = client.get("/")
    assert set_cookie_lines(response) == []
    assert response.headers["vary"] == "Cookie"


def test_a_tampered_cookie_is_refused_and_dropped(serve):
    with serve(session_app()) as client:
        client.post("/set/role/user")
        value = client.cookies["session"]
        version, payload, tag = value.split(".")
        data = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        data["d"]["role"] = "admin"
        forged = base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")
        client.cookies.clear()
        response = client.get("/", headers={"cookie": f"session={version}.{forged}.{tag}"})
    assert response.json() == {}
    (line,) = set_cookie_lines(response)
    assert line.startswith('session=""; Max-Age=0') or line.startswith("session=; Max-Age=0")


def test_emptying_the_session_drops_the_cookie(serve):
    with serve(session_app()) as client:
        client.post("/set/a/1")
        (line,) = set_cookie_lines(client.post("/delete/a"))
        assert "Max-Age=0" in line
        assert client.get("/").json() == {}


def test_rotate_keeps_the_data_under_a_new_cookie(serve):
    with serve(session_app()) as client:
        client.post("/set/cart/3")
        before = client.cookies["session"]
        client.post("/login/alice")
        assert client.cookies["session"] != before
        assert client.get("/").json() == {"cart": "3", "user": "alice"}


def test_clear_at_logout_empties_the_session_and_drops_the_cookie(serve):
    with serve(session_app()) as client:
        client.post("/login/alice")
        (line,) = set_cookie_lines(client.post("/logout"))
        assert "Max-Age=0" in line
        assert client.get("/").json() == {}


def test_a_session_older_than_max_age_is_refused_by_the_server():
    clock = Clock()
    app = session_app(max_age=DAY, clock=clock)
    with TestClient(app) as client:
        client.post("/set/a/1")
        cookie = client.cookies["session"]
        clock.now += DAY - 1
        assert client.get("/").json() == {"a": "1"}
        clock.now += 1
        # The browser would have dropped it; a client that keeps sending it gets nothing.
        assert client.get("/", headers={"cookie": f"session={cookie}"}).json() == {}


def test_an_idle_session_expires_and_an_active_one_is_kept_alive():
    clock = Clock()
    app = session_app(idle_timeout=600, clock=clock)
    with TestClient(app) as client:
        client.post("/set/a/1")
        for _ in range(5):  # used every 5 minutes for 25 minutes: refreshed, never idle for 10
            clock.now += 300
            assert client.get("/").json() == {"a": "1"}
        clock.now += 600
        assert client.get("/").json() == {}


def test_the_idle_clock_is_refreshed_now_and_then_not_on_every_request():
    clock = Clock()
    app = session_app(idle_timeout=600, clock=clock)
    with TestClient(app) as client:
        client.post("/set/a/1")
        clock.now += 30
        assert set_cookie_lines(client.get("/")) == []  # within a tenth of the timeout
        clock.now += 60
        assert len(set_cookie_lines(client.get("/"))) == 1


def test_session_values_must_be_json():
    with TestClient(session_app()) as client, pytest.raises(TypeError, match="session values must be JSON"):
        client.post("/unserialisable")


def test_a_session_too_large_for_a_cookie_is_an_error_that_says_what_to_do():
    with TestClient(session_app()) as client, pytest.raises(SessionTooLarge, match="server-side session"):
        client.post("/big")


def test_request_session_without_the_middleware_says_how_to_add_it():
    app = Covet(settings=Settings(secret_key=KEY))

    @app.get("/")
    async def show(request):
        return dict(request.session)

    needs_middleware = r"app.add_middleware\(SessionMiddleware\)"
    with TestClient(app) as client, pytest.raises(RuntimeError, match=needs_middleware):
        client.get("/")


def test_the_default_backend_signs_with_the_apps_secret_key():
    with TestClient(session_app()) as client:
        client.post("/set/a/1")
        cookie = client.cookies["session"]
    other = Covet(settings=Settings(secret_key=secrets.token_urlsafe(48)))
    other.add_middleware(SessionMiddleware)

    @other.get("/")
    async def show(request):
        return dict(request.session)

    with TestClient(other) as client:
        assert client.get("/", headers={"cookie": f"session={cookie}"}).json() == {}


def test_an_encrypting_backend_keeps_the_session_unreadable(serve):
    app = session_app(backend=CookieBackend(KEY, encrypt=True))
    with serve(app) as client:
        client.post("/set/secret/plans")
        value = client.cookies["session"]
        assert value.startswith("2.")
        assert b"plans" not in base64.urlsafe_b64decode(value[2:] + "==")
        assert client.get("/").json() == {"secret": "plans"}


def test_invalid_durations_are_refused():
    with pytest.raises(ValueError, match="positive durations"):
        SessionMiddleware(None, max_age=0)
