"""A CovetPy app as an ASGI 3 application, for uvicorn, granian, hypercorn and friends.

``NativeASGIApp`` serves a run of native layers (``Request -> Response``: the app itself, or
native middleware around it) over ASGI: ``http`` scopes become Requests, ``websocket`` scopes
go to the app's WebSocket routes, ``lifespan`` to its startup and shutdown. CovetPy's own
server uses it for WebSockets and lifespan, and for everything when the outermost middleware is
a pure ASGI one (see ``covet.middleware.stack``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import quote

from covet._speedups.http11 import RequestHead
from covet.exceptions import ClientDisconnect
from covet.middleware.errors import call_async
from covet.requests import Request

if TYPE_CHECKING:
    from covet.app import Covet
    from covet.middleware.base import BaseHTTPMiddleware, CallNext

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ASGI_VERSION = {"version": "3.0", "spec_version": "2.4"}


class AsgiConnection:
    """The per-request facts a Request reads from the connection, taken from the scope."""

    __slots__ = ("app", "scheme", "client", "server", "root_path")

    def __init__(self, app: Covet, scope: Scope) -> None:
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

    def __init__(self, receive: Receive) -> None:
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

    async def wait_disconnect(self) -> None:
        """Return once the server says the client has gone (or the response is complete)."""
        while (await self.receive())["type"] != "http.disconnect":
            pass


def request_from_scope(app: Covet, scope: Scope, receive: Receive) -> Request:
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
    target = raw_path + (b"?" + query if query else b"")
    head = RequestHead(
        scope.get("method", "GET"), target, path, raw_path, query, headers,
        scope.get("http_version", "1.1"), True, -1, False, False, None,
    )
    return Request(head, AsgiConnection(app, scope), AsgiBody(receive))


class NativeASGIApp:
    """Native layers served over ASGI; ``below`` is the ASGI app under them, None for the app's routes."""

    __slots__ = ("app", "http", "checks", "below")

    def __init__(
        self, app: Covet, http: CallNext, checks: list[BaseHTTPMiddleware], below: Optional[ASGIApp]
    ) -> None:
        self.app = app
        self.http = http
        self.checks = checks
        self.below = below

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":
            await self._websocket(scope, receive, send)
        elif kind == "lifespan":
            if self.below is not None:
                await self.below(scope, receive, send)
            else:
                from covet.lifespan import run_lifespan_protocol

                await run_lifespan_protocol(self.app, scope, receive, send)
        else:
            raise ValueError(f"unsupported ASGI scope type {kind!r}")

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self.app
        request = request_from_scope(app, scope, receive)
        try:
            response = await self.http(request)
        except ClientDisconnect:
            return
        except Exception as exc:
            # The ASGI server logs what is re-raised (and the test client raises it): not us.
            handler, unhandled = app.exception_handlers.resolve(exc, app.debug)
            await app.answer_unhandled(request, await call_async(handler, request, exc))(scope, receive, send)
            if unhandled:
                raise
            return
        await response(scope, receive, send)  # responses send themselves (covet.responses)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        from covet.websockets import WebSocket, serve_websocket

        websocket = WebSocket(scope, receive, send, self.app) if self.checks else None
        if websocket is not None:
            for layer in self.checks:
                refusal = await layer.check_websocket(websocket)
                if refusal is not None:
                    await websocket.refuse(refusal)
                    return
        if self.below is not None:
            await self.below(scope, receive, send)
        else:
            await serve_websocket(self.app, scope, receive, send, websocket)
