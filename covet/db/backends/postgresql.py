"""PostgreSQL through psycopg 3 (async) and psycopg_pool's AsyncConnectionPool.

Placeholders: ``%s`` with a sequence, ``%(name)s`` with a mapping (a literal ``%`` is ``%%``
when parameters are given). Connections run in autocommit mode: a statement outside a
transaction commits by itself, and ``transaction()`` issues BEGIN/COMMIT explicitly.

Types: psycopg's own adaptation, plus dicts and :class:`~covet.db.Json` dumped as jsonb and
Enum members dumped as their value (psycopg would send the member's name). JSON comes back
parsed (with orjson); ``timestamptz`` comes back aware, in the session's time zone.
"""

from __future__ import annotations

import contextlib
import enum
import itertools
import math
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any, Optional

import orjson
import psycopg
import psycopg_pool
from psycopg.abc import Buffer, DumperKey
from psycopg.adapt import AdaptersMap, Dumper, PyFormat, Transformer
from psycopg.pq import ConnStatus, ExecStatus, TransactionStatus
from psycopg.pq.abc import PGresult
from psycopg.types.json import JsonbDumper, set_json_dumps, set_json_loads

from covet.db.backends.base import Backend, Connection, Params, PoolExhausted, Query, unpack_query
from covet.db.backends.pg_wire import WireConnection
from covet.db.config import DatabaseConfig
from covet.db.errors import ConnectionError, InterfaceError, map_postgresql_error
from covet.db.results import ExecuteResult
from covet.db.types import Json

__all__ = ["PostgreSQLBackend", "PostgreSQLConnection"]

_cursor_names = itertools.count(1)


class _PoolConnection(psycopg.AsyncConnection[Any]):
    """psycopg's connection with a slot for its CovetPy wrapper (made once, reused per checkout)."""

    __slots__ = ("covet",)

    covet: PostgreSQLConnection  # set by PostgreSQLBackend._configure when the pool opens it


class _CovetJsonbDumper(JsonbDumper):
    def dump(self, obj: Any) -> Buffer | None:
        return super().dump(obj.obj)


class _ValueDumper(Dumper):
    """Dumps ``obj.value`` with the dumper of the value's own type."""

    def __init__(self, cls: type, inner: Dumper) -> None:
        super().__init__(cls)
        self._inner = inner
        self.oid = inner.oid
        self.format = inner.format

    def dump(self, obj: Any) -> Buffer | None:
        return self._inner.dump(obj.value)

    def quote(self, obj: Any) -> Buffer:
        return self._inner.quote(obj.value)


class _EnumValueDumper(Dumper):
    """Enum members as their value (an int enum is an integer, a str enum a text)."""

    def get_key(self, obj: Any, format: PyFormat) -> DumperKey:
        return (self.cls, type(obj.value))

    def upgrade(self, obj: Any, format: PyFormat) -> Dumper:
        inner = Transformer(self.connection).get_dumper(obj.value, format)
        return _ValueDumper(self.cls, inner)  # type: ignore[arg-type]

    def dump(self, obj: Any) -> Buffer | None:  # pragma: no cover - always upgraded first
        raise NotImplementedError


def _adapters() -> AdaptersMap:
    adapters = AdaptersMap(psycopg.adapters)
    adapters.register_dumper(dict, JsonbDumper)
    adapters.register_dumper(Json, _CovetJsonbDumper)
    adapters.register_dumper(enum.Enum, _EnumValueDumper)
    set_json_dumps(orjson.dumps, context=adapters)
    set_json_loads(orjson.loads, context=adapters)
    return adapters


_ADAPTERS: Optional[AdaptersMap] = None


