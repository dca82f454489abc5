"""Running an ASGI app for a CovetPy Request: mounted apps, and pure ASGI middleware below native.

The scope is built from the Request (``root_path`` is where the app is mounted, ``path`` the
whole path, as the ASGI spec says), ``receive`` reads ``request.stream()`` — a body a middleware
already read is replayed — and what the app sends becomes the Response: a whole one when the
body comes in one message, else a streaming response fed while the app runs. The app runs in a
Task of its own (as every ASGI app does on CovetPy's server) so a streamed body can flow while
it runs; if the client goes away, the Task is cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Optional

from covet.asgi import ASGI_VERSION, ASGIApp, Message, Scope
from covet.exceptions import ClientDisconnect
from covet.responses import Response, StreamingResponse

if TYPE_CHECKING:
    from covet.requests import Request

logger = logging.getLogger("covet.error")

_END = object()
# Chunks a streaming app may run ahead of the client before its ``send`` waits.
_STREAM_AHEAD = 4


class ASGISendClosed(OSError):
    """``send`` after the client went away: the ASGI 2.4 "server-specific OSError"."""


def http_scope_for(
    request: Request,
    state: dict[str, Any],
    mounted_at: str = "",
    path_params: Optional[dict[str, Any]] = None,
) -> Scope:
    """The ASGI ``http`` scope of ``request`` for an app mounted at ``mounted_at`` (decoded path)."""
    conn = request._conn
    root_path = conn.root_path
    scope: Scope = {
        "type": "http",
        "asgi": ASGI_VERSION,
        "http_version": request.http_version,
        "method": request.method,
        "scheme": conn.scheme,
        "root_path": root_path + mounted_at,
        "path": root_path + request.path,
        "raw_path": request._head.raw_path,
        "query_string": request.query_string,
        "headers": request.raw_headers,
        "client": conn.client,
        "server": conn.server,
        "state": dict(state),
    }
    if path_params:
        scope["path_params"] = path_params
    return scope


async def call_asgi(app: ASGIApp, request: Request, scope: Scope) -> Response:
    """Run ``app`` on ``scope`` for ``request``; its response once the app has started it.

    An exception the app raises before its response is handed on is raised here (an app that
    sends its 500 and then re-raises, as Starlette apps do, counts), to be answered like any.
    """
    exchange = _Exchange(request)
    loop = asyncio.get_running_loop()
    exchange.ready = loop.create_future()
    exchange.task = loop.create_task(exchange.run(app, scope))
    try:
        response = await exchange.ready
    except asyncio.CancelledError:
        exchange.task.cancel()
        raise
    exchange.delivered = True
    if exchange.error is not None:
        raise exchange.error
    return response


class _Exchange:
    """``receive`` and ``send`` between one request and the ASGI app answering it."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.body: Optional[AsyncIterator[bytes]] = None
        self.body_done = False
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.length: Optional[int] = None
        self.ready: asyncio.Future[Response]
        self.task: asyncio.Task[None]
        self.queue: Optional[asyncio.Queue[Any]] = None
        self.complete = False
        self.closed = False
        self.delivered = False
        self.error: Optional[BaseException] = None

    async def run(self, app: ASGIApp, scope: Scope) -> None:
        try:
            await app(scope, self.receive, self.send)
        except BaseException as exc:
            if not self.ready.done():
                self.ready.set_exception(exc)
            elif not self.delivered:
                self.error = exc  # call_asgi has not handed the response on yet: it raises this
            elif self.queue is not None and not self.complete and not self.closed:
                await self.queue.put(exc)  # the streaming response raises it, and the server logs it
            elif not isinstance(exc, (asyncio.CancelledError, ASGISendClosed)):
                logger.error("Exception in mounted ASGI app %r after its response", app, exc_info=exc)
            if not isinstance(exc, Exception):
                raise
            return
        if not self.ready.done():
            self.ready.set_exception(RuntimeError(f"ASGI app {app!r} returned without sending a response"))
        elif self.queue is not None and not self.complete and not self.closed:
            logger.error("ASGI app %r returned before completing its response", app)
            await self.queue.put(_END)

    async def receive(self) -> Message:
        if not self.body_done:
            if self.body is None:
                self.body = self.request.stream().__aiter__()
            try:
                chunk = await self.body.__anext__()
            except StopAsyncIteration:
                self.body_done = True
                return {"type": "http.request", "body": b"", "more_body": False}
            except ClientDisconnect:
                self.body_done = True
                return {"type": "http.disconnect"}
            return {"type": "http.request", "body": chunk, "more_body": True}
        # The body is read: what is left to hear is that the client has gone.
        if not self.closed:
            wait_disconnect = getattr(self.request._source, "wait_disconnect", None)
            if wait_disconnect is not None:
                await wait_disconnect()
            else:
                await asyncio.get_running_loop().create_future()  # until the Task is cancelled
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if self.closed:
            raise ASGISendClosed(f"the client is gone; the app sent {kind!r} after its response was dropped")
        if kind == "http.response.start":
            if self.status:
                raise RuntimeError("ASGI app sent 'http.response.start' twice")
            self.status = int(message["status"])
            for name, value in message.get("headers", ()):
                name = bytes(name).lower()
                if name == b"content-length":
                    self.length = int(value)
                else:
                    self.headers.append((name, bytes(value)))
            return
        if kind != "http.response.body":
            raise RuntimeError(f"unexpected ASGI message {kind!r} on an http scope")
        if not self.status:
            raise RuntimeError("ASGI app sent 'http.response.body' before 'http.response.start'")
        if self.complete:
            raise RuntimeError("ASGI app sent body after its response was complete")
        body = bytes(message.get("body", b""))
        more = bool(message.get("more_body", False))
        if self.queue is None:
            if not more and not (self.length and not body):
                self.complete = True
                self.ready.set_result(Response(body, status_code=self.status, headers=self.headers))
                return
            # A streamed body, or a HEAD answer that declares a length it does not send.
            self.queue = asyncio.Queue(_STREAM_AHEAD)
            self.ready.set_result(
                StreamingResponse(
                    self._stream(), status_code=self.status, headers=self.headers, content_length=self.length
                )
            )
        if body:
            await self.queue.put(body)
        if not more:
            self.complete = True
            await self.queue.put(_END)

    async def _stream(self) -> AsyncIterator[bytes]:
        queue = self.queue
        assert queue is not None
        try:
            while True:
                chunk = await queue.get()
                if chunk is _END:
                    return
                if isinstance(chunk, BaseException):
                    raise chunk
                yield chunk
        finally:
            if not self.complete:
                # The server stopped reading (the client went away): stop the app as well.
                self.closed = True
                self.task.cancel()
