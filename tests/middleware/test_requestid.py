"""RequestIDMiddleware: accept a valid id or make one, echo it, and put it in log records."""

import logging
import re

import httpx
import pytest

from covet import Covet
from covet.middleware import Middleware
from covet.middleware.requestid import RequestIDLogFilter, RequestIDMiddleware, get_request_id
from covet.testing.live import live_server

log = logging.getLogger("tests.requestid")


def make_app(**options):
    app = Covet(middleware=[Middleware(RequestIDMiddleware, **options)])

    @app.get("/")
    async def index(request):
        log.warning("handling the request")
        return {"id": get_request_id()}

    @app.get("/fail")
    async def fail(request):
        raise RuntimeError("failed on purpose")

    return app


@pytest.fixture
def records():
    """Log records as a handler with the filter sees them."""
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record)

    handler = Keep()
    handler.addFilter(RequestIDLogFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield seen
    root.removeHandler(handler)


def test_a_valid_incoming_id_is_kept_and_echoed(serve):
    with serve(make_app()) as client:
        reply = client.get("/", headers={"x-request-id": "abc-123_XYZ.9"})
    assert reply.headers["x-request-id"] == "abc-123_XYZ.9"
    assert reply.json() == {"id": "abc-123_XYZ.9"}


def test_without_one_an_id_is_made(serve):
    with serve(make_app()) as client:
        first, second = client.get("/"), client.get("/")
    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert first.json()["id"] == first.headers["x-request-id"]


@pytest.mark.parametrize("bad", ["has space", "quote\"d", "x" * 129, ""])
def test_an_invalid_incoming_id_is_replaced(serve, bad):
    with serve(make_app()) as client:
        echoed = client.get("/", headers={"x-request-id": bad}).headers["x-request-id"]
    assert echoed != bad
    assert re.fullmatch(r"[0-9a-f]{32}", echoed)


def test_incoming_ids_can_be_ignored(serve):
    with serve(make_app(trust_incoming=False)) as client:
        reply = client.get("/", headers={"x-request-id": "from-client"})
    assert reply.headers["x-request-id"] != "from-client"


def test_the_header_name_and_generator_are_configurable(serve):
    with serve(make_app(header_name="X-Correlation-ID", generator=lambda: "fixed")) as client:
        reply = client.get("/")
    assert reply.headers["x-correlation-id"] == "fixed"
    assert "x-request-id" not in reply.headers


def test_log_records_carry_the_id(serve, records):
    with serve(make_app()) as client:
        client.get("/", headers={"x-request-id": "trace-me"})
    handled = [r for r in records if r.getMessage() == "handling the request"]
    assert [r.request_id for r in handled] == ["trace-me"]


def test_the_error_log_of_a_failed_request_carries_the_id(records):
    with live_server(make_app()) as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/fail", headers={"x-request-id": "broken-1"}).status_code == 500
    errors = [r for r in records if r.exc_info and "failed on purpose" in str(r.exc_info[1])]
    assert [r.request_id for r in errors] == ["broken-1"]


def test_outside_a_request_the_id_is_a_dash(records):
    log.warning("no request here")
    assert records[-1].request_id == "-"
    assert get_request_id() == "-"
