"""Fixtures that serve an app each way the app layer must behave the same: on CovetPy's server over
real sockets (the native path) and in process through ASGI (``covet.testing``), uvicorn too.

``serve(app)`` opens a client to ``app``: ``with serve(app) as client`` gives an ``httpx.Client``,
``async with serve(app) as client`` an ``httpx.AsyncClient``. A test using the ``serve`` fixture runs
once per way of serving; ``serve_anywhere`` adds uvicorn. ``serve(app, https=True)`` serves over TLS
(a trustme certificate) or gives the ASGI scope the ``https`` scheme. In process, an exception that
escapes the app is raised in the test unless ``raise_server_exceptions=False``; then it is logged to
``covet.error`` as CovetPy's server logs its own, so a test may look for it either way. The clients
do not follow redirects, so tests see them.

``server`` is CovetPy's server running the module's app, for raw-socket tests; ``client`` is
``async with serve(app, raise_server_exceptions=False)`` for the test module's ``app``
(a module attribute, or an ``app`` fixture the module defines): a failing handler is a logged 500
whichever way the app is served. Loaded for every test by ``pytest_plugins`` in tests/conftest.py.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from covet.testing import AsyncTestClient, TestClient
from covet.testing.live import LiveServer, live_server
from tests.servers import uvicorn_serving


@dataclass(frozen=True)
class TLSFiles:
    """A server certificate for 127.0.0.1 and its key, and a client context that trusts it."""

    certfile: str
    keyfile: str
    client_context: ssl.SSLContext

    @property
    def server_options(self) -> dict[str, str]:
        """The ``live_server`` / uvicorn options that serve HTTPS with this certificate."""
        return {"ssl_certfile": self.certfile, "ssl_keyfile": self.keyfile}


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    where: Path = tmp_path_factory.mktemp("tls")
    certfile, keyfile = where / "cert.pem", where / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    return TLSFiles(str(certfile), str(keyfile), client_context)


class Served:
    """One app served one way until the block ends; ``with`` or ``async with`` picks the client."""

    def __init__(self, way: str, app: Any, tls: TLSFiles, https: bool, raise_server_exceptions: bool) -> None:
        self.way = way
        self.app = app
        self.tls = tls
        self.https = https
        self.raise_server_exceptions = raise_server_exceptions
        self.stack = contextlib.ExitStack()
        self.async_stack = contextlib.AsyncExitStack()

    def _server_url(self) -> str:
        """Start the server this way of serving runs on (it stops with ``self.stack``)."""
        options = self.tls.server_options if self.https else {}
        if self.way == "covet":
            return str(self.stack.enter_context(live_server(self.app, **options)).url)
        return str(self.stack.enter_context(uvicorn_serving(self.app, **options)))

    def _in_process_options(self) -> dict[str, Any]:
        return {
            "base_url": "https://testserver" if self.https else "http://testserver",
            "raise_server_exceptions": self.raise_server_exceptions,
            "follow_redirects": False,
        }

    def _client(self) -> httpx.Client:
        if self.way == "asgi":
            return TestClient(_logging_server(self.app), **self._in_process_options())
        return httpx.Client(base_url=self._server_url(), verify=self.tls.client_context)

    def _async_client(self) -> httpx.AsyncClient:
        if self.way == "asgi":
            return AsyncTestClient(_logging_server(self.app), **self._in_process_options())
        return httpx.AsyncClient(base_url=self._server_url(), verify=self.tls.client_context)

    def __enter__(self) -> httpx.Client:
        try:
            return self.stack.enter_context(self._client())
        except BaseException:
            self.stack.close()
            raise

    def __exit__(self, *exc_info: Any) -> None:
        self.stack.__exit__(*exc_info)

    async def __aenter__(self) -> httpx.AsyncClient:
        try:
            return await self.async_stack.enter_async_context(self._async_client())
        except BaseException:
            self.stack.close()
            raise

    async def __aexit__(self, *exc_info: Any) -> None:
        try:
            await self.async_stack.__aexit__(*exc_info)
        finally:
            self.stack.__exit__(*exc_info)


def _logging_server(app: Any) -> Any:
    """``app`` as an ASGI server runs it: what the app re-raises after its 500 (as Starlette apps
    do) is logged to ``covet.error``, where CovetPy's own server logs it."""

    async def serve(scope: Any, receive: Any, send: Any) -> None:
        try:
            await app(scope, receive, send)
        except Exception:
            logging.getLogger("covet.error").exception("Exception in ASGI application")
            raise

    return serve


Serve = Callable[..., Served]


def _serving(way: str, tls: TLSFiles) -> Serve:
    def serve(app: Any, *, https: bool = False, raise_server_exceptions: bool = True) -> Served:
        return Served(way, app, tls, https, raise_server_exceptions)

    return serve


@pytest.fixture(params=["covet", "asgi"])
def serve(request: pytest.FixtureRequest, tls_files: TLSFiles) -> Serve:
    return _serving(request.param, tls_files)


@pytest.fixture(params=["covet", "asgi", "uvicorn"])
def serve_anywhere(request: pytest.FixtureRequest, tls_files: TLSFiles) -> Serve:
    return _serving(request.param, tls_files)


@pytest.fixture(scope="module")
def app(request: pytest.FixtureRequest) -> Any:
    """The test module's ``app``; a module whose app needs fixtures defines an ``app`` fixture."""
    try:
        return request.module.app
    except AttributeError:
        raise pytest.UsageError(
            f"{request.module.__name__} uses the client fixture but has no module-level app: "
            "define `app` there, or an `app` fixture"
        ) from None


@pytest.fixture(scope="module")
def server(app: Any) -> Iterator[LiveServer]:
    """CovetPy's server running the module's ``app``, for tests that speak raw HTTP to it."""
    with live_server(app) as running:
        yield running


@pytest.fixture
async def client(serve: Serve, app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(app, raise_server_exceptions=False) as http:
        yield http
