"""Transactions: ``async with db.transaction():`` — nested ones are SAVEPOINTs.

The outermost transaction holds one connection for the current task; every call on the
Database inside the block runs on it. An inner block is a savepoint: rolling it back (by an
exception leaving it, or ``await tx.rollback()``) undoes only its own work and the outer
transaction goes on.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Optional, Protocol, Union

from covet.db.backends.base import Connection
from covet.db.config import normalize_isolation
from covet.db.errors import InterfaceError

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["Transaction"]

logger = logging.getLogger("covet.db")


class ConnectionSource(Protocol):
    """What a Database offers a transaction: the task's connection, held for the block."""

    async def _hold_connection(self) -> tuple[Connection, bool]: ...

    async def _unhold_connection(self, conn: Connection) -> None: ...


class Transaction:
    """A transaction (or savepoint) as an async context manager.

    It commits when the block ends normally and rolls back when an exception (cancellation
    included) leaves it. ``commit()`` and ``rollback()`` end it early.
    """

    __slots__ = ("_active", "_conn", "_held", "_isolation", "_readonly", "_savepoint", "_source")

    def __init__(
        self,
        source: Union[ConnectionSource, Connection],
        *,
        isolation: Optional[str] = None,
        readonly: bool = False,
    ) -> None:
        self._source = source
        self._isolation = normalize_isolation(isolation)
        self._readonly = readonly
        self._conn: Optional[Connection] = None
        self._held = False
        self._savepoint: Optional[str] = None
        self._active = False

    @property
    def connection(self) -> Connection:
        """The connection the transaction runs on."""
        if self._conn is None:
            raise InterfaceError("the transaction has not started: use `async with db.transaction():`")
        return self._conn

    @property
    def savepoint(self) -> Optional[str]:
        """The savepoint's name for a nested transaction, None for the outermost one."""
        return self._savepoint

    @property
    def is_active(self) -> bool:
        return self._active

    async def __aenter__(self) -> Transaction:
        if self._conn is not None:
            raise InterfaceError("a Transaction object can be entered once; call db.transaction() again")
        if isinstance(self._source, Connection):
            conn = self._source
        else:
            conn, self._held = await self._source._hold_connection()
        self._conn = conn
        try:
            if conn._tx_depth == 0:
                await conn._begin(self._isolation, self._readonly)
                conn._readonly = self._readonly
            else:
                if self._isolation is not None:
                    raise ValueError("isolation can only be set on the outermost transaction")
                if self._readonly and not conn._readonly:
                    raise ValueError("a read-only transaction cannot be nested in a read-write one")
                name = conn._next_savepoint()
                await conn._savepoint(name)
                self._savepoint = name
        except BaseException:
            await self._unhold()
            raise
        conn._tx_depth += 1
        self._active = True
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        try:
            if self._active:
                if exc_type is None:
                    await self.commit()
                else:
                    await self._rollback_after_error()
        finally:
            await self._unhold()

    async def commit(self) -> None:
        """Commit now (release the savepoint, for a nested transaction)."""
        conn = self._end()
        if self._savepoint is not None:
            await conn._release_savepoint(self._savepoint)
        else:
            conn._readonly = False
            await conn._commit()

    async def rollback(self) -> None:
        """Roll back now (to the savepoint, for a nested transaction; the outer one goes on)."""
        conn = self._end()
        if conn._broken:
            return  # it will be closed on release; the server rolls back on disconnect
        if self._savepoint is not None:
            await conn._rollback_to_savepoint(self._savepoint)
            await conn._release_savepoint(self._savepoint)
        else:
            conn._readonly = False
            await conn._rollback()

    def _end(self) -> Connection:
        if not self._active or self._conn is None:
            raise InterfaceError("the transaction is not active (already committed or rolled back)")
        self._active = False
        self._conn._tx_depth -= 1
        return self._conn

    async def _rollback_after_error(self) -> None:
        try:
            await self.rollback()
        except BaseException as err:
            # The connection's state is unknown now: close it on release rather than reuse it.
            assert self._conn is not None
            self._conn._broken = True
            if not isinstance(err, Exception):
                raise
            logger.warning("covet.db: rollback failed (%s); the connection will be discarded", err)

    async def _unhold(self) -> None:
        if self._held and self._conn is not None and not isinstance(self._source, Connection):
            self._held = False
            await self._source._unhold_connection(self._conn)
