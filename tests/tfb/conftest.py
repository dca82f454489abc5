"""Fixtures for the TFB apps' tests: the real PostgreSQL, a database of their own, both apps served.

The apps get ``hello_world_test`` (set up by ``bench.tfb.setup``, so a bench database is never
touched) through a statement-logging proxy (``tests/tfb/pgwire.py``), and run on CovetPy's server.
An unreachable PostgreSQL skips these tests, and fails them under CI=true.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Iterator
from typing import Any, NamedTuple
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from bench.tfb.setup import prepare_database
from covet.db import parse_url
from covet.testing.live import live_server
from tests.db.conftest import POSTGRESQL_URL, require_server
from tests.tfb.pgwire import StatementLog, statement_proxy

DATABASE = "hello_world_test"
APPS = {"orm": "bench.tfb.app", "raw": "bench.tfb.app_raw"}


def with_location(url: str, *, database: str = "", port: int = 0) -> str:
    """``url`` naming another database, or pointing at 127.0.0.1:``port`` (credentials kept)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if port:
        userinfo = netloc.rpartition("@")[0]
        netloc = f"{userinfo}@127.0.0.1:{port}" if userinfo else f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc, path=f"/{database}" if database else parts.path))


class Served(NamedTuple):
    client: httpx.Client
    statements: StatementLog
    dsn: str  # the test database, direct (not through the proxy)
    port: int


@pytest.fixture(scope="session")
def tfb_database() -> str:
    """``hello_world_test`` set up as TFB specifies; its direct URL."""
    require_server("postgresql")
    url = with_location(POSTGRESQL_URL, database=DATABASE)
    asyncio.run(prepare_database(url))
    return url


@pytest.fixture(scope="session")
def proxied(tfb_database: str) -> Iterator[tuple[str, StatementLog]]:
    """The test database's URL through the statement-logging proxy, and its log."""
    config = parse_url(tfb_database)
    with statement_proxy((config.host or "127.0.0.1", config.port or 5432)) as (port, log):
        yield with_location(tfb_database, port=port), log


@pytest.fixture(scope="module", params=list(APPS))
def served(
    request: pytest.FixtureRequest, tfb_database: str, proxied: tuple[str, StatementLog]
) -> Iterator[Served]:
    """Each app (ORM, raw) on CovetPy's server, its database through the proxy."""
    url, log = proxied
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COVET_TFB_DSN", url)
        patch.setenv("COVET_TFB_POOL_SIZE", "2")
        app: Any = importlib.import_module(APPS[request.param]).app
        with live_server(app) as server, httpx.Client(base_url=server.url) as client:
            yield Served(client, log, tfb_database, server.port)
