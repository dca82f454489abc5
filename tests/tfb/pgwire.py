"""A loopback proxy in front of PostgreSQL that logs every statement its clients execute.

The TFB apps are pointed at it, so a test counts what reaches the database (as TFB's verifier
does with pg_stat_statements) whatever layer sent it — ORM or raw SQL, prepared or not. It
reads the frontend side of the wire protocol: a simple ``Query`` is one statement; in the
extended protocol ``Parse`` names the SQL, ``Bind`` puts it in a portal, and each ``Execute`` of
the portal is one statement run. TLS and GSS encryption are declined so the stream stays
readable (libpq then goes on in the clear, as with ``sslmode=prefer``).
"""

from __future__ import annotations

import contextlib
import functools
import socket
import struct
import threading
from collections.abc import Callable, Iterator

_SSL_REQUEST = 80877103
_GSSENC_REQUEST = 80877104


def _cstring(body: bytes, start: int = 0) -> tuple[str, int]:
    end = body.index(b"\0", start)
    return body[start:end].decode("utf-8"), end + 1


class StatementLog:
    """The SQL of every statement executed through the proxy, in the order the clients sent them."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self._lock = threading.Lock()

    def record(self, sql: str) -> None:
        with self._lock:
            self.statements.append(sql)

    def mark(self) -> int:
        """A position to ask ``since`` about later."""
        with self._lock:
            return len(self.statements)

    def since(self, mark: int, touching: str = "") -> list[str]:
        """Statements executed after ``mark`` whose SQL mentions ``touching`` (any case)."""
        with self._lock:
            recent = self.statements[mark:]
        return [sql for sql in recent if touching.lower() in sql.lower()]


class _Session:
    """One client connection: the frontend messages parsed as they pass."""

    def __init__(self, log: StatementLog) -> None:
        self.log = log
        self.prepared: dict[str, str] = {}
        self.portals: dict[str, str] = {}

    def message(self, kind: bytes, body: bytes) -> None:
        if kind == b"Q":
            self.log.record(_cstring(body)[0])
        elif kind == b"P":
            name, at = _cstring(body)
            self.prepared[name] = _cstring(body, at)[0]
        elif kind == b"B":
            portal, at = _cstring(body)
            self.portals[portal] = self.prepared.get(_cstring(body, at)[0], "?")
        elif kind == b"E":
            self.log.record(self.portals.get(_cstring(body)[0], "?"))


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def _client_to_server(client: socket.socket, server: socket.socket, session: _Session) -> None:
    while True:  # the startup packet has no type byte; encryption requests come before it
        head = _read_exactly(client, 8)
        length, code = struct.unpack("!II", head)
        rest = _read_exactly(client, length - 8)
        if code in (_SSL_REQUEST, _GSSENC_REQUEST):
            client.sendall(b"N")
            continue
        server.sendall(head + rest)
        break
    pending = b""
    while data := client.recv(65536):
        pending += data
        while len(pending) >= 5:  # logged before forwarding: a statement is in the log before it runs
            end = 1 + struct.unpack("!I", pending[1:5])[0]
            if len(pending) < end:
                break
            session.message(pending[:1], pending[5:end])
            pending = pending[end:]
        server.sendall(data)
def _server_to_client(server: socket.socket, client: socket.socket) -> None:
    while data := server.recv(65536):
        client.sendall(data)


def _relay(pump: Callable[[], None], *sockets: socket.socket) -> None:
    """Run ``pump`` in a thread; when either side ends, shut both sockets so the other pump ends too."""

    def run() -> None:
        with contextlib.suppress(OSError, EOFError):
            pump()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    threading.Thread(target=run, daemon=True).start()


@contextlib.contextmanager
def statement_proxy(upstream: tuple[str, int]) -> Iterator[tuple[int, StatementLog]]:
    """Listen on a free loopback port, forward to ``upstream``; yields (port, log)."""
    listener = socket.create_server(("127.0.0.1", 0))
    log = StatementLog()
    sockets: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = listener.accept()
                server = socket.create_connection(upstream)
                sockets.extend((client, server))
                session = _Session(log)
                _relay(functools.partial(_client_to_server, client, server, session), client, server)
                _relay(functools.partial(_server_to_client, server, client), client, server)

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1], log
    finally:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()
