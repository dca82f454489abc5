"""Back-pressure: slow readers, slow body consumers, the pipelining bound, the concurrency limit.

Where the client cannot see that the server stopped reading, the tests ask the server's own
connection objects, on the server's loop (``on_loop``).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from covet import Covet, PlainTextResponse, Response, StreamingResponse
from covet.testing.live import LiveServer, live_server
from tests.server.wire import Wire, get

KIB = 1024
MIB = 1024 * KIB
BIG = 256 * KIB

app = Covet(max_body_size=256 * MIB)  # as the server below: bodies of 48 MiB stream through
calls: list[str] = []
gate = threading.Event()
gate_entered = threading.Event()


@app.get("/big")
async def big(request):
    calls.append(request.query_string.decode())
    return Response(request.query_string.ljust(BIG, b"."))


@app.get("/n")
async def numbered(request):
    calls.append(request.query_string.decode())
    return PlainTextResponse(request.query_string.decode())


@app.get("/gate")
async def gated(request):
    calls.append("gate")
    gate_entered.set()
    while not gate.is_set():
        await asyncio.sleep(0.01)
    return PlainTextResponse("opened")


@app.post("/gate-then-count")
async def gate_then_count(request):
    gate_entered.set()
    while not gate.is_set():
        await asyncio.sleep(0.01)
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
    return PlainTextResponse(str(size))


@app.post("/count")
async def count(request):
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
    return PlainTextResponse(str(size))


produced: list[int] = []


async def sixty_four_kib_chunks(total: int):
    for _ in range(total // (64 * KIB)):
        produced.append(64 * KIB)
        yield b"s" * (64 * KIB)


@app.get("/stream")
async def stream(request):
    return StreamingResponse(sixty_four_kib_chunks(int(request.query_string)))


async def asgi_stream(scope, receive, send):
    if scope["type"] != "http":
        raise RuntimeError("no lifespan here")
    total = int(scope["query_string"])
    await send({"type": "http.response.start", "status": 200, "headers": []})
    for _ in range(total // (64 * KIB)):
        produced.append(64 * KIB)
        await send({"type": "http.response.body", "body": b"a" * (64 * KIB), "more_body": True})
    await send({"type": "http.response.body", "body": b""})


FLOW = {
    "write_buffer_high": 64 * KIB,
    "write_buffer_low": 16 * KIB,
    "max_body_size": 256 * MIB,
    "timeout_graceful_shutdown": 1.0,
}


@pytest.fixture(autouse=True)
def fresh_state():
    calls.clear()
    produced.clear()
    gate.clear()
    gate_entered.clear()
    yield
    gate.set()  # let a handler still waiting finish before the server shuts down


def on_loop(srv: LiveServer, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` on the server's event loop thread and return its result."""

    async def call() -> Any:
        return fn()

    assert srv.loop is not None
    return asyncio.run_coroutine_threadsafe(call(), srv.loop).result(timeout=10)


def server_connection(srv: LiveServer) -> Any:
    connections = on_loop(srv, lambda: list(srv.server.state.connections))
    assert len(connections) == 1
    return connections[0]


def settled(measure: Callable[[], int], quiet: float = 0.5, limit: float = 10.0) -> int:
    """``measure()`` once it has stopped changing for ``quiet`` seconds."""
    deadline = time.monotonic() + limit
    value, since = measure(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = measure()
        if now != value:
            value, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return value


def small_window_connection(srv: LiveServer) -> socket.socket:
    """A client socket with a small receive buffer, so the kernel cannot soak up the responses."""
    conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * KIB)
    conn.connect((srv.host, srv.port))
    return conn


class BodySender(threading.Thread):
    """Sends a request head then ``size`` body bytes, counting what the kernel took so far."""

    def __init__(self, conn: socket.socket, head: bytes, size: int) -> None:
        super().__init__(daemon=True)
        self.conn = conn
        self.head = head
        self.size = size
        self.sent = 0

    def run(self) -> None:
        piece = b"b" * (64 * KIB)
        try:
            self.conn.sendall(self.head)
            while self.sent < self.size:
                self.conn.sendall(piece)
                self.sent += len(piece)
        except OSError:
            pass


# -- slow readers ------------------------------------------------------------------------------


def test_client_that_does_not_read_big_pipelined_responses_stops_the_handlers():
    requests = 200
    with (
        live_server(app, max_pipelined=1000, **FLOW) as srv,
        Wire(small_window_connection(srv)) as wire,
    ):
        wire.send(b"".join(get(f"/big?{i}") for i in range(requests)))
        ran = settled(lambda: len(calls))
        # A few MB fit in the kernel's socket buffers; 200 x 256 KiB (50 MB) do not.
        assert ran < requests // 2, f"all {ran} handlers ran for a client that reads nothing"
        assert not on_loop(srv, server_connection(srv).transport.is_reading)


