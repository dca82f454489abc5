"""MySQL and MariaDB through aiomysql, pooled by :class:`covet.db.pool.ConnectionPool`.

Placeholders: ``%s`` with a sequence, ``%(name)s`` with a mapping (a literal ``%`` is ``%%``
when parameters are given). PyMySQL binds values client-side, escaping each one with the
connection's character set; no value is ever formatted into SQL by CovetPy. Connections run
in autocommit mode with ``time_zone = '+00:00'``.

Types and their quirks:

- datetime: MySQL has no time-zone-aware type. Aware datetimes are converted to UTC and sent
  naive; they come back naive (UTC). TIMESTAMP columns convert through the session time zone,
  which is UTC here, so both column types round-trip the same instant.
- TIME comes back as ``datetime.time`` when it is a time of day (PyMySQL returns a timedelta),
  as a ``timedelta`` otherwise (TIME is an interval type, -838:59:59 to 838:59:59).
- bool is stored as 0/1 (TINYINT(1)) and comes back as an int.
- UUID is sent as its 36-character text (CHAR(36), or MariaDB's UUID type); it comes back as str.
- JSON: dicts and :class:`~covet.db.Json` are sent as JSON text. MySQL 8 marks JSON columns and
  they come back parsed; MariaDB stores JSON as LONGTEXT and it comes back as str.
- Enum members are sent as their value.

Server warnings are not fetched (aiomysql would spend a round trip on SHOW WARNINGS and turn
each one into a Python warning); run MySQL in a strict sql_mode, the default, to get errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Sequence
from typing import Any, Optional

import aiomysql  # type: ignore[import-untyped]
import pymysql  # type: ignore[import-untyped]
from pymysql.constants import FIELD_TYPE  # type: ignore[import-untyped]
from pymysql.converters import decoders as pymysql_decoders  # type: ignore[import-untyped]

from covet.db.backends.base import Connection, Params, Query, unpack_query
from covet.db.config import DatabaseConfig
from covet.db.errors import ConnectionError, InterfaceError, map_mysql_error
from covet.db.pool import ConnectionPool, PooledBackend
from covet.db.results import ExecuteResult
from covet.db.types import MYSQL_ADAPTERS, adapt_many, adapt_params, json_loads, parse_mysql_time

__all__ = ["MySQLBackend", "MySQLConnection"]


class _AioConnection(aiomysql.Connection):  # type: ignore[misc]
    def escape(self, obj: Any) -> str:
        # aiomysql escapes bytes with a PyMySQL function that PyMySQL 1.1+ replaced by a
        # string; a hex literal is charset-proof anyway.
        if isinstance(obj, (bytes, bytearray, memoryview)):
            return "_binary X'" + bytes(obj).hex() + "'"
        return super().escape(obj)  # type: ignore[no-any-return]


class _Cursor(aiomysql.Cursor):  # type: ignore[misc]
    async def _show_warnings(self, conn: Any) -> None:
        return None


class _SSCursor(aiomysql.SSCursor):  # type: ignore[misc]
    async def _show_warnings(self, conn: Any) -> None:
        return None


_DECODERS: dict[Any, Any] = dict(pymysql_decoders)
_DECODERS[FIELD_TYPE.TIME] = parse_mysql_time
_DECODERS[FIELD_TYPE.JSON] = json_loads


def _ssl_context(config: DatabaseConfig) -> Optional[ssl.SSLContext]:
    """libpq's sslmode for PyMySQL: "prefer" uses TLS when the server offers it (PyMySQL's own
    behaviour with a context); "require" and stricter are enforced after connecting."""
    mode = config.sslmode
    if mode in (None, "disable", "allow"):
        return None
    context = ssl.create_default_context(cafile=config.sslrootcert)
    if config.sslcert:
        context.load_cert_chain(config.sslcert, config.sslkey)
    if mode in ("prefer", "require"):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif mode == "verify-ca":
        context.check_hostname = False
    return context


class MySQLConnection(Connection):
    __slots__ = ("_raw", "thread_id")

    def __init__(self, backend: MySQLBackend, raw: aiomysql.Connection) -> None:
        super().__init__(backend)
        self._raw = raw
        self.thread_id: int = raw.server_thread_id[0]

    @property
    def raw(self) -> aiomysql.Connection:
        return self._raw

    def _cancelled(self) -> None:
        # aiomysql closes a connection cancelled mid-statement; the server may still run it.
        if self._raw.closed:
            self._broken = True
            backend: MySQLBackend = self._backend  # type: ignore[assignment]
            backend.kill_query(self.thread_id)

    async def execute(self, query: Query, params: Params = None) -> ExecuteResult:
        if query.__class__ is not str:
            query, params = unpack_query(query, params)
        cur = _Cursor(self._raw)
        try:
            await cur.execute(query, adapt_params(params, MYSQL_ADAPTERS))
        except pymysql.err.Error as exc:
            raise map_mysql_error(exc, query, params) from exc
        except asyncio.CancelledError:
            self._cancelled()
            raise
        # The server's insert id: 0 when the statement generated none.
        return ExecuteResult(cur.rowcount, cur.lastrowid or None)

    async def execute_many(self, query: Query, seq_of_params: Sequence[Params]) -> int:
        sql, _ = unpack_query(query, None) if query.__class__ is not str else (query, None)
        if not seq_of_params:
            return 0
        # A multi-row INSERT is one statement; anything else runs row by row: one transaction
        # around it makes every batch all-or-nothing.
        own_transaction = self._tx_depth == 0
        cur = _Cursor(self._raw)
        try:
            if own_transaction:
                await cur.execute("START TRANSACTION")
            await cur.executemany(sql, adapt_many(seq_of_params, MYSQL_ADAPTERS))
            count: int = cur.rowcount
            if own_transaction:
                await cur.execute("COMMIT")
        except pymysql.err.Error as exc:
            await self._rollback_quietly(own_transaction)
            raise map_mysql_error(exc, sql, seq_of_params, many=True) from exc
        except asyncio.CancelledError:
            self._cancelled()
            raise
        return count

    async def _rollback_quietly(self, needed: bool) -> None:
        if needed and not self._raw.closed:
            try:
                await _Cursor(self._raw).execute("ROLLBACK")
            except pymysql.err.Error:
                self._broken = True

    async def _fetch(self, sql: str, params: Params) -> tuple[Sequence[str], Sequence[Any]]:
        cur = _Cursor(self._raw)
        try:
            await cur.execute(sql, adapt_params(params, MYSQL_ADAPTERS))
        except pymysql.err.Error as exc:
            raise map_mysql_error(exc, sql, params) from exc
        except asyncio.CancelledError:
            self._cancelled()
            raise
        description = cur.description
        rows = cur._rows or ()
        # The cursor and the connection's last result hold the rows too: take them, so each
        # row tuple has one owner and can become a Record in place (covet.db.records).
        result = cur._result
        cur._clear_result()
        if result is not None:
            result.rows = None
        return ([d[0] for d in description] if description else ()), list(rows)

    async def _stream(
        self, sql: str, params: Params, batch_size: int
    ) -> AsyncIterator[tuple[Sequence[str], list[Any]]]:
        cur = _SSCursor(self._raw)
        try:
            try:
                await cur.execute(sql, adapt_params(params, MYSQL_ADAPTERS))
                description = cur.description
                columns = [d[0] for d in description] if description else []
                while True:
                    rows = await cur.fetchmany(batch_size)
                    if rows:
                        yield columns, rows
                    if len(rows) < batch_size:
                        break
            finally:
                if not self._raw.closed:
                    await cur.close()  # reads whatever is left of the result off the wire
        except pymysql.err.Error as exc:
            raise map_mysql_error(exc, sql, params) from exc
        except asyncio.CancelledError:
            self._cancelled()
            raise

    async def _begin(self, isolation: Optional[str], readonly: bool) -> None:
        if isolation is not None:
            await self.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")  # the next one only
        await self.execute("START TRANSACTION READ ONLY" if readonly else "START TRANSACTION")

    async def _commit(self) -> None:
        await self.execute("COMMIT")

    async def _rollback(self) -> None:
        await self.execute("ROLLBACK")

    def _streaming(self) -> bool:
        result = self._raw._result
        return result is not None and bool(result.unbuffered_active)

    def _needs_reset(self) -> bool:
        return self._tx_depth > 0 or self._streaming() or bool(self._raw.get_transaction_status())

    async def _reset(self) -> None:
        if self._streaming():
            raise InterfaceError("connection returned with a result still streaming")
        await self._rollback()

    def _is_closed(self) -> bool:
        return bool(self._raw.closed)


class MySQLBackend(PooledBackend[MySQLConnection]):
    name = "mysql"
    paramstyle = "format"

    def __init__(self, config: DatabaseConfig) -> None:
        super().__init__(config)

    async def _connect(self, *, timeout: Optional[float] = None) -> MySQLConnection:
        c = self.config
        try:
            raw = _AioConnection(
                host=c.host or "localhost",
                port=c.port or 3306,
                user=c.user,
                password=c.password or "",
                db=c.database,
                charset=c.charset,
                autocommit=True,
                connect_timeout=timeout or c.connect_timeout,
                ssl=_ssl_context(c),
                conv=_DECODERS,
                cursorclass=_Cursor,
                init_command="SET time_zone = '+00:00'",
                local_infile=False,
            )
            await raw._connect()
        except pymysql.err.Error as exc:
            reason = map_mysql_error(exc, None, None).message
            raise ConnectionError(f"could not connect to {c.url}: {reason}", backend=self.name) from exc
        except OSError as exc:
            raise ConnectionError(f"could not connect to {c.url}: {exc}", backend=self.name) from exc
        if c.sslmode in ("require", "verify-ca", "verify-full") and not raw._secure:
            # PyMySQL carries on in plain text when the server offers no TLS; sslmode says no.
            raw.close()
            raise ConnectionError(
                f"could not connect to {c.url}: the server does not support SSL, but sslmode={c.sslmode}",
                backend=self.name,
            )
        conn = MySQLConnection(self, raw)
        if c.isolation is not None:
            try:
                await conn.execute(f"SET SESSION TRANSACTION ISOLATION LEVEL {c.isolation}")
            except BaseException:
                raw.close()
                raise
        return conn

    async def _disconnect(self, conn: MySQLConnection) -> None:
        raw = conn.raw
        if raw.closed:
            return
        if conn._broken or conn._streaming():
            raw.close()
            return
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for drops a cancellation that comes
        # as the wrapped call finishes (CPython gh-86296), e.g. the pool closing while its
        # housekeeper reaps this connection.
        try:
            with contextlib.suppress(Exception):  # a dead socket or a timeout: dropped below
                async with asyncio.timeout(1.0):
                    await raw.ensure_closed()
        finally:
            raw.close()  # cancelled while saying goodbye too: the socket is closed either way

    async def _check(self, conn: MySQLConnection) -> None:
        await conn.raw.ping(reconnect=False)

    async def _open_pool(self) -> None:
        c = self.config
        pool = ConnectionPool(
            name="mysql",
            open_connection=self._connect,
            close_connection=self._disconnect,
            check_connection=self._check,
            min_size=c.pool_min_size,
            max_size=c.pool_max_size or 1,
            max_idle=c.max_idle,
            max_lifetime=c.max_lifetime,
            check_after_idle=c.check_after_idle,
        )
        await pool.open()
        self._pool = pool




    async def _force_close(self, conn: Connection) -> None:
        conn._broken = True
        conn.raw.close()




    def kill_query(self, thread_id: int) -> None:
        """Stop a statement whose client went away (a cancelled task), from another connection."""
        if self._open:
            self.spawn(self._kill_query(thread_id))

    async def _kill_query(self, thread_id: int) -> None:
        try:
            conn = await self._connect(timeout=2.0)
        except Exception:  # noqa: BLE001 - best effort: the server ends it on its own eventually
            return
        try:
            await conn.execute("KILL QUERY %s", (thread_id,))
        except Exception:  # noqa: BLE001, S110 - the statement may have ended already
            pass
        finally:
            await self._disconnect(conn)
