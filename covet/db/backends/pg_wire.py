"""Statements on a psycopg connection driven through libpq directly (``psycopg.pq``).

PERF: psycopg's cursor costs about 49 µs of CPU per primary-key fetch under load against
asyncpg's 19 µs (``bench/db_engine.py``, "statement cost"); most of it is the cursor's
generality (locks, result sets, prepared-statement bookkeeping made for every use).
This path keeps what a ``covet.db`` statement needs: psycopg's adapters (the connection's
Transformer dumps the parameters and loads the rows, so types behave exactly as through a
cursor), libpq's own send/flush/consume calls, one future per wait on the socket, and a
small per-connection cache of server-side prepared statements with psycopg's threshold and
LRU semantics. COPY, server-side cursors and ``executemany`` stay on psycopg's cursor.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any, Optional

import psycopg
from psycopg import pq
from psycopg.adapt import PyFormat, Transformer
from psycopg.errors import error_from_result

__all__ = ["WireConnection", "numbered_placeholders"]

_TUPLES_OK = pq.ExecStatus.TUPLES_OK
_FATAL_ERROR = pq.ExecStatus.FATAL_ERROR
_COPY_STATES = (pq.ExecStatus.COPY_IN, pq.ExecStatus.COPY_OUT, pq.ExecStatus.COPY_BOTH)
_INERROR = pq.TransactionStatus.INERROR
_AUTO = PyFormat.AUTO

# %% (a literal %), %s, %(name)s; anything else after a % is a mistake worth a clear error.
_PLACEHOLDER = re.compile(rb"%(?:(%)|\(([^)]*)\)s|(s)|(.?))")
# A statement that drops the server's prepared statements behind the cache's back.
_FORGETS_PREPARED = re.compile(rb"^\s*(?:DISCARD\s+ALL|DEALLOCATE\s+(?:PREPARE\s+)?ALL)\b", re.I)
# SQLSTATEs after which a cached prepared statement is gone or unusable.
#: A cache key: the numbered statement text and its parameters' type oids.
_Key = tuple[bytes, Any]

_STALE_STATEMENT = {"26000", "0A000"}  # invalid_sql_statement_name; cached plan changed result type


@functools.lru_cache(maxsize=512)
def numbered_placeholders(sql: bytes) -> tuple[bytes, Optional[tuple[str, ...]], int]:
    """``(sql with $1.., the parameter names in order or None for positional, count)``.

    Positional ``%s`` and named ``%(name)s`` don't mix; a name used twice is one parameter."""
    names: dict[str, int] = {}
    positional = 0
    parts: list[bytes] = []
    last = 0
    for match in _PLACEHOLDER.finditer(sql):
        parts.append(sql[last : match.start()])
        last = match.end()
        literal, name, plain, other = match.groups()
        if literal:
            parts.append(b"%")
        elif plain:
            positional += 1
            parts.append(b"$%d" % positional)
        elif name is not None:
            key = name.decode()
            number = names.setdefault(key, len(names) + 1)
            parts.append(b"$%d" % number)
        else:
            shown = (b"%" + (other or b"")).decode(errors="replace")
            raise psycopg.ProgrammingError(
                f"unsupported placeholder {shown!r}: use %s or %(name)s, and %% for a literal %"
            )
    if positional and names:
        raise psycopg.ProgrammingError("the query mixes %s and %(name)s placeholders: use one style")
    parts.append(sql[last:])
    if names:
        return b"".join(parts), tuple(names), len(names)
    return b"".join(parts), None, positional


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class _Prepared:
    """What the cache knows of one statement text and parameter types on this connection."""

    __slots__ = ("columns", "name", "runs")

    def __init__(self) -> None:
        self.runs = 0
        self.name: Optional[bytes] = None
        self.columns: Optional[list[str]] = None


