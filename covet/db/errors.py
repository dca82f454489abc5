"""The exceptions ``covet.db`` raises, and how each driver's errors map onto them.

Every driver error is re-raised as one of these classes with the driver's exception kept as
``__cause__``. The message is the server's primary message followed by the SQL with its
parameters redacted: values never reach a log line through this module, only the count of
bound parameters does. String literals written into the SQL text are redacted too.

::

    DatabaseError
    ├── InterfaceError                 misuse of the API (not connected, closed pool)
    ├── OperationalError               the database or the network, not the query
    │   ├── ConnectionError            cannot connect, connection lost, server shutting down
    │   ├── PoolTimeout                no connection free within acquire_timeout
    │   ├── QueryCanceled              statement timeout, cancel request, sqlite interrupt
    │   ├── LockNotAvailable           lock wait timeout, NOWAIT, database is locked
    │   └── TransactionRollback        the server rolled the transaction back: retry it
    │       ├── SerializationFailure
    │       └── DeadlockDetected
    ├── IntegrityError
    │   ├── UniqueViolation
    │   ├── ForeignKeyViolation
    │   ├── NotNullViolation
    │   └── CheckViolation
    ├── ProgrammingError               syntax errors, unknown tables or columns, bad bindings
    │   └── ReadOnlyViolation          a write inside a read-only transaction
    └── DataError                      a value the column cannot hold
"""

from __future__ import annotations

import re
from typing import Any, Optional

__all__ = [
    "CheckViolation",
    "ConnectionError",
    "DataError",
    "DatabaseError",
    "DeadlockDetected",
    "ForeignKeyViolation",
    "IntegrityError",
    "InterfaceError",
    "LockNotAvailable",
    "NotNullViolation",
    "OperationalError",
    "PoolTimeout",
    "ProgrammingError",
    "QueryCanceled",
    "ReadOnlyViolation",
    "SerializationFailure",
    "TransactionRollback",
    "UniqueViolation",
    "describe_sql",
    "map_mysql_error",
    "map_postgresql_error",
    "map_sqlite_error",
]

MAX_SQL_IN_MESSAGE = 1000


