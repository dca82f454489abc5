"""Driver errors become covet.db errors whose messages show the SQL but never the values."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest

from covet.db import (
    CheckViolation,
    ConnectionError,
    DatabaseError,
    DataError,
    DeadlockDetected,
    ForeignKeyViolation,
    IntegrityError,
    NotNullViolation,
    OperationalError,
    PoolTimeout,
    ProgrammingError,
    QueryCanceled,
    UniqueViolation,
)
from covet.db.errors import describe_sql, map_mysql_error, map_postgresql_error, map_sqlite_error

SECRET = "hunter2-s3cret@example.com"


def assert_redacted(exc: BaseException) -> None:
    assert SECRET not in str(exc)
    assert SECRET not in repr(exc)
    assert SECRET not in (getattr(exc, "sql", None) or "")


async def test_unique_violation_message_shows_redacted_sql(
    db: Any, table: str, backend: str, ph: str
) -> None:
    await db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, email VARCHAR(100) UNIQUE)")
    await db.execute(f"INSERT INTO {table} (id, email) VALUES (1, {ph})", (SECRET,))
    with pytest.raises(UniqueViolation) as caught:
        await db.execute(f"INSERT INTO {table} (id, email) VALUES (2, {ph})", (SECRET,))
    exc = caught.value
    where = f"— SQL: INSERT INTO {table} (id, email) VALUES (2, {ph}) [1 parameter redacted]"
    reason = {
        "postgresql": f'duplicate key value violates unique constraint "{table}_email_key"',
        "mysql": "Duplicate entry [value redacted] for key 'email'",
        "sqlite": f"UNIQUE constraint failed: {table}.email",
    }[backend]
    assert str(exc) == f"{reason} {where}"
    assert_redacted(exc)
    assert isinstance(exc, IntegrityError) and isinstance(exc, DatabaseError)
    assert exc.__cause__ is not None and SECRET in str(exc.__cause__) or backend == "sqlite"
    assert exc.backend == backend
    assert exc.code == {"postgresql": "23505", "mysql": "1062", "sqlite": "SQLITE_CONSTRAINT_UNIQUE"}[backend]


async def test_constraint_violations_are_told_apart(db: Any, table: str, backend: str, ph: str) -> None:
    parent, child = f"{table}_p", table
    try:
        await db.execute(f"CREATE TABLE {parent} (id INTEGER PRIMARY KEY)")
        await db.execute(
            f"CREATE TABLE {child} (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES {parent} (id),"
            f" name VARCHAR(20) NOT NULL, qty INTEGER CHECK (qty > 0))"
        )
        await db.execute(f"INSERT INTO {parent} (id) VALUES (1)")
        insert = f"INSERT INTO {child} (id, parent_id, name, qty) VALUES ({ph}, {ph}, {ph}, {ph})"
        await db.execute(insert, (1, 1, SECRET[:20], 1))
        cases = [
            ((2, 99, "a", 1), ForeignKeyViolation),
            ((3, 1, None, 1), NotNullViolation),
            ((4, 1, "a", -5), CheckViolation),
        ]
        for params, error in cases:
            with pytest.raises(error) as caught:
                await db.execute(insert, params)
            assert "[4 parameters redacted]" in str(caught.value)
        with pytest.raises(ForeignKeyViolation):
            await db.execute(f"DELETE FROM {parent} WHERE id = 1")
    finally:
        await db.execute(f"DROP TABLE IF EXISTS {child}")
        await db.execute(f"DROP TABLE IF EXISTS {parent}")


async def test_data_errors_do_not_echo_the_value(db: Any, table: str, backend: str, ph: str) -> None:
    await db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, n INTEGER, code VARCHAR(3))")
    with pytest.raises(DataError) as caught:
        await db.execute(f"INSERT INTO {table} (id, n) VALUES ({ph}, {ph})", (SECRET, 1))
    assert_redacted(caught.value)
    if backend != "sqlite":  # SQLite stores any text in a VARCHAR(3)
        with pytest.raises(DataError) as caught:
            await db.execute(f"INSERT INTO {table} (id, code) VALUES ({ph}, {ph})", (1, SECRET))
        assert_redacted(caught.value)


async def test_programming_errors(db: Any, backend: str) -> None:
    with pytest.raises(ProgrammingError):
        await db.execute("SELEKT 1")
    with pytest.raises(ProgrammingError):
        await db.fetch_all("SELECT * FROM no_such_table_here")
    with pytest.raises(ProgrammingError):
        await db.fetch_all("SELECT no_such_column FROM (SELECT 1 AS x) AS t")


async def test_query_canceled_by_a_timeout(db: Any, backend: str) -> None:
    async with db.connection() as conn:
        if backend == "postgresql":
            await db.execute("SET statement_timeout = 100")
            sql = "SELECT pg_sleep(3)"
        elif backend == "mysql":
            sql = "SET STATEMENT max_statement_time = 0.1 FOR SELECT SLEEP(3)"
        else:
            sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
            asyncio.get_running_loop().call_later(0.1, conn.raw._conn.interrupt)
        with pytest.raises(QueryCanceled) as caught:
            await db.fetch_val(sql)
        assert isinstance(caught.value, OperationalError)
        if backend == "postgresql":
            await db.execute("RESET statement_timeout")
        assert await db.fetch_val("SELECT 1") == 1


@pytest.mark.parametrize("server_backend", ["postgresql", "mysql"], indirect=True)
async def test_deadlock_is_detected(server_backend: str, make_url: Any) -> None:
    from covet.db import Database

    async with Database(make_url(server_backend)) as db:
        table = f"t_deadlock_{server_backend}"
        await db.execute(f"DROP TABLE IF EXISTS {table}")
        await db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, v INTEGER)")
        try:
            await db.execute(f"INSERT INTO {table} (id, v) VALUES (1, 0), (2, 0)")
            both_locked = asyncio.Barrier(2)

            async def worker(first: int, second: int) -> None:
                async with db.transaction():
                    await db.execute(f"UPDATE {table} SET v = v + 1 WHERE id = %s", (first,))
                    await both_locked.wait()
                    await db.execute(f"UPDATE {table} SET v = v + 1 WHERE id = %s", (second,))

            results = await asyncio.gather(worker(1, 2), worker(2, 1), return_exceptions=True)
            failures = [r for r in results if isinstance(r, BaseException)]
            assert len(failures) == 1 and isinstance(failures[0], DeadlockDetected), results
            assert db.pool_stats().in_use == 0
        finally:
            await db.execute(f"DROP TABLE IF EXISTS {table}")


async def test_execute_many_errors_count_rows_not_values(db: Any, table: str, ph: str) -> None:
    await db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, email VARCHAR(100))")
    rows = [(1, SECRET), (2, SECRET), (1, SECRET)]
    with pytest.raises(UniqueViolation) as caught:
        await db.execute_many(f"INSERT INTO {table} (id, email) VALUES ({ph}, {ph})", rows)
    assert str(caught.value).endswith("[parameters of 3 rows redacted]")
    assert_redacted(caught.value)
    assert await db.fetch_val(f"SELECT count(*) FROM {table}") == 0  # all or nothing


def test_describe_sql_redacts_literals_and_counts_parameters() -> None:
    assert describe_sql("SELECT 1") == "SQL: SELECT 1"
    assert describe_sql("SELECT * FROM u WHERE pw = 'x''y' AND id = %s", (1,)) == (
        "SQL: SELECT * FROM u WHERE pw = '…' AND id = %s [1 parameter redacted]"
    )
    assert describe_sql("UPDATE t\n   SET a = :a,\n b = :b", {"a": 1, "b": 2}) == (
        "SQL: UPDATE t SET a = :a, b = :b [2 parameters redacted]"
    )
    assert describe_sql("INSERT", [(1,), (2,)], many=True) == "SQL: INSERT [parameters of 2 rows redacted]"
    assert describe_sql(None) == ""
    assert describe_sql("SELECT " + "x" * 5000).endswith(" …")


class FakeMySQLError(Exception):
    pass


class OperationalErrorWithoutState(Exception):
    pass


OperationalErrorWithoutState.__name__ = "OperationalError"


def test_driver_error_mapping_tables() -> None:
    def mysql(code: int, message: str) -> DatabaseError:
        return map_mysql_error(FakeMySQLError(code, message), "SELECT 1", None)

    assert isinstance(mysql(2013, "Lost connection"), ConnectionError)
    assert isinstance(mysql(1213, "Deadlock found"), DeadlockDetected)
    assert isinstance(mysql(1146, "Table doesn't exist"), ProgrammingError)
    assert type(map_mysql_error(FakeMySQLError(9999, "?"), None, None)) is DatabaseError
    lost = map_postgresql_error(OperationalErrorWithoutState("server closed the connection"), "SELECT 1", ())
    assert isinstance(lost, ConnectionError)
    busy = sqlite3.OperationalError("database is locked")
    busy.sqlite_errorname = "SQLITE_BUSY_TIMEOUT"  # type: ignore[attr-defined]
    assert type(map_sqlite_error(busy, "UPDATE t SET x = 1", None)).__name__ == "LockNotAvailable"
    syntax = sqlite3.OperationalError("near x: syntax error")
    assert isinstance(map_sqlite_error(syntax, "x", None), ProgrammingError)
    assert issubclass(PoolTimeout, OperationalError) and issubclass(ConnectionError, OperationalError)
