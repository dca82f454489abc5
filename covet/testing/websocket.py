"""WebSocket sessions for the test clients: the client end of an ASGI ``websocket`` scope."""

from __future__ import annotations

import asyncio
from typing import Any, Optional

import httpx
import orjson

from covet.asgi import ASGIApp, Message, Scope
from covet.websockets import WebSocketDisconnect

# How long the app gets to end once the client has closed, before it is cancelled.
_CLOSE_GRACE = 5.0


class WebSocketDenied(Exception):
    """The app answered the handshake with an HTTP response (``response``) instead of accepting."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"WebSocket handshake refused with {response.status_code}")
        self.response = response

    @property
    def status_code(self) -> int:
        return self.response.status_code


class SessionClosed(OSError):
    """The app sent on a WebSocket the test client had closed (what a server raises as well)."""


class AsyncWebSocketSession:
    """``async with client.websocket_connect("/ws") as ws``: send and receive as the client.

    Entering completes the handshake: it raises ``WebSocketDisconnect`` if the app closes
    instead of accepting (a 403 on a real server) and ``WebSocketDenied`` if it answers with an
    HTTP response. ``receive_*`` raise ``WebSocketDisconnect`` once the app has closed. Leaving
    closes the connection (1000) and waits for the app to end, raising what it raised.
    """

    def __init__(self, app: ASGIApp, scope: Scope, raise_server_exceptions: bool = True) -> None:
        self.app = app
        self.scope = scope
        self.raise_server_exceptions = raise_server_exceptions
        self.accepted_subprotocol: Optional[str] = None
        self.accept_headers: list[tuple[bytes, bytes]] = []
        self.closed = False
        self.task: Optional[asyncio.Task[None]] = None
        self.to_app: asyncio.Queue[Message] = asyncio.Queue()
        self.from_app: asyncio.Queue[Message] = asyncio.Queue()

    async def __aenter__(self) -> AsyncWebSocketSession:
        self.to_app = asyncio.Queue()
        self.from_app = asyncio.Queue()
        self.task = asyncio.get_running_loop().create_task(self._run_app())
        await self.to_app.put({"type": "websocket.connect"})
        try:
            message = await self._next()
            kind = message["type"]
            if kind == "websocket.http.response.start":
                raise WebSocketDenied(await self._denial(message))
            if kind == "websocket.close":
                raise WebSocketDisconnect(int(message.get("code") or 1000), message.get("reason") or "")
            if kind != "websocket.accept":
                raise AssertionError(f"the app answered the handshake with {kind!r}")
        except BaseException:
            self.closed = True
            await self._finish()
            raise
        self.accepted_subprotocol = message.get("subprotocol")
        self.accept_headers = [(bytes(n), bytes(v)) for n, v in message.get("headers", ())]
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        if not self.closed:
            await self.close(1000)
        await self._finish()

    # -- the client's side -----------------------------------------------------------------

    async def send_text(self, data: str) -> None:
        await self._to_app({"type": "websocket.receive", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        await self._to_app({"type": "websocket.receive", "bytes": data})

    async def send_json(self, data: Any, binary: bool = False) -> None:
        encoded = orjson.dumps(data)
        if binary:
            await self.send_bytes(encoded)
        else:
            await self.send_text(encoded.decode("utf-8"))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close from the client's side: the app receives ``websocket.disconnect`` with ``code``."""
        if not self.closed:
            self.closed = True
            await self.to_app.put({"type": "websocket.disconnect", "code": code, "reason": reason})

    async def receive(self) -> Message:
        """The app's next ASGI message (``websocket.send`` or ``websocket.close``)."""
        return await self._next()

    async def receive_text(self) -> str:
        message = self._checked(await self._next())
        if message.get("text") is None:
            raise AssertionError("the app sent a binary message; use receive_bytes()")
        return str(message["text"])

    async def receive_bytes(self) -> bytes:
        message = self._checked(await self._next())
        if message.get("bytes") is None:
            raise AssertionError("the app sent a text message; use receive_text()")
        return bytes(message["bytes"])

    async def receive_json(self) -> Any:
        message = self._checked(await self._next())
        data = message.get("text")
        return orjson.loads(data if data is not None else message.get("bytes", b""))

    # -- plumbing --------------------------------------------------------------------------

    async def _run_app(self) -> None:
        await self.app(self.scope, self.to_app.get, self._app_send)

    async def _to_app(self, message: Message) -> None:
        if self.closed:
            raise RuntimeError("this WebSocket session is closed")
        await self.to_app.put(message)

    async def _app_send(self, message: Message) -> None:
        if self.closed and message["type"] == "websocket.send":
            raise SessionClosed("the test client closed this WebSocket")
        await self.from_app.put(message)

    def _checked(self, message: Message) -> Message:
        if message["type"] == "websocket.close":
            self.closed = True
            raise WebSocketDisconnect(int(message.get("code") or 1000), message.get("reason") or "")
        return message

    async def _denial(self, start: Message) -> httpx.Response:
        body = b""
        while True:
            part = await self._next()
            if part["type"] != "websocket.http.response.body":
                raise AssertionError(f"the app sent {part['type']!r} inside a denial response")
            body += bytes(part.get("body", b""))
            if not part.get("more_body", False):
                break
        return httpx.Response(int(start["status"]), headers=list(start.get("headers", ())), content=body)

    async def _next(self) -> Message:
        """The app's next message; its exception if it raised, a close 1006 if it just ended."""
        task = self.task
        assert task is not None
        while self.from_app.empty() and not task.done():
            getter = asyncio.ensure_future(self.from_app.get())
            await asyncio.wait((getter, task), return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                return getter.result()
            getter.cancel()
        if not self.from_app.empty():
            return self.from_app.get_nowait()
        error = None if task.cancelled() else task.exception()
        if error is not None and self.raise_server_exceptions:
            raise error
        return {"type": "websocket.close", "code": 1006, "reason": ""}

    async def _finish(self) -> None:
        """Wait for the app to end, cancelling it if it lingers; raise what it raised."""
        task = self.task
        if task is None:
            return
        done, _ = await asyncio.wait((task,), timeout=_CLOSE_GRACE)
        if not done:
            task.cancel()
            await asyncio.wait((task,))
        error = None if task.cancelled() else task.exception()
        if error is not None and self.raise_server_exceptions:
            raise error
