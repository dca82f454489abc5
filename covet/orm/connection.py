"""How models find their database, and the one path every ORM query takes to it.

``covet.orm.setup(db)`` makes ``db`` the default database (call it at start-up, or in the app's
lifespan hook); ``Model.objects.using(other)`` picks another one per query. What the ORM needs to
know about a database (its dialect, with the server version on MySQL/MariaDB) is read once, on the
first query, from a connection's handshake: no query is spent on it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Coroutine
from typing import Any, Optional

from covet.db import Database
from covet.db.dialects import Dialect, dialect_for, get_dialect
from covet.orm.backends import Operations, operations_for
from covet.orm.errors import ImproperlyConfigured
from covet.orm.instrumentation import WATCH

__all__ = ["DatabaseInfo", "database_info", "get_database", "setup", "teardown"]

_default: Optional[Database] = None


def setup(database: Database) -> None:
    """Make ``database`` the one models use unless a query says ``.using(other)``."""
    global _default
    if not isinstance(database, Database):
        raise TypeError(f"setup() takes a covet.db.Database, not {type(database).__name__}")
    _default = database


def teardown() -> None:
    """Forget the default database (models then need ``.using(db)`` again)."""
    global _default
    _default = None


def get_database(using: Optional[Database] = None) -> Database:
    """``using`` if given, else the database ``covet.orm.setup`` registered (ImproperlyConfigured if none)."""
    if using is not None:
        return using
    if _default is None:
        raise ImproperlyConfigured(
            "no database for the ORM: call covet.orm.setup(Database(url)) at start-up "
            "(or in a lifespan hook), or pick one per query with Model.objects.using(db)"
        )
    return _default


class DatabaseInfo:
    """A database's dialect (for compiling) and ORM operations (for what differs)."""

    __slots__ = ("__weakref__", "backend", "dialect", "ops", "select_shapes", "sql_cache")

    def __init__(self, dialect: Dialect, ops: Operations) -> None:
        self.dialect = dialect
        self.ops = ops
        self.backend = ops.name
        #: SQL the ORM built once for this database, by the ORM's own keys (get by pk …).
        self.sql_cache: dict[Any, Any] = {}
        #: QuerySet shapes compiled for this database (see covet.orm.shapes), False: not cacheable.
        self.select_shapes: dict[Any, Any] = {}


_infos: weakref.WeakKeyDictionary[Database, DatabaseInfo] = weakref.WeakKeyDictionary()
#: PERF: the database asked about last and its facts: WeakKeyDictionary.get makes a weak
#: reference per call, and an app asks about the same database on every query.
_last: tuple[Callable[[], Optional[Database]], Optional[DatabaseInfo]] = (lambda: None, None)


async def database_info(db: Database) -> DatabaseInfo:
    """The ORM's facts about ``db``, read once per database."""
    info = known_info(db)
    if info is None:
        info = _infos[db] = DatabaseInfo(await _dialect(db), operations_for(db.backend))
    return info


def known_info(db: Database) -> Optional[DatabaseInfo]:
    """The facts about ``db`` if they were read already (the synchronous fast path)."""
    global _last
    last_db, info = _last
    if last_db() is db:
        return info
    info = _infos.get(db)
    if info is not None:
        _last = (weakref.ref(db), info)
    return info


async def _dialect(db: Database) -> Dialect:
    if db.backend != "mysql":
        return get_dialect(db.backend)
    async with db.connection() as conn:
        version = conn.raw.get_server_info()
    return dialect_for("mysql", server_version=version)


# -- the one way queries go out: counted and watched when someone listens ----------------------
# PERF: plain functions handing back the database's coroutine, not coroutines awaiting it: one
# coroutine less on every ORM query (each level is created, and stepped at every wake-up).


def fetch_all(db: Database, sql: str, params: Any) -> Coroutine[Any, Any, list[Any]]:
    if WATCH.active:
        WATCH.record(sql)
    return db.fetch_all(sql, params, as_tuples=True)


def fetch_one(db: Database, sql: str, params: Any) -> Coroutine[Any, Any, Any]:
    if WATCH.active:
        WATCH.record(sql)
    return db.fetch_one(sql, params, as_tuples=True)


def execute(db: Database, sql: str, params: Any) -> Coroutine[Any, Any, int]:
    if WATCH.active:
        WATCH.record(sql)
    return db.execute(sql, params)


def record(sql: str) -> None:
    """Count a statement the ORM runs by other means (COPY, a held connection)."""
    if WATCH.active:
        WATCH.record(sql)
