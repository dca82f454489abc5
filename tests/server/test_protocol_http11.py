"""HTTP/1.1 semantics of covet.server.protocol over real sockets: keep-alive, pipelining, bodies."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import re
import socket
import time

import pytest

from covet import Covet, PlainTextResponse, Response, StreamingResponse
from covet.testing.live import live_server
from tests.server.wire import Wire, get

app = Covet()
calls: list[str] = []


@app.get("/hello")
async def hello(request):
    calls.append("/hello")
    return PlainTextResponse("hi")


@app.get("/slow")
async def slow(request):
    calls.append("/slow")
    await asyncio.sleep(0.3)
    return PlainTextResponse("slow")


@app.get("/fast")
async def fast(request):
    calls.append("/fast")
    return PlainTextResponse("fast")


@app.get("/query")
async def query(request):
    return PlainTextResponse(request.query_string.decode())


@app.get("/path")
async def path(request):
    return PlainTextResponse(request.path)


@app.route("/echo", methods=["POST", "PUT"])
async def echo(request):
    calls.append("/echo")
    return Response(await request.body())


@app.post("/upper-as-it-comes")
async def upper_as_it_comes(request):
    async def upper():
        async for chunk in request.stream():
            yield chunk.upper()

    return StreamingResponse(upper())


@app.post("/ignore")
async def ignore(request):
    calls.append("/ignore")
    return PlainTextResponse("ignored")


async def one_two_three():
    for part in (b"one", b"two", b"three"):
        await asyncio.sleep(0)
        yield part


@app.get("/stream")
async def stream(request):
    return StreamingResponse(one_two_three(), media_type="text/plain")


@app.get("/stream-sized")
async def stream_sized(request):
    return StreamingResponse(one_two_three(), content_length=11)


async def broken_stream():
    yield b"partial"
    await asyncio.sleep(0)
    raise RuntimeError("generator failed")


@app.get("/stream-broken")
async def stream_broken(request):
    return StreamingResponse(broken_stream())


@app.get("/boom")
async def boom(request):
    raise RuntimeError("secret detail")


@app.get("/not-a-response")
async def not_a_response(request):
    return 42


@app.get("/split-header")
async def split_header(request):
    return PlainTextResponse("x", headers={"x-evil": "a\r\nset-cookie: pwned=1"})


@app.get("/no-content")
async def no_content(request):
    return Response(b"must not be sent", status_code=204)


@pytest.fixture(scope="module")
def server():
    with live_server(app, timeout_graceful_shutdown=1.0) as srv:
        yield srv


@pytest.fixture
def wire(server):
    calls.clear()
    with Wire(server.connect()) as w:
        yield w


IMF_FIXDATE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d\d:\d\d:\d\d GMT"
)


# -- connections -------------------------------------------------------------------------------


def test_keep_alive_connection_serves_requests_one_after_another(wire):
    for _ in range(3):
        reply = wire.exchange(get("/hello"))
        assert (reply.status, reply.body) == (200, b"hi")
        assert reply.header("connection") is None
    assert calls == ["/hello"] * 3


def test_idle_keep_alive_connection_is_closed_after_the_timeout():
    with (
        live_server(app, timeout_keep_alive=0.3, timeout_graceful_shutdown=1.0) as srv,
        Wire(srv.connect()) as wire,
    ):
        assert wire.exchange(get("/hello")).status == 200
        answered = time.monotonic()
        assert wire.is_closed()
        assert time.monotonic() - answered >= 0.15


def test_http10_request_closes_the_connection_by_default(wire):
    reply = wire.exchange(get("/hello", version="1.0"))
    assert (reply.status, reply.body) == (200, b"hi")
    assert reply.header("connection") == "close"
    assert wire.is_closed()


def test_http10_request_with_connection_keep_alive_keeps_it_open(wire):
    for _ in range(2):
        reply = wire.exchange(get("/hello", "Connection: keep-alive", version="1.0"))
        assert (reply.status, reply.body) == (200, b"hi")
        assert reply.header("connection") == "keep-alive"
    assert calls == ["/hello"] * 2


def test_connection_close_request_is_answered_then_closed(wire):
    reply = wire.exchange(get("/hello", "Connection: close"))
    assert (reply.status, reply.body) == (200, b"hi")
    assert reply.header("connection") == "close"
    assert wire.is_closed()


def test_client_that_half_closes_still_gets_every_answer(wire):
    wire.send(get("/slow") + get("/hello"))
    wire.conn.shutdown(socket.SHUT_WR)
    assert wire.reply().body == b"slow"
    assert wire.reply().body == b"hi"
    assert wire.is_closed()


# -- pipelining --------------------------------------------------------------------------------


def test_pipelined_requests_answer_in_order(wire):
    wire.send(b"".join(get(f"/query?{i}") for i in range(20)))
    assert [wire.reply().body for _ in range(20)] == [str(i).encode() for i in range(20)]


def test_pipelined_slow_request_is_answered_before_the_fast_one_behind_it(wire):
    wire.send(get("/slow") + get("/fast"))
    assert wire.reply().body == b"slow"
    assert wire.reply().body == b"fast"
    assert calls == ["/slow", "/fast"]


def test_pipelined_requests_with_bodies_answer_in_order(wire):
    wire.send(
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nfirst"
        b"PUT /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nsecond\r\n0\r\n\r\n"
        + get("/hello")
    )
    assert [wire.reply().body for _ in range(3)] == [b"first", b"second", b"hi"]


def test_unread_request_body_is_skipped_not_taken_for_the_next_request(wire):
    smuggled = get("/hello")
    wire.send(b"POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%b" % (len(smuggled), smuggled)
              + get("/fast"))
    assert wire.reply().body == b"ignored"
    assert wire.reply().body == b"fast"
    assert calls == ["/ignore", "/fast"]


# -- request bodies ----------------------------------------------------------------------------


def test_chunked_request_body_is_decoded_for_the_handler(wire):
    reply = wire.exchange(
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;name=value\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: ignored\r\n\r\n"
    )
    assert (reply.status, reply.body) == (200, b"hello world")


def test_chunked_request_body_reaches_the_handler_piece_by_piece(wire):
    # The handler streams back each piece it reads: each echo arrives before the next is sent.
    wire.send(b"POST /upper-as-it-comes HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
    wire.send(b"1\r\na\r\n")
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += wire.raw_line()
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert wire.raw(6) == b"1\r\nA\r\n"
    wire.send(b"2\r\nbb\r\n")
    assert wire.raw(7) == b"2\r\nBB\r\n"
    wire.send(b"0\r\n\r\n")
    assert wire.raw(5) == b"0\r\n\r\n"


def test_content_length_body_arriving_late_is_awaited(wire):
    wire.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhello")
    time.sleep(0.1)
    wire.send(b"world")
    assert wire.reply().body == b"helloworld"


# -- streamed responses ------------------------------------------------------------------------


def test_streaming_response_is_sent_chunked_with_correct_framing(wire):
    wire.send(get("/stream") + get("/hello"))
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += wire.raw_line()
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\ntransfer-encoding: chunked\r\n" in head
    assert b"content-length" not in head
    body = b"3\r\none\r\n3\r\ntwo\r\n5\r\nthree\r\n0\r\n\r\n"
    assert wire.raw(len(body)) == body
    assert wire.reply().body == b"hi"


def test_streaming_response_with_a_content_length_is_not_chunked(wire):
    reply = wire.exchange(get("/stream-sized"))
    assert reply.header("content-length") == "11"
    assert reply.header("transfer-encoding") is None
    assert reply.body == b"onetwothree"
    assert wire.exchange(get("/hello")).body == b"hi"


def test_streaming_response_to_http10_ends_when_the_connection_closes(wire):
    reply = wire.exchange(get("/stream", "Connection: keep-alive", version="1.0"))
    assert reply.header("transfer-encoding") is None
    assert reply.header("connection") == "close"
    assert reply.body == b"onetwothree"
    assert wire.is_closed()


def test_streaming_response_failing_midway_closes_without_the_last_chunk(wire, caplog):
    wire.send(get("/stream-broken"))
    data = b""
    while True:
        chunk = wire.conn.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert body == b"7\r\npartial\r\n"  # no 0-size chunk: the client sees a truncated body
    assert any(r.name == "covet.error" and r.exc_info for r in caplog.records)


# -- Expect: 100-continue ----------------------------------------------------------------------


def test_expect_100_continue_is_answered_when_the_handler_reads_the_body(wire):
    wire.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
    assert wire.raw_line() == b"HTTP/1.1 100 Continue\r\n"
    assert wire.raw_line() == b"\r\n"
    wire.send(b"hello")
    reply = wire.reply()
    assert (reply.status, reply.body) == (200, b"hello")


def test_expect_100_continue_is_not_sent_when_the_handler_ignores_the_body(wire):
    wire.send(b"POST /ignore HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
    assert wire.raw_line() == b"HTTP/1.1 200 OK\r\n"
    assert calls == ["/ignore"]


# -- HEAD --------------------------------------------------------------------------------------


def test_head_response_has_the_get_headers_and_no_body(wire):
    wire.send(b"HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n" + get("/fast"))
    reply = wire.reply("HEAD")
    assert reply.status == 200
    assert reply.header("content-length") == "2"
    assert reply.header("content-type") == "text/plain; charset=utf-8"
    # Had body bytes followed the head, this would not parse as the next response.
    assert wire.reply().body == b"fast"


def test_head_of_a_streaming_response_sends_no_body(wire):
    wire.send(b"HEAD /stream HTTP/1.1\r\nHost: t\r\n\r\n" + get("/fast"))
    assert wire.reply("HEAD").status == 200
    assert wire.reply().body == b"fast"


def test_no_content_response_sends_no_body_bytes(wire):
    wire.send(get("/no-content") + get("/fast"))
    reply = wire.reply()
    assert reply.status == 204
    assert reply.header("content-length") is None
    assert wire.reply().body == b"fast"


# -- Date and Server ---------------------------------------------------------------------------


def test_date_header_is_an_imf_fixdate_of_now(wire):
    date = wire.exchange(get("/hello")).header("date")
    assert date is not None and IMF_FIXDATE.fullmatch(date), date
    assert abs(email.utils.parsedate_to_datetime(date).timestamp() - time.time()) < 5


@app.get("/teapot")
async def teapot(request):
    return PlainTextResponse("hi", status_code=418)


def test_consecutive_responses_of_one_type_each_get_their_own_head(wire):
    # Same content type each time: the connection's remembered head must not be reused
    # when the length, the status or the connection's fate differ.
    replies = [wire.exchange(get(p)) for p in ("/hello", "/hello", "/fast", "/teapot", "/hello")]
    assert [(r.status, r.body) for r in replies] == [
        (200, b"hi"), (200, b"hi"), (200, b"fast"), (418, b"hi"), (200, b"hi"),
    ]
    assert [r.header("content-length") for r in replies] == ["2", "2", "4", "2", "2"]
    last = wire.exchange(get("/hello", "Connection: close"))
    assert (last.status, last.header("connection")) == (200, "close")
    assert wire.is_closed()


def test_date_header_follows_the_clock(wire):
    first = wire.exchange(get("/hello")).header("date")
    later = first
    deadline = time.monotonic() + 3.0  # the line is refreshed about once a second
    while later == first and time.monotonic() < deadline:
        time.sleep(0.25)
        later = wire.exchange(get("/hello")).header("date")
    assert later != first
    assert email.utils.parsedate_to_datetime(later) > email.utils.parsedate_to_datetime(first)


@pytest.mark.parametrize(
    "request_bytes",
    [
        get("/hello"),
        get("/missing"),
        b"DELETE /hello HTTP/1.1\r\nHost: t\r\n\r\n",
        get("/boom"),
        get("/split-header"),
        b"GET / HTTP/1.1\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999\r\n\r\n",
        b"NOT HTTP\r\n\r\n",
    ],
    ids=["200", "404", "405", "500", "500-invalid-header", "400-no-host", "413", "400-garbage"],
)
def test_every_response_carries_server_and_date(server, request_bytes):
    with Wire(server.connect()) as wire:
        reply = wire.exchange(request_bytes)
    assert reply.header("server") == "covet"
    assert IMF_FIXDATE.fullmatch(reply.header("date") or "")


# -- failures in the application ---------------------------------------------------------------


def test_handler_exception_is_a_500_without_traceback_and_is_logged(wire, caplog):
    reply = wire.exchange(get("/boom"))
    assert reply.status == 500
    assert reply.body == b"Internal Server Error"
    assert b"Traceback" not in reply.body and b"secret" not in reply.body
    logged = [r for r in caplog.records if r.name == "covet.error" and r.exc_info]
    assert logged and str(logged[0].exc_info[1]) == "secret detail"
    assert wire.exchange(get("/hello")).body == b"hi"  # the connection carries on


def test_handler_returning_a_non_response_is_a_500_logged_with_the_handler_name(wire, caplog):
    caplog.set_level(logging.ERROR, logger="covet.error")
    reply = wire.exchange(get("/not-a-response"))
    assert reply.status == 500
    assert any("not_a_response" in r.getMessage() for r in caplog.records if r.name == "covet.error")


def test_response_header_with_crlf_is_a_500_never_a_split_response(wire, caplog):
    wire.send(get("/split-header") + get("/fast"))
    reply = wire.reply()
    assert reply.status == 500
    assert reply.header("set-cookie") is None and reply.header("x-evil") is None
    assert wire.reply().body == b"fast"
    assert any(r.name == "covet.error" for r in caplog.records)
