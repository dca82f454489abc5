"""WebSockets over the real server: handshake, messages, limits, keepalive, closing and shutdown.

The ``websockets`` client plays a browser; a small wsproto client over a raw socket does what
that one hides (frames sent before the 101, not answering pings, dropping TCP).
"""

from __future__ import annotations

import json
import logging
import queue
import socket
import ssl
import threading
import time
from collections import deque
from typing import Any, Optional

import pytest
import trustme
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Event, Ping, Request, TextMessage
from wsproto.frame_protocol import FrameProtocol

from covet.testing.live import live_server
from tests.server import ws_apps
from tests.server.wire import Wire, get

#: Bounds a failing test; a passing one is answered in milliseconds.
WAIT = 5.0


def ws_url(srv: Any, path: str = "/") -> str:
    return f"ws://{srv.host}:{srv.port}{path}"


def next_seen(seen: queue.Queue[Any]) -> Any:
    return seen.get(timeout=WAIT)


class RawClient:
    """A WebSocket client on a plain socket, framing with wsproto, one event at a time."""

    def __init__(self, sock: socket.socket) -> None:
        sock.settimeout(WAIT)
        self.sock = sock
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.pending: deque[Event] = deque()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.sock.close()

    def handshake(self, target: str = "/", then: bytes = b"") -> None:
        """Open the connection; ``then`` goes out in the same packet as the request."""
        self.sock.sendall(self.ws.send(Request(host="test", target=target)) + then)
        event = self.next_event()
        assert isinstance(event, AcceptConnection), event

    def next_event(self) -> Optional[Event]:
        """The next event from the server; None once it has closed TCP."""
        while not self.pending:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.ws.receive_data(data)
            self.pending.extend(self.ws.events())
        return self.pending.popleft()

    def send(self, event: Event) -> None:
        self.sock.sendall(self.ws.send(event))


# -- the opening handshake ----------------------------------------------------------------------


def test_echo_of_text_and_binary_messages_with_a_bare_asgi_app() -> None:
    seen: queue.Queue[Any] = queue.Queue()
    with live_server(ws_apps.echo_app(seen)) as srv:
        with connect(ws_url(srv, "/echo")) as ws:
            assert ws.response.status_code == 101
            assert ws.response.headers["server"] == "covet"
            ws.send("hello, ünïcode")
            assert ws.recv(WAIT) == "hello, ünïcode"
            ws.send(b"\x00\x01\xff")
            assert ws.recv(WAIT) == b"\x00\x01\xff"
            ws.send("")
            assert ws.recv(WAIT) == ""
        assert next_seen(seen)["type"] == "websocket"
        assert next_seen(seen) == {"type": "websocket.disconnect", "code": 1000, "reason": ""}


def test_scope_describes_the_handshake_and_accept_chooses_a_subprotocol() -> None:
    seen: queue.Queue[Any] = queue.Queue()
    offered: Any = ["chat", "json"]
    with (
        live_server(ws_apps.scope_app(seen), root_path="/api") as srv,
        connect(ws_url(srv, "/room%201?user=ann"), subprotocols=offered) as ws,
    ):
        assert ws.subprotocol == "chat"
        assert ws.response.headers["x-handshake"] == "yes"
        scope = json.loads(ws.recv(WAIT))
    assert scope["type"] == "websocket"
    assert scope["asgi"] == {"version": "3.0", "spec_version": "2.4"}
    assert scope["http_version"] == "1.1"
    assert scope["scheme"] == "ws"
    assert scope["root_path"] == "/api"
    assert scope["path"] == "/api/room 1"
    assert scope["raw_path"] == "/room%201"
    assert scope["query_string"] == "user=ann"
    assert scope["subprotocols"] == ["chat", "json"]
    assert scope["client"][0] == "127.0.0.1"
    assert scope["server"] == ["127.0.0.1", srv.port]
    assert scope["extensions"] == {"websocket.http.response": {}}
    assert {"host", "upgrade", "sec-websocket-key"} <= set(scope["header_names"])


def test_starlette_route_accepts_with_subprotocol_echoes_and_closes_with_code_and_reason() -> None:
    offered: Any = ["other", "chat"]
    with (
        live_server(ws_apps.starlette_app) as srv,
        connect(ws_url(srv, "/chat"), subprotocols=offered) as ws,
    ):
        assert ws.subprotocol == "chat"
        ws.send("hi")
        assert ws.recv(WAIT) == "echo: hi"
        ws.send("bye")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(WAIT)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4001, "see you")


def test_wss_over_tls(tmp_path: Any) -> None:
    ca = trustme.CA()
    certfile, keyfile = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    cert = ca.issue_cert("127.0.0.1")
    cert.private_key_and_cert_chain_pem.write_to_path(certfile)
    cert.private_key_pem.write_to_path(keyfile)
    client_tls = ssl.create_default_context()
    ca.configure_trust(client_tls)
    seen: queue.Queue[Any] = queue.Queue()
    with (
        live_server(ws_apps.scope_app(seen), ssl_certfile=certfile, ssl_keyfile=keyfile) as srv,
        connect(f"wss://127.0.0.1:{srv.port}/secure", ssl=client_tls) as ws,
    ):
        scope = json.loads(ws.recv(WAIT))
    assert (scope["scheme"], scope["path"]) == ("wss", "/secure")


