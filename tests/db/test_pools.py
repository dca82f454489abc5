"""Pools: exhaustion, cancellation, leaks, replaced connections, the SQLite writer lock."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import aiomysql.connection  # type: ignore[import-untyped]
import aiosqlite
import pytest

from covet.db import Connection, ConnectionError, Database, InterfaceError, PoolTimeout
from tests.waiting import wait_for

SERVER_BACKENDS = pytest.mark.parametrize("server_backend", ["postgresql", "mysql"], indirect=True)


def slow_query(backend: str, marker: str = "") -> str:
    """A statement that runs until stopped: seconds on a server (a session left behind by a
    failing test ends soon), for hours on SQLite (in this process, so a connection left running
    it blocks whatever is queued behind it, and the test times out)."""
    if backend == "postgresql":
        return f"SELECT pg_sleep(5) /* {marker} */"
    if backend == "mysql":
        return f"SELECT SLEEP(5) /* {marker} */"
    return (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000000)"
        " SELECT count(*) FROM c"
    )


def raw_in_transaction(conn: Connection, backend: str) -> bool:
    """Ask the driver itself whether the connection has a transaction open."""
    if backend == "postgresql":
        from psycopg.pq import TransactionStatus

        return bool(conn.raw.info.transaction_status != TransactionStatus.IDLE)
    if backend == "mysql":
        return bool(conn.raw.get_transaction_status())
    return bool(conn.raw.in_transaction)


async def server_is_still_running(db: Database, backend: str, marker: str) -> bool:
    if backend == "postgresql":
        sql = (
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE state = 'active' AND query LIKE %s AND pid <> pg_backend_pid()"
        )
    elif backend == "mysql":
        sql = (
            "SELECT count(*) FROM information_schema.processlist"
            " WHERE info LIKE %s AND id <> CONNECTION_ID()"
        )
    else:
        return False
    return bool(await db.fetch_val(sql, (f"%{marker}%",)))


# -- Exhaustion --------------------------------------------------------------------------------


async def test_exhausted_pool_raises_pool_timeout_with_the_numbers(url: str) -> None:
    async with Database(url, pool_max_size=2, acquire_timeout=0.3) as db:
        release = asyncio.Event()
        holding = 0

        async def hold() -> None:
            nonlocal holding
            async with db.connection():
                holding += 1
                await release.wait()

        loop = asyncio.get_running_loop()
        holders = [loop.create_task(hold()) for _ in range(2)]
        await wait_for(lambda: holding == 2)
        started = loop.time()
        waiter = loop.create_task(db.fetch_val("SELECT 1"))
        await wait_for(lambda: db.pool_stats().waiting == 1)  # it queues rather than failing at once
        with pytest.raises(PoolTimeout) as caught:
            await waiter
        assert loop.time() - started >= 0.25  # it gave up only after its acquire_timeout (0.3 s)
        assert str(caught.value) == (
            "no connection free after 0.3 s (pool max_size=2, in use=2, waiting=1); "
            "raise max_size or find the leak — see pool_stats()"
        )
        many = await asyncio.gather(*(db.fetch_val("SELECT 1") for _ in range(5)), return_exceptions=True)
        assert all(isinstance(r, PoolTimeout) for r in many)
        assert any("waiting=5" in str(r) for r in many)
        stats = db.pool_stats()
        assert stats.timeouts == 6 and stats.in_use == 2 and stats.waiting == 0
        release.set()
        await asyncio.gather(*holders)
        assert await db.fetch_val("SELECT 1") == 1
        assert db.pool_stats().in_use == 0


async def test_waiters_are_served_when_a_connection_comes_back(url: str) -> None:
    async with Database(url, pool_max_size=2, acquire_timeout=5.0) as db:
        order: list[int] = []

        async def use(i: int) -> None:
            async with db.connection():
                order.append(i)
                await asyncio.sleep(0.02)

        await asyncio.gather(*(use(i) for i in range(10)))
        assert sorted(order) == list(range(10))
        stats = db.pool_stats()
        assert stats.size <= 2 and stats.in_use == 0 and stats.acquires == 10


# -- Cancellation ------------------------------------------------------------------------------


async def test_cancel_mid_query_returns_a_clean_connection(db: Database, backend: str) -> None:
    marker = f"covet-cancel-{uuid.uuid4().hex}"
    task = asyncio.get_running_loop().create_task(db.fetch_val(slow_query(backend, marker)))
    await wait_for(lambda: db.pool_stats().in_use == 1)
    await asyncio.sleep(0.2)  # inside the statement now
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert db.pool_stats().in_use == 0
    # The statement was stopped on the server too, not left running (it would run for 5 s).
    for _ in range(100):
        if not await server_is_still_running(db, backend, marker):
            break
        await asyncio.sleep(0.02)
    assert not await server_is_still_running(db, backend, marker)
    # So the next statement is not queued behind it (on SQLite it would never run).
    async with db.connection() as conn:
        assert await db.fetch_val("SELECT 1") == 1
        assert not raw_in_transaction(conn, backend)


async def test_cancel_mid_transaction_rolls_back(db: Database, table: str, backend: str, ph: str) -> None:
    await db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY)")
    started = asyncio.Event()

    async def work(slow: bool) -> None:
        async with db.transaction():
            await db.execute(f"INSERT INTO {table} (id) VALUES ({ph})", (1,))
            started.set()
            if slow:
                await db.fetch_val(slow_query(backend))  # cancelled in the statement
            else:
                await asyncio.sleep(10)  # cancelled between statements

    for slow in (True, False):
        started.clear()
        task = asyncio.get_running_loop().create_task(work(slow))
        await started.wait()
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert db.pool_stats().in_use == 0
        async with db.connection() as conn:
            assert not raw_in_transaction(conn, backend)
            assert await db.fetch_val(f"SELECT count(*) FROM {table}") == 0


async def test_cancel_while_waiting_for_a_connection(url: str) -> None:
    async with Database(url, pool_max_size=1, acquire_timeout=5.0) as db:
        async with db.connection():
            waiter = asyncio.get_running_loop().create_task(db.fetch_val("SELECT 1"))
            await wait_for(lambda: db.pool_stats().waiting == 1)
            waiter.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiter
            assert db.pool_stats().waiting == 0
        assert db.pool_stats().in_use == 0
        assert await db.fetch_val("SELECT 1") == 1


async def test_a_query_waiting_when_the_pool_closes_is_told_what_happened(url: str) -> None:
    db = Database(url, pool_max_size=1, acquire_timeout=60.0)
    await db.connect()
    release = asyncio.Event()

    async def hold() -> None:
        async with db.connection():
            await release.wait()

    loop = asyncio.get_running_loop()
    holder = loop.create_task(hold())
    try:
        await wait_for(lambda: db.pool_stats().in_use == 1)
        waiter = loop.create_task(db.fetch_val("SELECT 1"))
        await wait_for(lambda: db.pool_stats().waiting == 1)
        # The held connection is closed under its holder after 0.1 s; the waiter is told why.
        closing = loop.create_task(db.disconnect(timeout=0.1))
        with pytest.raises(InterfaceError, match=r"pool is closed: Database.disconnect\(\) ran; call `await"):
            await waiter
        await closing
    finally:
        release.set()
        await holder


async def test_an_exception_in_a_connection_block_releases_it(db: Database) -> None:
    with pytest.raises(ZeroDivisionError):
        async with db.connection():
            await db.fetch_val("SELECT 1")
            1 / 0  # noqa: B018
    assert db.pool_stats().in_use == 0


# -- Leaks -------------------------------------------------------------------------------------


async def hold_a_connection_too_long(db: Database, seconds: float) -> None:
    async with db.connection():
        await asyncio.sleep(seconds)


async def test_leak_is_reported_with_the_acquiring_stack(url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="covet.db")
    async with Database(url, leak_threshold=0.1) as db:
        await hold_a_connection_too_long(db, 0.4)
        assert db.pool_stats().leaks_detected == 1
    leaks = [r for r in caplog.records if "probable leak" in r.getMessage()]
    assert len(leaks) == 1  # reported once, not at every check
    message = leaks[0].getMessage()
    assert "held for" in message and "leak_threshold=0.1 s" in message
    assert "hold_a_connection_too_long" in message and "test_pools.py" in message
    assert "in test_leak_is_reported_with_the_acquiring_stack" in message  # the caller, too
    assert "async with db.connection():" in message  # the source line that acquired it


async def test_leak_detection_off_reports_nothing(url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="covet.db")
    async with Database(url, leak_threshold=None) as db:
        await hold_a_connection_too_long(db, 0.2)
        assert db.pool_stats().leaks_detected == 0
    assert not [r for r in caplog.records if "probable leak" in r.getMessage()]


# -- Replacing connections ---------------------------------------------------------------------


async def kill_backend_connection(db: Database, backend: str, make_url: Callable[[str], str]) -> None:
    """End the pool's connection from the server side, as a restart or a proxy would."""
    if backend == "postgresql":
        victim = await db.fetch_val("SELECT pg_backend_pid()")
        async with Database(make_url(backend), pool_min_size=0) as admin:
            assert await admin.fetch_val("SELECT pg_terminate_backend(%s)", (victim,)) is True
    else:
        victim = await db.fetch_val("SELECT CONNECTION_ID()")
        async with Database(make_url(backend), pool_min_size=0) as admin:
            await admin.execute(f"KILL {int(victim)}")
    await asyncio.sleep(0.1)


