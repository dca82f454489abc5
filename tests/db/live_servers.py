"""Synchronous connections to the three real databases, for checking builder SQL end to end.

Each yields the dialect to compile for and ``execute(sql, params) -> rows``. PostgreSQL and
MariaDB go through ``require_server`` first: skipped when unreachable, a failure under CI=true.
``seeded(name)`` adds two small seeded tables (users, orders) and a way to run statements on them.
"""

from __future__ import annotations

import contextlib
import decimal
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from covet.db.dialects import Dialect, MySQLDialect, get_dialect
from covet.db.query import Column, Table
from tests.db.compile_forms import compile_all
from tests.db.conftest import require_server

Execute = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]


@contextlib.contextmanager
def sqlite_executor() -> Iterator[tuple[Dialect, Execute]]:
    conn = sqlite3.connect(":memory:")
    try:
        yield get_dialect("sqlite"), lambda sql, params: conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@contextlib.contextmanager
def postgresql_executor() -> Iterator[tuple[Dialect, Execute]]:
    require_server("postgresql")
    import psycopg

    conn = psycopg.connect(
        "host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=3, autocommit=True
    )

    def execute(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []

    try:
        yield get_dialect("postgresql"), execute
    finally:
        conn.close()


@contextlib.contextmanager
def mysql_executor() -> Iterator[tuple[Dialect, Execute]]:
    require_server("mysql")
    import pymysql

    conn = pymysql.connect(
        host="127.0.0.1", port=3306, user="root", database="test", connect_timeout=3, autocommit=True
    )

    def execute(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())

    try:
        yield MySQLDialect(server_version=conn.get_server_info()), execute
    finally:
        conn.close()


EXECUTORS = {"sqlite": sqlite_executor, "postgresql": postgresql_executor, "mysql": mysql_executor}


USERS = [(1, "ann", 30, "ann@x"), (2, "bob", 17, "bob@x"), (3, "Cid", None, "cid@x"), (4, "dee", 45, "dee@x")]
ORDERS = [(1, 1, 50), (2, 1, 150), (3, 2, 20), (4, 4, 300), (5, 4, 10)]


class Live:
    """Unique tables on one real database and a way to run builder statements there."""

    def __init__(self, dialect: Dialect, execute: Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]):
        self.dialect = dialect
        self.execute = execute
        suffix = uuid.uuid4().hex[:8]
        self.users = Table(
            f"q_users_{suffix}",
            Column("id", "integer"),
            Column("name"),
            Column("age", "integer"),
            Column("email"),
        )
        self.orders = Table(
            f"q_orders_{suffix}",
            Column("id", "integer"),
            Column("user_id", "integer"),
            Column("total", "integer"),
        )

    def rows(self, statement: Any) -> list[tuple[Any, ...]]:
        sql, params = compile_all(statement, self.dialect)
        return [
            tuple(int(v) if isinstance(v, decimal.Decimal) else v for v in row)
            for row in self.execute(sql, params)
        ]

    def ddl(self, quote: str) -> list[str]:
        q = lambda name: f"{quote}{name}{quote}"  # noqa: E731
        return [
            f"CREATE TABLE {q(self.users.name)} (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL, "
            f"age INTEGER, email VARCHAR(40))",
            f"CREATE TABLE {q(self.orders.name)} (id INTEGER PRIMARY KEY, user_id INTEGER, total INTEGER)",
        ]


def _seed(live: Live) -> None:
    from covet.db.query import insert

    ucol = ("id", "name", "age", "email")
    live.execute(
        *compile_all(
            insert(live.users).values([dict(zip(ucol, row, strict=True)) for row in USERS]), live.dialect
        )
    )
    ocol = ("id", "user_id", "total")
    live.execute(
        *compile_all(
            insert(live.orders).values([dict(zip(ocol, row, strict=True)) for row in ORDERS]), live.dialect
        )
    )


@contextlib.contextmanager
def seeded(name: str) -> Iterator[Live]:
    """The users and orders tables, created and seeded on database ``name``, dropped after."""
    with EXECUTORS[name]() as (dialect, execute):
        live = Live(dialect, execute)
        quote = "`" if dialect.name == "mysql" else '"'
        try:
            for statement in live.ddl(quote):
                execute(statement, ())
            _seed(live)
            yield live
        finally:
            for table in (live.users, live.orders):
                execute(f"DROP TABLE IF EXISTS {quote}{table.name}{quote}", ())
