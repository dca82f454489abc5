"""What every backend provides: a pool of :class:`Connection` objects behind one accounting layer.

A backend implements ``_open``/``_close``, ``_acquire``/``_release`` of its own pool and a
Connection subclass with the statements; this module adds, the same way for all of them, the
acquire timeout with its :class:`PoolTimeout` message, acquire-time percentiles, the in-use and
waiting counts, leak reports (the stacks come from ``leaks``), and clean-up of connections that come
back dirty (open transaction, cancelled mid-statement).
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Optional, Protocol, TypeVar, Union

from covet.db.backends.leaks import AcquiredAt, Lease
from covet.db.config import DatabaseConfig
from covet.db.errors import InterfaceError, PoolTimeout
from covet.db.records import KIND_RECORD, KIND_TUPLE, decode_objects, decode_row, decode_rows
from covet.db.results import ExecuteResult
from covet.db.stats import AcquireTimes, PoolStats

if TYPE_CHECKING:
    from covet.db.transaction import Transaction

__all__ = [
    "Backend",
    "CompiledQuery",
    "Connection",
    "Params",
    "Query",
    "RowIterator",
    "unpack_query",
]

logger = logging.getLogger("covet.db")

Params = Union[Sequence[Any], Mapping[str, Any], None]
T = TypeVar("T")


class CompiledQuery(Protocol):
    """What the query builder produces: SQL in the backend's placeholder style and its values."""

    @property
    def sql(self) -> str: ...

    @property
    def params(self) -> Union[Sequence[Any], Mapping[str, Any]]: ...


Query = Union[str, CompiledQuery]


def unpack_query(query: Query, params: Params) -> tuple[str, Params]:
    """``(sql, params)`` from a SQL string and its parameters, or from a compiled query object."""
    if query.__class__ is str:
        return query, params
    try:
        sql = query.sql  # type: ignore[union-attr]
        compiled_params = query.params  # type: ignore[union-attr]
    except AttributeError:
        raise TypeError(
            f"expected SQL text or a compiled query with .sql and .params, got {type(query).__name__}"
        ) from None
    if params is not None:
        raise TypeError("params given twice: the compiled query already carries its parameters")
    return sql, compiled_params


# -- Connections --------------------------------------------------------------------------------