class PostgreSQLConnection(Connection):
    """One psycopg connection: statements go through :class:`~covet.db.backends.pg_wire.WireConnection`
    (libpq directly, with psycopg's adapters); batches, COPY and streams through psycopg's cursors."""

    __slots__ = ("_cursor", "_raw", "_wire")

    def __init__(self, backend: Backend, raw: psycopg.AsyncConnection[Any]) -> None:
        super().__init__(backend)
        self._raw = raw
        # Made once: a new psycopg cursor starts with an empty adapter cache.
        self._cursor = raw.cursor()
        config = backend.config
        self._wire = WireConnection(raw, config.prepare_threshold, config.statement_cache_size)

    @property
    def raw(self) -> psycopg.AsyncConnection[Any]:
        """psycopg's connection, for what covet.db does not wrap (and for the pool)."""
        self._wire.stop_reading()  # psycopg waits on the socket its own way
        return self._raw

    async def _run(self, sql: str, params: Params) -> tuple[Optional[PGresult], list[str]]:
        try:
            return await self._wire.run(sql, params)
        except psycopg.Error as exc:
            if exc.sqlstate is None and self._raw.pgconn.status == ConnStatus.BAD:
                self._broken = True
            raise map_postgresql_error(exc, sql, params) from exc
        except BaseException:
            # Cancelled with the statement in flight: stop it on the server, and keep the
            # connection only if its answer is drained (it would meet the next user).
            if self._raw.pgconn.transaction_status == TransactionStatus.ACTIVE:
                self._broken = not await self._wire.abandon(self._raw)
            raise

    async def execute(self, query: Query, params: Params = None) -> ExecuteResult:
        if query.__class__ is not str:
            query, params = unpack_query(query, params)
        result, _ = await self._run(query, params)
        count = result.command_tuples if result is not None else None
        return ExecuteResult(-1 if count is None else count)

    async def execute_many(self, query: Query, seq_of_params: Sequence[Params]) -> int:
        sql, _ = unpack_query(query, None) if query.__class__ is not str else (query, None)
        if not seq_of_params:
            return 0
        own_transaction = self._tx_depth == 0  # all rows or none
        self._wire.stop_reading()  # psycopg's cursor waits on the socket its own way
        cur = self._cursor
        try:
            if own_transaction:
                await cur.execute("BEGIN")
            await cur.executemany(sql, seq_of_params)  # type: ignore[arg-type]
            count = cur.rowcount
            if own_transaction:
                await cur.execute("COMMIT")
        except BaseException as exc:
            if own_transaction:
                await self._rollback_own_transaction()
            if isinstance(exc, psycopg.Error):
                raise map_postgresql_error(exc, sql, seq_of_params, many=True) from exc
            raise
        return count

    async def copy_records(
        self,
        table: str,
        columns: Sequence[str],
        records: Iterable[Sequence[Any]],
        *,
        schema: Optional[str] = None,
    ) -> int:
        """``COPY table (columns) FROM STDIN``: the rows stream in psycopg's text format, each
        value adapted as a parameter would be; one statement, so all rows or none."""
        target, names = self._copy_target(table, columns, schema, escape_percent=False)
        sql = f"COPY {target} ({names}) FROM STDIN"
        cur = self.raw.cursor()
        try:
            async with cur.copy(sql) as copy:
                for row in records:
                    await copy.write_row(row)
        except psycopg.Error as exc:
            raise map_postgresql_error(exc, sql, None) from exc
        return cur.rowcount

    async def _fetch(self, sql: str, params: Params) -> tuple[Sequence[str], Sequence[Any]]:
        result, columns = await self._run(sql, params)
        if result is None or result.status != ExecStatus.TUPLES_OK:
            command = result.command_status if result is not None else None
            status = command.decode() if command else "none"
            problem = psycopg.ProgrammingError(
                f"the statement returned no rows (command status: {status}): run it with execute()"
            )
            raise map_postgresql_error(problem, sql, params)
        return columns, self._wire.rows(result)

    async def _stream(
        self, sql: str, params: Params, batch_size: int
    ) -> AsyncIterator[tuple[Sequence[str], list[Any]]]:
        # A server-side cursor lives in a transaction: open one unless the caller has.
        own_transaction = self._tx_depth == 0
        if own_transaction:
            await self.execute("BEGIN")
        cur = self.raw.cursor(name=f"covet_{next(_cursor_names)}")
        try:
            try:
                await cur.execute(sql, params)
                description = cur.description
                columns = [column.name for column in description] if description else []
                while True:
                    rows = await cur.fetchmany(batch_size)
                    if rows:
                        yield columns, rows
                    if len(rows) < batch_size:
                        break
            except psycopg.Error as exc:
                raise map_postgresql_error(exc, sql, params) from exc
            finally:
                # Also when the consumer stops early (GeneratorExit) or is cancelled.
                with contextlib.suppress(psycopg.Error):
                    await cur.close()
            if own_transaction:
                await self.execute("COMMIT")
        except BaseException:
            if own_transaction:
                await self._rollback_own_transaction()
            raise

    async def _rollback_own_transaction(self) -> None:
        """Roll back the transaction opened for a batch or a stream that failed midway."""
        try:
            if self._raw.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
                await self.raw.execute("ROLLBACK")
        except BaseException:
            self._broken = True
            raise

    async def _begin(self, isolation: Optional[str], readonly: bool) -> None:
        sql = "BEGIN"
        if isolation is not None:
            sql += f" ISOLATION LEVEL {isolation}"  # one of config.ISOLATION_LEVELS
        if readonly:
            sql += " READ ONLY"
        await self.execute(sql)

    async def _commit(self) -> None:
        await self.execute("COMMIT")

    async def _rollback(self) -> None:
        await self.execute("ROLLBACK")

    def _needs_reset(self) -> bool:
        return self._raw.info.transaction_status != TransactionStatus.IDLE

    async def _reset(self) -> None:
        status = self._raw.info.transaction_status
        if status == TransactionStatus.ACTIVE:
            raise InterfaceError("connection returned in the middle of a statement")
        await self.raw.execute("ROLLBACK")

    def _is_closed(self) -> bool:
        return self._raw.closed or self._raw.broken


