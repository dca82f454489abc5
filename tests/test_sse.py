"""covet.sse: event framing, pings, errors, and a disconnect that stops the event source."""

import asyncio
import socket
import time

import httpx
import pytest

from covet import Covet, Request
from covet.sse import EventSourceResponse, ServerSentEvent
from tests.servers import read_all

app = Covet()
stopped: list[str] = []


@app.get("/events")
async def events(request: Request) -> EventSourceResponse:
    async def source():
        yield ServerSentEvent("hello", event="greeting", id="1", retry=5000)
        yield "plain text"
        yield {"n": 2}
        yield ServerSentEvent("two\nlines")

    return EventSourceResponse(source())


@app.get("/quiet")
async def quiet(request: Request) -> EventSourceResponse:
    async def source():
        await asyncio.sleep(0.25)
        yield "late"

    return EventSourceResponse(source(), ping=0.05)


@app.get("/forever")
async def forever(request: Request) -> EventSourceResponse:
    async def source():
        try:
            yield "first"
            while True:
                await asyncio.sleep(3600)
        finally:
            stopped.append("stopped")

    return EventSourceResponse(source(), ping=None if request.query_params.get("ping") == "no" else 1.0)


@app.get("/failing")
async def failing(request: Request) -> EventSourceResponse:
    async def source():
        yield "before"
        raise RuntimeError("source broke")

    return EventSourceResponse(source())




def test_an_event_is_framed_field_by_field():
    event = ServerSentEvent("a\r\nb\rc\nd", event="update", id="7", retry=1000, comment="note")
    assert event.encode() == (
        b": note\nevent: update\nid: 7\nretry: 1000\ndata: a\ndata: b\ndata: c\ndata: d\n\n"
    )
    assert ServerSentEvent({"k": [1]}).encode() == b'data: {"k":[1]}\n\n'
    assert ServerSentEvent(b"bytes").encode() == b"data: bytes\n\n"
    assert ServerSentEvent("").encode() == b"data: \n\n"
    assert ServerSentEvent(comment="only a comment").encode() == b": only a comment\n\n"
    assert repr(ServerSentEvent("x", id="1")) == "ServerSentEvent(data='x', id='1')"


@pytest.mark.parametrize(
    "kwargs, message",
    [({"event": "a\nb"}, "line break"), ({"id": "1\r2"}, "line break"), ({"id": "a\0"}, "NUL"),
     ({"retry": -1}, "milliseconds"), ({"retry": 1.5}, "milliseconds")],
)
def test_fields_that_would_break_the_stream_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ServerSentEvent("x", **kwargs)


async def test_events_stream_as_text_event_stream(client):
    response = await client.get("/events")
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-accel-buffering"] == "no"
    assert response.text == (
        "event: greeting\nid: 1\nretry: 5000\ndata: hello\n\n"
        "data: plain text\n\n"
        'data: {"n":2}\n\n'
        "data: two\ndata: lines\n\n"
    )


async def test_a_quiet_stream_sends_ping_comments(client):
    response = await client.get("/quiet")
    assert response.text.startswith(": ping\n\n")
    assert response.text.endswith("data: late\n\n")


def test_an_event_source_that_fails_cuts_the_stream_after_what_it_sent(server, caplog):
    with socket.create_connection((server.host, server.port)) as conn:
        conn.sendall(b"GET /failing HTTP/1.1\r\nHost: t\r\n\r\n")
        reply = read_all(conn)
    assert b"data: before" in reply
    assert not reply.endswith(b"0\r\n\r\n")  # no last chunk: the client sees the stream broke
    assert "source broke" in caplog.text


async def test_under_asgi_a_failing_event_source_raises_to_the_server():
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        with pytest.raises(RuntimeError, match="source broke"):
            await http.get("/failing")


@pytest.mark.parametrize("ping", ["yes", "no"])
def test_a_client_that_disconnects_stops_the_event_source(server, ping):
    stopped.clear()
    with socket.create_connection((server.host, server.port)) as conn:
        conn.sendall(f"GET /forever?ping={ping} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        received = b""
        while b"data: first" not in received:
            received += conn.recv(65536)
    deadline = time.monotonic() + 5
    while not stopped and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stopped == ["stopped"]


async def test_under_asgi_a_disconnect_stops_the_event_source():
    stopped.clear()
    disconnect = asyncio.Event()

    async def receive():
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        if b"data: first" in message.get("body", b""):
            disconnect.set()

    scope = {"type": "http", "method": "GET", "path": "/forever", "headers": [], "query_string": b""}
    await asyncio.wait_for(app(scope, receive, send), 5)
    assert stopped == ["stopped"]