@SERVER_BACKENDS
async def test_dead_connection_is_replaced_on_checkout(
    server_backend: str, make_url: Callable[[str], str]
) -> None:
    async with Database(make_url(server_backend), pool_max_size=1, check_after_idle=0) as db:
        await kill_backend_connection(db, server_backend, make_url)
        assert await db.fetch_val("SELECT 1") == 1  # the checkout ping found it dead
        assert db.pool_stats().connections_replaced >= 1


@SERVER_BACKENDS
@pytest.mark.parametrize("check_after_idle", [None, 60.0])
async def test_without_the_check_a_dead_connection_fails_once(
    server_backend: str, make_url: Callable[[str], str], check_after_idle: Any
) -> None:
    """No check (None), or the connection was used too recently to be checked (60 s)."""
    async with Database(make_url(server_backend), pool_max_size=1, check_after_idle=check_after_idle) as db:
        await kill_backend_connection(db, server_backend, make_url)
        with pytest.raises(ConnectionError):
            await db.fetch_val("SELECT 1")
        assert db.pool_stats().in_use == 0
        assert await db.fetch_val("SELECT 1") == 1  # the broken one was discarded


async def test_unreachable_server_is_a_connection_error() -> None:
    for url in ("postgresql://postgres@127.0.0.1:1/test", "mysql://root@127.0.0.1:1/test"):
        db = Database(url, connect_timeout=2)
        with pytest.raises(ConnectionError, match="could not connect to"):
            await db.connect()
        assert not db.is_connected


