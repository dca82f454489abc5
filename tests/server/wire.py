"""The client side of raw-socket HTTP tests: send exact bytes, read the replies one by one.

Replies are parsed with the standard library's ``http.client`` so the tests check what a real
client would see; the few framing checks that need the exact bytes read them with ``raw``.
"""

from __future__ import annotations

import http.client
import socket
from typing import Any, NamedTuple, Optional

#: Generous: a correct server answers in milliseconds; this only bounds a failing test.
READ_TIMEOUT = 10.0


class Reply(NamedTuple):
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name)


class _Borrowed:
    """The connection's reader lent to one ``HTTPResponse``, which must not close it when done."""

    def __init__(self, fp: Any) -> None:
        self._fp = fp

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fp, name)

    def close(self) -> None:
        pass


class Wire:
    """One raw client connection: ``send`` bytes, then ``reply()`` once per expected response."""

    def __init__(self, conn: socket.socket, timeout: float = READ_TIMEOUT) -> None:
        conn.settimeout(timeout)
        self.conn = conn
        self.fp = conn.makefile("rb")

    def __enter__(self) -> Wire:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def makefile(self, mode: str) -> _Borrowed:  # what http.client.HTTPResponse reads through
        return _Borrowed(self.fp)

    def send(self, data: bytes) -> None:
        self.conn.sendall(data)

    def reply(self, method: str = "GET") -> Reply:
        """The next response on the connection (interim 1xx responses are skipped)."""
        response = http.client.HTTPResponse(self, method=method)  # type: ignore[arg-type]
        response.begin()
        return Reply(response.status, response.headers, response.read())

    def exchange(self, data: bytes, method: str = "GET") -> Reply:
        self.send(data)
        return self.reply(method)

    def raw(self, size: int) -> bytes:
        """Exactly ``size`` bytes, or fewer if the server closes first."""
        return self.fp.read(size)  # type: ignore[no-any-return]

    def raw_line(self) -> bytes:
        return self.fp.readline()  # type: ignore[no-any-return]

    def is_closed(self) -> bool:
        """True once the server has closed: end of stream (or a reset) before any further byte.

        Waits up to the connection's read timeout for that; a byte or a timeout means open.
        """
        try:
            return self.fp.read(1) == b""
        except (ConnectionResetError, BrokenPipeError):
            return True
        except TimeoutError:
            return False

    def close(self) -> None:
        self.fp.close()
        self.conn.close()


def get(path: str = "/", *headers: str, version: str = "1.1") -> bytes:
    """A GET request head; ``headers`` are ``"Name: value"`` lines (Host is added for 1.1)."""
    lines = [f"GET {path} HTTP/{version}"]
    if version == "1.1" and not any(h.lower().startswith("host:") for h in headers):
        lines.append("Host: test")
    lines.extend(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def websocket_upgrade(path: str = "/", host: str = "test") -> bytes:
    """A WebSocket opening handshake for ``path`` with ``Host: host``."""
    return get(
        path, f"Host: {host}", "Connection: Upgrade", "Upgrade: websocket",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
    )
