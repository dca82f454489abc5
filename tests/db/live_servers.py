"""Synchronous connections to the three real databases, for checking builder SQL end to end.

Each yields the dialect to compile for and ``execute(sql, params) -> rows``. PostgreSQL and
MariaDB go through ``require_server`` first: skipped when unreachable, a failure under CI=true.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

from covet.db.dialects import Dialect, MySQLDialect, get_dialect
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
