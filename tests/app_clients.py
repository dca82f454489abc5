"""An httpx client for a CovetPy app over CovetPy's own server or through ASGI, for tests run both ways."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.servers import running_server

TRANSPORTS = ("covet-server", "asgi")


@contextlib.asynccontextmanager
async def app_client(app: Any, transport: str) -> AsyncIterator[httpx.AsyncClient]:
    """``transport`` is ``covet-server`` (real sockets, the native path) or ``asgi``."""
    if transport == "asgi":
        transport_ = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport_, base_url="http://test") as client:
            yield client
        return
    with running_server(app) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            yield client


def transports() -> Any:
    """A parametrised fixture function: ``client = transports()`` needs a module-level ``app``."""

    @pytest.fixture(params=TRANSPORTS)
    async def client(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
        async with app_client(request.module.app, request.param) as http:
            yield http

    return client