def test_frames_sent_right_behind_the_handshake_reach_the_app_after_accept() -> None:
    seen: queue.Queue[Any] = queue.Queue()
    early = FrameProtocol(client=True, extensions=[]).send_data("too eager")
    with live_server(ws_apps.echo_app(seen)) as srv, RawClient(srv.connect()) as client:
        client.handshake(then=bytes(early))
        event = client.next_event()
    assert isinstance(event, TextMessage) and event.data == "too eager"


@pytest.mark.parametrize(
    "request_head",
    [
        get("/", "Connection: Upgrade, HTTP2-Settings", "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAAQAAP__"),
        get("/", "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13", version="1.0"),
        get("/", "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13").replace(b"GET", b"POST", 1),
    ],
    ids=["h2c", "http-1.0", "post"],
)
def test_an_upgrade_that_is_not_a_websocket_handshake_gets_a_plain_http_response(request_head: bytes) -> None:
    seen: queue.Queue[Any] = queue.Queue()
    with live_server(ws_apps.echo_app(seen)) as srv, Wire(srv.connect()) as wire:
        reply = wire.exchange(request_head, method="POST" if request_head.startswith(b"POST") else "GET")
        assert (reply.status, reply.body) == (200, b"plain http")
        assert reply.header("connection") == "close"
        assert wire.is_closed()
    assert seen.empty()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (("Sec-WebSocket-Version: 13",), 400),  # no Sec-WebSocket-Key
        (("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 8"), 426),
    ],
    ids=["missing-key", "wrong-version"],
)
def test_a_malformed_handshake_is_refused_before_the_app(headers: tuple[str, ...], status: int) -> None:
    seen: queue.Queue[Any] = queue.Queue()
    with live_server(ws_apps.echo_app(seen)) as srv, Wire(srv.connect()) as wire:
        reply = wire.exchange(get("/", "Connection: Upgrade", "Upgrade: websocket", *headers))
        assert reply.status == status
        assert b"Sec-WebSocket" in reply.body
        if status == 426:
            assert reply.header("sec-websocket-version") == "13"
        assert wire.is_closed()
    assert seen.empty()


# -- refusals and failures ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("how", "status", "body"),
    [
        ("close", 403, b"Forbidden"),
        ("response", 401, b"log in first"),
        ("raise", 500, b"Internal Server Error"),
        ("return", 500, b"Internal Server Error"),
    ],
)
def test_an_app_that_does_not_accept_gets_an_http_response(how: str, status: int, body: bytes) -> None:
    with live_server(ws_apps.refusing_app(how)) as srv, pytest.raises(InvalidStatus) as refused:
        connect(ws_url(srv), open_timeout=WAIT)
    response = refused.value.response
    assert (response.status_code, response.body) == (status, body)
    if how == "response":
        assert response.headers["www-authenticate"] == "Bearer"


def test_an_app_exception_after_accept_closes_with_1011(caplog: pytest.LogCaptureFixture) -> None:
    seen: queue.Queue[Any] = queue.Queue()
    with (
        caplog.at_level(logging.ERROR, logger="covet.error"),
        live_server(ws_apps.failing_app(seen)) as srv,
        connect(ws_url(srv)) as ws,
    ):
        ws.send("trigger")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(WAIT)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011
    assert next_seen(seen) == {"type": "websocket.receive", "text": "trigger"}
    assert "failing after accept, on purpose" in caplog.text


def masked_text_frame(payload: bytes) -> bytes:
    """A short masked text frame carrying any bytes, valid UTF-8 or not."""
    key = b"\x01\x02\x03\x04"
    return bytes([0x81, 0x80 | len(payload)]) + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


@pytest.mark.parametrize(
    ("frame", "code"),
    [(masked_text_frame(b"\xff\xfe"), 1007), (bytes([0x81, 3]) + b"abc", 1002)],
    ids=["invalid-utf8", "unmasked"],
)
def test_a_broken_frame_fails_the_connection_with_its_close_code(frame: bytes, code: int) -> None:
    seen: queue.Queue[Any] = queue.Queue()
    with live_server(ws_apps.echo_app(seen)) as srv, RawClient(srv.connect()) as client:
        client.handshake()
        client.sock.sendall(frame)
        event = client.next_event()
        assert isinstance(event, CloseConnection) and event.code == code
        assert client.next_event() is None  # then the server closes TCP
    next_seen(seen)  # the scope
    assert next_seen(seen)["code"] == code


# -- limits and flow control -----------------------------------------------------------------------