class DatabaseError(Exception):
    """Base class of every error ``covet.db`` raises.

    ``sql`` is the statement with its literals and parameters redacted (or None), ``code`` the
    server's error code when there is one (SQLSTATE on PostgreSQL, the error number on MySQL, the
    extended result code name on SQLite) and ``backend`` the backend's name.
    """

    def __init__(
        self,
        message: str,
        *,
        sql: Optional[str] = None,
        code: Optional[str] = None,
        backend: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.sql = sql
        self.code = code
        self.backend = backend


class InterfaceError(DatabaseError):
    """The API was used in a state that does not allow it (not connected, already closed)."""

    @classmethod
    def pool_closed(cls, backend: str) -> InterfaceError:
        """A connection asked for after (or while) ``disconnect()`` closed the pool."""
        return cls(
            f"the {backend} pool is closed: Database.disconnect() ran; call `await db.connect()` "
            "again, or keep the Database open for as long as it is used (a lifespan hook)"
        )


class OperationalError(DatabaseError):
    """A failure of the database server or the connection rather than of the statement."""


class ConnectionError(OperationalError):  # noqa: A001 - the name the DB-API world expects
    """The connection could not be opened, was lost, or the server is shutting down."""


class PoolTimeout(OperationalError):
    """No connection became free within ``acquire_timeout``."""


class QueryCanceled(OperationalError):
    """The statement was canceled: statement timeout, a cancel request, an interrupt."""


class LockNotAvailable(OperationalError):
    """A lock could not be taken in time (lock wait timeout, NOWAIT, SQLite busy)."""


class TransactionRollback(OperationalError):
    """The server rolled the transaction back; running it again may succeed."""


class SerializationFailure(TransactionRollback):
    """A serializable or repeatable-read transaction conflicted with another one."""


class DeadlockDetected(TransactionRollback):
    """The server found a deadlock and chose this transaction as the victim."""


class IntegrityError(DatabaseError):
    """A constraint was violated."""


class UniqueViolation(IntegrityError):
    """A unique or primary-key constraint was violated."""


class ForeignKeyViolation(IntegrityError):
    """A foreign-key constraint was violated."""


class NotNullViolation(IntegrityError):
    """NULL was given for a NOT NULL column (or a required column got no value)."""


class CheckViolation(IntegrityError):
    """A CHECK constraint was violated."""


class ProgrammingError(DatabaseError):
    """The statement is wrong: syntax, unknown table or column, wrong number of parameters."""


class ReadOnlyViolation(ProgrammingError):
    """A write was attempted inside a read-only transaction."""


class DataError(DatabaseError):
    """A value does not fit its column: out of range, too long, not parseable."""


# -- Redaction ---------------------------------------------------------------------------------

# A single-quoted SQL literal, with '' as an escaped quote and, for MySQL, backslash escapes.
_SQL_LITERAL = re.compile(r"'(?:[^'\\]|\\.|'')*'", re.DOTALL)


def _count_params(params: Any) -> int:
    if params is None:
        return 0
    try:
        return len(params)
    except TypeError:
        return 1


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def describe_sql(sql: Optional[str], params: Any = None, *, many: bool = False) -> str:
    """``SQL: <statement> [n parameters redacted]``: the statement for an error message.

    Quoted literals in the SQL text become ``'…'``; bound values are only counted. With
    ``many=True``, ``params`` is the sequence of parameter sets given to ``execute_many``.
    """
    if sql is None:
        return ""
    text = " ".join(_SQL_LITERAL.sub("'…'", sql).split())
    if len(text) > MAX_SQL_IN_MESSAGE:
        text = text[:MAX_SQL_IN_MESSAGE] + " …"
    if many:
        n = _count_params(params)
        return f"SQL: {text} [parameters of {_plural(n, 'row')} redacted]"
    n = _count_params(params)
    if n == 0:
        return f"SQL: {text}"
    return f"SQL: {text} [{_plural(n, 'parameter')} redacted]"


def _compose(
    cls: type[DatabaseError],
    message: str,
    sql: Optional[str],
    params: Any,
    many: bool,
    code: Optional[str],
    backend: str,
) -> DatabaseError:
    where = describe_sql(sql, params, many=many)
    text = f"{message} — {where}" if where else message
    redacted = where[5:] if where else None
    return cls(text, sql=redacted, code=code, backend=backend)


# -- PostgreSQL: by SQLSTATE --------------------------------------------------------------------

_PG_BY_SQLSTATE: dict[str, type[DatabaseError]] = {
    "23505": UniqueViolation,
    "23503": ForeignKeyViolation,
    "23502": NotNullViolation,
    "23514": CheckViolation,
    "40001": SerializationFailure,
    "40P01": DeadlockDetected,
    "57014": QueryCanceled,
    "57P01": ConnectionError,  # admin_shutdown: the server is restarting
    "57P02": ConnectionError,  # crash_shutdown
    "57P03": ConnectionError,  # cannot_connect_now: still starting up
    "55P03": LockNotAvailable,
    "25006": ReadOnlyViolation,
    "3D000": ConnectionError,  # invalid_catalog_name: the database does not exist
}

_PG_BY_CLASS: dict[str, type[DatabaseError]] = {
    "08": ConnectionError,
    "22": DataError,
    "23": IntegrityError,
    "25": ProgrammingError,  # invalid transaction state, e.g. statements after a failed one
    "28": ConnectionError,  # invalid authorization
    "40": TransactionRollback,
    "42": ProgrammingError,
    "0A": ProgrammingError,  # feature not supported
    "53": OperationalError,  # insufficient resources, e.g. too many connections
    "54": ProgrammingError,  # program limit exceeded
    "55": OperationalError,
    "57": OperationalError,
    "58": OperationalError,
    "XX": OperationalError,
}

# In data errors (class 22) PostgreSQL quotes the offending value at the end of the message:
# `invalid input syntax for type integer: "abc"`.
_PG_QUOTED_VALUE = re.compile(r': ".*"$', re.DOTALL)


def map_postgresql_error(
    exc: BaseException, sql: Optional[str], params: Any, many: bool = False
) -> DatabaseError:
    """The ``covet.db`` exception for a psycopg exception raised by ``sql``."""
    sqlstate: Optional[str] = getattr(exc, "sqlstate", None)
    diag = getattr(exc, "diag", None)
    message = diag.message_primary if diag is not None else None
    if not message:
        message = (str(exc).strip().splitlines() or [""])[0]
    cls: type[DatabaseError]
    if sqlstate:
        cls = _PG_BY_SQLSTATE.get(sqlstate) or _PG_BY_CLASS.get(sqlstate[:2], DatabaseError)
        if sqlstate.startswith("22"):
            message = _PG_QUOTED_VALUE.sub(": [value redacted]", message)
    else:
        # No SQLSTATE: a client-side failure. psycopg's OperationalError and InterfaceError
        # then mean the connection is gone (or was never made).
        name = type(exc).__name__
        if name in ("OperationalError", "InterfaceError", "ConnectionTimeout"):
            cls = ConnectionError
        elif name == "ProgrammingError":
            cls = ProgrammingError
        elif name == "DataError":
            cls = DataError
        elif name == "QueryCanceled":
            cls = QueryCanceled
        else:
            cls = DatabaseError
    return _compose(cls, message, sql, params, many, sqlstate, "postgresql")


# -- MySQL / MariaDB: by error number -----------------------------------------------------------

_MYSQL_BY_CODE: dict[int, type[DatabaseError]] = {
    1062: UniqueViolation,  # ER_DUP_ENTRY
    1586: UniqueViolation,  # ER_DUP_ENTRY_WITH_KEY_NAME
    1451: ForeignKeyViolation,  # ER_ROW_IS_REFERENCED_2
    1452: ForeignKeyViolation,  # ER_NO_REFERENCED_ROW_2
    1216: ForeignKeyViolation,
    1217: ForeignKeyViolation,
    1048: NotNullViolation,  # ER_BAD_NULL_ERROR
    1364: NotNullViolation,  # ER_NO_DEFAULT_FOR_FIELD
    3819: CheckViolation,  # MySQL 8: ER_CHECK_CONSTRAINT_VIOLATED
    4025: CheckViolation,  # MariaDB: ER_CONSTRAINT_FAILED
    1213: DeadlockDetected,  # ER_LOCK_DEADLOCK
    1205: LockNotAvailable,  # ER_LOCK_WAIT_TIMEOUT
    3572: LockNotAvailable,  # ER_LOCK_NOWAIT
    1317: QueryCanceled,  # ER_QUERY_INTERRUPTED
    1969: QueryCanceled,  # MariaDB: ER_STATEMENT_TIMEOUT
    3024: QueryCanceled,  # MySQL: ER_QUERY_TIMEOUT
    1792: ReadOnlyViolation,  # ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
    1264: DataError,  # ER_WARN_DATA_OUT_OF_RANGE
    1265: DataError,  # WARN_DATA_TRUNCATED
    1292: DataError,  # ER_TRUNCATED_WRONG_VALUE
    1366: DataError,  # ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
    1406: DataError,  # ER_DATA_TOO_LONG
    1411: DataError,  # ER_WRONG_VALUE_FOR_TYPE
    3140: DataError,  # MySQL: ER_INVALID_JSON_TEXT
    1044: ConnectionError,  # access denied to database
    1045: ConnectionError,  # access denied for user
    1049: ConnectionError,  # unknown database
    1040: ConnectionError,  # too many connections
    1053: ConnectionError,  # server shutdown in progress
    1927: ConnectionError,  # MariaDB: connection was killed
    2002: ConnectionError,
    2003: ConnectionError,  # can't connect
    2006: ConnectionError,  # server has gone away
    2013: ConnectionError,  # lost connection during query
    2014: ProgrammingError,  # commands out of sync
    1064: ProgrammingError,  # ER_PARSE_ERROR
    1054: ProgrammingError,  # ER_BAD_FIELD_ERROR: unknown column
    1146: ProgrammingError,  # ER_NO_SUCH_TABLE
    1109: ProgrammingError,  # ER_UNKNOWN_TABLE
    1051: ProgrammingError,  # ER_BAD_TABLE_ERROR
    1050: ProgrammingError,  # ER_TABLE_EXISTS_ERROR
    1060: ProgrammingError,  # ER_DUP_FIELDNAME
    1061: ProgrammingError,  # ER_DUP_KEYNAME
    1091: ProgrammingError,  # ER_CANT_DROP_FIELD_OR_KEY
    1110: ProgrammingError,  # ER_FIELD_SPECIFIED_TWICE
    1136: ProgrammingError,  # ER_WRONG_VALUE_COUNT_ON_ROW
    1052: ProgrammingError,  # ER_NON_UNIQ_ERROR: ambiguous column
    1142: ProgrammingError,  # ER_TABLEACCESS_DENIED_ERROR
    1143: ProgrammingError,  # ER_COLUMNACCESS_DENIED_ERROR
    1305: ProgrammingError,  # ER_SP_DOES_NOT_EXIST
}

# MySQL quotes the offending value in some messages:
# "Duplicate entry 'a@b.c' for key 'email'", "Incorrect integer value: 'abc' for column ...".
_MYSQL_VALUE = re.compile(r"(entry|value:?) '(?:[^'\\]|\\.|'')*'", re.IGNORECASE | re.DOTALL)


def map_mysql_error(
    exc: BaseException, sql: Optional[str], params: Any, many: bool = False
) -> DatabaseError:
    """The ``covet.db`` exception for a PyMySQL/aiomysql exception raised by ``sql``."""
    args: tuple[Any, ...] = getattr(exc, "args", ())
    code: Optional[int] = args[0] if args and isinstance(args[0], int) else None
    message = str(args[1]) if len(args) > 1 else str(exc)
    message = _MYSQL_VALUE.sub(r"\1 [value redacted]", message)
    cls: Optional[type[DatabaseError]] = _MYSQL_BY_CODE.get(code) if code is not None else None
    if cls is None:
        name = type(exc).__name__
        if code is not None and 2000 <= code < 3000:
            cls = ConnectionError  # client-side (CR_*) errors are about the connection
        elif name == "IntegrityError":
            cls = IntegrityError
        elif name == "ProgrammingError":
            cls = ProgrammingError
        elif name == "DataError":
            cls = DataError
        elif name == "InterfaceError":
            cls = ConnectionError  # aiomysql: "Not connected", "Cancelled during execution"
        elif name in ("OperationalError", "InternalError"):
            cls = OperationalError
        elif name == "NotSupportedError":
            cls = ProgrammingError
        else:
            cls = DatabaseError
    return _compose(cls, message, sql, params, many, str(code) if code is not None else None, "mysql")


# -- SQLite: by extended result code ------------------------------------------------------------

_SQLITE_BY_NAME: dict[str, type[DatabaseError]] = {
    "SQLITE_CONSTRAINT_UNIQUE": UniqueViolation,
    "SQLITE_CONSTRAINT_PRIMARYKEY": UniqueViolation,
    "SQLITE_CONSTRAINT_FOREIGNKEY": ForeignKeyViolation,
    "SQLITE_CONSTRAINT_NOTNULL": NotNullViolation,
    "SQLITE_CONSTRAINT_CHECK": CheckViolation,
    "SQLITE_CONSTRAINT": IntegrityError,
    "SQLITE_BUSY": LockNotAvailable,
    "SQLITE_BUSY_SNAPSHOT": SerializationFailure,
    "SQLITE_LOCKED": LockNotAvailable,
    "SQLITE_INTERRUPT": QueryCanceled,
    "SQLITE_READONLY": ReadOnlyViolation,
    "SQLITE_MISMATCH": DataError,
    "SQLITE_TOOBIG": DataError,
    "SQLITE_RANGE": ProgrammingError,
    "SQLITE_CANTOPEN": ConnectionError,
    "SQLITE_NOTADB": ConnectionError,
    "SQLITE_CORRUPT": OperationalError,
    "SQLITE_FULL": OperationalError,
    "SQLITE_IOERR": OperationalError,
}

# sqlite3 reports syntax errors and unknown names as OperationalError(SQLITE_ERROR).
_SQLITE_PROGRAMMING = ("syntax error", "no such ", "has no column", "incomplete input", "already exists",
                       "wrong number of arguments", "misuse of", "ambiguous column")


def map_sqlite_error(
    exc: BaseException, sql: Optional[str], params: Any, many: bool = False
) -> DatabaseError:
    """The ``covet.db`` exception for a sqlite3 exception raised by ``sql``."""
    name: Optional[str] = getattr(exc, "sqlite_errorname", None)
    message = str(exc)
    cls: Optional[type[DatabaseError]] = None
    if name:
        cls = _SQLITE_BY_NAME.get(name)
        if cls is None:
            prefix = name.split("_")
            if len(prefix) > 2:  # an extended code without its own entry: try the primary one
                cls = _SQLITE_BY_NAME.get("_".join(prefix[:2]))
    if cls is None:
        type_name = type(exc).__name__
        if type_name == "IntegrityError":
            cls = IntegrityError
        elif type_name in ("ProgrammingError", "InterfaceError"):
            cls = ProgrammingError  # wrong number of bindings, unsupported parameter type
        elif type_name == "DataError":
            cls = DataError
        elif type_name == "OperationalError":
            lowered = message.lower()
            cls = ProgrammingError if any(s in lowered for s in _SQLITE_PROGRAMMING) else OperationalError
        else:
            cls = DatabaseError
    return _compose(cls, message, sql, params, many, name, "sqlite")
