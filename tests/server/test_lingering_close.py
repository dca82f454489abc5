"""Answering before the request body has arrived: the response must reach the client.

Closing a socket that still has unread data makes TCP send a reset, which can destroy the
response in the client's receive buffer. The server half-closes, drops what still arrives, and
closes when the client does (or after a short linger).
"""

import socket
import time

from covet import Covet
from covet.testing.live import live_server
from tests.server.wire import Wire

app = Covet()


@app.post("/early")
async def early(request):
    return "answered before the body"  # never reads the body


BODY = 768 * 1024  # within what the server drops while lingering (1 MiB)


def _post_head(length: int) -> bytes:
    return b"POST /early HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % length


def test_a_response_sent_before_the_body_survives_the_rest_of_the_upload():
    with live_server(app) as srv, Wire(srv.connect()) as wire:
        wire.send(_post_head(BODY) + b"x" * 65536)
        time.sleep(0.2)  # the server has answered and decided to close by now
        wire.conn.sendall(b"x" * (BODY - 65536))  # a reset here would mean no lingering
        reply = wire.reply("POST")
        assert reply.status == 200
        assert reply.body == b"answered before the body"
        assert reply.header("connection") == "close"


def test_the_server_closes_after_the_client_finishes_sending():
    with live_server(app) as srv, Wire(srv.connect()) as wire:
        wire.send(_post_head(1000) + b"x" * 10)
        reply = wire.reply("POST")
        assert reply.status == 200
        wire.send(b"x" * 990)
        wire.conn.shutdown(socket.SHUT_WR)
        assert wire.is_closed()


def test_a_client_that_never_finishes_is_closed_after_the_linger():
    with live_server(app) as srv, Wire(srv.connect(), timeout=6.0) as wire:
        wire.send(_post_head(1000) + b"x" * 10)
        assert wire.reply("POST").status == 200
        started = time.monotonic()
        assert wire.is_closed()
        assert time.monotonic() - started < 5.0
