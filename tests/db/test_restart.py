"""After the PostgreSQL server restarts, the next queries succeed without restarting the app.

This restarts the real cluster on this machine with pg_ctlcluster, so it only runs as root
where that command exists, and is marked slow. The server is started again at the end even
when the test fails.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from covet.db import ConnectionError, Database

from .conftest import require_server

pytestmark = pytest.mark.slow


def _cluster_version() -> str | None:
    try:
        versions = sorted(os.listdir("/etc/postgresql"))
    except OSError:
        return None
    return versions[-1] if versions else None


def _pg_ctlcluster(action: str) -> subprocess.CompletedProcess[str]:
    version = _cluster_version()
    assert version is not None
    return subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _wait_until_accepting(url: str, timeout: float = 60.0) -> None:
    import psycopg

    from covet.db import parse_url

    config = parse_url(url)
    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(
                host=config.host, port=config.port, user=config.user, password=config.password,
                dbname=config.database, connect_timeout=2,
            ).close()
            return
        except psycopg.Error:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture
def restartable_postgresql(make_url: Any) -> Iterator[str]:
    if shutil.which("pg_ctlcluster") is None or _cluster_version() is None:
        pytest.skip("needs pg_ctlcluster and a cluster under /etc/postgresql")
    if os.geteuid() != 0:
        pytest.skip("restarting the PostgreSQL cluster needs root")
    require_server("postgresql")
    url: str = make_url("postgresql")
    try:
        yield url
    finally:
        # Whatever happened, leave the server running for everyone else.
        _pg_ctlcluster("start")  # "already running" is fine
        _wait_until_accepting(url)


async def test_queries_succeed_after_the_server_restarts(restartable_postgresql: str) -> None:
    # A second pool whose connections were opened and never used: they are dead after the
    # restart too, and must be checked although no query ever ran on them.
    untouched = Database(restartable_postgresql, pool_min_size=3, pool_max_size=3, acquire_timeout=15)
    await untouched.connect()
    async with Database(restartable_postgresql, pool_min_size=2, pool_max_size=5, acquire_timeout=15) as db:

        async def use() -> int:
            async with db.connection():
                await asyncio.sleep(0.05)
                return int(await db.fetch_val("SELECT pg_backend_pid()"))

        before = set(await asyncio.gather(*(use() for _ in range(4))))
        assert len(before) == 4 and db.pool_stats().idle >= 2  # several idle connections, soon dead

        in_flight = asyncio.get_running_loop().create_task(db.fetch_val("SELECT pg_sleep(30)"))
        await asyncio.sleep(0.3)
        result = await asyncio.to_thread(_pg_ctlcluster, "restart")
        assert result.returncode == 0, result.stderr
        # The statement running during the restart fails as a lost connection, and its
        # connection does not come back to the pool.
        with pytest.raises(ConnectionError):
            await in_flight
        assert db.pool_stats().in_use == 0

        start = time.monotonic()
        assert await db.fetch_val("SELECT 1") == 1
        after = set(await asyncio.gather(*(use() for _ in range(4))))
        assert time.monotonic() - start < 10
        assert not before & after  # every connection in use now is a new one
        stats = db.pool_stats()
        assert stats.connections_replaced >= 4
        assert stats.in_use == 0

        start = time.monotonic()
        try:
            assert await untouched.fetch_val("SELECT 1") == 1
            # Dead connections are discarded at once: psycopg_pool's own check= would back off
            # 1 s, 2 s, 4 s... between them.
            assert time.monotonic() - start < 2.0
        finally:
            await untouched.disconnect()
