"""Exception handlers by class and by status, the default HTTPException answer, the debug page."""

import asyncio
import logging

import httpx
import pytest

from covet import Covet, HTTPException, JSONResponse, PlainTextResponse
from covet.db import Database, PoolTimeout
from covet.middleware import BaseHTTPMiddleware, Middleware
from covet.testing import AsyncTestClient, TestClient
from covet.testing.live import live_server


class OutOfStock(Exception):
    def __init__(self, item):
        self.item = item


class Discontinued(OutOfStock):
    pass


def make_app(**options):
    app = Covet(**options)

    @app.get("/value")
    async def value(request):
        raise ValueError("not a number")

    @app.get("/stock/{item}")
    async def stock(request):
        raise OutOfStock(request.path_params["item"])

    @app.get("/discontinued")
    async def discontinued(request):
        raise Discontinued("lamp")

    @app.get("/teapot")
    async def teapot(request):
        raise HTTPException(418, "short and stout", headers={"x-brew": "earl grey"})

    @app.get("/nothing")
    async def nothing(request):
        raise HTTPException(304)

    @app.get("/broken")
    async def broken(request):
        raise RuntimeError("<script>alert('secret')</script>")

    @app.post("/only-post")
    async def only_post(request):
        return "posted"

    return app


def test_a_handler_for_a_class_answers_its_exceptions(serve):
    app = make_app()

    @app.exception_handler(ValueError)
    def bad_value(request, exc):
        return JSONResponse({"error": str(exc)}, status_code=400)

    with serve(app) as client:
        reply = client.get("/value")
    assert (reply.status_code, reply.json()) == (400, {"error": "not a number"})


def test_handlers_may_be_async(serve):
    app = make_app()

    @app.exception_handler(OutOfStock)
    async def out_of_stock(request, exc):
        return PlainTextResponse(f"no more {exc.item}", status_code=409)

    with serve(app) as client:
        reply = client.get("/stock/lamp")
    assert (reply.status_code, reply.text) == (409, "no more lamp")


def test_the_nearest_class_in_the_mro_wins(serve):
    app = make_app(
        exception_handlers={
            OutOfStock: lambda request, exc: PlainTextResponse("out of stock", status_code=409),
            Discontinued: lambda request, exc: PlainTextResponse("discontinued", status_code=410),
        }
    )
    with serve(app) as client:
        assert client.get("/discontinued").status_code == 410
        assert client.get("/stock/x").status_code == 409


def test_http_exceptions_default_to_their_detail_and_headers(serve):
    with serve(make_app()) as client:
        reply = client.get("/teapot")
        assert (reply.status_code, reply.text) == (418, "short and stout")
        assert reply.headers["x-brew"] == "earl grey"
        empty = client.get("/nothing")
        assert (empty.status_code, empty.content) == (304, b"")


def test_a_status_handler_answers_http_exceptions_with_that_status(serve):
    app = make_app()

    @app.exception_handler(418)
    async def teapot(request, exc):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    with serve(app) as client:
        reply = client.get("/teapot")
    assert (reply.status_code, reply.json()) == (418, {"detail": "short and stout"})
    assert reply.headers["x-brew"] == "earl grey"


def test_status_handlers_answer_routing_404_and_405(serve):
    app = make_app()

    @app.exception_handler(404)
    def not_found(request, exc):
        return JSONResponse({"missing": request.path}, status_code=404)

    @app.exception_handler(405)
    async def not_allowed(request, exc):
        return JSONResponse({"allow": exc.headers["allow"]}, status_code=405, headers=exc.headers)

    with serve(app) as client:
        missing = client.get("/no/such/page")
        wrong = client.get("/only-post")
    assert (missing.status_code, missing.json()) == (404, {"missing": "/no/such/page"})
    assert (wrong.status_code, wrong.json()) == (405, {"allow": "OPTIONS, POST"})
    assert wrong.headers["allow"] == "OPTIONS, POST"


def test_a_500_handler_answers_what_nothing_else_handles(serve):
    app = make_app(exception_handlers={500: lambda request, exc: PlainTextResponse("sorry", status_code=500)})
    with serve(app, raise_server_exceptions=False) as client:
        reply = client.get("/broken")
    assert (reply.status_code, reply.text) == (500, "sorry")


def test_an_exception_handler_for_exception_is_the_500_handler():
    app = make_app()

    @app.exception_handler(Exception)
    async def anything(request, exc):
        return PlainTextResponse(f"failed: {type(exc).__name__}", status_code=503)

    reply = TestClient(app, raise_server_exceptions=False).get("/broken")
    assert (reply.status_code, reply.text) == (503, "failed: RuntimeError")


def test_unhandled_exceptions_are_500_without_details_and_logged(caplog):
    caplog.set_level(logging.ERROR, logger="covet.error")
    with live_server(make_app()) as server, httpx.Client(base_url=server.url) as client:
        reply = client.get("/broken", headers={"accept": "text/html"})
    assert (reply.status_code, reply.text) == (500, "Internal Server Error")
    assert any(r.exc_info and r.getMessage().endswith("broken") for r in caplog.records)


