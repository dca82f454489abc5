"""A small asyncio connection pool, used for SQLite and MySQL connections.

PostgreSQL uses psycopg_pool. For aiomysql, its own ``Pool`` has no acquire timeout, no idle
limit and no checkout check, opens connections while holding its lock and spawns a task on
every release; aiosqlite has no pool. This one is FIFO-fair (a released connection goes
straight to the longest waiter), hands idle connections out last-in first-out (so the surplus
ages out under ``max_idle``), pings connections that sat idle before handing them out, and
never hangs: acquire has a deadline.
"""

from __future__ import annotations

import abc
import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Generic, Optional, TypeVar, cast

from covet.db.backends.base import Backend, Connection, PoolExhausted
from covet.db.config import DatabaseConfig
from covet.db.errors import InterfaceError

__all__ = ["ConnectionPool", "Expired", "expire_waiter"]

logger = logging.getLogger("covet.db")

C = TypeVar("C", bound=Connection)


class Expired(Exception):
    """A waiter's deadline passed."""


def expire_waiter(fut: asyncio.Future[Any]) -> None:
    if not fut.done():
        fut.set_exception(Expired())


class ConnectionPool(Generic[C]):
    def __init__(
        self,
        *,
        name: str,
        open_connection: Callable[[], Awaitable[C]],
        close_connection: Callable[[C], Awaitable[None]],
        check_connection: Optional[Callable[[C], Awaitable[None]]],
        min_size: int,
        max_size: int,
        max_idle: Optional[float],
        max_lifetime: Optional[float],
        check_after_idle: Optional[float],
    ) -> None:
        self.name = name
        self._open_connection = open_connection
        self._close_connection = close_connection
        self._check_connection = check_connection
        self.min_size = min_size
        self.max_size = max_size
        self.max_idle = max_idle
        self.max_lifetime = max_lifetime
        self.check_after_idle = check_after_idle if check_connection is not None else None
        self._idle: collections.deque[C] = collections.deque()
        self._waiters: collections.deque[asyncio.Future[Optional[C]]] = collections.deque()
        self._size = 0  # open connections plus those being opened
        self._closed = False
        self.replaced = 0

    @property
    def size(self) -> int:
        return self._size

    @property
    def idle(self) -> int:
        return len(self._idle)

    async def open(self) -> None:
        while self._size < self.min_size:
            self._size += 1
            try:
                conn = await self._open_connection()
            except BaseException:
                self._size -= 1
                await self.close()
                raise
            self._idle.append(conn)

    async def close(self) -> None:
        self._closed = True
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_exception(InterfaceError.pool_closed(self.name))
        idle, self._idle = self._idle, collections.deque()
        for conn in idle:
            self._size -= 1
            await self._close_quietly(conn)

    async def acquire(self, deadline: float) -> C:
        """A connection; PoolExhausted once ``deadline`` (time.monotonic) passes."""
        while True:
            if self._closed:
                raise InterfaceError.pool_closed(self.name)
            if self._idle:
                conn = self._idle.pop()
                if await self._usable(conn):
                    return conn
                continue
            if self._size < self.max_size:
                return await self._grow(deadline)
            conn_or_none = await self._wait(deadline)
            if conn_or_none is not None:
                return conn_or_none
            # None: a connection was discarded, there is room to open one.

    async def _usable(self, conn: C) -> bool:
        now = time.monotonic()
        if self.max_lifetime is not None and now - conn.created_at > self.max_lifetime:
            await self._discard(conn)
            return False
        if self.check_after_idle is not None and now - conn.released_at >= self.check_after_idle:
            assert self._check_connection is not None
            try:
                await self._check_connection(conn)
            except Exception as exc:  # noqa: BLE001 - dead: replace it
                logger.info("%s: connection failed its checkout check (%s); replacing it", self.name, exc)
                await self._discard(conn)
                return False
            except BaseException:
                await self._discard(conn)  # cancelled mid-ping: its state is unknown
                raise
        return True

    async def _grow(self, deadline: float) -> C:
        self._size += 1
        try:
            return await self._open_connection()
        except BaseException:
            self._size -= 1
            self._wake_one()
            raise

    async def _wait(self, deadline: float) -> Optional[C]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise PoolExhausted
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Optional[C]] = loop.create_future()
        # PERF: a bare timer on the future, not asyncio.timeout(): this runs for every acquire
        # that has to queue, i.e. all of them under contention.
        timer = loop.call_later(remaining, expire_waiter, fut)
        self._waiters.append(fut)
        try:
            return await fut
        except BaseException as exc:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                # Served just as we were cancelled: pass the connection on.
                conn = fut.result()
                if conn is not None:
                    self.release(conn)
                else:
                    self._wake_one()
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(fut)  # still queued: expired or cancelled
            if isinstance(exc, Expired):
                raise PoolExhausted from None
            raise
        finally:
            timer.cancel()

    def release(self, conn: C) -> None:
        """Give a healthy connection back (to the first waiter, if any)."""
        if self._closed:
            self._size -= 1
            asyncio.get_running_loop().create_task(self._close_quietly(conn))
            return
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(conn)
                return
        self._idle.append(conn)

    async def discard(self, conn: C) -> None:
        """Close a connection that must not be reused; a waiter may open a new one."""
        await self._discard(conn)

    async def _discard(self, conn: C) -> None:
        self._size -= 1
        self.replaced += 1
        self._wake_one()
        await self._close_quietly(conn)

    def _wake_one(self) -> None:
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return

    async def _close_quietly(self, conn: C) -> None:
        try:
            await self._close_connection(conn)
        except Exception as exc:  # noqa: BLE001 - closing a dead connection may fail; it is gone anyway
            logger.debug("%s: error closing a connection: %s", self.name, exc)

    async def maintain(self) -> None:
        """Close idle connections past max_idle (above min_size) or max_lifetime; refill to min_size."""
        now = time.monotonic()
        keep: collections.deque[C] = collections.deque()
        expired: list[C] = []
        # Oldest-released first: the left end of the deque.
        while self._idle:
            conn = self._idle.popleft()
            too_old = self.max_lifetime is not None and now - conn.created_at > self.max_lifetime
            too_idle = (
                self.max_idle is not None
                and now - conn.released_at > self.max_idle
                and self._size - len(expired) > self.min_size
            )
            if too_old or too_idle:
                expired.append(conn)
            else:
                keep.append(conn)
        self._idle.extendleft(reversed(keep))
        for index, conn in enumerate(expired):
            self._size -= 1
            self.replaced += 1
            try:
                await self._close_quietly(conn)
            except BaseException:
                # Cancelled (the pool is closing): the ones not reached yet go back to the idle
                # list, still counted, so close() closes them instead of leaking them.
                self._idle.extendleft(reversed(expired[index + 1 :]))
                raise
        while not self._closed and self._size < self.min_size:
            self._size += 1
            try:
                conn = await self._open_connection()
            except Exception as exc:  # noqa: BLE001 - retried at the next round
                self._size -= 1
                logger.warning("%s: could not refill the pool: %s", self.name, exc)
                return
            self.release(conn)


