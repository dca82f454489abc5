"""The practical ceiling: a bare uvloop + httptools ``asyncio.Protocol`` writing canned responses.

No framework, no ASGI, no per-request allocation beyond what httptools does: every response is a
prebuilt byte string, rebuilt once a second so the Date header stays current (as the fast servers
and TFB's verifier expect). Pipelined requests answered in one read go out in one write.

Run: ``python -m bench.peers.bare_protocol --host 127.0.0.1 --port 8080``.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from email.utils import formatdate

import httptools
import uvloop

SERVER = b"bare"
_BODIES = {
    b"/plaintext": (b"text/plain; charset=utf-8", b"Hello, World!"),
    b"/json": (b"application/json", b'{"message":"Hello, World!"}'),
}
_NOT_FOUND = (b"text/plain; charset=utf-8", b"Not Found")

#: URL -> the full response (status line, headers, body); the Date line is refreshed each second.
responses: dict[bytes, bytes] = {}
not_found = b""


def _render(status: bytes, content_type: bytes, body: bytes, date: bytes) -> bytes:
    return b"".join(
        (
            b"HTTP/1.1 ",
            status,
            b"\r\nserver: ",
            SERVER,
            b"\r\ndate: ",
            date,
            b"\r\ncontent-type: ",
            content_type,
            b"\r\ncontent-length: %d\r\n\r\n" % len(body),
            body,
        )
    )


def refresh_responses(loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Rebuild every canned response with the current Date; reschedule just after the next second."""
    global not_found
    date = formatdate(time.time(), usegmt=True).encode("ascii")
    for url, (content_type, body) in _BODIES.items():
        responses[url] = _render(b"200 OK", content_type, body, date)
    not_found = _render(b"404 Not Found", *_NOT_FOUND, date)
    if loop is not None:
        loop.call_later(1.0 - (time.time() % 1.0) + 0.001, refresh_responses, loop)


class CannedProtocol(asyncio.Protocol):
    __slots__ = ("transport", "parser", "url", "out")

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.url = b""
        self.out: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.transport.write(
                b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            )
            self.transport.close()
            return
        out = self.out
        if out:
            self.transport.write(out[0] if len(out) == 1 else b"".join(out))
            out.clear()
            if not self.parser.should_keep_alive():
                self.transport.close()

    def on_url(self, url: bytes) -> None:
        self.url = url

    def on_message_complete(self) -> None:
        self.out.append(responses.get(self.url, not_found))


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    refresh_responses(loop)
    # uvloop sets TCP_NODELAY on accepted TCP connections itself.
    server = await loop.create_server(CannedProtocol, host, port, reuse_address=True, backlog=2048)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    uvloop.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
