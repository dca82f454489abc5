"""PostgreSQL specifics on the real server: server-side prepared statements and COPY."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from covet.db import Database, DataError, Json

from .conftest import POSTGRESQL_URL, require_server


@pytest.fixture
async def pg() -> AsyncIterator[Database]:
    require_server("postgresql")
    async with Database(POSTGRESQL_URL, pool_min_size=1, pool_max_size=2) as db:
        yield db


@pytest.fixture
async def table(pg: Database) -> AsyncIterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    await pg.execute(f"DROP TABLE IF EXISTS {name}")


async def prepared(db: Database, marker: str) -> int:
    """How many statements containing ``marker`` this task's connection has prepared on the server."""
    async with db.connection() as conn:
        # Never prepared itself (it would take a place in the LRU), and the marker travels as a
        # parameter so the statement does not match itself.
        sql = "SELECT count(*) FROM pg_prepared_statements WHERE strpos(statement, %s) > 0"
        cur = await conn.raw.execute(sql, (marker,), prepare=False)
        row = await cur.fetchone()
        assert row is not None
        return int(row[0])


def marked_query(marker: str) -> str:
    return f"SELECT %s::int + 1 AS {marker}"


# -- Prepared statements -----------------------------------------------------------------------


async def test_a_repeated_statement_is_prepared_after_the_threshold() -> None:
    require_server("postgresql")
    marker = f"covet_{uuid.uuid4().hex[:10]}"
    async with Database(POSTGRESQL_URL, prepare_threshold=2, pool_max_size=1) as db, db.connection():
        for i in range(2):
            assert await db.fetch_val(marked_query(marker), (i,)) == i + 1
        assert await prepared(db, marker) == 0  # run twice: not yet
        await db.fetch_val(marked_query(marker), (5,))
        assert await prepared(db, marker) == 1  # the third run prepared it
        for i in range(5):
            assert await db.fetch_val(marked_query(marker), (i,)) == i + 1
        assert await prepared(db, marker) == 1  # and reused it


async def test_threshold_zero_prepares_on_first_use_and_none_never() -> None:
    require_server("postgresql")
    eager, never = f"covet_{uuid.uuid4().hex[:10]}", f"covet_{uuid.uuid4().hex[:10]}"
    async with Database(f"{POSTGRESQL_URL}?prepare_threshold=0", pool_max_size=1) as db, db.connection():
        await db.fetch_val(marked_query(eager), (1,))
        assert await prepared(db, eager) == 1
    async with Database(f"{POSTGRESQL_URL}?prepare_threshold=none", pool_max_size=1) as db, db.connection():
        for i in range(20):
            await db.fetch_val(marked_query(never), (i,))
        assert await prepared(db, never) == 0


async def test_statement_cache_size_bounds_prepared_statements_least_recently_used_first() -> None:
    require_server("postgresql")
    markers = [f"covet_{uuid.uuid4().hex[:10]}" for _ in range(4)]
    url = f"{POSTGRESQL_URL}?prepare_threshold=0&statement_cache_size=2"
    async with Database(url, pool_max_size=1) as db, db.connection():
        for marker in markers:
            await db.fetch_val(marked_query(marker), (1,))
        held = [await prepared(db, marker) for marker in markers]
        assert held == [0, 0, 1, 1]  # the two most recent are kept
    uncached = Database(POSTGRESQL_URL, prepare_threshold=0, statement_cache_size=0, pool_max_size=1)
    async with uncached as db, db.connection():
        await db.fetch_val(marked_query(markers[0]), (1,))
        assert await prepared(db, markers[0]) == 0  # no cache: nothing is prepared


async def test_prepared_statements_survive_going_back_to_the_pool() -> None:
    require_server("postgresql")
    marker = f"covet_{uuid.uuid4().hex[:10]}"
    async with Database(POSTGRESQL_URL, prepare_threshold=0, pool_min_size=1, pool_max_size=1) as db:
        await db.fetch_val(marked_query(marker), (1,))  # on the one connection, then released
        assert await prepared(db, marker) == 1


# -- COPY --------------------------------------------------------------------------------------


async def test_copy_records_round_trips_every_type(pg: Database, table: str) -> None:
    await pg.execute(
        f"CREATE TABLE {table} (id integer PRIMARY KEY, day date, at timestamptz, amount numeric(12, 4),"
        " doc jsonb, blob bytea, note text, flag boolean, u uuid)"
    )
    at = datetime.datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=datetime.UTC)
    tricky = "tab\there, newline\nthere, backslash \\ and \\N, quote ' \""
    rows: list[tuple[Any, ...]] = [
        (1, datetime.date(2026, 1, 31), at, decimal.Decimal("12345678.1234"), {"a": [1, None, "x"]},
         b"\x00\x01\\\xff", tricky, True, uuid.UUID(int=1)),
        (2, None, None, None, None, None, None, None, None),
        (3, datetime.date(1970, 1, 1), at, decimal.Decimal("-0.0001"), Json([1, 2]), b"", "", False,
         uuid.UUID(int=2)),
    ]
    columns = ["id", "day", "at", "amount", "doc", "blob", "note", "flag", "u"]
    assert await pg.copy_records(table, columns, rows) == 3
    stored = await pg.fetch_all(f"SELECT * FROM {table} ORDER BY id", as_tuples=True)
    assert stored[0] == rows[0]
    assert stored[1] == rows[1]
    assert stored[2] == (*rows[2][:4], [1, 2], *rows[2][5:])


async def test_copy_records_with_a_schema_and_a_bad_value(pg: Database, table: str) -> None:
    await pg.execute(f"CREATE TABLE public.{table} (id integer PRIMARY KEY, day date)")
    assert await pg.copy_records(table, ["id", "day"], [(1, datetime.date(2026, 1, 1))], schema="public") == 1
    with pytest.raises(DataError) as caught:
        await pg.copy_records(table, ["id", "day"], [(2, "not a date")])
    assert "COPY" in str(caught.value)
    assert await pg.fetch_val(f"SELECT count(*) FROM {table}") == 1


async def test_a_failed_statement_does_not_spoil_the_next_ones_on_its_connection(pg: Database) -> None:
    async with pg.connection() as conn:
        with pytest.raises(DataError):
            await conn.fetch_one("SELECT 1 / %s", (0,))
        assert await conn.fetch_val("SELECT %s::int + 1", (41,)) == 42
        assert await conn.execute("SELECT 1") == 1


async def test_a_large_result_then_small_ones_on_the_same_connection(pg: Database) -> None:
    async with pg.connection() as conn:
        rows = await conn.fetch_all("SELECT x FROM generate_series(1, 5000) AS x", as_tuples=True)
        assert len(rows) == 5000 and rows[-1] == (5000,)
        small = await conn.fetch_all("SELECT x FROM generate_series(1, 3) AS x", as_tuples=True)
        assert small == [(1,), (2,), (3,)]
        assert [dict(r) for r in await conn.fetch_all("SELECT 7 AS seven")] == [{"seven": 7}]
