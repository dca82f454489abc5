"""An httpx client for a CovetPy app over CovetPy's own server or through ASGI, for tests run both ways."""

from __future__ import annotations

import contextlib
import logging
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
        transport_ = httpx.ASGITransport(app=_logging_server(app), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport_, base_url="http://test") as client:
            yield client
        return
    with running_server(app) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            yield client


def _logging_server(app: Any) -> Any:
    """``app`` as an ASGI server runs it: an exception the app re-raises after its 500 (as
    Starlette apps do) is logged, here to ``covet.error`` as CovetPy's own server would."""

    async def serve(scope: Any, receive: Any, send: Any) -> None:
        try:
            await app(scope, receive, send)
        except Exception:
            logging.getLogger("covet.error").exception("Exception in ASGI application")
            raise

    return serve


def transports() -> Any:
    """A parametrised fixture function: ``client = transports()`` needs a module-level ``app``."""

    @pytest.fixture(params=TRANSPORTS)
    async def client(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
        async with app_client(request.module.app, request.param) as http:
            yield http

    return client
