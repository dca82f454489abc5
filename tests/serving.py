"""Fixtures that run an app on CovetPy's server (the native path) and in process through ASGI.

``serve(app)`` yields an httpx client; a test using the fixture runs once per way of serving,
because the app layer must behave the same on each (``serve_anywhere`` adds uvicorn).
``serve(app, https=True)`` serves over TLS (a trustme certificate) or gives the ASGI scope the
``https`` scheme; ``raise_server_exceptions=False`` makes the in-process client show the 500
instead of raising. The clients do not follow redirects, so tests see them. Loaded for every
test by ``pytest_plugins`` in tests/conftest.py.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from covet.testing import TestClient
from tests.servers import running_server, uvicorn_serving

Serve = Callable[..., contextlib.AbstractContextManager[httpx.Client]]


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, ssl.SSLContext]:
    """A server certificate for 127.0.0.1, its key, and a client context trusting it."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    where: Path = tmp_path_factory.mktemp("tls")
    certfile, keyfile = where / "cert.pem", where / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return str(certfile), str(keyfile), client


def _serving(mode: str, tls_files: tuple[str, str, ssl.SSLContext]) -> Serve:
    @contextlib.contextmanager
    def serving(
        app: Any, https: bool = False, raise_server_exceptions: bool = True
    ) -> Iterator[httpx.Client]:
        certfile, keyfile, client_tls = tls_files
        if mode == "covet":
            options = {"ssl_certfile": certfile, "ssl_keyfile": keyfile} if https else {}
            with running_server(app, **options) as server, httpx.Client(
                base_url=server.url, verify=client_tls
            ) as client:
                yield client
        elif mode == "uvicorn":
            options = {"ssl_certfile": certfile, "ssl_keyfile": keyfile} if https else {}
            with uvicorn_serving(app, **options) as url, httpx.Client(
                base_url=url.replace("http:", "https:") if https else url, verify=client_tls
            ) as client:
                yield client
        else:
            base_url = "https://testserver" if https else "http://testserver"
            options = {"base_url": base_url, "raise_server_exceptions": raise_server_exceptions}
            with TestClient(app, follow_redirects=False, **options) as client:
                yield client

    return serving


@pytest.fixture(params=["covet", "asgi"])
def serve(request: pytest.FixtureRequest, tls_files: tuple[str, str, ssl.SSLContext]) -> Serve:
    return _serving(request.param, tls_files)


@pytest.fixture(params=["covet", "asgi", "uvicorn"])
def serve_anywhere(request: pytest.FixtureRequest, tls_files: tuple[str, str, ssl.SSLContext]) -> Serve:
    return _serving(request.param, tls_files)
