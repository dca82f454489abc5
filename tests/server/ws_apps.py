"""ASGI apps for the WebSocket tests.

They run on the server's thread; what they see goes to the test through a thread-safe
``queue.Queue`` (``seen``). Any ``http`` request gets a plain 200, so a refused upgrade shows.
"""

from __future__ import annotations

import asyncio
import json
import queue
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


async def answer_http(scope: dict[str, Any], send: Any) -> None:
    """The plain answer to an ``http`` request; lifespan is not spoken (the server runs without it)."""
    if scope["type"] == "http":
        headers = [(b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"plain http"})


def echo_app(seen: queue.Queue[Any]) -> App:
    """Accepts, echoes each message as it came (text or bytes).

    Reports the scope, the disconnect, then what sending after the disconnect raised.
    """

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return await answer_http(scope, send)
        seen.put(scope)
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                seen.put(message)
                try:
                    await send({"type": "websocket.send", "text": "too late"})
                except OSError as exc:
                    seen.put(exc)
                return
            await send({"type": "websocket.send", "text": message.get("text"), "bytes": message.get("bytes")})

    return app


def scope_app(seen: queue.Queue[Any]) -> App:
    """Accepts with the first offered subprotocol and sends back the scope, as JSON."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return await answer_http(scope, send)
        await receive()
        subprotocols = scope["subprotocols"]
        await send({"type": "websocket.accept", "subprotocol": subprotocols[0] if subprotocols else None,
                    "headers": [(b"x-handshake", b"yes")]})
        described = {key: value for key, value in scope.items() if key not in ("headers", "state")}
        for key, value in described.items():
            if isinstance(value, bytes):
                described[key] = value.decode("latin-1")
        described["header_names"] = [name.decode("latin-1") for name, _ in scope["headers"]]
        await send({"type": "websocket.send", "text": json.dumps(described)})
        seen.put(await receive())

    return app


def lagging_app(seen: queue.Queue[Any], count: int) -> App:
    """Falls behind before reading ``count`` messages; reports whether the socket was paused meanwhile."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return await answer_http(scope, send)
        await receive()
        await send({"type": "websocket.accept"})
        connection = receive.__self__  # the WebSocketProtocol, to look at its transport
        await asyncio.sleep(0.3)
        seen.put(("reading while behind", connection.transport.is_reading()))
        texts = [(await receive())["text"] for _ in range(count)]
        seen.put(("reading once caught up", connection.transport.is_reading()))
        await send({"type": "websocket.send", "text": ",".join(texts)})
        seen.put(await receive())

    return app


def flooding_app(seen: queue.Queue[Any], count: int, size: int) -> App:
    """Sends ``count`` binary messages of ``size`` bytes; reports the fullest its write buffer got."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return await answer_http(scope, send)
        await receive()
        await send({"type": "websocket.accept"})
        transport = receive.__self__.transport
        fullest = 0
        for _ in range(count):
            await send({"type": "websocket.send", "bytes": b"x" * size})
            fullest = max(fullest, transport.get_write_buffer_size())
        seen.put(("fullest write buffer", fullest))
        seen.put(await receive())

    return app


def refusing_app(how: str) -> App:
    """Never accepts: ``close`` (403), ``response`` (its own 401), ``raise`` or ``return`` (500)."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return await answer_http(scope, send)
        await receive()
        if how == "close":
            await send({"type": "websocket.close", "code": 1000})
        elif how == "response":
            headers = [(b"www-authenticate", b"Bearer"), (b"content-type", b"text/plain")]
            await send({"type": "websocket.http.response.start", "status": 401, "headers": headers})
            await send({"type": "websocket.http.response.body", "body": b"log in ", "more_body": True})
            await send({"type": "websocket.http.response.body", "body": b"first"})
        elif how == "raise":
            raise RuntimeError("failing before accept, on purpose")

    return app


def failing_app(seen: queue.Queue[Any]) -> App:
    """Accepts, then raises on the first message."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return await answer_http(scope, send)
        await receive()
        await send({"type": "websocket.accept"})
        seen.put(await receive())
        raise RuntimeError("failing after accept, on purpose")

    return app


async def chat(websocket: WebSocket) -> None:
    """Echoes with a prefix until told "bye", then closes with its own code and reason."""
    await websocket.accept(subprotocol="chat")
    async for text in websocket.iter_text():
        if text == "bye":
            await websocket.close(code=4001, reason="see you")
            return
        await websocket.send_text(f"echo: {text}")


starlette_app = Starlette(routes=[WebSocketRoute("/chat", chat)])
