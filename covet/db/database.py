"""``Database``: the facade over a backend's pool.

Each call takes a connection from the pool and gives it back, unless the current task holds
one — inside ``async with db.connection():`` or ``async with db.transaction():`` — in which
case it runs on that connection. A held connection belongs to the task that took it: tasks
started inside the block get connections of their own (a connection runs one statement at a
time, so sharing it between tasks would interleave their transactions).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Optional, TypeVar, Union

from covet.db.backends.base import Backend, Connection, Params, Query, RowIterator, unpack_query
from covet.db.config import DatabaseConfig
from covet.db.results import ExecuteResult
from covet.db.stats import PoolStats
from covet.db.transaction import Transaction
from covet.db.url import DEFAULT_URL, parse_url

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["Database"]

#: PERF: the loop -> current Task dict that asyncio.current_task() reads (a plain dict up to
#: 3.13, where current_task is a Python function): read directly, as covet's server does.
_current_tasks: Optional[dict[Any, Any]] = getattr(asyncio.tasks, "_current_tasks", None)
_get_running_loop = asyncio.get_running_loop


def _current_task() -> Optional[asyncio.Task[Any]]:
    if _current_tasks is not None:
        return _current_tasks.get(_get_running_loop())
    return asyncio.current_task()


T = TypeVar("T")


def _make_backend(config: DatabaseConfig) -> Backend:
    if config.backend == "postgresql":
        from covet.db.backends.postgresql import PostgreSQLBackend

        return PostgreSQLBackend(config)
    if config.backend == "mysql":
        from covet.db.backends.mysql import MySQLBackend

        return MySQLBackend(config)
    from covet.db.backends.sqlite import SQLiteBackend

    return SQLiteBackend(config)


class Database:
    """A database and its connection pool.

    ``Database("postgresql://user@host/db?pool_max_size=20")``, ``Database("sqlite:///./app.db")``
    or ``Database(config)``; keyword arguments override the URL's options. With no URL, the
    embedded default ``sqlite:///./covet.db``.

    SQL text uses the backend's native placeholders — ``%s`` / ``%(name)s`` on PostgreSQL and
    MySQL, ``?`` / ``:name`` on SQLite (see :attr:`paramstyle`) — and values are always bound
    parameters. Every query method also takes a compiled query (an object with ``.sql`` and
    ``.params``) in place of ``(sql, params)``.
    """

    def __init__(self, url: Union[str, DatabaseConfig, None] = None, **options: Any) -> None:
        if isinstance(url, DatabaseConfig):
            config = url.replace(**options) if options else url
        else:
            config = parse_url(url or DEFAULT_URL, **options)
        self.config = config
        self._backend = _make_backend(config)
        self._held: contextvars.ContextVar[Optional[tuple[Optional[asyncio.Task[Any]], Connection]]] = (
            contextvars.ContextVar(f"covet.db.held.{id(self):x}", default=None)
        )

    def __repr__(self) -> str:
        state = "connected" if self._backend.is_open else "not connected"
        return f"<Database {self.config.url} ({state})>"

    @property
    def backend(self) -> str:
        """``"postgresql"``, ``"mysql"`` or ``"sqlite"``."""
        return self.config.backend

    @property
    def paramstyle(self) -> str:
        """The DB-API placeholder style SQL text must use: ``"format"`` or ``"qmark"``."""
        return self._backend.paramstyle

    @property
    def url(self) -> str:
        """The URL with the password hidden."""
        return self.config.url

    @property
    def is_connected(self) -> bool:
        return self._backend.is_open

    # -- Life cycle ------------------------------------------------------------------------------

    async def connect(self) -> None:
        """Open the pool (``pool_min_size`` connections); ConnectionError if the server is unreachable."""
        await self._backend.open()

    async def disconnect(self, timeout: float = 5.0) -> None:
        """Close the pool. Connections still in use get ``timeout`` seconds to be released,
        then are closed under their holders (logged as a warning)."""
        await self._backend.close(timeout)

    async def __aenter__(self) -> Database:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.disconnect()

    # -- Queries ---------------------------------------------------------------------------------

    def held_connection(self) -> Optional[Connection]:
        """The connection this task holds in a ``connection()`` or ``transaction()`` block, or
        None: what every call on the Database inside such a block runs on."""
        held = self._held.get()
        if held is None:
            return None
        return held[1] if held[0] is _current_task() else None

    async def execute(self, query: Query, params: Params = None) -> ExecuteResult:
        """Run a statement; return the number of rows it affected (-1 when not applicable).

        The result is an ``int`` whose ``.lastrowid`` is the id generated for an inserted row on
        MySQL/MariaDB and SQLite (None otherwise; on PostgreSQL use ``RETURNING``)."""
        conn = self.held_connection()
        if conn is not None:
            return await conn.execute(query, params)
        backend = self._backend
        conn = await backend.acquire()
        try:
            return await conn.execute(query, params)
        finally:
            await backend.release(conn)

    async def execute_many(self, query: Query, seq_of_params: Sequence[Params]) -> int:
        """Run a statement for each parameter set, batched (psycopg pipelines them, aiomysql
        rewrites INSERT … VALUES into multi-row INSERTs, sqlite3 loops in C in one hop)."""
        conn = self.held_connection()
        if conn is not None:
            return await conn.execute_many(query, seq_of_params)
        backend = self._backend
        conn = await backend.acquire()
        try:
            return await conn.execute_many(query, seq_of_params)
        finally:
            await backend.release(conn)

    async def copy_records(
        self,
        table: str,
        columns: Sequence[str],
        records: Iterable[Sequence[Any]],
        *,
        schema: Optional[str] = None,
    ) -> int:
        """Bulk-insert ``records`` (sequences of values in ``columns`` order) into ``table``;
        return the number of rows inserted.

        PostgreSQL streams them with ``COPY ... FROM STDIN`` (several times faster than
        ``execute_many``); MySQL and SQLite run a batched multi-row INSERT in one transaction.
        Either way all rows go in or none do. Table, schema and column names are checked and
        quoted like the query builder's identifiers (wrap unusual ones in ``quoted()``).
        """
        conn = self.held_connection()
        if conn is not None:
            return await conn.copy_records(table, columns, records, schema=schema)
        backend = self._backend
        conn = await backend.acquire()
        try:
            return await conn.copy_records(table, columns, records, schema=schema)
        finally:
            await backend.release(conn)

    async def fetch_all(self, query: Query, params: Params = None, *, as_tuples: bool = False) -> list[Any]:
        """Every row: :class:`~covet.db.Record` objects (index, key, attribute access,
        ``dict(row)``), or plain tuples with ``as_tuples=True`` (the fastest)."""
        conn = self.held_connection()
        if conn is not None:
            return await conn.fetch_all(query, params, as_tuples=as_tuples)
        backend = self._backend
        conn = await backend.acquire()
        try:
            return await conn.fetch_all(query, params, as_tuples=as_tuples)
        finally:
            await backend.release(conn)

    async def fetch_objects(
        self, query: Query, params: Params = None, *, cls: type[T], names: Optional[Sequence[str]] = None
    ) -> list[T]:
        """Every row as an instance of ``cls`` built without calling ``__init__``, with an
        attribute per column (or per name in ``names``), set as ``object.__setattr__`` would —
        slots, ``__dict__`` and properties work. The ORM's loading path."""
        conn = self.held_connection()
        if conn is not None:
            return await conn.fetch_objects(query, params, cls=cls, names=names)
        backend = self._backend
        conn = await backend.acquire()
        try:
            return await conn.fetch_objects(query, params, cls=cls, names=names)
        finally:
            await backend.release(conn)

    async def fetch_one(
        self,
        query: Query,
        params: Params = None,
        *,
        as_tuples: bool = False,
        load: Optional[Callable[[Optional[tuple[Any, ...]]], T]] = None,
    ) -> Any:
        """The first row, or None. The whole result is fetched: put a LIMIT in the query.

        ``load``, if given, is called with the row as a tuple (None when there is none) and its
        result is returned instead: an object built on the way out, with no coroutine around
        this one (the ORM's ``get()`` makes its instance, or raises DoesNotExist, this way)."""
        conn = self.held_connection()
        if conn is not None:
            return await conn.fetch_one(query, params, as_tuples=as_tuples, load=load)
        backend = self._backend
        conn = await backend.acquire()
        try:
            return await conn.fetch_one(query, params, as_tuples=as_tuples, load=load)
        finally:
            await backend.release(conn)

    async def fetch_val(self, query: Query, params: Params = None, *, column: Union[int, str] = 0) -> Any:
        """One value: ``column`` (index or name) of the first row, or None when there is no row."""
        conn = self.held_connection()
        if conn is not None:
            return await conn.fetch_val(query, params, column=column)
        backend = self._backend
        conn = await backend.acquire()
        try:
            return await conn.fetch_val(query, params, column=column)
        finally:
            await backend.release(conn)

    def iterate(
        self, query: Query, params: Params = None, *, batch_size: int = 1000, as_tuples: bool = False
    ) -> RowIterator:
        """Stream a large result with bounded memory: ``async for row in db.iterate(sql):``.

        A server-side cursor on PostgreSQL (inside a transaction, opened for the purpose if
        none is), an unbuffered SSCursor on MySQL, ``fetchmany`` on SQLite. The connection is
        held while iterating; on MySQL it can run nothing else until the result is consumed.
        """
        sql, params = unpack_query(query, params)
        return RowIterator(self._backend, self.held_connection(), sql, params, batch_size, as_tuples)

    # -- Scopes ----------------------------------------------------------------------------------

    def transaction(self, isolation: Optional[str] = None, readonly: bool = False) -> Transaction:
        """``async with db.transaction():`` — commits at the end, rolls back on an exception.

        Nested blocks are SAVEPOINTs: an inner rollback leaves the outer transaction going.
        ``isolation`` is one of "read uncommitted", "read committed", "repeatable read",
        "serializable" (SQLite is always serializable); ``readonly=True`` makes writes fail
        with :class:`~covet.db.ReadOnlyViolation`.
        """
        return Transaction(self, isolation=isolation, readonly=readonly)

    def connection(self) -> ConnectionScope:
        """``async with db.connection() as conn:`` — hold one connection for the block; every
        call on the Database inside it (transactions included) runs on that connection."""
        return ConnectionScope(self)

    async def _hold_connection(self) -> tuple[Connection, bool]:
        conn = self.held_connection()
        if conn is not None:
            return conn, False
        conn = await self._backend.acquire()
        self._held.set((_current_task(), conn))
        return conn, True

    async def _unhold_connection(self, conn: Connection) -> None:
        self._held.set(None)
        await self._backend.release(conn)

    # -- Introspection ---------------------------------------------------------------------------

    def pool_stats(self) -> PoolStats:
        """Size, idle, in use, waiting, acquire-time percentiles, replaced connections, leaks."""
        return self._backend.stats()


class ConnectionScope:
    """``async with db.connection() as conn``: the task's connection for the block."""

    __slots__ = ("_conn", "_db", "_held")

    def __init__(self, db: Database) -> None:
        self._db = db
        self._conn: Optional[Connection] = None
        self._held = False

    async def __aenter__(self) -> Connection:
        self._conn, self._held = await self._db._hold_connection()
        return self._conn

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        if self._held and self._conn is not None:
            self._held = False
            await self._db._unhold_connection(self._conn)