class PooledBackend(Backend, Generic[C]):
    """A Backend whose connections live in a ``ConnectionPool`` (SQLite and MySQL).

    Subclasses open the pool in ``_open_pool`` (their own settings) and close single connections
    in ``_disconnect``; handing connections out and back is the same for both.
    """

    def __init__(self, config: DatabaseConfig) -> None:
        super().__init__(config)
        self._pool: Optional[ConnectionPool[C]] = None

    @abc.abstractmethod
    async def _disconnect(self, conn: C) -> None: ...

    async def _close_pool(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def _acquire(self, deadline: float) -> Connection:
        if self._pool is None:
            raise InterfaceError.pool_closed(self.name)
        return await self._pool.acquire(deadline)

    async def _release(self, conn: Connection, discard: bool) -> None:
        pooled = cast(C, conn)
        if self._pool is None:
            await self._disconnect(pooled)
        elif discard:
            await self._pool.discard(pooled)
        else:
            self._pool.release(pooled)

    def _pool_counts(self) -> tuple[int, int]:
        if self._pool is None:
            return 0, 0
        return self._pool.size, self._pool.idle

    def _replaced_count(self) -> int:
        return self._pool.replaced if self._pool is not None else 0

    async def _maintain(self) -> None:
        if self._pool is not None:
            await self._pool.maintain()
