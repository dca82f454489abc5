"""One test, two ways in: over a real socket to CovetPy's server, or through ASGI (httpx's transport)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

from tests.servers import RunningServer

CLIENT_KINDS = ["covet", "asgi"]


@contextlib.asynccontextmanager
async def http_client(kind: str, app: Any, server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    """A client for ``app``: through ``server`` (kind "covet") or straight to ``app`` as ASGI."""
    if kind == "covet":
        async with httpx.AsyncClient(base_url=server.url) as http:
            yield http
    else:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
