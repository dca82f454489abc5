"""A CovetPy app as an ASGI 3 application, for uvicorn, granian, hypercorn and friends."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from covet._speedups.http11 import RequestHead
from covet.exceptions import ClientDisconnect
from covet.requests import Request

if TYPE_CHECKING:
    from covet.app import Covet

logger = logging.getLogger("covet.error")


class AsgiConnection:
    """The per-request facts a Request reads from the connection, taken from the scope."""

    __slots__ = ("app", "scheme", "client", "server", "root_path")

    def __init__(self, app: Covet, scope: dict[str, Any]) -> None:
        self.app = app
        self.scheme = scope.get("scheme", "http")
        client = scope.get("client")
        self.client = tuple(client) if client else None
        server = scope.get("server")
        self.server = tuple(server) if server else None
        self.root_path = scope.get("root_path", "")


class AsgiBody:
    """The request body read through ASGI ``receive``."""

    __slots__ = ("receive", "done")

    def __init__(self, receive: Any) -> None:
        self.receive = receive
        self.done = False

    async def stream(self) -> AsyncIterator[bytes]:
        while not self.done:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            self.done = not message.get("more_body", False)
            chunk = message.get("body", b"")
            if chunk:
                yield chunk

    async def read_body(self) -> bytes:
        return b"".join([chunk async for chunk in self.stream()])


def request_from_scope(app: Covet, scope: dict[str, Any], receive: Any) -> Request:
    root_path = scope.get("root_path", "")
    path = scope["path"]
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    raw_path = scope.get("raw_path") or path.encode("utf-8")
    raw_root = quote(root_path).encode("ascii")
    if raw_root and raw_path.startswith(raw_root):
        raw_path = raw_path[len(raw_root) :]  # servers include root_path in raw_path too
    query = scope.get("query_string", b"")
    headers = [(bytes(n).lower(), bytes(v)) for n, v in scope.get("headers", ())]
    head = RequestHead(
        scope["method"], raw_path + (b"?" + query if query else b""), path, raw_path, query, headers,
        scope.get("http_version", "1.1"), True, -1, False, False, None,
    )
    return Request(head, AsgiConnection(app, scope), AsgiBody(receive))


async def serve_asgi(app: Covet, scope: dict[str, Any], receive: Any, send: Any) -> None:
    kind = scope["type"]
    if kind == "http":
        request = request_from_scope(app, scope, receive)
        response = await app.handle(request)
        await response(scope, receive, send)
    elif kind == "lifespan":
        await _lifespan(app, receive, send)
    elif kind == "websocket":
        # WebSocket routes arrive with the application layer; refuse the handshake until then.
        await receive()
        await send({"type": "websocket.close", "code": 1000})
    else:
        raise ValueError(f"unsupported ASGI scope type {kind!r}")


async def _lifespan(app: Covet, receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await app.startup()
            except Exception as exc:
                logger.exception("Startup hook failed")
                await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            try:
                await app.shutdown()
            except Exception as exc:
                logger.exception("Shutdown hook failed")
                await send({"type": "lifespan.shutdown.failed", "message": repr(exc)})
                return
            await send({"type": "lifespan.shutdown.complete"})
            return
