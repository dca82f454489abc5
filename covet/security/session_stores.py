"""Server-side sessions: the cookie holds only a random id; the data lives in Redis or a table.

::

    app.add_middleware(SessionMiddleware, backend=RedisSessionStore(redis))
    store = DatabaseSessionStore(db)                  # covet.db: PostgreSQL, MySQL/MariaDB, SQLite
    await store.create_table()                        # once, at start-up or in a migration
    app.add_middleware(SessionMiddleware, backend=store)

A stored session can be ended for good: ``session.clear()`` and ``session.rotate()`` delete its
record, so a copied cookie stops working at once. Records are kept under the SHA-256 of the id,
not the id itself: someone who can read the store (a backup, a replica) cannot ride the
sessions it holds. Redis forgets a record when it expires; a table keeps expired rows (refused
when read) until ``purge_expired()`` deletes them, which a periodic task should call.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Optional, Union

import orjson

from covet.db.dialects import get_dialect
from covet.db.query import Column, Table, delete, insert, select
from covet.security.sessions import SessionRecord

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from covet.db import Database

__all__ = ["DatabaseSessionStore", "RedisSessionStore"]

# A session id is 43 characters (32 random bytes); anything much longer is not one of ours.
_MAX_ID_LENGTH = 128


def storage_key(session_id: str) -> str:
    """What a record is stored under: the id's SHA-256, so the store alone opens no session."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def _encode(record: SessionRecord) -> bytes:
    try:
        return orjson.dumps({"c": record.created_at, "t": record.touched_at, "d": record.data})
    except TypeError as exc:
        raise TypeError(f"session values must be JSON (str, numbers, lists, dicts...): {exc}") from None


def _decode(session_id: str, raw: Union[bytes, str]) -> Optional[SessionRecord]:
    try:
        stored: Any = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(stored, dict) or not isinstance(stored.get("d"), dict):
        return None
    return SessionRecord(session_id, stored["d"], float(stored["c"]), float(stored["t"]))


class RedisSessionStore:
    """Sessions in Redis (``redis.asyncio``), each a key that expires with the session."""

    def __init__(self, redis: Redis, *, prefix: str = "covet:session:") -> None:
        self.redis = redis
        self.prefix = prefix

    def __repr__(self) -> str:
        return f"RedisSessionStore(prefix={self.prefix!r})"

    async def load(self, cookie: str) -> Optional[SessionRecord]:
        if len(cookie) > _MAX_ID_LENGTH:
            return None
        raw = await self.redis.get(self.prefix + storage_key(cookie))
        return None if raw is None else _decode(cookie, raw)

    async def save(self, record: SessionRecord, ttl: float) -> str:
        milliseconds = max(1, int(ttl * 1000))
        await self.redis.set(self.prefix + storage_key(record.id), _encode(record), px=milliseconds)
        return record.id

    async def delete(self, session_id: str) -> None:
        await self.redis.delete(self.prefix + storage_key(session_id))


class DatabaseSessionStore:
    """Sessions in a table of a ``covet.db.Database``; ``create_table()`` makes it."""

    def __init__(
        self, db: Database, *, table: str = "covet_sessions", clock: Callable[[], float] = time.time
    ) -> None:
        self.db = db
        self.table = Table(
            table,
            Column("session_key", primary_key=True),
            Column("data"),
            Column("created_at"),
            Column("touched_at"),
            Column("expires_at"),
        )
        self.clock = clock

    def __repr__(self) -> str:
        return f"DatabaseSessionStore(table={self.table.name!r})"

    def _compile(self, statement: Any) -> Any:
        return get_dialect(self.db.backend).compile(statement)

    async def create_table(self) -> None:
        """Create the table and its expiry index unless they exist (on every backend)."""
        name = self.table.name
        quoted = get_dialect(self.db.backend).quote_identifier(name, "table name")
        index = f"{name}_expires_at"
        await self.db.execute(
            f"CREATE TABLE IF NOT EXISTS {quoted} ("
            "session_key VARCHAR(64) NOT NULL PRIMARY KEY, data TEXT NOT NULL, "
            "created_at DOUBLE PRECISION NOT NULL, touched_at DOUBLE PRECISION NOT NULL, "
            "expires_at DOUBLE PRECISION NOT NULL)"
        )
        if self.db.backend == "mysql":  # MySQL has no CREATE INDEX IF NOT EXISTS
            exists = await self.db.fetch_val(
                "SELECT COUNT(*) FROM information_schema.statistics "
                "WHERE table_schema = DATABASE() AND table_name = %s AND index_name = %s",
                (name, index),
            )
            if exists:
                return
            await self.db.execute(f"CREATE INDEX {index} ON {quoted} (expires_at)")
        else:
            await self.db.execute(f"CREATE INDEX IF NOT EXISTS {index} ON {quoted} (expires_at)")

    async def load(self, cookie: str) -> Optional[SessionRecord]:
        if len(cookie) > _MAX_ID_LENGTH:
            return None
        c = self.table.c
        query = select(c.data, c.expires_at).where(c.session_key == storage_key(cookie))
        row = await self.db.fetch_one(self._compile(query), as_tuples=True)
        if row is None or row[1] <= self.clock():
            return None
        return _decode(cookie, row[0])

    async def save(self, record: SessionRecord, ttl: float) -> str:
        statement = (
            insert(self.table)
            .values(
                session_key=storage_key(record.id),
                data=_encode(record).decode("utf-8"),
                created_at=record.created_at,
                touched_at=record.touched_at,
                expires_at=self.clock() + ttl,
            )
            .on_conflict_do_update("session_key")
        )
        await self.db.execute(self._compile(statement))
        return record.id

    async def delete(self, session_id: str) -> None:
        c = self.table.c
        statement = delete(self.table).where(c.session_key == storage_key(session_id))
        await self.db.execute(self._compile(statement))

    async def purge_expired(self) -> int:
        """Delete the expired sessions' rows; the number deleted."""
        statement = delete(self.table).where(self.table.c.expires_at <= self.clock())
        return int(await self.db.execute(self._compile(statement)))
