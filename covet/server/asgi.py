"""Running an ASGI 3 application's ``http`` scope on a ``RequestCycle``."""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from covet._speedups.http11 import encode_response_head
from covet.exceptions import ClientDisconnect

if TYPE_CHECKING:
    from covet._speedups.connection import HttpConnection as HttpProtocol
    from covet._speedups.connection import RequestCycle

error_log = logging.getLogger("covet.error")

ASGI_VERSION = {"version": "3.0", "spec_version": "2.4"}


def http_scope(protocol: HttpProtocol, cycle: RequestCycle) -> dict[str, Any]:
    head = cycle.head
    conn = protocol.conn
    assert conn is not None
    return {
        "type": "http",
        "asgi": ASGI_VERSION,
        "http_version": head.http_version,
        "server": conn.server,
        "client": conn.client,
        "scheme": conn.scheme,
        "method": head.method,
        "root_path": conn.root_path,
        "path": conn.root_path + head.path,
        "raw_path": head.raw_path,
        "query_string": head.query_string,
        "headers": head.headers,
        "state": protocol.state.lifespan_state.copy(),
    }


class AsgiResponder:
    """``receive`` and ``send`` for one ASGI request."""

    __slots__ = ("protocol", "cycle", "status", "headers", "length", "chunked", "body_done", "request_done")

    def __init__(self, protocol: HttpProtocol, cycle: RequestCycle) -> None:
        self.protocol = protocol
        self.cycle = cycle
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.length = -1
        self.chunked = False
        self.body_done = False
        self.request_done = False

    async def receive(self) -> dict[str, Any]:
        cycle = self.cycle
        if not self.request_done:
            try:
                chunk, more = await cycle.receive_chunk()
            except ClientDisconnect:
                return {"type": "http.disconnect"}
            self.request_done = not more
            return {"type": "http.request", "body": chunk, "more_body": more}
        await cycle.wait_disconnect()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        cycle = self.cycle
        protocol = self.protocol
        if kind == "http.response.start":
            if self.status:
                raise RuntimeError("ASGI app sent 'http.response.start' twice")
            status = int(message["status"])
            headers = []
            for name, value in message.get("headers", ()):
                name = bytes(name).lower()
                if name == b"content-length":
                    self.length = int(value)
                headers.append((name, bytes(value)))
            self.status = status
            self.headers = headers
            return
        if kind != "http.response.body":
            raise RuntimeError(f"unexpected ASGI message {kind!r} on an http scope")
        if not self.status:
            raise RuntimeError("ASGI app sent 'http.response.body' before 'http.response.start'")
        if self.body_done:
            raise RuntimeError("ASGI app sent body after the response was complete")
        if cycle.disconnected or cycle.response_complete:
            return
        body = message.get("body", b"")
        more = message.get("more_body", False)
        head = cycle.head
        data = b""
        if not cycle.response_started:
            keep_alive = protocol.keep_alive_for(cycle)
            length = self.length
            if length < 0:
                if not more:
                    length = len(body)
                elif head.http_version == "1.1":
                    self.chunked = True
                    length = -1
                else:
                    keep_alive = False  # HTTP/1.0, unknown length: the body ends at close
                    length = -2
            cycle.keep_alive = keep_alive
            data = encode_response_head(
                self.status, self.headers, length, keep_alive,
                keep_alive and head.http_version == "1.0", protocol.state.common_headers,
            )
            cycle.response_started = True
            cycle.status = self.status
        has_body = head.method != "HEAD" and self.status >= 200 and self.status != 204 and self.status != 304
        if body and has_body:
            if self.length >= 0 and cycle.sent_bytes + len(body) > self.length:
                raise RuntimeError("ASGI app sent more body than its Content-Length")
            cycle.sent_bytes += len(body)
            data += b"%x\r\n%b\r\n" % (len(body), body) if self.chunked else bytes(body)
        if not more:
            self.body_done = True
            if self.chunked:
                data += b"0\r\n\r\n"
            elif has_body and 0 <= self.length != cycle.sent_bytes:
                error_log.error(
                    "ASGI app sent %d body bytes, declared Content-Length %d", cycle.sent_bytes, self.length
                )
                cycle.keep_alive = False
        if data:
            protocol.write(data)
        if more:
            await protocol.drain()
        else:
            protocol.finish(cycle, cycle.keep_alive)


def asgi_call(protocol: HttpProtocol, cycle: RequestCycle) -> Coroutine[Any, Any, None]:
    """The coroutine that runs the app on ``cycle``; the connection runs it as it does handlers."""
    return _call_app(protocol, cycle, AsgiResponder(protocol, cycle))


async def _call_app(protocol: HttpProtocol, cycle: RequestCycle, responder: AsgiResponder) -> None:
    try:
        await protocol.app(http_scope(protocol, cycle), responder.receive, responder.send)
    except BaseException as exc:
        if cycle.response_complete:
            if not isinstance(exc, Exception):
                raise
            error_log.error("Exception in ASGI application after the response", exc_info=exc)
            return
        if isinstance(exc, Exception):
            error_log.error("Exception in ASGI application", exc_info=exc)
        if cycle.response_started:
            protocol.finish(cycle, keep_alive=False)
        else:
            protocol.respond_simple(cycle, 500, b"Internal Server Error", [])
        if not isinstance(exc, Exception):
            raise
        return
    if not cycle.response_complete:
        if cycle.response_started:
            error_log.error("ASGI application returned before completing its response")
            protocol.finish(cycle, keep_alive=False)
        else:
            error_log.error("ASGI application %r returned without starting a response", protocol.app)
            protocol.respond_simple(cycle, 500, b"Internal Server Error", [])