def test_client_that_reads_late_gets_every_big_response_in_order():
    requests = 100
    with (
        live_server(app, max_pipelined=1000, **FLOW) as srv,
        Wire(small_window_connection(srv)) as wire,
    ):
        wire.send(b"".join(get(f"/big?{i}") for i in range(requests)))
        time.sleep(0.5)
        for i in range(requests):
            reply = wire.reply()
            assert reply.status == 200
            assert reply.body.rstrip(b".") == str(i).encode() and len(reply.body) == BIG
    assert calls == [str(i) for i in range(requests)]


def test_streaming_response_waits_for_a_client_that_does_not_read():
    total = 32 * MIB
    with live_server(app, **FLOW) as srv, Wire(small_window_connection(srv)) as wire:
        wire.send(get(f"/stream?{total}"))
        made = settled(lambda: sum(produced))
        assert made < total // 2, "the whole stream was produced for a client that reads nothing"
        reply = wire.reply()
        assert len(reply.body) == total


def test_asgi_app_streaming_to_a_client_that_does_not_read_is_held_back():
    total = 32 * MIB
    with (
        live_server(asgi_stream, **FLOW) as srv,
        Wire(small_window_connection(srv)) as wire,
    ):
        wire.send(get(f"/?{total}"))
        made = settled(lambda: sum(produced))
        assert made < total // 2, "the app's send() never waited for a client that reads nothing"
        assert len(wire.reply().body) == total


# -- request bodies ----------------------------------------------------------------------------


def test_body_the_handler_has_not_read_yet_is_not_buffered_without_bound():
    total = 48 * MIB
    with live_server(app, **FLOW) as srv, Wire(srv.connect()) as wire:
        head = b"POST /gate-then-count HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % total
        sender = BodySender(wire.conn, head, total)
        sender.start()
        assert gate_entered.wait(10)
        sent = settled(lambda: sender.sent)
        assert sent < total // 2, "the server read the whole body while the handler was not reading"
        gate.set()
        sender.join(30)
        assert wire.reply().body == str(total).encode()


def test_body_of_a_queued_request_is_not_buffered_without_bound():
    total = 48 * MIB
    with live_server(app, **FLOW) as srv, Wire(srv.connect()) as wire:
        head = get("/gate") + b"POST /count HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % total
        sender = BodySender(wire.conn, head, total)
        sender.start()
        assert gate_entered.wait(10)
        sent = settled(lambda: sender.sent)
        assert sent < total // 2, "the server buffered the whole body of a request still queued"
        gate.set()
        assert wire.reply().body == b"opened"
        sender.join(30)
        assert wire.reply().body == str(total).encode()


# -- pipelining bound --------------------------------------------------------------------------


def test_pipelining_beyond_max_pipelined_pauses_reading_and_answers_all_in_order():
    queued = 20
    with live_server(app, max_pipelined=4, **FLOW) as srv, Wire(srv.connect()) as wire:
        wire.send(get("/gate") + b"".join(get(f"/n?{i}") for i in range(queued)))
        assert gate_entered.wait(10)
        time.sleep(0.1)
        assert not on_loop(srv, server_connection(srv).transport.is_reading)
        gate.set()
        assert wire.reply().body == b"opened"
        assert [wire.reply().body for _ in range(queued)] == [str(i).encode() for i in range(queued)]
        assert on_loop(srv, server_connection(srv).transport.is_reading)


# -- concurrency limit -------------------------------------------------------------------------


def test_request_over_the_concurrency_limit_gets_503_with_retry_after():
    with (
        live_server(app, limit_concurrency=1, retry_after=7, **FLOW) as srv,
        Wire(srv.connect()) as first,
        Wire(srv.connect()) as second,
    ):
        first.send(get("/gate"))
        assert gate_entered.wait(10)
        refused = second.exchange(get("/n?1"))
        assert refused.status == 503
        assert refused.header("retry-after") == "7"
        assert refused.header("server") == "covet"
        gate.set()
        assert first.reply().body == b"opened"
    assert calls == ["gate"]


def test_request_refused_by_the_concurrency_limit_can_be_retried_on_its_connection():
    with (
        live_server(app, limit_concurrency=1, **FLOW) as srv,
        Wire(srv.connect()) as first,
        Wire(srv.connect()) as second,
    ):
        first.send(get("/gate"))
        assert gate_entered.wait(10)
        assert second.exchange(get("/n?1")).status == 503
        gate.set()
        assert first.reply().body == b"opened"
        assert second.exchange(get("/n?2")).body == b"2"
