"""Every size limit and timeout of the HTTP/1.1 server, over real sockets, with small values."""

from __future__ import annotations

import asyncio
import select
import time

import pytest

from covet import Covet, PlainTextResponse, Response
from covet.server.config import ServerConfig
from covet.testing.live import live_server
from tests.server.wire import Wire, get

LIMITS = {
    "max_request_line": 256,
    "max_header_bytes": 1024,
    "max_header_count": 10,
    "max_body_size": 1000,
    "timeout_header": 0.5,
    "timeout_keep_alive": 5.0,
    "timeout_body": 0.5,
    "timeout_graceful_shutdown": 1.0,
}

app = Covet()
calls: list[str] = []


@app.get("/hello")
async def hello(request):
    calls.append("/hello")
    return PlainTextResponse("hi")


@app.get("/slow")
async def slow(request):
    calls.append("/slow")
    await asyncio.sleep(0.8)
    return PlainTextResponse("slow")


@app.post("/echo")
async def echo(request):
    calls.append("/echo")
    return Response(await request.body())


@pytest.fixture(scope="module")
def server():
    with live_server(app, **LIMITS) as srv:
        yield srv


@pytest.fixture
def wire(server):
    calls.clear()
    with Wire(server.connect()) as w:
        yield w


def assert_refused(wire: Wire, status: int) -> None:
    """The next response is ``status``, announced as closing, and the server then closes."""
    reply = wire.reply()
    assert reply.status == status, reply.body
    assert reply.header("connection") == "close"
    assert wire.is_closed()


def dribble(wire: Wire, pieces, interval: float) -> None:
    """Send ``pieces`` ``interval`` seconds apart, stopping as soon as the server answers."""
    for piece in pieces:
        if select.select([wire.conn], [], [], interval)[0]:
            return
        wire.send(piece)


def test_server_config_defaults_match_the_documented_limits():
    config = ServerConfig()
    assert config.max_request_line == 8 * 1024
    assert config.max_header_bytes == 32 * 1024
    assert config.max_header_count == 100
    assert config.max_body_size == 16 * 1024 * 1024
    assert config.timeout_header == 30.0
    assert config.timeout_keep_alive == 5.0
    assert config.timeout_body == 60.0


# -- request line ------------------------------------------------------------------------------


def test_request_target_at_the_limit_is_served(wire):
    target = "/hello?" + "q" * (LIMITS["max_request_line"] - len("/hello?"))
    assert wire.exchange(get(target)).status == 200
    assert wire.exchange(get("/hello")).status == 200


def test_request_target_over_the_limit_is_414_and_closes(wire):
    wire.send(get("/hello?" + "q" * LIMITS["max_request_line"]))
    assert_refused(wire, 414)
    assert calls == []


def test_request_target_that_never_ends_is_414_and_closes(wire):
    wire.send(b"GET /")
    dribble(wire, [b"a" * 100] * 20, 0.02)
    assert_refused(wire, 414)


# -- header block ------------------------------------------------------------------------------


def test_header_block_over_the_limit_is_431_and_closes(wire):
    wire.send(get("/hello", "X-Big: " + "v" * LIMITS["max_header_bytes"]))
    assert_refused(wire, 431)
    assert calls == []


def test_header_field_that_never_ends_is_431_and_closes(wire):
    # The request line is complete: it is the first header field that goes on and on.
    wire.send(b"GET /hello HTTP/1.1\r\nX-Big: ")
    dribble(wire, [b"v" * 200] * 20, 0.02)
    assert_refused(wire, 431)


def test_header_count_at_the_limit_is_served(wire):
    fields = [f"X-{i}: v" for i in range(LIMITS["max_header_count"] - 1)]  # and Host
    assert wire.exchange(get("/hello", *fields)).status == 200


def test_header_count_over_the_limit_is_431_and_closes(wire):
    fields = [f"X-{i}: v" for i in range(LIMITS["max_header_count"])]  # and Host
    wire.send(get("/hello", *fields))
    assert_refused(wire, 431)
    assert calls == []


