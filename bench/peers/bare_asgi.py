"""A bare ASGI 3 callable for /plaintext and /json, as TFB's ``uvicorn`` entry writes it.

Served by uvicorn (the peer) and by CovetPy's server (to measure the server alone). The JSON body
is serialised per request, as TFB's rules ask; orjson stands in for the entry's ujson.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

JSON_RESPONSE = {
    "type": "http.response.start",
    "status": 200,
    "headers": [[b"content-type", b"application/json"]],
}
PLAINTEXT_RESPONSE = {
    "type": "http.response.start",
    "status": 200,
    "headers": [[b"content-type", b"text/plain; charset=utf-8"]],
}
NOT_FOUND_RESPONSE = {
    "type": "http.response.start",
    "status": 404,
    "headers": [[b"content-type", b"text/plain; charset=utf-8"]],
}


async def json_serialization(scope: Scope, receive: Receive, send: Send) -> None:
    await send(JSON_RESPONSE)
    await send({"type": "http.response.body", "body": orjson.dumps({"message": "Hello, World!"})})


async def plaintext(scope: Scope, receive: Receive, send: Send) -> None:
    await send(PLAINTEXT_RESPONSE)
    await send({"type": "http.response.body", "body": b"Hello, World!"})


async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
    await send(NOT_FOUND_RESPONSE)
    await send({"type": "http.response.body", "body": b"Not Found"})


ROUTES = {"/json": json_serialization, "/plaintext": plaintext}


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await ROUTES.get(scope["path"], not_found)(scope, receive, send)
