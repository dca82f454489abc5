"""Run CovetPy's server for real in a background thread, on an ephemeral port::

    from covet.testing import live_server

    def test_over_a_socket():
        with live_server(app) as server:
            assert httpx.get(server.url + "/").status_code == 200
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvloop

from covet.server.config import ServerConfig
from covet.server.serve import Server, bind_socket

__all__ = ["LiveServer", "live_server"]


class LiveServer:
    """A CovetPy server running in a background thread (see :func:`live_server`)."""

    def __init__(self, server: Server, sock: socket.socket, thread: threading.Thread) -> None:
        self.server = server
        self.sock = sock
        self.thread = thread
        self.loop: asyncio.AbstractEventLoop | None = None
        self.host, self.port = sock.getsockname()[:2]

    @property
    def url(self) -> str:
        scheme = "https" if self.server.config.is_ssl else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def connect(self, timeout: float = 5.0) -> socket.socket:
        """A raw TCP connection to the server."""
        conn = socket.create_connection((self.host, self.port), timeout=timeout)
        return conn

    def stop(self) -> None:
        if self.loop is not None and self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.server.request_exit)
        self.thread.join(timeout=self.server.config.timeout_graceful_shutdown + 10)


@contextlib.contextmanager
def live_server(app: Any, **options: Any) -> Iterator[LiveServer]:
    """Serve ``app`` on CovetPy's real server, in a thread, until the block ends (graceful shutdown).

    ``options`` are :class:`~covet.server.ServerConfig`'s; the port defaults to a free one.
    For what an in-process client cannot show: sockets, keep-alive, TLS, timeouts, streaming."""
    options.setdefault("host", "127.0.0.1")
    options.setdefault("port", 0)
    config = ServerConfig(**options)
    sock = bind_socket(config)
    if not config.uds:
        config.port = sock.getsockname()[1]
    server = Server(app, config)
    failure: list[BaseException] = []

    def target() -> None:
        try:
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                handle.loop = runner.get_loop()
                runner.run(server.serve([sock]))
        except BaseException as exc:  # reported to the test below
            failure.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    handle = LiveServer(server, sock, thread)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if failure or not thread.is_alive():
                raise RuntimeError(f"server failed to start: {failure!r}")
            if time.monotonic() > deadline:
                raise TimeoutError("server did not start within 10 s")
            time.sleep(0.01)
        yield handle
    finally:
        handle.stop()
        sock.close()
    if failure:
        raise failure[0]
