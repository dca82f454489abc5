"""httpx transports that call an ASGI app in process: no socket, the response streamed as sent.

The app runs in a Task of the transport's event loop; the httpx response is returned once the
app has started it, and its body is read as the app sends it (so ``client.stream(...)`` works
on endless responses). An exception that escapes the app is raised in the test when
``raise_server_exceptions`` (the default, as in Starlette's TestClient); otherwise the client
sees the 500 the app sent, or a bare 500 when it sent nothing. Each request is one block of the
ORM's N+1 detection unless ``detect_n_plus_one=False`` (see ``covet.orm.instrumentation``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Optional
from urllib.parse import unquote

import httpx

from covet.asgi import ASGI_VERSION, ASGIApp, Message, Scope
from covet.orm.instrumentation import detect_repeated_queries

_DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}
# Body chunks an app may send ahead of the test reading them before its ``send`` waits.
_BODY_AHEAD = 16
_END = object()


def scope_from_request(
    request: httpx.Request, kind: str, root_path: str, client: tuple[str, int], state: dict[str, Any]
) -> Scope:
    """The ASGI scope of an httpx request (``kind`` is ``http`` or ``websocket``)."""
    url = request.url
    port = url.port or _DEFAULT_PORTS.get(url.scheme, 80)
    raw_path = url.raw_path.split(b"?", 1)[0]
    scope: Scope = {
        "type": kind,
        "asgi": ASGI_VERSION,
        "http_version": "1.1",
        "scheme": url.scheme,
        "root_path": root_path,
        "path": root_path + unquote(raw_path.decode("ascii")),
        "raw_path": root_path.encode("utf-8") + raw_path,
        "query_string": url.query,
        "headers": [(name.lower(), value) for name, value in request.headers.raw],
        "client": client,
        "server": (url.host, port),
        "state": dict(state),
    }
    if kind == "http":
        scope["method"] = request.method
    return scope


class ASGITransport(httpx.AsyncBaseTransport):
    """Sends each request to ``app`` on the running event loop."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        raise_server_exceptions: bool = True,
        root_path: str = "",
        client: tuple[str, int] = ("testclient", 50000),
        state: Optional[dict[str, Any]] = None,
        detect_n_plus_one: bool = True,
    ) -> None:
        self.app = app
        self.raise_server_exceptions = raise_server_exceptions
        self.root_path = root_path
        self.client = client
        self.state = state if state is not None else {}
        self.detect_n_plus_one = detect_n_plus_one

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        scope = scope_from_request(request, "http", self.root_path, self.client, self.state)
        exchange = _Exchange(request, self.raise_server_exceptions, self.detect_n_plus_one)
        exchange.task = asyncio.get_running_loop().create_task(exchange.run(self.app, scope))
        await exchange.started.wait()
        if exchange.status == 0:  # the app ended without starting a response
            try:
                await exchange.task
            except Exception:
                if self.raise_server_exceptions:
                    raise
            else:
                if self.raise_server_exceptions:
                    raise AssertionError(f"the app sent no response to {request.method} {request.url}")
            return httpx.Response(500, request=request)
        return httpx.Response(
            exchange.status, headers=exchange.headers, stream=_ResponseBody(exchange), request=request
        )


