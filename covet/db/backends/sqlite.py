"""SQLite through aiosqlite: a pool of connections in WAL mode, one writer at a time.

Placeholders: ``?`` with a sequence, ``:name`` with a mapping.

Concurrency: readers run in parallel, each on its own connection (aiosqlite gives each one a
thread). Writes are serialized by an asyncio lock held for the duration of a write statement
outside a transaction, or for a whole read-write transaction (which starts with
``BEGIN IMMEDIATE``). Waiting on an asyncio lock is FIFO and costs no thread; without it,
concurrent writers would spin in SQLite's busy handler and deferred transactions that upgrade
from read to write could fail with SQLITE_BUSY. A statement counts as a read when it starts
with SELECT, VALUES or EXPLAIN (or WITH … without INSERT/UPDATE/DELETE/REPLACE); anything else
takes the lock. Read-only transactions (``readonly=True``) begin DEFERRED with
``PRAGMA query_only`` on and take no lock. ``sqlite:///:memory:`` is one shared connection.

Each operation is one hop to the connection's thread (statement, fetch and column names
together), as aiosqlite's ``execute_fetchall`` does.

Types: SQLite stores TEXT, INTEGER, REAL and BLOB. CovetPy writes Decimal, UUID, date, time
and datetime as ISO text, dicts and :class:`~covet.db.Json` as JSON text, Enum members as
their value, bools as 0/1. Reading them back as Python objects follows the declared column
type (sqlite3's PARSE_DECLTYPES, with converters registered at start-up for DATE, TIME,
DATETIME, TIMESTAMP, DECIMAL, UUID, JSON, BOOLEAN/BOOL): declare ``d DATE`` and you get a
``date``. Note ``DECIMAL`` has NUMERIC affinity, which stores values as REAL when they look
numeric: declare ``DECIMAL TEXT`` to keep every digit. Aware datetimes keep their UTC offset.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Optional, cast

import aiosqlite

from covet.db.backends.base import Connection, Params, Query, unpack_query
from covet.db.config import DatabaseConfig
from covet.db.errors import ConnectionError, PoolTimeout, map_sqlite_error
from covet.db.pool import ConnectionPool, Expired, PooledBackend, expire_waiter
from covet.db.results import ExecuteResult
from covet.db.types import SQLITE_ADAPTERS, SQLITE_CONVERTERS, adapt_many, adapt_params

__all__ = ["SQLiteBackend", "SQLiteConnection", "is_read_statement"]

_converters_registered = False


def _register_converters() -> None:
    global _converters_registered
    if not _converters_registered:
        for name, converter in SQLITE_CONVERTERS.items():
            sqlite3.register_converter(name, converter)
        _converters_registered = True


_LEADING_COMMENTS = re.compile(r"^\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*", re.DOTALL)
_WRITE_WORDS = re.compile(r"\b(?:INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
_WRITE, _READ, _INSERT = 0, 1, 2
_kind_cache: dict[str, int] = {}


def _statement_kind(sql: str) -> int:
    kind = _kind_cache.get(sql)
    if kind is not None:
        return kind
    head = _LEADING_COMMENTS.sub("", sql, count=1)[:8].upper()
    if head.startswith(("SELECT", "VALUES", "EXPLAIN")):
        kind = _READ
    elif head.startswith("WITH"):
        kind = _WRITE if _WRITE_WORDS.search(sql) else _READ
    elif head.startswith(("INSERT", "REPLACE")):
        kind = _INSERT
    else:
        kind = _WRITE
    if len(_kind_cache) > 4096:
        _kind_cache.clear()
    _kind_cache[sql] = kind
    return kind


def is_read_statement(sql: str) -> bool:
    """True for statements that only read (they run without the writer lock)."""
    return _statement_kind(sql) == _READ


# Functions run in the connection's thread: one hop each.


def _fetch_in_thread(db: sqlite3.Connection, sql: str, params: Any) -> tuple[Sequence[str], list[Any]]:
    cur = db.execute(sql, params)
    rows = cur.fetchall()
    description = cur.description
    return ([d[0] for d in description] if description else ()), rows


def _execute_in_thread(db: sqlite3.Connection, sql: str, params: Any) -> tuple[int, Optional[int]]:
    cur = db.execute(sql, params)
    return cur.rowcount, cur.lastrowid


def _execute_many_in_thread(db: sqlite3.Connection, sql: str, seq: Any) -> int:
    if db.in_transaction:
        return db.executemany(sql, seq).rowcount
    # One transaction for the batch: all rows or none, and one commit instead of one per row.
    db.execute("BEGIN IMMEDIATE")
    try:
        count = db.executemany(sql, seq).rowcount
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return count


def _open_cursor_in_thread(db: sqlite3.Connection, sql: str, params: Any) -> tuple[sqlite3.Cursor, list[str]]:
    cur = db.execute(sql, params)
    description = cur.description
    return cur, ([d[0] for d in description] if description else [])


def _begin_readonly_in_thread(db: sqlite3.Connection) -> None:
    db.execute("BEGIN")
    db.execute("PRAGMA query_only = 1")


def _end_in_thread(db: sqlite3.Connection, sql: str) -> None:
    try:
        if db.in_transaction:
            db.execute(sql)
    finally:
        db.execute("PRAGMA query_only = 0")


def _barrier() -> None:
    """Runs after whatever the thread was doing: waiting for it means the thread is free."""


class _Call:
    """One function queued for the connection's thread; ``abandoned`` once its caller was cancelled."""

    __slots__ = ("abandoned",)

    def __init__(self) -> None:
        self.abandoned = False