# -- body --------------------------------------------------------------------------------------


def test_body_at_the_limit_is_served(wire):
    body = b"b" * LIMITS["max_body_size"]
    reply = wire.exchange(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + body)
    assert (reply.status, reply.body) == (200, body)


def test_content_length_over_the_limit_is_413_before_the_body_is_sent(wire):
    wire.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % (LIMITS["max_body_size"] + 1))
    assert_refused(wire, 413)
    assert calls == []


def test_chunked_body_growing_over_the_limit_is_413_and_closes(wire):
    wire.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
    dribble(wire, [b"190\r\n" + b"c" * 400 + b"\r\n"] * 10, 0.05)
    assert_refused(wire, 413)


def test_chunked_body_over_the_limit_in_one_send_is_413_and_closes(wire):
    wire.conn.settimeout(3.0)
    wire.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
              + (b"190\r\n" + b"c" * 400 + b"\r\n") * 3 + b"0\r\n\r\n")
    assert_refused(wire, 413)


# -- malformed ---------------------------------------------------------------------------------


def test_malformed_request_is_400_and_closes(wire):
    wire.send(b"THIS IS NOT HTTP\r\n\r\n")
    assert_refused(wire, 400)


# -- timeouts ----------------------------------------------------------------------------------


def test_request_head_dribbled_slower_than_the_header_timeout_is_408_and_closes(wire):
    started = time.monotonic()
    wire.send(b"GET /hello HTTP/1.1\r\n")
    dribble(wire, [b"X-Slow: 1\r\n"] * 50, 0.1)
    assert_refused(wire, 408)
    assert time.monotonic() - started < 5.0  # well before the dribble would have ended
    assert calls == []


def test_connection_that_sends_nothing_is_closed_after_the_header_timeout(wire):
    opened = time.monotonic()
    assert wire.raw(1) == b""  # closed without a response
    assert time.monotonic() - opened >= LIMITS["timeout_header"] / 2


def test_partial_head_after_a_keep_alive_response_is_408_after_the_header_timeout(wire):
    assert wire.exchange(get("/hello")).status == 200
    wire.send(b"GET /hello HTTP/1.1\r\nHost: t\r\n")
    assert_refused(wire, 408)


def test_partial_head_pipelined_behind_a_slow_request_is_408_after_the_header_timeout(server):
    calls.clear()
    with Wire(server.connect(), timeout=5.0) as wire:
        wire.send(get("/slow"))
        time.sleep(0.1)  # a read of its own, after the first request
        wire.send(b"GET /hello HTTP/1.1\r\nHost: t\r\n")
        assert wire.reply().body == b"slow"
        assert_refused(wire, 408)
    assert calls == ["/slow"]


def test_handler_slower_than_both_timeouts_is_still_answered():
    short = {"timeout_header": 0.2, "timeout_keep_alive": 0.2, "timeout_graceful_shutdown": 1.0}
    with live_server(app, **short) as srv, Wire(srv.connect()) as wire:
        reply = wire.exchange(get("/slow"))
        assert (reply.status, reply.body) == (200, b"slow")


# -- request bodies that stall -----------------------------------------------------------------


def test_request_body_that_stalls_while_awaited_is_408_and_closes(wire):
    wire.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
    assert_refused(wire, 408)
    assert calls == ["/echo"]


def test_request_body_arriving_slowly_but_steadily_is_not_timed_out(wire):
    wire.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 12\r\n\r\n")
    # 0.9 s in all, longer than the 0.5 s body timeout, but never 0.5 s without a byte.
    for piece in (b"ab", b"cd", b"ef", b"gh", b"ij", b"kl"):
        time.sleep(0.15)
        wire.send(piece)
    reply = wire.reply()
    assert (reply.status, reply.body) == (200, b"abcdefghijkl")