async def test_missing_sqlite_directory_is_a_connection_error(tmp_path: Any) -> None:
    db = Database(f"sqlite:///{tmp_path}/no/such/dir/app.db")
    with pytest.raises(ConnectionError, match="could not open"):
        await db.connect()


async def test_idle_connections_above_min_size_are_closed(url: str) -> None:
    async with Database(url, pool_min_size=1, pool_max_size=4, max_idle=0.2) as db:

        async def use() -> None:
            async with db.connection():
                await asyncio.sleep(0.1)

        await asyncio.gather(*(use() for _ in range(3)))
        assert db.pool_stats().size == 3
        await wait_for(lambda: db.pool_stats().size == 1, timeout=5.0)
        assert db.pool_stats().connections_replaced >= 2
        assert await db.fetch_val("SELECT 1") == 1


async def test_connections_past_max_lifetime_are_replaced(url: str) -> None:
    async with Database(url, pool_min_size=1, pool_max_size=2, max_lifetime=0.2) as db:
        assert await db.fetch_val("SELECT 1") == 1
        await asyncio.sleep(0.3)
        # Replaced at checkout (our pool) or when given back (psycopg_pool).
        for _ in range(2):
            assert await db.fetch_val("SELECT 1") == 1
        await wait_for(lambda: db.pool_stats().connections_replaced >= 1)


# -- Cancellation meeting the pool's own closing of connections -------------------------------
# A cancellation that arrives just as the driver finishes closing (or opening) a connection must
# not be lost: asyncio.wait_for on Python 3.11 drops it (CPython gh-86296), and a lost cancellation
# of the pool's housekeeper made disconnect() wait forever. Each test has the driver call trigger
# the cancellation right after it returns, before covet's code resumes: no timing involved. Our
# pool closes SQLite and MySQL connections itself; psycopg_pool closes PostgreSQL's in its own
# workers, which its close() stops with a message, not a cancellation.