class PostgreSQLBackend(Backend):
    name = "postgresql"
    paramstyle = "format"

    def __init__(self, config: DatabaseConfig) -> None:
        super().__init__(config)
        self._pool: Optional[psycopg_pool.AsyncConnectionPool[_PoolConnection]] = None

    def _connect_kwargs(self) -> dict[str, Any]:
        global _ADAPTERS
        if _ADAPTERS is None:
            _ADAPTERS = _adapters()
        c = self.config
        kwargs: dict[str, Any] = {
            "dbname": c.database,
            "autocommit": True,
            # statement_cache_size=0 keeps no prepared statement: none is prepared at all.
            "prepare_threshold": c.prepare_threshold if c.statement_cache_size else None,
            "context": _ADAPTERS,
            # libpq takes whole seconds, 2 at least.
            "connect_timeout": max(2, math.ceil(c.connect_timeout)),
        }
        for key, value in (
            ("host", c.host),
            ("port", c.port),
            ("user", c.user),
            ("password", c.password),
            ("application_name", c.application_name),
            ("sslmode", c.sslmode),
            ("sslrootcert", c.sslrootcert),
            ("sslcert", c.sslcert),
            ("sslkey", c.sslkey),
        ):
            if value is not None:
                kwargs[key] = value
        return kwargs

    async def _configure(self, raw: _PoolConnection) -> None:
        # The wrapper is made with the connection: its clock (for check_after_idle) starts now,
        # so a connection that sat unused in the pool since it was opened is checked too.
        raw.covet = PostgreSQLConnection(self, raw)
        if self.config.statement_cache_size:
            raw.prepared_max = self.config.statement_cache_size
        if self.config.isolation is not None:
            await raw.execute(f"SET default_transaction_isolation = '{self.config.isolation.lower()}'")

    async def _open_pool(self) -> None:
        c = self.config
        if c.pool_min_size > 0:
            # Fail fast, with the server's own words, when it cannot be reached at all: the
            # pool alone would retry until connect_timeout and then only say it timed out.
            error = await self._probe()
            if error is not None:
                raise error
        pool: psycopg_pool.AsyncConnectionPool[_PoolConnection] = psycopg_pool.AsyncConnectionPool(
            kwargs=self._connect_kwargs(),
            connection_class=_PoolConnection,
            configure=self._configure,
            min_size=c.pool_min_size,
            max_size=c.pool_max_size,
            max_idle=c.max_idle if c.max_idle is not None else 365 * 86400.0,
            max_lifetime=c.max_lifetime if c.max_lifetime is not None else 365 * 86400.0,
            timeout=c.acquire_timeout,
            reconnect_timeout=max(c.connect_timeout, 30.0),
            open=False,
            name="covet",
        )
        try:
            await pool.open(wait=True, timeout=c.connect_timeout)
        except psycopg_pool.PoolTimeout:
            await pool.close()
            raise await self._connection_error() from None
        self._pool = pool

    async def _probe(self, timeout: Optional[float] = None) -> Optional[ConnectionError]:
        """One direct connection attempt: None if it works, else the error in the server's words."""
        kwargs = self._connect_kwargs()
        if timeout is not None:
            kwargs["connect_timeout"] = max(2, math.ceil(timeout))
        try:
            conn = await psycopg.AsyncConnection.connect(**kwargs)
        except psycopg.Error as exc:
            reason = map_postgresql_error(exc, None, None).message
            error = ConnectionError(f"could not connect to {self.config.url}: {reason}", backend=self.name)
            error.__cause__ = exc
            return error
        await conn.close()
        return None

    async def _connection_error(self) -> Exception:
        """Why the pool cannot open connections."""
        error = await self._probe(timeout=2)
        if error is not None:
            return error
        return ConnectionError(
            f"could not open {self.config.pool_min_size} connection(s) to {self.config.url} within "
            f"connect_timeout={self.config.connect_timeout} s",
            backend=self.name,
        )

    async def _close_pool(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def _acquire(self, deadline: float) -> Connection:
        pool = self._pool
        if pool is None:
            raise InterfaceError.pool_closed("postgresql")
        check_after = self.config.check_after_idle
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PoolExhausted
            try:
                raw = await pool.getconn(timeout=remaining)
            except psycopg_pool.PoolTimeout:
                if len(self._leases) < (self.config.pool_max_size or 0):
                    # Room in the pool and still nothing: the pool cannot connect.
                    raise await self._connection_error() from None
                raise PoolExhausted from None
            except psycopg_pool.PoolClosed:
                raise InterfaceError.pool_closed("postgresql") from None
            conn = raw.covet
            if check_after is not None and time.monotonic() - conn.released_at >= check_after:
                try:
                    await raw.execute("")
                except Exception:  # noqa: BLE001 - a dead connection: replace it and try again
                    self._replaced += 1
                    await raw.close()
                    await pool.putconn(raw)
                    continue
                except BaseException:
                    await pool.putconn(raw)
                    raise
            return conn

    async def _release(self, conn: Connection, discard: bool) -> None:
        raw: _PoolConnection = conn.raw
        if discard and not raw.closed:
            await raw.close()
        if self._pool is not None:
            await self._pool.putconn(raw)
        elif not raw.closed:
            await raw.close()

    async def _force_close(self, conn: Connection) -> None:
        conn._broken = True
        await conn.raw.close()

    def _pool_counts(self) -> tuple[int, int]:
        if self._pool is None:
            return 0, 0
        stats = self._pool.get_stats()
        return stats.get("pool_size", 0), stats.get("pool_available", 0)

    def _replaced_count(self) -> int:
        # Every connection the pool opened and no longer has was closed and replaced (broken,
        # failed its check, expired) or reaped after max_idle.
        if self._pool is None:
            return self._replaced
        stats = self._pool.get_stats()
        return max(0, stats.get("connections_num", 0) - stats.get("pool_size", 0))
