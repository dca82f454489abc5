"""SQL dialects: how PostgreSQL, SQLite and MySQL/MariaDB differ, as data the compiler reads.

A dialect is a set of facts: the driver's placeholder style, the identifier quote and length limit,
and feature flags (``insert_returning``, ``supports_ilike``, ``upsert_style`` …). The compiler in
``covet._speedups.sqlcompile`` renders every statement from these flags alone; no code asks which
database it is talking to by name. Flags that depend on the server version are computed from it:
``SQLiteDialect()`` reads the linked library's version, ``dialect_for("mysql", server_version=...)``
parses what the server reports (MariaDB and MySQL differ on RETURNING, row locks and upserts).

Identifiers are always quoted. A plain name must look like a Python identifier (ASCII letters,
digits, underscore, not starting with a digit); anything else must be wrapped in :func:`quoted`
to be used verbatim, which still refuses NUL and control characters and doubles the quote
character. Together with the length check at compile time, no identifier can end its quotes early.
"""

from __future__ import annotations

import re
import sqlite3
from typing import TYPE_CHECKING, Final, Literal, Optional, Union

if TYPE_CHECKING:
    from covet._speedups.sqlcompile import CompiledQuery, Compiler
    from covet._speedups.sqlnodes import Node

__all__ = [
    "Dialect",
    "InvalidIdentifierError",
    "MySQLDialect",
    "PostgreSQLDialect",
    "QuotedName",
    "SQLiteDialect",
    "UnsupportedFeatureError",
    "check_identifier",
    "check_type_name",
    "dialect_for",
    "get_dialect",
    "quoted",
]

Paramstyle = Literal["format", "qmark", "numeric"]
UpsertStyle = Literal["on_conflict", "on_duplicate_key"]
ExcludedStyle = Literal["excluded", "values_function", "row_alias"]

#: Entries each dialect's compiler keeps in its shape cache before it evicts the least recently used.
DEFAULT_CACHE_SIZE: Final = 1024


class InvalidIdentifierError(ValueError):
    """A table, column, alias or function name that cannot be used as an SQL identifier."""


class UnsupportedFeatureError(Exception):
    """The statement uses something this dialect (or this server version) does not have."""


class QuotedName(str):
    """A name to use verbatim inside identifier quotes (see :func:`quoted`)."""

    __slots__ = ()


def quoted(name: str) -> QuotedName:
    """Mark ``name`` as an identifier to quote verbatim, e.g. ``Column(quoted("unit price"))``.

    Any character but NUL and control characters is allowed; the dialect doubles its quote
    character inside the name, so the name cannot break out of its quotes.
    """
    return QuotedName(name)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TYPE_NAME = re.compile(
    r"[A-Za-z][A-Za-z0-9_]*( [A-Za-z][A-Za-z0-9_]*)*(\(\d+( ?, ?\d+)?\))?( [A-Za-z][A-Za-z0-9_]*)*(\[\])?"
)


def check_identifier(name: object, what: str = "identifier") -> str:
    """Return ``name`` if it can be an identifier, else raise :class:`InvalidIdentifierError`.

    ``what`` says where the name was used ("table name", "column name" …) for the message.
    """
    if type(name) is str:
        if name.isidentifier() and name.isascii():
            return name
        if not name:
            raise InvalidIdentifierError(f"empty {what}: an SQL identifier needs at least one character")
        raise InvalidIdentifierError(
            f"invalid {what} {name!r}: a plain identifier is ASCII letters, digits and underscores, "
            f"not starting with a digit; wrap it in quoted(...) to use it verbatim"
        )
    if isinstance(name, QuotedName):
        if not name:
            raise InvalidIdentifierError(f"empty {what}: an SQL identifier needs at least one character")
        if _CONTROL.search(name):
            raise InvalidIdentifierError(
                f"invalid {what} {name!r}: identifiers cannot contain NUL or control characters"
            )
        return name
    if isinstance(name, str):  # another str subclass: judge its plain value
        return check_identifier(str(name), what)
    raise InvalidIdentifierError(f"invalid {what} {name!r}: expected a str, got {type(name).__name__}")


