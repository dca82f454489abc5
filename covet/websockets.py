"""WebSocket routes: ``@app.websocket("/ws/{room}")`` handlers get a ``WebSocket``.

::

    @app.websocket("/echo")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        async for text in websocket.iter_text():
            await websocket.send_text(text)

``receive_*`` raise ``WebSocketDisconnect`` (with the close code) once the client has gone;
``iter_*`` simply end. A handler that returns closes the connection normally (1000); one that
raises before accepting gets the handshake refused with a 500, after accepting a close 1011.
``headers``, ``cookies``, ``query_params``, ``url`` and ``client`` are the handshake's (read
from ``websocket.request``, a Request built from it); ``path_params`` come converted, as for
HTTP routes. WebSockets travel the ASGI interface on every server.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, Optional

import orjson

from covet.datastructures import Address, Headers, QueryParams, State
from covet.routing import Match, MountMatch

if TYPE_CHECKING:
    from covet.app import Covet
    from covet.asgi import Message, Receive, Scope, Send
    from covet.datastructures import URL
    from covet.requests import Request
    from covet.responses import Response

WebSocketHandler = Callable[["WebSocket"], Awaitable[None]]


class WebSocketDisconnect(Exception):
    """The client closed the connection (``code`` is its close code, 1006 if it just vanished)."""

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason

    def __str__(self) -> str:
        return f"WebSocket closed with code {self.code}" + (f": {self.reason}" if self.reason else "")


class WebSocketState(enum.Enum):
    CONNECTING = 0
    CONNECTED = 1
    DISCONNECTED = 2
    RESPONSE = 3  # a denial response (an HTTP answer to the handshake) is being sent


class WebSocket:
    """One WebSocket connection, from the handshake to the close."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, app: Covet) -> None:
        if scope["type"] != "websocket":
            raise ValueError(f"WebSocket needs a 'websocket' scope, got {scope['type']!r}")
        self.scope = scope
        self.app = app
        self._receive = receive
        self._send = send
        self._request: Optional[Request] = None
        self.client_state = WebSocketState.CONNECTING
        self.application_state = WebSocketState.CONNECTING

    # -- the handshake ---------------------------------------------------------------------

    @property
    def request(self) -> Request:
        """The handshake as a Request (what ``headers``, ``cookies``, ``url`` and such read)."""
        if self._request is None:
            from covet.asgi import request_from_scope

            async def no_body() -> Message:
                return {"type": "http.request", "body": b"", "more_body": False}

            self._request = request_from_scope(self.app, self.scope, no_body)
        return self._request

    @property
    def url(self) -> URL:
        """The URL the client connected to (``ws://`` or ``wss://``)."""
        return self.request.url

    @property
    def headers(self) -> Headers:
        return self.request.headers

    @property
    def query_params(self) -> QueryParams:
        return self.request.query_params

    @property
    def cookies(self) -> dict[str, str]:
        return self.request.cookies

    @property
    def client(self) -> Optional[Address]:
        return self.request.client

    @property
    def path_params(self) -> dict[str, Any]:
        params: dict[str, Any] = self.scope.setdefault("path_params", {})
        return params

    @property
    def subprotocols(self) -> list[str]:
        """The subprotocols the client offered, in its order of preference."""
        return list(self.scope.get("subprotocols", ()))

    @property
    def state(self) -> State:
        """Per-connection storage (``websocket.state.user = ...``), starting as a copy of the
        lifespan state; kept in the scope, so what a middleware's ``check_websocket`` puts
        there the handler sees."""
        stored = self.scope.get("covet.state")
        if stored is None:
            lifespan_state = self.scope.get("state") or self.app.lifespan_state
            stored = self.scope["covet.state"] = State(dict(lifespan_state))
        return stored

    # -- messages --------------------------------------------------------------------------

    async def receive(self) -> Message:
        """The next ASGI message from the client (``websocket.receive`` or ``websocket.disconnect``)."""
        if self.client_state is WebSocketState.DISCONNECTED:
            raise RuntimeError("the client has disconnected; nothing more can be received")
        message = await self._receive()
        kind = message["type"]
        if self.client_state is WebSocketState.CONNECTING:
            if kind != "websocket.connect":
                raise RuntimeError(f"expected 'websocket.connect' first, got {kind!r}")
            self.client_state = WebSocketState.CONNECTED
        elif kind == "websocket.disconnect":
            self.client_state = WebSocketState.DISCONNECTED
        elif kind != "websocket.receive":
            raise RuntimeError(f"unexpected ASGI message {kind!r} on a WebSocket")
        return message

    async def send(self, message: Message) -> None:
        """Send one ASGI message, checking it fits the connection's state."""
        kind = message["type"]
        state = self.application_state
        if state is WebSocketState.CONNECTING:
            if kind == "websocket.accept":
                self.application_state = WebSocketState.CONNECTED
            elif kind == "websocket.close":
                self.application_state = WebSocketState.DISCONNECTED
            elif kind == "websocket.http.response.start":
                self.application_state = WebSocketState.RESPONSE
            else:
                raise RuntimeError(f"{kind!r} before the handshake is answered; call accept() first")
        elif state is WebSocketState.CONNECTED:
            if kind == "websocket.close":
                self.application_state = WebSocketState.DISCONNECTED
            elif kind != "websocket.send":
                raise RuntimeError(f"{kind!r} on an open WebSocket; send text or bytes, or close it")
        elif state is WebSocketState.RESPONSE:
            if kind != "websocket.http.response.body":
                raise RuntimeError(f"{kind!r} while a denial response is sent")
            if not message.get("more_body", False):
                self.application_state = WebSocketState.DISCONNECTED
        else:
            raise RuntimeError(f"{kind!r} after the WebSocket was closed")
        try:
            await self._send(message)
        except OSError:
            self.application_state = WebSocketState.DISCONNECTED
            raise WebSocketDisconnect(1006) from None

    async def accept(
        self, subprotocol: Optional[str] = None, headers: Iterable[tuple[bytes, bytes]] = ()
    ) -> None:
        """Complete the handshake, choosing ``subprotocol`` (one the client offered) or none."""
        if self.client_state is WebSocketState.CONNECTING:
            await self.receive()
        await self.send({"type": "websocket.accept", "subprotocol": subprotocol, "headers": list(headers)})

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection; before ``accept`` this refuses the handshake (HTTP 403)."""
        await self.send({"type": "websocket.close", "code": code, "reason": reason})

    async def send_denial_response(self, response: Response) -> None:
        """Refuse the handshake with an HTTP response, where the server supports it."""
        if "websocket.http.response" not in self.scope.get("extensions", {}):
            raise RuntimeError("the server does not support WebSocket denial responses; use close() instead")
        if response.body is None:
            raise TypeError("a denial response needs a whole body, not a streaming one")
        start = {"type": "websocket.http.response.start", "status": response.status_code}
        await self.send({**start, "headers": response.headers})
        await self.send({"type": "websocket.http.response.body", "body": response.body})

    async def refuse(self, response: Response) -> None:
        """Refuse the handshake with ``response``, or with a close (403) where the server cannot."""
        if "websocket.http.response" in self.scope.get("extensions", {}):
            await self.send_denial_response(response)
        else:
            await self.close(1008)

    def _checked(self, message: Message) -> Message:
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(int(message.get("code") or 1005), message.get("reason") or "")
        return message

    def _need_connected(self) -> None:
        if self.application_state is not WebSocketState.CONNECTED:
            raise RuntimeError("the WebSocket is not open; call accept() first")

    async def receive_text(self) -> str:
        self._need_connected()
        message = self._checked(await self.receive())
        text = message.get("text")
        if text is None:
            raise TypeError("the client sent a binary message; use receive_bytes()")
        return str(text)

    async def receive_bytes(self) -> bytes:
        self._need_connected()
        message = self._checked(await self.receive())
        data = message.get("bytes")
        if data is None:
            raise TypeError("the client sent a text message; use receive_text()")
        return bytes(data)

    async def receive_json(self) -> Any:
        """The next message (text or binary) parsed as JSON."""
        self._need_connected()
        message = self._checked(await self.receive())
        data = message.get("text")
        if data is None:
            data = message.get("bytes", b"")
        return orjson.loads(data)

    async def iter_text(self) -> AsyncIterator[str]:
        """Each text message until the client disconnects."""
        try:
            while True:
                yield await self.receive_text()
        except WebSocketDisconnect:
            pass

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        """Each binary message until the client disconnects."""
        try:
            while True:
                yield await self.receive_bytes()
        except WebSocketDisconnect:
            pass

    async def iter_json(self) -> AsyncIterator[Any]:
        """Each message (text or binary) decoded as JSON, until the client disconnects."""
        try:
            while True:
                yield await self.receive_json()
        except WebSocketDisconnect:
            pass

    async def send_text(self, data: str) -> None:
        await self.send({"type": "websocket.send", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        await self.send({"type": "websocket.send", "bytes": data})

    async def send_json(self, data: Any, binary: bool = False) -> None:
        """Send ``data`` as JSON (orjson), in a text message unless ``binary``."""
        encoded = orjson.dumps(data)
        if binary:
            await self.send({"type": "websocket.send", "bytes": encoded})
        else:
            await self.send({"type": "websocket.send", "text": encoded.decode("utf-8")})


async def serve_websocket(
    app: Covet, scope: Scope, receive: Receive, send: Send, websocket: Optional[WebSocket] = None
) -> None:
    """Route a WebSocket handshake to its handler or mounted app; refuse it with 404 if none."""
    root_path = scope.get("root_path", "")
    path = scope["path"]
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    result = app.route_table.lookup("WEBSOCKET", path)
    if type(result) is Match:
        scope["path_params"] = result.params
        if websocket is None:
            websocket = WebSocket(scope, receive, send, app)
        try:
            await result.route.endpoint(websocket)
        except WebSocketDisconnect:
            return  # the client left while the handler was sending: nothing more to do
        if websocket.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(WebSocketDisconnect):
                await websocket.close(1000)
        return
    if type(result) is MountMatch:
        mounted_at = path[: len(path) - len(result.path)]
        child = dict(scope, root_path=root_path + mounted_at, path_params=result.params)
        await result.mount.app(child, receive, send)
        return
    from covet.responses import PlainTextResponse

    if websocket is None:
        websocket = WebSocket(scope, receive, send, app)
    await websocket.refuse(PlainTextResponse("No WebSocket route for this path", status_code=404))
