"""The database engine: connections, pools, transactions and rows for PostgreSQL, MySQL and SQLite.

::

    from covet.db import Database

    async with Database("postgresql://app@localhost/app") as db:
        await db.execute("INSERT INTO users (email) VALUES (%s)", ("a@example.com",))
        async with db.transaction():
            user = await db.fetch_one("SELECT id, email FROM users WHERE email = %s", ("a@example.com",))
        print(user.id, user["email"], dict(user))

``execute`` returns the affected-row count as an ``int`` whose ``.lastrowid`` is the generated
id of an inserted row (MySQL/MariaDB, SQLite; use ``RETURNING`` on PostgreSQL). Bulk inserts:
``copy_records(table, columns, rows)`` (COPY on PostgreSQL, a batched multi-row INSERT
elsewhere). ``fetch_objects(sql, cls=Model)`` builds instances without ``__init__`` for an ORM.
Repeated statements are prepared on PostgreSQL after ``prepare_threshold`` runs, at most
``statement_cache_size`` per connection (``?prepare_threshold=0&statement_cache_size=256``).

Placeholders: SQL text is written in the backend's own style, and values are always bound
parameters — ``%s`` (or ``%(name)s`` with a dict) on PostgreSQL and MySQL, ``?`` (or ``:name``)
on SQLite; ``db.paramstyle`` says which. The query builder's compiled queries (anything with
``.sql`` and ``.params``) are accepted wherever SQL text is.

Types per backend (details in each ``covet/db/backends/*.py``): dicts and :class:`Json` are
stored as JSON, Enum members as their value. MySQL has no time-zone-aware datetimes (aware ones
are stored as UTC, naive), returns bools as 0/1, UUIDs as text and, on MariaDB, JSON as text.
SQLite stores dates, times, UUIDs and decimals as text and gives them back by declared column
type (``DATE``, ``TIME``, ``DATETIME``/``TIMESTAMP``, ``UUID``, ``JSON``, ``BOOLEAN``,
``DECIMAL TEXT``).
"""

from covet.db.backends.base import CompiledQuery, Connection, RowIterator
from covet.db.config import DatabaseConfig
from covet.db.database import ConnectionScope, Database
from covet.db.errors import (
    CheckViolation,
    ConnectionError,
    DatabaseError,
    DataError,
    DeadlockDetected,
    ForeignKeyViolation,
    IntegrityError,
    InterfaceError,
    LockNotAvailable,
    NotNullViolation,
    OperationalError,
    PoolTimeout,
    ProgrammingError,
    QueryCanceled,
    ReadOnlyViolation,
    SerializationFailure,
    TransactionRollback,
    UniqueViolation,
)
from covet.db.records import Record, decode_objects, decode_rows
from covet.db.results import ExecuteResult
from covet.db.stats import PoolStats
from covet.db.transaction import Transaction
from covet.db.types import Json
from covet.db.url import DEFAULT_URL, parse_url

__all__ = [
    "DEFAULT_URL",
    "CheckViolation",
    "CompiledQuery",
    "Connection",
    "ConnectionError",
    "ConnectionScope",
    "DataError",
    "Database",
    "DatabaseConfig",
    "DatabaseError",
    "DeadlockDetected",
    "ExecuteResult",
    "ForeignKeyViolation",
    "IntegrityError",
    "InterfaceError",
    "Json",
    "LockNotAvailable",
    "NotNullViolation",
    "OperationalError",
    "PoolStats",
    "PoolTimeout",
    "ProgrammingError",
    "QueryCanceled",
    "ReadOnlyViolation",
    "Record",
    "RowIterator",
    "SerializationFailure",
    "Transaction",
    "TransactionRollback",
    "UniqueViolation",
    "decode_objects",
    "decode_rows",
    "parse_url",
]