def test_a_message_over_ws_max_message_size_closes_with_1009() -> None:
    seen: queue.Queue[Any] = queue.Queue()
    with live_server(ws_apps.echo_app(seen), ws_max_message_size=1024) as srv:
        with connect(ws_url(srv)) as ws:
            ws.send(b"x" * 1024)
            assert ws.recv(WAIT) == b"x" * 1024
            ws.send(["é" * 300, "é" * 300])  # 600 characters in two fragments, 1200 bytes of UTF-8
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(WAIT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
        next_seen(seen)  # the scope
        disconnect = next_seen(seen)
        assert disconnect["code"] == 1009
        assert "1024" in disconnect["reason"]


def test_reading_pauses_while_the_app_lags_behind_and_no_message_is_lost() -> None:
    seen: queue.Queue[Any] = queue.Queue()
    count = 40
    with live_server(ws_apps.lagging_app(seen, count)) as srv:
        with connect(ws_url(srv)) as ws:
            for number in range(count):
                ws.send(str(number))
            assert ws.recv(WAIT) == ",".join(str(number) for number in range(count))
        assert next_seen(seen) == ("reading while behind", False)
        assert next_seen(seen) == ("reading once caught up", True)
        assert next_seen(seen)["type"] == "websocket.disconnect"


def test_sending_waits_while_the_client_reads_slowly() -> None:
    seen: queue.Queue[Any] = queue.Queue()
    count, size, high = 200, 64 * 1024, 128 * 1024
    app = ws_apps.flooding_app(seen, count, size)
    with (
        live_server(app, write_buffer_high=high, write_buffer_low=high // 4) as srv,
        connect(ws_url(srv), max_size=None) as ws,
    ):
        time.sleep(0.2)  # more than the socket buffers hold piles up meanwhile
        assert all(ws.recv(WAIT) == b"x" * size for _ in range(count))
    _, fullest = next_seen(seen)
    assert fullest <= high + size  # without waiting it holds megabytes


# -- pings -----------------------------------------------------------------------------------------


def test_a_client_ping_is_answered() -> None:
    seen: queue.Queue[Any] = queue.Queue()
    with live_server(ws_apps.echo_app(seen)) as srv, connect(ws_url(srv), ping_interval=None) as ws:
        assert ws.ping(b"are you there").wait(WAIT)


def test_server_pings_at_the_interval_and_closes_with_1011_when_no_pong_comes() -> None:
    seen: queue.Queue[Any] = queue.Queue()
    with live_server(ws_apps.echo_app(seen), ws_ping_interval=0.1, ws_ping_timeout=0.3) as srv:
        with RawClient(srv.connect()) as client:
            client.handshake()
            pings = 0
            while isinstance(event := client.next_event(), Ping):
                pings += 1
                if pings < 3:
                    client.send(event.response())  # the third stays unanswered
                    last_ping = time.monotonic()
                else:
                    unanswered_at = time.monotonic()
        assert isinstance(event, CloseConnection), event
        assert (event.code, pings) == (1011, 3)
        assert time.monotonic() - unanswered_at > 0.2  # not before the pong timeout
        assert unanswered_at - last_ping < 1.0
        next_seen(seen)  # the scope
        assert next_seen(seen)["code"] == 1011


# -- closing ---------------------------------------------------------------------------------------


def test_a_client_close_reaches_the_app_with_its_code_and_reason() -> None:
    seen: queue.Queue[Any] = queue.Queue()
    with live_server(ws_apps.echo_app(seen)) as srv:
        with connect(ws_url(srv)) as ws:
            ws.close(code=4000, reason="gone fishing")
        next_seen(seen)  # the scope
        assert next_seen(seen) == {"type": "websocket.disconnect", "code": 4000, "reason": "gone fishing"}
        assert isinstance(next_seen(seen), OSError)  # ASGI 2.4: send on a closed connection


def test_a_dropped_tcp_connection_reaches_the_app_as_1006() -> None:
    seen: queue.Queue[Any] = queue.Queue()
    with live_server(ws_apps.echo_app(seen)) as srv:
        with RawClient(srv.connect()) as client:
            client.handshake()
        # The client is gone (the socket closed without a close frame); the server still runs.
        next_seen(seen)  # the scope
        assert next_seen(seen) == {"type": "websocket.disconnect", "code": 1006, "reason": ""}


def test_graceful_shutdown_closes_an_open_websocket_with_1012() -> None:
    seen: queue.Queue[Any] = queue.Queue()
    with (
        live_server(ws_apps.echo_app(seen), timeout_graceful_shutdown=10) as srv,
        connect(ws_url(srv)) as ws,
    ):
        ws.send("still here")
        assert ws.recv(WAIT) == "still here"
        stopper = threading.Thread(target=srv.stop)
        started = time.monotonic()
        stopper.start()
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(WAIT)
        stopper.join(WAIT)
        assert not srv.thread.is_alive()
        assert time.monotonic() - started < 3.0  # the closing handshake, not the grace period
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
    next_seen(seen)  # the scope
    assert next_seen(seen)["code"] == 1012
