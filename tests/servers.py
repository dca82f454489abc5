"""Run CovetPy's server in a background thread on an ephemeral port, for tests over real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn
import uvloop

from covet.server.config import ServerConfig
from covet.server.serve import Server, bind_socket


class RunningServer:
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
def running_server(app: Any, **options: Any) -> Iterator[RunningServer]:
    """Serve ``app`` with ``ServerConfig(**options)`` until the block ends (graceful shutdown)."""
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
    handle = RunningServer(server, sock, thread)
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
