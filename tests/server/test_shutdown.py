"""SIGTERM to ``covet serve``: requests in flight finish, idle connections close, the process exits 0."""

import select
import signal
import socket
import time

import httpx
import pytest

from tests.server.covet_process import APPS, covet_serve, free_port
from tests.servers import read_all

pytestmark = pytest.mark.slow

# Long enough for the handler to have started sleeping on a busy 2-core machine.
IN_FLIGHT = 0.4


def get(port: int, target: str) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=5)
    conn.sendall(b"GET %b HTTP/1.1\r\nHost: test\r\n\r\n" % target.encode())
    return conn


def test_sigterm_finishes_the_request_in_flight_and_closes_idle_connections():
    port = free_port()
    with covet_serve(
        f"{APPS}.basic:app", "--port", str(port), ready=lambda: httpx.get(f"http://127.0.0.1:{port}/")
    ) as server:
        idle = get(port, "/")
        assert idle.recv(4096).endswith(b"hello")  # answered; the connection stays open, idle
        busy = get(port, "/sleep?seconds=1")
        time.sleep(IN_FLIGHT)
        server.send_signal(signal.SIGTERM)

        idle.settimeout(3)
        assert idle.recv(1) == b""  # closed by the shutdown, long before the keep-alive timeout
        readable, _, _ = select.select([busy], [], [], 0)
        assert not readable  # the slow handler is still running

        response = read_all(busy, timeout=5)
        head, _, body = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ")
        assert b"connection: close" in head.lower()
        assert body == b"slept"
        assert server.wait(timeout=5) == 0
        idle.close()
        busy.close()


def test_a_request_outliving_the_grace_period_does_not_stop_the_exit():
    port = free_port()
    with covet_serve(
        f"{APPS}.basic:app",
        "--port",
        str(port),
        "--timeout-graceful-shutdown",
        "0.5",
        ready=lambda: httpx.get(f"http://127.0.0.1:{port}/"),
    ) as server:
        busy = get(port, "/sleep?seconds=60")
        time.sleep(IN_FLIGHT)
        signalled = time.monotonic()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) == 0
        assert time.monotonic() - signalled < 5
        assert read_all(busy, timeout=2) == b""  # aborted without a response
        assert "Grace period over" in server.log()
        busy.close()