class Connection(abc.ABC):
    """One database connection with the query API of :class:`~covet.db.Database`.

    You get one from ``async with db.connection() as conn``; every method of Database is here
    too and behaves the same, on this connection.
    """

    __slots__ = ("_backend", "_broken", "_readonly", "_sp_seq", "_tx_depth", "created_at", "released_at")

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self._tx_depth = 0
        self._sp_seq = 0
        self._readonly = False
        self._broken = False
        self.created_at = time.monotonic()
        self.released_at = self.created_at

    @property
    @abc.abstractmethod
    def raw(self) -> Any:
        """The driver's connection object (psycopg, aiomysql or aiosqlite)."""

    @property
    def in_transaction(self) -> bool:
        return self._tx_depth > 0

    # The query API. `query` is SQL text in the backend's placeholder style or a compiled query.

    @abc.abstractmethod
    async def execute(self, query: Query, params: Params = None) -> ExecuteResult:
        """Run a statement; return the number of rows it affected (-1 when not applicable),
        with the id it generated for an inserted row as ``.lastrowid`` (MySQL, SQLite)."""

    @abc.abstractmethod
    async def execute_many(self, query: Query, seq_of_params: Sequence[Params]) -> int:
        """Run a statement once per parameter set, batched by the driver; return rows affected."""

    async def copy_records(
        self,
        table: str,
        columns: Sequence[str],
        records: Iterable[Sequence[Any]],
        *,
        schema: Optional[str] = None,
    ) -> int:
        """Insert many rows at once; return how many (see :meth:`Database.copy_records`).

        Here a multi-row INSERT, batched by the driver in one transaction; PostgreSQL overrides
        it with COPY."""
        fmt = self._backend.paramstyle == "format"
        target, names = self._copy_target(table, columns, schema, escape_percent=fmt)
        placeholders = ", ".join(["%s" if fmt else "?"] * len(columns))
        sql = f"INSERT INTO {target} ({names}) VALUES ({placeholders})"  # noqa: S608 - quoted names  # nosec B608
        rows = records if isinstance(records, Sequence) else list(records)
        if not rows:
            return 0
        return await self.execute_many(sql, rows)

    def _copy_target(
        self, table: str, columns: Sequence[str], schema: Optional[str], *, escape_percent: bool
    ) -> tuple[str, str]:
        """(quoted table, quoted column list) for a bulk insert; InvalidIdentifierError if unsafe.
        ``escape_percent`` doubles a ``%`` in a quoted name, for SQL sent with ``%s`` parameters."""
        from covet.db.dialects import get_dialect

        dialect = get_dialect(self._backend.name)
        if isinstance(columns, str) or not columns:
            raise ValueError(f"copy_records needs a sequence of column names, got {columns!r}")

        def quote(name: str, what: str) -> str:
            sql = dialect.quote_identifier(name, what)
            return sql.replace("%", "%%") if escape_percent else sql

        target = quote(table, "table name")
        if schema is not None:
            target = quote(schema, "schema name") + "." + target
        return target, ", ".join(quote(column, "column name") for column in columns)

    @abc.abstractmethod
    async def _fetch(self, sql: str, params: Params) -> tuple[Sequence[str], Sequence[Any]]:
        """(column names, rows as tuples) for a query."""

    @abc.abstractmethod
    def _stream(
        self, sql: str, params: Params, batch_size: int
    ) -> AsyncIterator[tuple[Sequence[str], list[Any]]]:
        """(column names, batch of rows) until the result is exhausted, with bounded memory."""

    async def fetch_all(self, query: Query, params: Params = None, *, as_tuples: bool = False) -> list[Any]:
        """Every row of the result: Records, or plain tuples with ``as_tuples=True``."""
        if query.__class__ is not str:
            query, params = unpack_query(query, params)
        columns, rows = await self._fetch(query, params)
        return decode_rows(columns, rows, KIND_TUPLE if as_tuples else KIND_RECORD)

    async def fetch_objects(
        self, query: Query, params: Params = None, *, cls: type[T], names: Optional[Sequence[str]] = None
    ) -> list[T]:
        """Every row as a ``cls`` instance made without ``__init__``, an attribute per column
        (named by ``names`` when given; see :func:`covet.db.decode_objects`)."""
        if query.__class__ is not str:
            query, params = unpack_query(query, params)
        columns, rows = await self._fetch(query, params)
        return decode_objects(rows, cls, columns if names is None else names)

    async def fetch_one(
        self,
        query: Query,
        params: Params = None,
        *,
        as_tuples: bool = False,
        load: Optional[Callable[[Optional[tuple[Any, ...]]], T]] = None,
    ) -> Any:
        """The first row of the result, or None. Put LIMIT 1 in the query: the rest is fetched too.

        ``load``: see :meth:`covet.db.Database.fetch_one` (called with the row tuple or None)."""
        if query.__class__ is not str:
            query, params = unpack_query(query, params)
        columns, rows = await self._fetch(query, params)
        if load is not None:
            return load(rows[0] if rows else None)  # every driver gives tuples
        return decode_row(columns, rows[0] if rows else None, KIND_TUPLE if as_tuples else KIND_RECORD)

    async def fetch_val(self, query: Query, params: Params = None, *, column: Union[int, str] = 0) -> Any:
        """One value: ``column`` (index or name) of the first row, or None when there is no row."""
        if query.__class__ is not str:
            query, params = unpack_query(query, params)
        columns, rows = await self._fetch(query, params)
        if not rows:
            return None
        if column.__class__ is str:
            try:
                column = list(columns).index(column)
            except ValueError:
                raise KeyError(f"no column {column!r} in the result; columns: {', '.join(columns)}") from None
        return rows[0][column]

    def iterate(
        self, query: Query, params: Params = None, *, batch_size: int = 1000, as_tuples: bool = False
    ) -> RowIterator:
        """Stream the result ``batch_size`` rows at a time (see :meth:`Database.iterate`)."""
        sql, params = unpack_query(query, params)
        return RowIterator(self._backend, self, sql, params, batch_size, as_tuples)

    def transaction(self, isolation: Optional[str] = None, readonly: bool = False) -> Transaction:
        """A transaction on this connection (a SAVEPOINT when one is already open)."""
        from covet.db.transaction import Transaction

        return Transaction(self, isolation=isolation, readonly=readonly)

    # Transaction primitives, used by covet.db.transaction.

    @abc.abstractmethod
    async def _begin(self, isolation: Optional[str], readonly: bool) -> None: ...

    @abc.abstractmethod
    async def _commit(self) -> None: ...

    @abc.abstractmethod
    async def _rollback(self) -> None: ...

    async def _savepoint(self, name: str) -> None:
        await self.execute(f"SAVEPOINT {name}")

    async def _release_savepoint(self, name: str) -> None:
        await self.execute(f"RELEASE SAVEPOINT {name}")

    async def _rollback_to_savepoint(self, name: str) -> None:
        await self.execute(f"ROLLBACK TO SAVEPOINT {name}")

    def _next_savepoint(self) -> str:
        self._sp_seq += 1
        return f"sp_{self._sp_seq}"

    # Pool hygiene.

    @abc.abstractmethod
    def _needs_reset(self) -> bool:
        """True when the connection comes back with a transaction open (or mid-statement)."""

    async def _reset(self) -> None:
        """Bring the connection back to idle, outside any transaction; raise if it cannot be."""
        await self._rollback()

    @abc.abstractmethod
    def _is_closed(self) -> bool: ...