POOLED_BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "mysql"], indirect=True)
DRIVER_CLOSE = {"sqlite": "close", "mysql": "ensure_closed"}  # how each backend ends a connection


def after_driver_close(
    monkeypatch: pytest.MonkeyPatch, conn: Connection, backend: str, then: Callable[[], Any]
) -> None:
    """Call ``then()`` as soon as the driver has closed ``conn``, before its caller resumes."""
    raw = conn.raw
    close = getattr(raw, DRIVER_CLOSE[backend])

    async def close_then() -> None:
        await close()
        then()

    monkeypatch.setattr(raw, DRIVER_CLOSE[backend], close_then)


async def hold_together(db: Database, n: int) -> list[Connection]:
    """Check out ``n`` connections at the same time (the pool grows to n), then give them back."""
    conns: list[Connection] = []
    all_held = asyncio.Event()

    async def hold() -> None:
        async with db.connection() as conn:
            conns.append(conn)
            if len(conns) == n:
                all_held.set()
            await all_held.wait()

    await asyncio.gather(*(hold() for _ in range(n)))
    return conns


async def expect_to_finish(disconnecting: asyncio.Task[None]) -> None:
    done, _ = await asyncio.wait([disconnecting], timeout=10)
    if not done:
        disconnecting.cancel()  # cancels the housekeeper once more, so the test can end
        pytest.fail("disconnect() hung: the pool's housekeeper lost its cancellation")


