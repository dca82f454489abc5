"""Exactly N keep-alive requests over C connections, for counting a server's cost per request.

wrk runs for a time: when it stops, requests are still in flight and its connections were opened
inside the measured window, so "work done ÷ requests wrk counted" overstates the cost of a slow
endpoint (under callgrind a database request takes milliseconds, and 64 in flight against a
few hundred done is a large error). Here the connections are open before counting starts and
every request sent is answered before it stops, so nothing is counted that is not a whole
request.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence

__all__ = ["FixedLoad", "LoadError", "run_counted"]


class LoadError(Exception):
    """The server answered something other than a whole HTTP/1.1 200 response on a kept connection."""


class FixedLoad:
    """``connections`` open keep-alive connections to ``host:port``, each to send ``path``."""

    def __init__(
        self, host: str, port: int, path: str, connections: int, headers: Sequence[str] = ()
    ) -> None:
        self.host, self.port, self.connections = host, port, connections
        lines = "".join(f"{header}\r\n" for header in headers)
        self._request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{lines}\r\n".encode()
        self._streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def open(self) -> None:
        self._streams = [await asyncio.open_connection(self.host, self.port) for _ in range(self.connections)]
        await self.run(1)  # each connection answered once: accepted and set up before counting

    async def run(self, per_connection: int) -> int:
        """Send ``per_connection`` requests one after another on every connection; all answered."""
        done = await asyncio.gather(*(self._send(r, w, per_connection) for r, w in self._streams))
        return sum(done)

    async def close(self) -> None:
        for _, writer in self._streams:
            writer.close()
        for _, writer in self._streams:
            with contextlib.suppress(OSError):  # the server may close first
                await writer.wait_closed()
        self._streams = []

    async def _send(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, count: int) -> int:
        for _ in range(count):
            writer.write(self._request)
            await _read_response(reader)
        return count


async def _read_response(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, _, headers = head.partition(b"\r\n")
    if not status_line.startswith(b"HTTP/1.1 200"):
        raise LoadError(f"the server answered {status_line.decode(errors='replace')!r}, not 200")
    length = None
    chunked = False
    for line in headers.split(b"\r\n"):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = value.strip().lower() == b"chunked"
        elif name == b"connection" and value.strip().lower() == b"close":
            raise LoadError("the server closed a keep-alive connection: its cost would include connecting")
    if chunked:
        await _read_chunks(reader)
    elif length is not None:
        await reader.readexactly(length)
    else:
        raise LoadError("a response with neither Content-Length nor a chunked body ends only at close")


async def _read_chunks(reader: asyncio.StreamReader) -> None:
    """Read a chunked body to its end (the ASGI servers send one when the app gives no length)."""
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailer fields here: the blank line
            return
        await reader.readexactly(size + 2)


def run_counted(
    host: str,
    port: int,
    path: str,
    connections: int,
    per_connection: int,
    counting: Callable[[bool], None],
    headers: Sequence[str] = (),
) -> int:
    """Open the connections, call ``counting(True)``, send the requests, ``counting(False)``;
    return how many were answered (``connections × per_connection``). ``headers`` ("Name: value")
    follow Host in each request."""

    async def main() -> int:
        load = FixedLoad(host, port, path, connections, headers)
        try:
            await load.open()
            counting(True)
            try:
                return await load.run(per_connection)
            finally:
                counting(False)
        finally:
            await load.close()

    return asyncio.run(main())