class _Exchange:
    """``receive`` and ``send`` between one httpx request and the app."""

    def __init__(
        self, request: httpx.Request, raise_server_exceptions: bool, detect_n_plus_one: bool
    ) -> None:
        self.request = request
        self.raise_server_exceptions = raise_server_exceptions
        self.detect_n_plus_one = detect_n_plus_one
        self.body: Optional[AsyncIterator[bytes]] = None
        self.request_done = False
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.started = asyncio.Event()
        self.finished = asyncio.Event()
        self.chunks: asyncio.Queue[Any] = asyncio.Queue(_BODY_AHEAD)
        self.complete = False
        self.task: asyncio.Task[None]

    async def run(self, app: ASGIApp, scope: Scope) -> None:
        try:
            if self.detect_n_plus_one:
                # This Task's context is the request's: the block covers it alone.
                with detect_repeated_queries():
                    await app(scope, self.receive, self.send)
            else:
                await app(scope, self.receive, self.send)
        finally:
            self.started.set()

    async def receive(self) -> Message:
        if not self.request_done:
            if self.body is None:
                stream: Any = self.request.stream
                self.body = stream.__aiter__()
            assert self.body is not None
            try:
                chunk = await self.body.__anext__()
            except StopAsyncIteration:
                self.request_done = True
                return {"type": "http.request", "body": b"", "more_body": False}
            return {"type": "http.request", "body": bytes(chunk), "more_body": True}
        await self.finished.wait()  # the response is complete or abandoned: the client "left"
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            if self.status:
                raise AssertionError("the app sent 'http.response.start' twice")
            self.status = int(message["status"])
            self.headers = [(bytes(n), bytes(v)) for n, v in message.get("headers", ())]
            self.started.set()
        elif kind == "http.response.body":
            if not self.status:
                raise AssertionError("the app sent 'http.response.body' before 'http.response.start'")
            if self.complete:
                raise AssertionError("the app sent body after its response was complete")
            body = bytes(message.get("body", b""))
            if body and self.request.method != "HEAD":
                await self.chunks.put(body)
            if not message.get("more_body", False):
                self.complete = True
                await self.chunks.put(_END)
        else:
            raise AssertionError(f"the app sent {kind!r} on an http scope")

    def abandon(self) -> None:
        """The test closed the response before its end: stop the app."""
        self.finished.set()
        if not self.task.done():
            self.task.cancel()


class _ResponseBody(httpx.AsyncByteStream):
    def __init__(self, exchange: _Exchange) -> None:
        self.exchange = exchange

    async def __aiter__(self) -> AsyncIterator[bytes]:
        exchange = self.exchange
        chunks = exchange.chunks
        while True:
            try:
                chunk = chunks.get_nowait()
            except asyncio.QueueEmpty:
                if exchange.task.done():
                    break  # the app ended without completing its body
                getter = asyncio.ensure_future(chunks.get())
                await asyncio.wait((getter, exchange.task), return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    continue
                chunk = getter.result()
            if chunk is _END:
                break
            yield chunk
        # Like a server, let the app finish (background tasks included) before the test goes on.
        exchange.finished.set()
        try:
            await exchange.task
        except asyncio.CancelledError:
            pass
        except Exception:
            if exchange.raise_server_exceptions:
                raise

    async def aclose(self) -> None:
        exchange = self.exchange
        if not exchange.task.done():
            exchange.abandon()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await exchange.task


class BlockingTransport(httpx.BaseTransport):
    """The synchronous face of ``ASGITransport``: each call runs on the loop behind ``call``.

    ``call(fn, *args)`` runs the coroutine function ``fn`` on that loop and returns its result
    (an anyio blocking portal's ``call``); ``portal`` opens the loop for one request when the
    client has none open (outside ``with TestClient(app)``).
    """

    def __init__(
        self, transport: ASGITransport, portal: Callable[[], contextlib.AbstractContextManager[Any]]
    ) -> None:
        self.transport = transport
        self.portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # multipart and generator bodies are read here, in the test's thread
        stack = contextlib.ExitStack()
        try:
            portal = stack.enter_context(self.portal())
            response = portal.call(self.transport.handle_async_request, request)
        except BaseException:
            stack.close()
            raise
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers.raw,
            stream=_BlockingBody(stream, portal, stack),
            request=request,
        )


class _BlockingBody(httpx.SyncByteStream):
    def __init__(self, stream: httpx.AsyncByteStream, portal: Any, stack: contextlib.ExitStack) -> None:
        self.stream = stream
        self.portal = portal
        self.stack = stack

    def __iter__(self) -> Iterator[bytes]:
        chunks = self.stream.__aiter__()

        async def next_chunk() -> Optional[bytes]:
            try:
                return await chunks.__anext__()
            except StopAsyncIteration:
                return None

        while True:
            chunk = self.portal.call(next_chunk)
            if chunk is None:
                return
            yield chunk

    def close(self) -> None:
        try:
            self.portal.call(self.stream.aclose)
        finally:
            self.stack.close()
