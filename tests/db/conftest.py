"""Fixtures for the database engine tests: the three real backends.

SQLite always runs (a file in tmp_path). PostgreSQL and MySQL/MariaDB run against real
servers, by default the ones on loopback (override with COVET_TEST_POSTGRESQL_URL and
COVET_TEST_MYSQL_URL). An unreachable server skips its tests with the reason — except with
CI=true, where it fails them: CI must never go green by skipping the databases.
``require_server("redis")`` does the same for Redis (COVET_TEST_REDIS_URL), for other suites.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any, Optional

import pytest

from covet.db import Database

POSTGRESQL_URL = os.environ.get("COVET_TEST_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("COVET_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
REDIS_URL = os.environ.get("COVET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SERVER_URLS = {"postgresql": POSTGRESQL_URL, "mysql": MYSQL_URL, "redis": REDIS_URL}
BACKENDS = ("sqlite", "postgresql", "mysql")

_probed: dict[str, Optional[str]] = {}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def _probe(backend: str) -> Optional[str]:
    """None when the server answers, else why not (one synchronous attempt per session)."""
    if backend not in _probed:
        from covet.db import parse_url

        try:
            if backend == "redis":
                import redis

                with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3) as client:
                    client.ping()
                _probed[backend] = None
                return None
            config = parse_url(SERVER_URLS[backend])
            if backend == "postgresql":
                import psycopg

                psycopg.connect(
                    host=config.host, port=config.port, user=config.user, password=config.password,
                    dbname=config.database, connect_timeout=3,
                ).close()
            else:
                import pymysql

                pymysql.connect(
                    host=config.host or "localhost", port=config.port or 3306, user=config.user,
                    password=config.password or "", database=config.database, connect_timeout=3,
                ).close()
            _probed[backend] = None
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
            _probed[backend] = f"{type(exc).__name__}: {exc}".strip()
    return _probed[backend]


def require_server(backend: str) -> None:
    """Skip (or, with CI=true, fail) the current test when ``backend``'s server is unreachable."""
    if backend == "sqlite":
        return
    reason = _probe(backend)
    if reason is None:
        return
    message = f"{backend} server not reachable at {SERVER_URLS[backend]} ({reason})"
    if in_ci():
        pytest.fail(f"{message}; CI=true makes an unreachable database a failure, not a skip")
    pytest.skip(f"{message}; start it or set COVET_TEST_{backend.upper()}_URL")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    require_server(name)
    return name


@pytest.fixture
def server_backend(request: pytest.FixtureRequest) -> str:
    """Use with indirect parametrization over the server backends only."""
    name: str = request.param
    require_server(name)
    return name


@pytest.fixture
def make_url(tmp_path: Any) -> Callable[[str], str]:
    def make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / 'test.db'}"
        return SERVER_URLS[backend]

    return make


@pytest.fixture
def url(backend: str, make_url: Callable[[str], str]) -> str:
    return make_url(backend)


@pytest.fixture
async def db(url: str) -> AsyncIterator[Database]:
    database = Database(url, pool_min_size=1, pool_max_size=4, acquire_timeout=5.0)
    await database.connect()
    try:
        yield database
    finally:
        await database.disconnect()


@pytest.fixture
def ph(backend: str) -> str:
    """The backend's positional placeholder."""
    return "?" if backend == "sqlite" else "%s"


@pytest.fixture
async def table(db: Database) -> AsyncIterator[str]:
    """A unique table name, dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    if db.is_connected:
        await db.execute(f"DROP TABLE IF EXISTS {name}")


def placeholders(backend: str, n: int) -> str:
    return ", ".join(["?" if backend == "sqlite" else "%s"] * n)