def test_under_asgi_unhandled_exceptions_are_raised_after_the_500():
    with pytest.raises(RuntimeError, match="alert"):
        TestClient(make_app()).get("/broken")


def test_the_debug_page_shows_the_traceback_as_escaped_html(serve):
    with serve(make_app(debug=True), raise_server_exceptions=False) as client:
        reply = client.get("/broken", headers={"accept": "text/html,application/xhtml+xml"})
    assert reply.status_code == 500
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert "RuntimeError: &lt;script&gt;alert(&#x27;secret&#x27;)&lt;/script&gt;" in reply.text
    assert "<script>alert" not in reply.text
    assert "in broken" in reply.text and "test_exception_handlers.py" in reply.text
    assert "GET /broken" in reply.text


def test_the_debug_page_is_plain_text_for_clients_that_do_not_want_html():
    reply = TestClient(make_app(debug=True), raise_server_exceptions=False).get("/broken")
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"
    assert reply.text.startswith("500 Internal Server Error\n\nTraceback (most recent call last):")
    assert "RuntimeError: <script>" in reply.text


def test_the_debug_page_wins_over_the_500_handler_in_debug_mode_only():
    def sorry(request, exc):
        return PlainTextResponse("sorry", status_code=500)

    debug = TestClient(make_app(debug=True, exception_handlers={500: sorry}), raise_server_exceptions=False)
    assert "Traceback" in debug.get("/broken").text
    quiet = TestClient(make_app(exception_handlers={500: sorry}), raise_server_exceptions=False)
    assert quiet.get("/broken").text == "sorry"


def test_exceptions_raised_by_middleware_get_the_same_handlers(serve):
    class Paywall(BaseHTTPMiddleware):
        async def dispatch(self, request, call_next):
            raise HTTPException(402, "pay first")

    app = make_app(middleware=[Middleware(Paywall)])

    @app.exception_handler(402)
    async def payment(request, exc):
        return PlainTextResponse(f"{exc.detail}, please", status_code=402)

    with serve(app) as client:
        reply = client.get("/teapot")
    assert (reply.status_code, reply.text) == (402, "pay first, please")


def test_a_failing_handler_becomes_a_plain_500(serve):
    app = make_app()

    @app.exception_handler(ValueError)
    def clumsy(request, exc):
        raise KeyError("the handler broke too")

    with serve(app, raise_server_exceptions=False) as client:
        assert client.get("/value").status_code == 500


def test_a_handler_must_return_a_response():
    app = make_app(exception_handlers={ValueError: lambda request, exc: "oops"})
    with pytest.raises(TypeError, match="returned str, not a Response"):
        TestClient(app).get("/value")


@pytest.mark.parametrize(
    ("key", "error", "message"),
    [
        ("ValueError", TypeError, "status code or an exception class"),
        (200, ValueError, "error status"),
        (True, TypeError, "status code or an exception class"),
    ],
)
def test_bad_keys_are_refused(key, error, message):
    with pytest.raises(error, match=message):
        make_app().add_exception_handler(key, lambda request, exc: None)


def test_a_handler_must_be_callable():
    with pytest.raises(TypeError, match="must be callable"):
        make_app().add_exception_handler(ValueError, "not a function")


def test_handlers_cannot_be_added_once_the_app_serves():
    app = make_app()
    app.__covet_handler__()
    with pytest.raises(RuntimeError, match="after the application has started"):
        app.add_exception_handler(ValueError, lambda request, exc: None)


async def test_an_exhausted_database_pool_is_a_503_with_retry_after(tmp_path, caplog):
    db = Database(f"sqlite:///{tmp_path / 'pool.db'}", pool_max_size=1, acquire_timeout=0.1)
    app = Covet()

    @app.get("/busy")
    async def busy(request):
        async with db.connection():  # the only connection, held while another task wants one
            return await asyncio.get_running_loop().create_task(db.fetch_val("SELECT 1"))

    await db.connect()
    try:
        async with AsyncTestClient(app) as client:
            with caplog.at_level(logging.WARNING, logger="covet.error"):
                response = await client.get("/busy")
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        assert "too busy" in response.text
        assert "no connection free" in caplog.text  # the pool's own message, for the operator
        assert await db.fetch_val("SELECT 1") == 1  # and the pool works again afterwards
    finally:
        await db.disconnect()


def test_a_handler_for_pool_timeout_replaces_the_default():
    app = Covet()

    @app.get("/busy")
    async def busy(request):
        raise PoolTimeout("no connection free after 0.1 s")

    @app.exception_handler(PoolTimeout)
    async def overloaded(request, exc):
        return JSONResponse({"error": "overloaded"}, status_code=503, headers={"retry-after": "30"})

    with TestClient(app) as client:
        response = client.get("/busy")
    assert (response.status_code, response.json(), response.headers["retry-after"]) == (
        503, {"error": "overloaded"}, "30",
    )