@POOLED_BACKENDS
async def test_disconnect_while_idle_connections_are_reaped_returns_and_closes_them_all(
    url: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(url, pool_min_size=1, pool_max_size=4, max_idle=1.0)
    await db.connect()
    conns = await hold_together(db, 4)
    disconnecting: list[asyncio.Task[None]] = []

    def disconnect_once() -> None:
        if not disconnecting:
            disconnecting.append(asyncio.get_running_loop().create_task(db.disconnect()))

    for conn in conns:
        after_driver_close(monkeypatch, conn, backend, disconnect_once)
        conn.released_at -= 60  # idle far past max_idle: the reaper's next round closes three
    await wait_for(lambda: bool(disconnecting))  # the reaper closed one and disconnect() began
    await expect_to_finish(disconnecting[0])
    assert not db.is_connected
    assert all(conn._is_closed() for conn in conns)  # the reaped ones and the rest


@pytest.mark.parametrize("server_backend", ["mysql"], indirect=True)
async def test_disconnect_returns_even_if_the_driver_loses_the_cancellation_mid_refill(
    server_backend: str, make_url: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiomysql connects with asyncio.wait_for: the pool's refill can lose the cancellation."""
    db = Database(make_url(server_backend), pool_min_size=1, pool_max_size=1, max_idle=1.0)
    await db.connect()
    async with db.connection() as conn:
        conn.raw.close()  # the connection died: discarded when given back, the reaper refills
    disconnecting: list[asyncio.Task[None]] = []
    writers: list[asyncio.StreamWriter] = []
    open_socket = aiomysql.connection._open_connection  # what aiomysql wraps in wait_for

    async def open_then_disconnect(*args: Any, **kwargs: Any) -> Any:
        reader, writer = await open_socket(*args, **kwargs)
        writers.append(writer)
        if not disconnecting:
            disconnecting.append(asyncio.get_running_loop().create_task(db.disconnect()))
        return reader, writer

    monkeypatch.setattr(aiomysql.connection, "_open_connection", open_then_disconnect)
    await wait_for(lambda: bool(disconnecting))
    await expect_to_finish(disconnecting[0])
    assert not db.is_connected
    assert all(writer.is_closing() for writer in writers)  # the refilled connection too


@POOLED_BACKENDS
async def test_a_task_cancelled_as_its_checkout_closes_an_expired_connection_is_cancelled(
    url: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Database(url, pool_min_size=1, pool_max_size=1, max_lifetime=60) as db:
        async with db.connection() as conn:
            pass
        conn.created_at -= 120  # past max_lifetime: the next checkout closes it, opens another
        query = asyncio.get_running_loop().create_task(db.fetch_val("SELECT 1"))
        after_driver_close(monkeypatch, conn, backend, query.cancel)
        with pytest.raises(asyncio.CancelledError):
            await query
        assert conn._is_closed()
        stats = db.pool_stats()
        assert stats.in_use == 0 and stats.waiting == 0 and stats.size <= 1
        assert await db.fetch_val("SELECT 1") == 1


async def test_a_task_cancelled_as_its_new_sqlite_connection_opens_is_cancelled(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Database(sqlite_url, pool_min_size=0, pool_max_size=1) as db:
        query = asyncio.get_running_loop().create_task(db.fetch_val("SELECT 1"))
        connect = aiosqlite.Connection._connect

        async def connect_then_cancel(aio: aiosqlite.Connection) -> aiosqlite.Connection:
            opened = await connect(aio)
            query.cancel()
            return opened

        monkeypatch.setattr(aiosqlite.Connection, "_connect", connect_then_cancel)
        with pytest.raises(asyncio.CancelledError):
            await query
        monkeypatch.undo()
        assert db.pool_stats().size == 0  # the connection it was opening is closed, not counted
        assert await db.fetch_val("SELECT 1") == 1


async def test_a_task_cancelled_while_sqlite_connects_leaves_no_thread_behind(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    opening = threading.Event()
    connect = sqlite3.connect

    def slow_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opening.set()
        time.sleep(0.2)  # in aiosqlite's thread: the file is slow to open
        return connect(*args, **kwargs)

    async with Database(sqlite_url, pool_min_size=0, pool_max_size=1) as db:
        monkeypatch.setattr(sqlite3, "connect", slow_connect)
        before = set(threading.enumerate())
        query = asyncio.get_running_loop().create_task(db.fetch_val("SELECT 1"))
        await asyncio.get_running_loop().run_in_executor(None, opening.wait, 5)
        query.cancel()
        with pytest.raises(asyncio.CancelledError):
            await query
        # Its connect finished and its thread stopped while the loop still ran: none outlives it.
        left = [t for t in set(threading.enumerate()) - before if "_connection_worker_thread" in t.name]
        assert left == []
        monkeypatch.undo()
        assert db.pool_stats().size == 0
        assert await db.fetch_val("SELECT 1") == 1


# -- SQLite: one writer, parallel readers ------------------------------------------------------


@pytest.fixture
def sqlite_url(make_url: Callable[[str], str]) -> str:
    return make_url("sqlite")


async def test_sqlite_writers_take_turns(sqlite_url: str) -> None:
    async with Database(sqlite_url, pool_max_size=5, busy_timeout=0.05) as db:
        await db.execute("CREATE TABLE counter (n INTEGER)")
        await db.execute("INSERT INTO counter VALUES (0)")

        async def increment() -> None:
            async with db.transaction():
                n = await db.fetch_val("SELECT n FROM counter")
                await asyncio.sleep(0.01)  # let the others try to write meanwhile
                await db.execute("UPDATE counter SET n = ?", (n + 1,))

        # A tiny busy_timeout: without the writer lock these would fail with "database is locked".
        await asyncio.gather(*(increment() for _ in range(10)))
        await asyncio.gather(*(db.execute("UPDATE counter SET n = n + 1") for _ in range(10)))
        assert await db.fetch_val("SELECT n FROM counter") == 20


async def test_sqlite_readers_do_not_wait_for_the_writer(sqlite_url: str) -> None:
    async with Database(sqlite_url, pool_max_size=3) as db:
        await db.execute("CREATE TABLE t (v INTEGER)")
        await db.execute("INSERT INTO t VALUES (1)")
        writing, read = asyncio.Event(), asyncio.Event()

        async def long_write() -> None:
            async with db.transaction():
                await db.execute("UPDATE t SET v = 2")
                writing.set()
                await read.wait()  # commits only once the reader has its answer

        writer = asyncio.get_running_loop().create_task(long_write())
        await writing.wait()
        # A reader that waited for the writer would wait forever here (and the test time out).
        assert await db.fetch_val("SELECT v FROM t") == 1  # WAL: the last committed value
        assert not writer.done()
        read.set()
        await writer
        assert await db.fetch_val("SELECT v FROM t") == 2


async def test_sqlite_write_lock_times_out_with_a_pool_timeout(sqlite_url: str) -> None:
    async with Database(sqlite_url, pool_max_size=3, acquire_timeout=0.2) as db:
        await db.execute("CREATE TABLE t (v INTEGER)")
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (1)")

            async def other_writer() -> None:
                await db.execute("INSERT INTO t VALUES (2)")

            with pytest.raises(PoolTimeout, match="SQLite write lock not free after 0.2 s"):
                await asyncio.get_running_loop().create_task(other_writer())
        assert await db.fetch_val("SELECT count(*) FROM t") == 1


def test_sqlite_statement_classification() -> None:
    from covet.db.backends.sqlite import is_read_statement

    assert is_read_statement("SELECT 1")
    assert is_read_statement("  -- comment\n /* x */ select * from t")
    assert is_read_statement("WITH a AS (SELECT 1) SELECT * FROM a")
    assert not is_read_statement("WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a")
    assert not is_read_statement("INSERT INTO t VALUES (1) RETURNING id")
    assert not is_read_statement("PRAGMA journal_mode = wal")
    assert not is_read_statement("CREATE TABLE t (v INTEGER)")


async def test_disconnect_waits_for_connections_in_use(url: str) -> None:
    db = Database(url)
    await db.connect()
    released = asyncio.Event()

    async def finish_work() -> None:
        async with db.connection():
            await asyncio.sleep(0.2)
        released.set()

    worker = asyncio.get_running_loop().create_task(finish_work())
    await wait_for(lambda: db.pool_stats().in_use == 1)
    await db.disconnect(timeout=5.0)
    assert released.is_set()  # disconnect waited for it
    await worker


async def test_disconnect_closes_connections_never_given_back(
    url: str, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="covet.db")
    db = Database(url)
    await db.connect()
    forgotten = await db._backend.acquire()  # a leak: never released
    await db.disconnect(timeout=0.2)  # returns although it never comes back
    assert "still in use after 0.2 s; closing them" in caplog.text
    if backend == "sqlite":
        await wait_for(lambda: not forgotten.raw._thread.is_alive())  # its thread is gone
    else:
        assert forgotten.raw.closed
    await db._backend.release(forgotten)  # a late release is harmless


@SERVER_BACKENDS
async def test_sslmode_require_never_falls_back_to_plain_text(
    server_backend: str, make_url: Callable[[str], str]
) -> None:
    db = Database(make_url(server_backend), sslmode="require")
    try:
        await db.connect()
    except ConnectionError as exc:
        assert "SSL" in str(exc)  # the server has no TLS: refused, not silently downgraded
        return
    try:
        if server_backend == "postgresql":
            assert await db.fetch_val("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") is True
        else:
            assert (await db.fetch_one("SHOW SESSION STATUS LIKE 'Ssl_cipher'"))[1] != ""
    finally:
        await db.disconnect()


async def test_sqlite_writer_lock_is_fifo_with_deadlines_and_survives_cancellation() -> None:
    from covet.db.backends.sqlite import WriterLock

    lock = WriterLock()
    assert await lock.acquire(1.0)
    order: list[int] = []

    async def writer(i: int) -> None:
        assert await lock.acquire(5.0)
        order.append(i)
        await asyncio.sleep(0)
        lock.release()

    tasks = [asyncio.get_running_loop().create_task(writer(i)) for i in range(3)]
    cancelled = asyncio.get_running_loop().create_task(writer(99))
    await asyncio.sleep(0.01)
    assert lock.waiting == 4
    assert not await lock.acquire(0.05)  # times out behind them, and leaves the queue
    assert lock.waiting == 4
    cancelled.cancel()
    lock.release()  # hands over to writer 0 while writer 99 is being cancelled
    await asyncio.gather(*tasks)
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert order == [0, 1, 2]
    assert lock.waiting == 0 and await lock.acquire(0.01)  # free again: nothing leaked


async def test_cancel_during_a_bulk_copy_is_all_or_nothing_and_keeps_the_pool(
    db: Database, table: str, backend: str
) -> None:
    await db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY)")
    n = 200_000

    def rows() -> Any:
        yield from ((i,) for i in range(n))

    for delay in (0.0, 0.02, 0.1):  # before the rows leave, while they go, later
        task = asyncio.get_running_loop().create_task(db.copy_records(table, ["id"], rows()))
        await asyncio.sleep(delay)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert db.pool_stats().in_use == 0
        async with db.connection() as conn:
            assert not raw_in_transaction(conn, backend)
            inserted = await db.fetch_val(f"SELECT count(*) FROM {table}")
        assert inserted in (0, n)  # all rows or none, never some
        await db.execute(f"DELETE FROM {table}")
    assert await db.copy_records(table, ["id"], [(1,), (2,)]) == 2