# -- Streaming ----------------------------------------------------------------------------------


class RowIterator:
    """``async for row in db.iterate(sql)``: rows fetched ``batch_size`` at a time.

    The connection is held until the result is exhausted or the iterator is closed. Breaking
    out of the loop releases it as soon as the iterator is dropped (the event loop closes the
    generator inside); ``async with db.iterate(...) as rows`` releases it at the end of the
    block, deterministically. ``batches`` counts the fetches made so far.
    """

    __slots__ = ("_agen", "_progress")

    def __init__(
        self,
        backend: Backend,
        conn: Optional[Connection],
        sql: str,
        params: Params,
        batch_size: int,
        as_tuples: bool,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        # The generator must not refer back to this object: a reference cycle would keep the
        # connection until the cycle collector runs, instead of releasing it when dropped.
        self._progress = [0]
        self._agen = _stream_rows(self._progress, backend, conn, sql, params, batch_size, as_tuples)

    @property
    def batches(self) -> int:
        return self._progress[0]

    def __aiter__(self) -> RowIterator:
        return self

    def __anext__(self) -> Any:
        return self._agen.__anext__()

    async def aclose(self) -> None:
        await self._agen.aclose()  # type: ignore[attr-defined]

    async def __aenter__(self) -> RowIterator:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


async def _stream_rows(
    progress: list[int],
    backend: Backend,
    conn: Optional[Connection],
    sql: str,
    params: Params,
    batch_size: int,
    as_tuples: bool,
) -> AsyncIterator[Any]:
    kind = KIND_TUPLE if as_tuples else KIND_RECORD
    acquired = conn is None
    if conn is None:
        conn = await backend.acquire()
    try:
        async for columns, batch in conn._stream(sql, params, batch_size):
            progress[0] += 1
            for row in decode_rows(columns, batch, kind):
                yield row
    finally:
        if acquired:
            await backend.release(conn)


# -- Backends -----------------------------------------------------------------------------------


class PoolExhausted(Exception):
    """Raised by a backend's ``_acquire`` when its deadline passed; becomes PoolTimeout."""


class Backend(abc.ABC):
    """A backend's pool plus the accounting every backend shares."""

    name: ClassVar[str]
    paramstyle: ClassVar[str]  # DB-API names: "format" (%s, %(name)s) or "qmark" (?, :name)

    def __init__(self, config: DatabaseConfig) -> None:
        self.config = config
        self._leases: dict[Connection, Lease] = {}
        self._waiting = 0
        self._timeouts = 0
        self._leaks = 0
        self._replaced = 0
        self._times = AcquireTimes()
        self._open = False
        self._housekeeper: Optional[asyncio.Task[None]] = None
        self._drained: Optional[asyncio.Event] = None
        self._background: set[asyncio.Task[Any]] = set()

    # Implemented by each backend.

    @abc.abstractmethod
    async def _open_pool(self) -> None: ...

    @abc.abstractmethod
    async def _close_pool(self) -> None: ...

    @abc.abstractmethod
    async def _acquire(self, deadline: float) -> Connection:
        """A connection, checked if it sat idle; PoolExhausted once ``deadline`` passes."""

    @abc.abstractmethod
    async def _release(self, conn: Connection, discard: bool) -> None:
        """Give the connection back to the pool, or close it for good with ``discard``."""

    @abc.abstractmethod
    def _pool_counts(self) -> tuple[int, int]:
        """(size, idle) of the pool right now."""

    def _replaced_count(self) -> int:
        return self._replaced

    async def _maintain(self) -> None:
        """Periodic pool upkeep (idle and lifetime limits) where the pool does not do its own."""
        return None

    # Shared.

    @property
    def is_open(self) -> bool:
        return self._open

    async def open(self) -> None:
        if self._open:
            return
        self._drained = None
        await self._open_pool()
        self._open = True
        loop = asyncio.get_running_loop()
        self._housekeeper = loop.create_task(self._housekeeping(), name="covet.db housekeeping")

    async def close(self, timeout: float = 5.0) -> None:
        """Close the pool; connections still in use get ``timeout`` seconds to come back."""
        if not self._open:
            return
        self._open = False
        if self._housekeeper is not None:
            self._housekeeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._housekeeper
            self._housekeeper = None
        if self._leases:
            self._drained = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._drained.wait()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        await self._close_pool()
        if self._leases:
            # Never returned: close them anyway, or a driver thread (aiosqlite) or socket
            # would outlive the pool and keep the process from exiting.
            logger.warning(
                "closed the %s pool with %d connection(s) still in use after %.1f s; closing them",
                self.name,
                len(self._leases),
                timeout,
            )
            leftover, self._leases = list(self._leases), {}
            for conn in leftover:
                try:
                    await self._force_close(conn)
                except Exception as exc:  # noqa: BLE001 - closing anyway
                    logger.debug("%s: error force-closing a connection: %s", self.name, exc)

    async def _force_close(self, conn: Connection) -> None:
        """Close a connection that was never given back (the pool is closing)."""
        conn._broken = True

    def spawn(self, coro: Any) -> None:
        """Run ``coro`` in the background; the pool waits for it on close."""
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def acquire(self) -> Connection:
        """A connection for the current task; release it with :meth:`release`."""
        if not self._open:
            raise InterfaceError(
                f"the {self.name} database is not connected: call `await db.connect()` or use `async with db`"
            )
        start = time.monotonic()
        timeout = self.config.acquire_timeout
        self._waiting += 1
        try:
            conn = await self._acquire(start + timeout)
        except PoolExhausted:
            self._timeouts += 1
            raise PoolTimeout(self._timeout_message(time.monotonic() - start)) from None
        finally:
            self._waiting -= 1
        now = time.monotonic()
        self._times.add(now - start)
        if self.config.leak_threshold is not None:
            self._leases[conn] = Lease(now, asyncio.current_task(), AcquiredAt.capture())
        else:
            self._leases[conn] = Lease(now, None, None)
        return conn

    async def release(self, conn: Connection) -> None:
        """Give a connection back: rolled back first if a transaction is open, closed if broken."""
        if self._leases.pop(conn, None) is None:
            return  # released twice, or the pool was closed under it
        if self._drained is not None and not self._leases:
            self._drained.set()  # close() is waiting for the last one
        discard = conn._broken or conn._is_closed()
        if not discard and conn._needs_reset():
            try:
                await conn._reset()
            except asyncio.CancelledError:
                self._replaced += 1
                await self._release(conn, discard=True)
                raise
            except Exception as exc:  # noqa: BLE001 - the connection is replaced, not reused
                logger.info("%s: could not reset a returned connection (%s); closing it", self.name, exc)
                discard = True
        if discard:
            self._replaced += 1
        conn._tx_depth = 0
        conn._readonly = False
        conn.released_at = time.monotonic()
        await self._release(conn, discard)

    def _timeout_message(self, waited: float) -> str:
        return (
            f"no connection free after {waited:.1f} s (pool max_size={self.config.pool_max_size}, "
            f"in use={len(self._leases)}, waiting={self._waiting}); raise max_size or find the leak "
            f"— see pool_stats()"
        )

    def stats(self) -> PoolStats:
        size, idle = self._pool_counts()
        p50, p90, p99 = self._times.percentiles(50, 90, 99)
        return PoolStats(
            backend=self.name,
            size=size,
            idle=idle,
            in_use=len(self._leases),
            waiting=self._waiting,
            min_size=self.config.pool_min_size,
            max_size=self.config.pool_max_size or 0,
            acquires=self._times.count,
            timeouts=self._timeouts,
            acquire_p50_ms=p50,
            acquire_p90_ms=p90,
            acquire_p99_ms=p99,
            connections_replaced=self._replaced_count(),
            leaks_detected=self._leaks,
        )

    async def _housekeeping(self) -> None:
        threshold = self.config.leak_threshold
        period = 5.0
        if threshold is not None:
            period = min(period, max(0.02, threshold / 4))
        if self.config.max_idle is not None:
            period = min(period, max(0.05, self.config.max_idle / 2))
        # close() cancels this task and clears the flag: a driver that loses the cancellation
        # mid-upkeep (aiomysql connects under asyncio.wait_for, which can on Python 3.11) must
        # not leave close() waiting for this task forever.
        while self._open:
            await asyncio.sleep(period)
            if threshold is not None:
                self._report_leaks(threshold)
            try:
                await self._maintain()
            except Exception:  # noqa: BLE001 - upkeep must not die; the next round tries again
                logger.exception("covet.db: pool upkeep failed")

    def _report_leaks(self, threshold: float) -> None:
        now = time.monotonic()
        for lease in list(self._leases.values()):
            held = now - lease.acquired_at
            if held < threshold or lease.reported:
                continue
            lease.reported = True
            self._leaks += 1
            task = lease.task.get_name() if lease.task is not None else "?"
            logger.warning(
                "%s connection held for %.1f s by task %s (leak_threshold=%s s): probable leak; "
                "acquired at:\n%s",
                self.name,
                held,
                task,
                threshold,
                lease.where.format() if lease.where is not None else "  (unknown)",
            )