def check_type_name(name: object) -> str:
    """Return ``name`` if it reads as an SQL type (``integer``, ``varchar(20)``, ``text[]``)."""
    if not isinstance(name, str) or _TYPE_NAME.fullmatch(name) is None:
        raise InvalidIdentifierError(
            f"invalid SQL type name {name!r}: expected words, an optional (n) or (p, s) and "
            f"an optional [] (e.g. 'bigint', 'varchar(40)', 'numeric(10, 2)', 'double precision')"
        )
    return name


class Dialect:
    """What the compiler needs to know about one database.

    Subclasses set the facts; ``compile(stmt)`` renders a statement through this dialect's
    compiler, whose shape cache is shared by everything compiled for the dialect.
    """

    name: str = ""
    #: ``"format"`` renders ``%s`` (psycopg, aiomysql; literal ``%`` doubled), ``"qmark"`` ``?``
    #: (sqlite3), ``"numeric"`` ``$1, $2 …`` (asyncpg).
    paramstyle: Paramstyle = "format"
    identifier_quote: str = '"'
    #: 0 means no limit.
    max_identifier_length: int = 0
    identifier_length_in_bytes: bool = False

    insert_returning: bool = False
    update_returning: bool = False
    delete_returning: bool = False
    supports_right_join: bool = False
    supports_full_join: bool = False
    supports_ilike: bool = False
    supports_filter_clause: bool = False
    supports_nulls_ordering: bool = False
    supports_window_functions: bool = False
    #: ``WITH [RECURSIVE] name AS (...)``.
    supports_ctes: bool = True
    #: ``INTERSECT`` / ``EXCEPT`` (UNION is everywhere), and their ``ALL`` forms.
    supports_intersect_except: bool = True
    supports_intersect_except_all: bool = False
    #: ``(SELECT ... LIMIT 1) UNION (SELECT ...)``: members with their own ORDER BY/LIMIT.
    supports_parenthesized_compound_members: bool = True
    #: ``"on_conflict"`` (PostgreSQL, SQLite) or ``"on_duplicate_key"`` (MySQL, MariaDB).
    upsert_style: UpsertStyle = "on_conflict"
    #: How the row proposed for insertion is named in the upsert's SET:
    #: ``EXCLUDED.col`` / ``VALUES(col)`` / a row alias ``AS excluded … excluded.col`` (MySQL ≥ 8.0.19).
    excluded_style: ExcludedStyle = "excluded"
    supports_upsert_where: bool = False
    supports_for_update: bool = False
    supports_for_update_of: bool = False
    supports_nowait: bool = False
    supports_skip_locked: bool = False
    #: Rendering of a shared row lock (``FOR SHARE`` or MariaDB's ``LOCK IN SHARE MODE``).
    for_share_sql: str = "FOR SHARE"
    #: ``a || b`` where true, else ``CONCAT(a, b)``.
    concat_operator: bool = True
    #: ``x IN (list)`` rendered as ``x = ANY(%s::type[])`` with the list as one array parameter,
    #: so lists of any length share one SQL text.
    in_list_as_array: bool = False
    true_sql: str = "TRUE"
    false_sql: str = "FALSE"
    #: The LIMIT to write when only OFFSET is given, where the dialect needs one (None: no LIMIT).
    limit_all_sql: Optional[str] = None
    default_values_sql: str = "DEFAULT VALUES"
    server_version: tuple[int, ...] = ()

    def __init__(self, *, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.cache_size = cache_size
        self._compiler: Optional[Compiler] = None

    @property
    def supports_returning(self) -> bool:
        """True when at least one of INSERT, UPDATE and DELETE can take RETURNING."""
        return self.insert_returning or self.update_returning or self.delete_returning

    @property
    def compiler(self) -> Compiler:
        """This dialect's compiler (created on first use) and its shape cache."""
        compiler = self._compiler
        if compiler is None:
            from covet._speedups.sqlcompile import Compiler

            compiler = self._compiler = Compiler(self, self.cache_size)
        return compiler

    def compile(self, statement: Node) -> CompiledQuery:
        """Render ``statement`` to ``.sql`` in this dialect's placeholder style and ``.params``."""
        return self.compiler.compile(statement)

    def quote_identifier(self, name: object, what: str = "identifier") -> str:
        """``name`` checked as the query builder checks identifiers, and quoted, for SQL that is
        assembled outside the builder (``copy_records``). ``%`` is not doubled: do that where the
        SQL is sent with parameters in the ``format`` style."""
        checked = check_identifier(name, what)
        if self.max_identifier_length:
            size = len(checked.encode()) if self.identifier_length_in_bytes else len(checked)
            if size > self.max_identifier_length:
                raise self.identifier_too_long(checked)
        quote = self.identifier_quote
        return quote + checked.replace(quote, quote + quote) + quote

    # -- errors the compiler raises, worded per dialect ------------------------------------------

    def describe(self) -> str:
        version = ".".join(map(str, self.server_version))
        return f"{self.name} {version}" if version else self.name

    def unsupported(self, feature: str) -> UnsupportedFeatureError:
        """The error for a statement using ``feature``, with what to do instead where known."""
        hints = [hint for topic, hint in self._hints().items() if topic in feature]
        return UnsupportedFeatureError(
            f"{feature} is not supported by {self.describe()}" + (f"; {hints[0]}" if hints else "")
        )

    def _hints(self) -> dict[str, str]:
        return {}

    def identifier_has_nul(self, name: str) -> InvalidIdentifierError:
        return InvalidIdentifierError(f"invalid identifier {name!r}: identifiers cannot contain NUL")

    def identifier_too_long(self, name: str) -> InvalidIdentifierError:
        unit = "bytes" if self.identifier_length_in_bytes else "characters"
        size = len(name.encode()) if self.identifier_length_in_bytes else len(name)
        return InvalidIdentifierError(
            f"identifier {name!r} is {size} {unit} long; {self.name} allows at most "
            f"{self.max_identifier_length} (longer names are truncated or refused by the server)"
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()} paramstyle={self.paramstyle}>"


class PostgreSQLDialect(Dialect):
    """PostgreSQL ≥ 9.5 (everything below is in every supported release)."""

    name = "postgresql"
    identifier_quote = '"'
    max_identifier_length = 63
    identifier_length_in_bytes = True
    insert_returning = update_returning = delete_returning = True
    supports_right_join = supports_full_join = True
    supports_ilike = True
    supports_filter_clause = True
    supports_nulls_ordering = True
    supports_window_functions = True
    supports_intersect_except_all = True
    upsert_style = "on_conflict"
    excluded_style = "excluded"
    supports_upsert_where = True
    supports_for_update = supports_for_update_of = True
    supports_nowait = supports_skip_locked = True
    in_list_as_array = True

    def __init__(
        self,
        *,
        paramstyle: Paramstyle = "format",
        server_version: tuple[int, ...] = (),
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        super().__init__(cache_size=cache_size)
        if paramstyle not in ("format", "numeric"):
            raise ValueError(
                f"PostgreSQL drivers use 'format' (psycopg) or 'numeric' (asyncpg), not {paramstyle!r}"
            )
        self.paramstyle = paramstyle
        self.server_version = server_version


class SQLiteDialect(Dialect):
    """SQLite; features follow the library version (``sqlite3.sqlite_version_info`` by default)."""

    name = "sqlite"
    paramstyle = "qmark"
    identifier_quote = '"'
    supports_ilike = False
    upsert_style = "on_conflict"
    excluded_style = "excluded"
    supports_upsert_where = True
    true_sql = "1"
    false_sql = "0"
    limit_all_sql = "-1"
    supports_parenthesized_compound_members = False

    def __init__(
        self, *, version: Optional[tuple[int, ...]] = None, cache_size: int = DEFAULT_CACHE_SIZE
    ) -> None:
        super().__init__(cache_size=cache_size)
        v = tuple(version) if version is not None else sqlite3.sqlite_version_info
        self.server_version = v
        self.insert_returning = self.update_returning = self.delete_returning = v >= (3, 35)
        self.supports_right_join = self.supports_full_join = v >= (3, 39)
        self.supports_filter_clause = v >= (3, 30)
        self.supports_nulls_ordering = v >= (3, 30)
        self.supports_window_functions = v >= (3, 25)

    def _hints(self) -> dict[str, str]:
        return {
            "RETURNING": "SQLite has RETURNING from 3.35; read the row back with a SELECT instead",
            "RIGHT JOIN": "SQLite has RIGHT and FULL JOIN from 3.39; swap the tables and use a LEFT JOIN",
            "FULL JOIN": "SQLite has RIGHT and FULL JOIN from 3.39",
            "FOR UPDATE": "SQLite has no row locks; a write transaction (BEGIN IMMEDIATE) locks the database",
            "window functions": "SQLite has window functions from 3.25",
            "INTERSECT ALL": "SQLite has INTERSECT and EXCEPT without ALL",
            "parenthesized member": "SQLite cannot parenthesize a member of a compound select; select "
            "from the member as a subquery instead (select(...).subquery('s'))",
        }


class MySQLDialect(Dialect):
    """MySQL and MariaDB (the name stays ``"mysql"``: one wire protocol, one driver).

    Without a server version this is the subset both MySQL 8.0 and MariaDB 10.6 accept: no
    RETURNING, ``VALUES(col)`` in upserts, ``LOCK IN SHARE MODE``, no INTERSECT/EXCEPT. Pass
    ``server_version`` (the string the server reports, e.g. ``"10.11.19-MariaDB"`` or
    ``"8.0.36"``) to use more:
    MariaDB ≥ 10.5 has RETURNING on INSERT and DELETE (never on UPDATE); MySQL has no RETURNING
    but ≥ 8.0.19 names the proposed row with an alias and has ``FOR SHARE`` and ``OF``.
    """

    name = "mysql"
    paramstyle = "format"
    identifier_quote = "`"
    max_identifier_length = 64
    identifier_length_in_bytes = False
    supports_right_join = True
    supports_full_join = False
    supports_ilike = False
    supports_filter_clause = False
    supports_nulls_ordering = False
    supports_window_functions = True
    upsert_style = "on_duplicate_key"
    excluded_style: ExcludedStyle = "values_function"
    supports_upsert_where = False
    supports_for_update = True
    supports_nowait = supports_skip_locked = True
    for_share_sql = "LOCK IN SHARE MODE"
    concat_operator = False
    limit_all_sql = "18446744073709551615"
    default_values_sql = "() VALUES ()"
    supports_intersect_except = False

    def __init__(
        self,
        *,
        server_version: Union[str, tuple[int, ...], None] = None,
        mariadb: Optional[bool] = None,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        super().__init__(cache_size=cache_size)
        if isinstance(server_version, str):
            mariadb = "mariadb" in server_version.lower() if mariadb is None else mariadb
            server_version = _parse_version(server_version)
        self.server_version = server_version or ()
        self.is_mariadb = bool(mariadb)
        v = self.server_version
        if not v:
            return
        if self.is_mariadb:
            self.insert_returning = self.delete_returning = v >= (10, 5)
            self.supports_window_functions = self.supports_ctes = v >= (10, 2)
            self.supports_intersect_except = v >= (10, 3)
            self.supports_intersect_except_all = v >= (10, 5)
            self.supports_nowait = v >= (10, 3)
            self.supports_skip_locked = v >= (10, 6)
        else:
            self.supports_window_functions = self.supports_nowait = self.supports_skip_locked = v >= (8,)
            self.supports_ctes = v >= (8,)
            self.supports_intersect_except = self.supports_intersect_except_all = v >= (8, 0, 31)
            self.supports_for_update_of = v >= (8,)
            if v >= (8,):
                self.for_share_sql = "FOR SHARE"
            if v >= (8, 0, 19):
                self.excluded_style = "row_alias"

    def describe(self) -> str:
        version = ".".join(map(str, self.server_version))
        flavour = "MariaDB" if self.is_mariadb else "MySQL"
        return f"mysql ({flavour} {version})" if version else "mysql"

    def _hints(self) -> dict[str, str]:
        returning = (
            "MariaDB has RETURNING only on INSERT and DELETE"
            if self.is_mariadb and self.insert_returning
            else "MySQL has no RETURNING (MariaDB ≥ 10.5 has it on INSERT and DELETE: build the dialect "
            "with dialect_for('mysql', server_version=...)); use the last insert id or a SELECT"
        )
        return {
            "RETURNING": returning,
            "FULL JOIN": "emulate it with a LEFT JOIN UNION a RIGHT JOIN",
            "INTERSECT": "MySQL has INTERSECT and EXCEPT from 8.0.31, MariaDB from 10.3 (their ALL forms "
            "from 10.5): build the dialect with dialect_for('mysql', server_version=...)",
            "WITH": "MySQL has WITH from 8.0, MariaDB from 10.2",
            "ON CONFLICT ... DO UPDATE ... WHERE": "MySQL's ON DUPLICATE KEY UPDATE has no WHERE; "
            "use IF(cond, new, old) in the SET values",
            "FOR UPDATE OF": "MySQL has FOR UPDATE OF from 8.0; MariaDB has none",
        }


_VERSION = re.compile(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?")


def _parse_version(text: str) -> tuple[int, ...]:
    if text.startswith("5.5.5-") and "mariadb" in text.lower():
        text = text[6:]  # MariaDB before 11 prefixes its version for old replication clients
    match = _VERSION.search(text)
    if match is None:
        raise ValueError(f"cannot read a server version from {text!r}")
    return tuple(int(part) for part in match.groups() if part is not None)


_DEFAULTS: dict[str, Dialect] = {}


def get_dialect(dialect: Union[str, Dialect]) -> Dialect:
    """The shared dialect for a name (``"postgresql"``, ``"sqlite"``, ``"mysql"``), or ``dialect``."""
    if isinstance(dialect, Dialect):
        return dialect
    found = _DEFAULTS.get(dialect)
    if found is None:
        found = _DEFAULTS[dialect] = dialect_for(dialect)
    return found


def dialect_for(
    name: str, server_version: Union[str, int, tuple[int, ...], None] = None, **options: object
) -> Dialect:
    """A new dialect for ``name``, with features for ``server_version`` when it is known.

    ``name`` is ``"postgresql"`` (or ``"postgres"``), ``"sqlite"``, ``"mysql"`` or ``"mariadb"``
    (MySQLDialect assuming MariaDB 10.6 when no version is given). ``server_version`` is what the
    driver reports: ``conn.info.server_version`` (psycopg, an int), ``conn.get_server_info()``
    (aiomysql/pymysql, a string), ``sqlite3.sqlite_version``. ``options`` go to the class
    (``paramstyle``, ``cache_size``).
    """
    key = name.lower()
    if key in ("postgresql", "postgres"):
        version: Union[str, int, tuple[int, ...], None] = server_version
        if isinstance(version, int) and version >= 100000:  # psycopg's conn.info.server_version
            version = (version // 10000, version % 10000)  # 150020 is 15.20
        elif isinstance(version, int):
            version = (version // 10000, version // 100 % 100, version % 100)  # 90624 is 9.6.24
        elif isinstance(version, str):
            version = _parse_version(version)
        return PostgreSQLDialect(server_version=version or (), **options)  # type: ignore[arg-type]
    if key == "sqlite":
        version = _parse_version(server_version) if isinstance(server_version, str) else server_version
        return SQLiteDialect(version=version, **options)  # type: ignore[arg-type]
    if key == "mysql":
        return MySQLDialect(server_version=server_version, **options)  # type: ignore[arg-type]
    if key == "mariadb":
        return MySQLDialect(server_version=server_version or (10, 6), mariadb=True, **options)  # type: ignore[arg-type]
    raise ValueError(f"unknown SQL dialect {name!r}: expected 'postgresql', 'sqlite' or 'mysql'")
