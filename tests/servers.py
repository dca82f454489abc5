"""Helpers for tests over real sockets: uvicorn in a thread (for comparisons) and raw exchanges.

CovetPy's own server in a thread is :func:`covet.testing.live_server`."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn


@contextlib.contextmanager
def uvicorn_serving(app: Any, **options: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread until the block ends; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    # log_config=None: uvicorn's records reach pytest's caplog instead of its own handlers.
    options = {"lifespan": "on", "log_level": "warning", "log_config": None, **options}
    server = uvicorn.Server(uvicorn.Config(app, **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    scheme = "https" if options.get("ssl_certfile") else "http"
    try:
        yield f"{scheme}://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def exchange(conn: socket.socket, data: bytes, timeout: float = 5.0) -> bytes:
    """Send ``data`` and read until the server closes the connection or goes quiet."""
    conn.settimeout(timeout)
    conn.sendall(data)
    return read_all(conn, timeout)


def read_all(conn: socket.socket, timeout: float = 5.0, quiet: float = 0.5) -> bytes:
    """Read until EOF, or until nothing arrives for ``quiet`` seconds after some data."""
    chunks = []
    conn.settimeout(timeout)
    while True:
        try:
            chunk = conn.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
        conn.settimeout(quiet)
    return b"".join(chunks)