def _unless_abandoned(call: _Call, fn: Callable[..., Any], *args: Any) -> Any:
    # A caller cancelled while its function still waited in the queue: interrupting does
    # nothing then (no statement runs yet), so the function must not start at all.
    if call.abandoned:
        raise sqlite3.OperationalError("interrupted: the caller was cancelled")
    return fn(*args)


class SQLiteConnection(Connection):
    __slots__ = ("_aio", "_db", "_interrupted", "_submit", "_write_locked")

    def __init__(self, backend: SQLiteBackend, aio: aiosqlite.Connection) -> None:
        super().__init__(backend)
        self._aio = aio
        self._db: sqlite3.Connection = aio._conn
        # aiosqlite's one-hop primitive: run a function in the connection's thread.
        self._submit = cast(Callable[..., Awaitable[Any]], aio._execute)
        self._write_locked = False
        self._interrupted = False

    @property
    def raw(self) -> aiosqlite.Connection:
        return self._aio

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        call = _Call()
        try:
            return await self._submit(_unless_abandoned, call, fn, *args)
        except asyncio.CancelledError:
            # The thread carries on: stop the statement (or keep it from starting), and wait
            # until the thread is free so the connection (and the writer lock) is not handed
            # on while it still runs.
            call.abandoned = True
            self._interrupted = True
            self._db.interrupt()
            with contextlib.suppress(BaseException):  # cancelled again: the release check resets it
                await self._submit(_barrier)
            raise

    async def _write(self, fn: Callable[..., Any], sql: str, params: Any, many: bool = False) -> Any:
        backend: SQLiteBackend = self._backend  # type: ignore[assignment]
        locked = self._tx_depth == 0 and not self._write_locked
        if locked:
            await backend.lock_writer()
        try:
            return await self._run(fn, self._db, sql, params)
        except sqlite3.Error as exc:
            raise map_sqlite_error(exc, sql, params, many) from exc
        finally:
            if locked:
                backend.unlock_writer()

    async def execute(self, query: Query, params: Params = None) -> ExecuteResult:
        if query.__class__ is not str:
            query, params = unpack_query(query, params)
        sql: str = query
        args = () if params is None else adapt_params(params, SQLITE_ADAPTERS)
        kind = _statement_kind(sql)
        if kind == _READ:
            try:
                count, _ = await self._run(_execute_in_thread, self._db, sql, args)
            except sqlite3.Error as exc:
                raise map_sqlite_error(exc, sql, params) from exc
            return ExecuteResult(count)
        count, lastrowid = await self._write(_execute_in_thread, sql, args)
        # sqlite3 reports the connection's last rowid after any statement: only an INSERT's counts.
        return ExecuteResult(count, lastrowid if kind == _INSERT and count > 0 else None)

    async def execute_many(self, query: Query, seq_of_params: Sequence[Params]) -> int:
        sql, _ = unpack_query(query, None) if query.__class__ is not str else (query, None)
        seq = adapt_many(seq_of_params, SQLITE_ADAPTERS)
        return await self._write(_execute_many_in_thread, sql, seq, many=True)  # type: ignore[no-any-return]

    async def _fetch(self, sql: str, params: Params) -> tuple[Sequence[str], Sequence[Any]]:
        args = () if params is None else adapt_params(params, SQLITE_ADAPTERS)
        if _statement_kind(sql) == _READ:
            try:
                result: tuple[Sequence[str], Sequence[Any]]
                result = await self._run(_fetch_in_thread, self._db, sql, args)
            except sqlite3.Error as exc:
                raise map_sqlite_error(exc, sql, params) from exc
            return result
        return await self._write(_fetch_in_thread, sql, args)  # type: ignore[no-any-return]

    async def _stream(
        self, sql: str, params: Params, batch_size: int
    ) -> AsyncIterator[tuple[Sequence[str], list[Any]]]:
        backend: SQLiteBackend = self._backend  # type: ignore[assignment]
        args = () if params is None else adapt_params(params, SQLITE_ADAPTERS)
        locked = _statement_kind(sql) != _READ and self._tx_depth == 0 and not self._write_locked
        if locked:
            await backend.lock_writer()
        try:
            try:
                cur, columns = await self._run(_open_cursor_in_thread, self._db, sql, args)
                try:
                    while True:
                        rows = await self._run(cur.fetchmany, batch_size)
                        if rows:
                            yield columns, rows
                        if len(rows) < batch_size:
                            break
                finally:
                    await self._run(cur.close)
            except sqlite3.Error as exc:
                raise map_sqlite_error(exc, sql, params) from exc
        finally:
            if locked:
                backend.unlock_writer()

    async def _begin(self, isolation: Optional[str], readonly: bool) -> None:
        # SQLite transactions are always SERIALIZABLE, which satisfies any requested level.
        backend: SQLiteBackend = self._backend  # type: ignore[assignment]
        try:
            if readonly:
                await self._run(_begin_readonly_in_thread, self._db)
                return
            await backend.lock_writer()
            self._write_locked = True
            await self._run(self._db.execute, "BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self._unlock()
            raise map_sqlite_error(exc, "BEGIN", None) from exc
        except BaseException:
            self._unlock()
            raise

    async def _end(self, sql: str) -> None:
        try:
            await self._run(_end_in_thread, self._db, sql)
        except sqlite3.Error as exc:
            if sql == "COMMIT":
                # A failed COMMIT leaves the transaction open in SQLite: end it before unlocking.
                try:
                    await self._run(_end_in_thread, self._db, "ROLLBACK")
                except sqlite3.Error:
                    self._broken = True
            raise map_sqlite_error(exc, sql, None) from exc
        finally:
            self._unlock()

    async def _commit(self) -> None:
        await self._end("COMMIT")

    async def _rollback(self) -> None:
        await self._end("ROLLBACK")

    def _unlock(self) -> None:
        if self._write_locked:
            self._write_locked = False
            backend: SQLiteBackend = self._backend  # type: ignore[assignment]
            backend.unlock_writer()

    def _needs_reset(self) -> bool:
        return self._interrupted or self._write_locked or self._tx_depth > 0 or self._db.in_transaction

    async def _reset(self) -> None:
        self._interrupted = False
        await self._end("ROLLBACK")

    def _is_closed(self) -> bool:
        return self._aio._connection is None


class WriterLock:
    """A FIFO lock with a deadline on acquire, handed directly from holder to next waiter.

    (asyncio.Lock has no deadline, and wrapping it in asyncio.timeout() costs a timer per write.)
    """

    __slots__ = ("_held", "_waiters")

    def __init__(self) -> None:
        self._held = False
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def acquire(self, timeout: float) -> bool:
        """True once held; False if ``timeout`` seconds passed first."""
        if not self._held and not self._waiters:
            self._held = True
            return True
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        timer = loop.call_later(timeout, expire_waiter, fut)
        self._waiters.append(fut)
        try:
            await fut
            return True  # the releaser handed the lock over: _held stayed True
        except Expired:
            self._waiters.remove(fut)
            return False
        except BaseException:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                self.release()  # handed over just as we were cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(fut)
            raise
        finally:
            timer.cancel()

    def release(self) -> None:
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return
        self._held = False


async def _thread_stopped(aio: aiosqlite.Connection) -> None:
    """aiosqlite stops its thread when connecting fails or is cancelled, once the connect under
    way returns; wait for that (up to a second) while this loop still runs: the thread reports
    back to the loop, and would find it closed (and die with "Event loop is closed")."""
    for _ in range(100):
        if not aio._thread.is_alive():
            return
        await asyncio.sleep(0.01)


class SQLiteBackend(PooledBackend[SQLiteConnection]):
    name = "sqlite"
    paramstyle = "qmark"

    def __init__(self, config: DatabaseConfig) -> None:
        super().__init__(config)
        self._write_lock = WriterLock()

    async def _connect(self) -> SQLiteConnection:
        c = self.config
        aio = aiosqlite.connect(
            c.database,
            isolation_level=None,  # autocommit; transactions are explicit
            detect_types=sqlite3.PARSE_DECLTYPES,
            cached_statements=c.statement_cache_size,
            check_same_thread=False,
            timeout=c.busy_timeout,
        )
        # A daemon thread: a program that ends without Database.disconnect() exits rather than
        # waiting forever on the connection's thread. What it committed is on disk already
        # (each commit returns only once SQLite has it); what it had not finished is lost as
        # it would be with any abrupt exit.
        aio._thread.daemon = True
        try:
            # Not wait_for, which on Python 3.11 can lose a cancellation (see MySQLBackend._disconnect).
            async with asyncio.timeout(c.connect_timeout):
                await aio
        except (sqlite3.Error, TimeoutError) as exc:
            await _thread_stopped(aio)
            raise ConnectionError(f"could not open {c.url}: {exc}", backend=self.name) from exc
        except asyncio.CancelledError:
            await _thread_stopped(aio)  # cancelled mid-connect: the thread still finishes it
            raise
        pragmas = [f"PRAGMA synchronous = {c.synchronous}", f"PRAGMA foreign_keys = {int(c.foreign_keys)}"]
        if not c.is_memory:
            pragmas.insert(0, f"PRAGMA journal_mode = {c.journal_mode}")

        def configure(db: sqlite3.Connection) -> None:
            for pragma in pragmas:
                db.execute(pragma).fetchall()

        try:
            await cast(Callable[..., Awaitable[Any]], aio._execute)(configure, aio._conn)
        except BaseException:
            await aio.close()
            raise
        return SQLiteConnection(self, aio)

    async def _disconnect(self, conn: SQLiteConnection) -> None:
        await conn.raw.close()

    async def _open_pool(self) -> None:
        _register_converters()
        c = self.config
        memory = c.is_memory
        pool = ConnectionPool(
            name="sqlite",
            open_connection=self._connect,
            close_connection=self._disconnect,
            check_connection=None,  # no server to lose
            # In memory, the one connection is the database: never close it while open.
            min_size=1 if memory else c.pool_min_size,
            max_size=c.pool_max_size or 1,
            max_idle=None if memory else c.max_idle,
            max_lifetime=None if memory else c.max_lifetime,
            check_after_idle=None,
        )
        await pool.open()
        self._pool = pool




    async def _force_close(self, conn: Connection) -> None:
        assert isinstance(conn, SQLiteConnection)
        conn._broken = True
        conn._db.interrupt()
        async with asyncio.timeout(5.0):
            await self._disconnect(conn)




    async def lock_writer(self) -> None:
        """Take the one-writer lock; PoolTimeout after acquire_timeout."""
        start = time.monotonic()
        if not await self._write_lock.acquire(self.config.acquire_timeout):
            self._timeouts += 1
            raise PoolTimeout(
                f"SQLite write lock not free after {time.monotonic() - start:.1f} s (one writer at a time; "
                f"in use={len(self._leases)}, waiting writers={self._write_lock.waiting + 1}); "
                f"keep write transactions short or find the leak — see pool_stats()",
                backend=self.name,
            )

    def unlock_writer(self) -> None:
        self._write_lock.release()