class WireConnection:
    """libpq-level statement execution on one open psycopg connection (one task at a time)."""

    __slots__ = (
        "_cache",
        "_cache_size",
        "_encoding",
        "_fd",
        "_formats",
        "_loop",
        "_names",
        "_pgconn",
        "_reading",
        "_stale",
        "_threshold",
        "_tx",
        "_waiter",
    )

    def __init__(self, raw: psycopg.AsyncConnection[Any], threshold: Optional[int], cache_size: int) -> None:
        self._pgconn = raw.pgconn
        self._tx = Transformer(raw)
        self._encoding = raw.info.encoding
        self._fd = raw.pgconn.socket
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._reading = False  # our reader is registered on the socket
        self._waiter: Optional[asyncio.Future[None]] = None
        self._threshold = threshold if cache_size else None
        self._cache_size = cache_size
        self._cache: collections.OrderedDict[_Key, _Prepared] = collections.OrderedDict()
        self._names = 0
        self._stale: list[bytes] = []  # evicted names, deallocated before the next statement
        self._formats: dict[int, list[PyFormat]] = {}

    async def run(self, sql: str, params: Any) -> tuple[Optional[pq.abc.PGresult], list[str]]:
        """Run one statement: ``(its result, the names of its columns)``; the result is the
        first one with rows, else the last command's (None for an empty query).

        A failed statement raises psycopg's exception (the caller maps it)."""
        query = sql.encode(self._encoding)
        if params is None:
            if self._stale:
                await self._deallocate_stale()
            self._pgconn.send_query(query)
            result = await self._single_result()
            if _FORGETS_PREPARED.match(query):
                self._forget_all()
            return result, self._columns(result)
        numbered, names, count = numbered_placeholders(query)
        values = self._ordered(params, names, count)
        tx = self._tx
        dumped = tx.dump_sequence(values, self._auto_formats(count))
        key = (numbered, tx.types)
        entry = self._entry(key) if self._threshold is not None else None
        if self._stale:  # including the one this statement's entry pushed out
            await self._deallocate_stale()
        if entry is None:
            return await self._run_unprepared(key, dumped, tx.formats)
        retry = self._pgconn.transaction_status == pq.TransactionStatus.IDLE
        try:
            return await self._run_prepared(entry, key, dumped, tx.formats)
        except psycopg.Error as exc:
            if exc.sqlstate not in _STALE_STATEMENT or entry.name is None:
                raise
            self._forget_all()
            if not retry:  # the failure aborted the caller's transaction: nothing to retry in
                raise
        return await self._run_unprepared(key, dumped, tx.formats)

    async def _run_unprepared(
        self, key: _Key, dumped: Any, formats: Any
    ) -> tuple[Optional[pq.abc.PGresult], list[str]]:
        self._pgconn.send_query_params(key[0], dumped, key[1], formats)
        result = await self._single_result()
        return result, self._columns(result)

    async def _run_prepared(
        self, entry: _Prepared, key: _Key, dumped: Any, formats: Any
    ) -> tuple[Optional[pq.abc.PGresult], list[str]]:
        pgconn = self._pgconn
        if entry.name is None:
            if entry.runs < self._threshold or pgconn.transaction_status == _INERROR:  # type: ignore[operator]
                entry.runs += 1
                return await self._run_unprepared(key, dumped, formats)
            self._names += 1
            name = b"_covet_%d" % self._names
            pgconn.send_prepare(name, key[0], key[1])
            await self._single_result()
            entry.name = name
        pgconn.send_query_prepared(entry.name, dumped, formats)
        result = await self._single_result()
        if entry.columns is None:
            entry.columns = self._columns(result)
        return result, entry.columns

    async def abandon(self, raw: psycopg.AsyncConnection[Any], timeout: float = 5.0) -> bool:
        """Cancel the statement in flight on the server and drain its answer; whether that
        worked within ``timeout`` seconds (else the connection is not safe to reuse)."""
        try:
            async with asyncio.timeout(timeout):
                await raw.cancel_safe(timeout=timeout)
                pgconn = self._pgconn
                while True:
                    if pgconn.is_busy():
                        await self._wait_ready()
                    if pgconn.get_result() is None:
                        return True
        except Exception:  # noqa: BLE001 - any failure here means: replace the connection
            return False

    def _entry(self, key: _Key) -> _Prepared:
        cache = self._cache
        entry = cache.get(key)
        if entry is not None:
            cache.move_to_end(key)
            return entry
        entry = cache[key] = _Prepared()
        if len(cache) > self._cache_size:
            _, evicted = cache.popitem(last=False)
            if evicted.name is not None:
                self._stale.append(evicted.name)
        return entry

    def _forget_all(self) -> None:
        """The server has no prepared statements of ours any more (DISCARD ALL and the like)."""
        self._cache.clear()
        self._stale.clear()

    async def _deallocate_stale(self) -> None:
        """DEALLOCATE the statements the cache evicted, unless the transaction failed (then the
        server would refuse; they go with the next statement after the rollback)."""
        if self._pgconn.transaction_status == _INERROR:
            return
        names, self._stale = self._stale, []
        self._pgconn.send_query(b"; ".join(b"DEALLOCATE " + name for name in names))
        await self._single_result()

    def _auto_formats(self, count: int) -> list[PyFormat]:
        formats = self._formats.get(count)
        if formats is None:
            formats = self._formats[count] = [_AUTO] * count
        return formats

    @staticmethod
    def _ordered(params: Any, names: Optional[tuple[str, ...]], count: int) -> Sequence[Any]:
        if names is not None:
            if not isinstance(params, Mapping):
                raise psycopg.ProgrammingError(
                    f"the query has named placeholders: pass a mapping, not {type(params).__name__}"
                )
            try:
                return [params[name] for name in names]
            except KeyError as exc:
                raise psycopg.ProgrammingError(f"no value for the placeholder %({exc.args[0]})s") from None
        cls = params.__class__  # PERF: tuples and lists skip the (slow) Mapping ABC check
        if cls is not tuple and cls is not list and isinstance(params, (Mapping, str, bytes)):
            raise psycopg.ProgrammingError(
                f"the query has %s placeholders: pass a sequence of values, not {type(params).__name__}"
            )
        if len(params) != count:
            raise psycopg.ProgrammingError(
                f"the query has {count} placeholder(s) but {len(params)} parameter(s) were passed"
            )
        return params  # type: ignore[no-any-return]

    def _columns(self, result: Optional[pq.abc.PGresult]) -> list[str]:
        if result is None or result.status != _TUPLES_OK:
            return []
        encoding = self._encoding
        return [result.fname(i).decode(encoding) for i in range(result.nfields)]  # type: ignore[union-attr]

    def rows(self, result: pq.abc.PGresult) -> list[tuple[Any, ...]]:
        """The result's rows as tuples, each value loaded by the connection's adapters."""
        tx = self._tx
        tx.set_pgresult(result)
        rows: list[tuple[Any, ...]] = tx.load_rows(0, result.ntuples, tuple)
        tx.set_pgresult(None)  # the result's memory is not kept by the Transformer
        return rows

    async def _single_result(self) -> Optional[pq.abc.PGresult]:
        """Wait for the statement just sent and raise its error if it failed; else its first
        result with rows, or its last command result (None for an empty query)."""
        pgconn = self._pgconn
        if pgconn.flush():
            await self._wait_flushed()
        found: Optional[pq.abc.PGresult] = None
        error: Optional[pq.abc.PGresult] = None
        refused = False
        while True:
            if pgconn.is_busy():
                await self._wait_ready()
            result = pgconn.get_result()
            if result is None:
                break
            status = result.status
            if status == _FATAL_ERROR:
                if error is None:
                    error = result
            elif status in _COPY_STATES:
                await self._refuse_copy(status)
                refused = True
            elif found is None or found.status != _TUPLES_OK:
                found = result
        if refused:
            raise psycopg.ProgrammingError(
                "COPY FROM STDIN / TO STDOUT cannot run through execute() or a fetch: "
                "load rows with copy_records()"
            )
        if error is not None:
            raise error_from_result(error, encoding=self._encoding)
        return found

    async def _refuse_copy(self, status: int) -> None:
        """Leave the COPY the statement started, so the connection is usable again."""
        pgconn = self._pgconn
        if status == pq.ExecStatus.COPY_IN:
            pgconn.put_copy_end(b"COPY FROM STDIN is not supported here")  # the server fails the COPY
            if pgconn.flush():
                await self._wait_flushed()
            return
        while True:  # COPY TO STDOUT: read the data out and drop it
            size, _ = pgconn.get_copy_data(1)
            if size == -1:
                return
            if size == 0:
                await self._wait_readable()

    async def _wait_ready(self) -> None:
        """Wait until the server's answer is complete (libpq no longer busy)."""
        pgconn = self._pgconn
        while True:
            await self._wait_readable()
            if not pgconn.is_busy():
                return

    async def _wait_readable(self) -> None:
        """Wait for data on the socket, then let libpq read it.

        PERF: the reader stays registered between statements (adding and removing it costs two
        epoll_ctl calls per wait); :meth:`stop_reading` takes it off before psycopg's own code
        uses the socket and before the connection goes back to the pool."""
        if not self._reading:
            loop = self._loop
            if loop is None:
                loop = self._loop = asyncio.get_running_loop()
            loop.add_reader(self._fd, self._on_readable)
            self._reading = True
        future = self._waiter = self._loop.create_future()  # type: ignore[union-attr]
        try:
            await future
        finally:
            self._waiter = None
        self._pgconn.consume_input()

    def _on_readable(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            if not waiter.done():
                waiter.set_result(None)
            return
        # Nobody waits (a notice, or the server closing): read it so the socket quiets down.
        try:
            self._pgconn.consume_input()
        except psycopg.Error:
            self.stop_reading()  # the connection is gone; the next statement will say so

    def stop_reading(self) -> None:
        """Hand the socket back: psycopg (or the pool) uses it next."""
        if self._reading:
            self._reading = False
            self._loop.remove_reader(self._fd)  # type: ignore[union-attr]

    async def _wait_flushed(self) -> None:
        """Send what libpq could not write at once (a large statement or its parameters),
        reading whatever the server sends meanwhile so neither side blocks the other."""
        self.stop_reading()
        pgconn = self._pgconn
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        fd = self._fd
        while True:
            future = loop.create_future()
            loop.add_reader(fd, _wake, future)
            loop.add_writer(fd, _wake, future)
            try:
                await future
            finally:
                loop.remove_reader(fd)
                loop.remove_writer(fd)
            pgconn.consume_input()
            if not pgconn.flush():
                return
