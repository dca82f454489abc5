"""Malformed and smuggling-shaped requests: refused, the connection closed, nothing smuggled run.

Each refused request is followed, in the same send, by ``GET /smuggled``: a server that framed
the first request differently from the client would run it. It must never run.
"""

from __future__ import annotations

import time

import pytest

from covet import Covet, PlainTextResponse, Response
from covet.testing.live import live_server
from tests.server.wire import Wire, get

app = Covet()
calls: list[str] = []


@app.get("/hello")
async def hello(request):
    calls.append("/hello")
    return PlainTextResponse("hi")


@app.get("/smuggled")
async def smuggled(request):
    calls.append("/smuggled")
    return PlainTextResponse("smuggled")


@app.get("/path")
async def path(request):
    calls.append("/path")
    return PlainTextResponse(f"{request.path}?{request.query_string.decode()}")


@app.post("/echo")
async def echo(request):
    calls.append("/echo")
    return Response(await request.body())


SMUGGLED = get("/smuggled")
POST = b"POST /echo HTTP/1.1\r\nHost: t\r\n"
CHUNKED = POST + b"Transfer-Encoding: chunked\r\n\r\n"

REFUSED = {
    "content-length then transfer-encoding": (
        POST + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    "transfer-encoding then content-length": (
        POST + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400),
    "two equal content-lengths": (POST + b"Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400),
    "two different content-lengths": (POST + b"Content-Length: 3\r\nContent-Length: 0\r\n\r\nabc", 400),
    "content-length list": (POST + b"Content-Length: 3, 3\r\n\r\nabc", 400),
    "content-length with plus sign": (POST + b"Content-Length: +3\r\n\r\nabc", 400),
    "content-length with minus sign": (POST + b"Content-Length: -3\r\n\r\nabc", 400),
    "transfer-encoding gzip alone": (POST + b"Transfer-Encoding: gzip\r\n\r\n0\r\n\r\n", 400),
    "transfer-encoding chunked then gzip": (POST + b"Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400),
    "transfer-encoding gzip then chunked": (POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
    "transfer-encoding chunked twice": (
        POST + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    "transfer-encoding gzip and chunked fields": (
        POST + b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501),
    "transfer-encoding in http/1.0": (
        b"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    "chunk size not hex": (CHUNKED + b"zz\r\nabc\r\n0\r\n\r\n", 400),
    "chunk size overflow": (CHUNKED + b"1" + b"0" * 16 + b"\r\nabc\r\n0\r\n\r\n", 400),
    "chunk size with trailing space": (CHUNKED + b"3 \r\nabc\r\n0\r\n\r\n", 400),
    "chunk size with leading space": (CHUNKED + b" 3\r\nabc\r\n0\r\n\r\n", 400),
    "chunk size ended by bare lf": (CHUNKED + b"3\nabc\r\n0\r\n\r\n", 400),
    "chunk data without crlf": (CHUNKED + b"3\r\nabcXX0\r\n\r\n", 400),
    "space before colon": (b"GET /hello HTTP/1.1\r\nHost : t\r\n\r\n", 400),
    "space before colon of transfer-encoding": (POST + b"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400),
    "obs-fold": (b"GET /hello HTTP/1.1\r\nHost: t\r\nX-Folded: a\r\n b\r\n\r\n", 400),
    "bare lf line endings": (b"GET /hello HTTP/1.1\nHost: t\n\n", 400),
    "bare lf after a header": (b"GET /hello HTTP/1.1\r\nHost: t\nX-A: b\r\n\r\n", 400),
    "bare cr": (b"GET /hello HTTP/1.1\r\nHost: t\rX-A: b\r\n\r\n", 400),
    "nul in header value": (b"GET /hello HTTP/1.1\r\nHost: t\r\nX-A: a\x00b\r\n\r\n", 400),
    "control byte in header value": (b"GET /hello HTTP/1.1\r\nHost: t\r\nX-A: a\x01b\r\n\r\n", 400),
    "del in header value": (b"GET /hello HTTP/1.1\r\nHost: t\r\nX-A: a\x7fb\r\n\r\n", 400),
    "nul in header name": (b"GET /hello HTTP/1.1\r\nHost: t\r\nX-\x00A: b\r\n\r\n", 400),
    "control byte in header name": (b"GET /hello HTTP/1.1\r\nHost: t\r\nX-\x01A: b\r\n\r\n", 400),
    "del in header name": (b"GET /hello HTTP/1.1\r\nHost: t\r\nX-\x7fA: b\r\n\r\n", 400),
    "http/1.1 without host": (b"GET /hello HTTP/1.1\r\n\r\n", 400),
    "two hosts": (b"GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    "http/2.0 request line": (b"GET /hello HTTP/2.0\r\nHost: t\r\n\r\n", 505),
    "invalid method": (b"G@T /hello HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    "connect": (b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 405),
    "target not in origin form": (b"GET hello HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    "unknown expectation": (POST + b"Expect: something-else\r\nContent-Length: 0\r\n\r\n", 417),
}


@pytest.fixture(scope="module")
def server():
    with live_server(app, timeout_header=5.0, timeout_graceful_shutdown=1.0) as srv:
        yield srv


@pytest.fixture
def wire(server):
    calls.clear()
    with Wire(server.connect(), timeout=3.0) as w:
        yield w


@pytest.mark.parametrize("name", list(REFUSED))
def test_ambiguous_or_malformed_request_is_refused_and_the_connection_closed(wire, name):
    data, status = REFUSED[name]
    wire.send(data + SMUGGLED)
    reply = wire.reply()
    assert reply.status == status, reply.body
    assert reply.header("connection") == "close"
    assert wire.is_closed()
    assert "/smuggled" not in calls


def test_http12_request_line_is_refused_and_the_connection_closed(wire):
    wire.send(b"GET /hello HTTP/1.2\r\nHost: t\r\n\r\n" + SMUGGLED)
    reply = wire.reply()
    assert 400 <= reply.status < 600
    assert wire.is_closed()
    assert calls == []


def test_invalid_chunk_size_arriving_after_the_head_is_400_and_closes(wire):
    wire.send(CHUNKED + b"3\r\nabc\r\n")
    time.sleep(0.1)  # the handler is reading the body by now
    wire.send(b"zz\r\n" + SMUGGLED)
    reply = wire.reply()
    assert reply.status == 400
    assert wire.is_closed()
    assert calls == ["/echo"]


def test_requests_before_a_refused_one_are_answered_first(wire):
    wire.send(get("/hello") + b"GET /hello HTTP/1.1\r\nHost : t\r\n\r\n" + SMUGGLED)
    assert wire.reply().body == b"hi"
    assert wire.reply().status == 400
    assert wire.is_closed()
    assert calls == ["/hello"]


def test_content_length_body_holding_a_request_is_never_run(wire):
    wire.send(POST + b"Content-Length: %d\r\n\r\n%b" % (len(SMUGGLED), SMUGGLED) + get("/hello"))
    assert wire.reply().body == SMUGGLED
    assert wire.reply().body == b"hi"
    assert calls == ["/echo", "/hello"]


def test_chunked_body_holding_a_request_is_never_run(wire):
    wire.send(CHUNKED + b"%x\r\n%b\r\n0\r\n\r\n" % (len(SMUGGLED), SMUGGLED) + get("/hello"))
    assert wire.reply().body == SMUGGLED
    assert wire.reply().body == b"hi"
    assert calls == ["/echo", "/hello"]


def test_upgrade_to_an_unknown_protocol_is_answered_plainly_and_what_follows_never_runs(wire):
    wire.send(b"GET /hello HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n" + SMUGGLED)
    reply = wire.reply()
    assert (reply.status, reply.body) == (200, b"hi")
    assert wire.is_closed()
    assert calls == ["/hello"]


def test_http10_request_without_host_is_served(wire):
    reply = wire.exchange(b"GET /hello HTTP/1.0\r\n\r\n")
    assert (reply.status, reply.body) == (200, b"hi")


def test_absolute_form_target_is_served_with_its_path(wire):
    reply = wire.exchange(b"GET http://example.com/path?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n")
    assert (reply.status, reply.body) == (200, b"/path?q=1")
