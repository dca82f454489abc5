"""Statements on PostgreSQL through libpq directly (covet.db.backends.pg_wire), on the real server:
placeholders, prepared statements the server dropped behind the cache's back, results of every
shape, large parameters and cancellation."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from covet.db import ConnectionError, Database, DatabaseError, ProgrammingError
from covet.db.backends.pg_wire import numbered_placeholders

from .conftest import POSTGRESQL_URL, require_server


@pytest.fixture
async def pg() -> AsyncIterator[Database]:
    require_server("postgresql")
    # Every statement prepared on first use: the cache's paths are the ones exercised.
    async with Database(POSTGRESQL_URL, prepare_threshold=0, pool_min_size=1, pool_max_size=1) as db:
        yield db


# -- Placeholders ------------------------------------------------------------------------------


def test_positional_placeholders_are_numbered_and_percent_signs_kept() -> None:
    assert numbered_placeholders(b"SELECT %s, %s, '100%%'") == (b"SELECT $1, $2, '100%'", None, 2)


def test_a_named_placeholder_used_twice_is_one_parameter() -> None:
    sql, names, count = numbered_placeholders(b"SELECT %(a)s + %(b)s * %(a)s")
    assert (sql, names, count) == (b"SELECT $1 + $2 * $1", ("a", "b"), 2)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (b"SELECT %s + %(a)s", "mixes %s and %(name)s"),
        (b"SELECT %d", "unsupported placeholder '%d'"),
        (b"SELECT 5 %", "unsupported placeholder '%'"),
    ],
)
def test_bad_placeholders_are_refused_with_the_reason(sql: bytes, message: str) -> None:
    with pytest.raises(Exception, match="placeholder") as caught:
        numbered_placeholders(sql)
    assert message in str(caught.value)


async def test_parameters_that_do_not_fit_the_placeholders_raise_programming_error(pg: Database) -> None:
    with pytest.raises(ProgrammingError, match="2 placeholder"):
        await pg.fetch_val("SELECT %s::int + %s::int", (1,))
    with pytest.raises(ProgrammingError, match="pass a mapping"):
        await pg.fetch_val("SELECT %(a)s::int", (1,))
    with pytest.raises(ProgrammingError, match=r"no value for the placeholder %\(b\)s"):
        await pg.fetch_val("SELECT %(a)s::int + %(b)s::int", {"a": 1})
    with pytest.raises(ProgrammingError, match="pass a sequence"):
        await pg.fetch_val("SELECT %s::int", {"a": 1})
    assert await pg.fetch_val("SELECT %(a)s::int * %(a)s::int", {"a": 7}) == 49


async def test_without_parameters_the_text_goes_as_written(pg: Database) -> None:
    # No parameters: no placeholder processing, and several statements may run at once.
    assert await pg.fetch_val("SELECT '50%'") == "50%"
    async with pg.connection() as conn:
        await conn.execute("CREATE TEMP TABLE wire_multi (x int); INSERT INTO wire_multi VALUES (1), (2)")
        assert await conn.fetch_val("SELECT count(*) FROM wire_multi") == 2


# -- Result shapes -----------------------------------------------------------------------------


async def test_fetching_from_a_statement_without_rows_says_to_use_execute(pg: Database) -> None:
    async with pg.connection() as conn:
        await conn.execute("CREATE TEMP TABLE wire_norows (x int)")
        with pytest.raises(ProgrammingError, match=r"returned no rows \(command status: INSERT 0 1\)"):
            await conn.fetch_all("INSERT INTO wire_norows VALUES (%s)", (1,))
        assert await conn.fetch_val("SELECT count(*) FROM wire_norows") == 1  # it did run


async def test_execute_counts_rows_and_an_empty_statement_counts_none(pg: Database) -> None:
    async with pg.connection() as conn:
        await conn.execute("CREATE TEMP TABLE wire_count (x int)")
        assert await conn.execute("INSERT INTO wire_count SELECT generate_series(1, %s)", (3,)) == 3
        assert await conn.execute("UPDATE wire_count SET x = x + 1 WHERE x > %s", (1,)) == 2
        assert await conn.execute("SELECT x FROM wire_count") == 3
        assert await conn.execute("") == -1


async def test_column_names_come_from_each_statement(pg: Database) -> None:
    first = await pg.fetch_one("SELECT %s::int AS a, %s::text AS b", (1, "x"))
    assert dict(first) == {"a": 1, "b": "x"}
    second = await pg.fetch_one("SELECT %s::int AS c", (2,))
    assert dict(second) == {"c": 2}


async def test_a_parameter_larger_than_the_socket_buffer_is_sent_whole(pg: Database) -> None:
    big = "é" + "x" * 30_000_000  # 30 MB: libpq cannot write it at once, so the send is awaited
    assert await pg.fetch_val("SELECT length(%s::text)", (big,)) == len(big)
    assert await pg.fetch_val("SELECT %s::int", (1,)) == 1


# -- Prepared statements the server no longer has -------------------------------------------------


async def test_statements_still_run_after_discard_all(pg: Database) -> None:
    async with pg.connection() as conn:
        assert await conn.fetch_val("SELECT %s::int + 1", (1,)) == 2  # prepared now
        await conn.execute("DISCARD ALL")
        assert await conn.fetch_val("SELECT %s::int + 1", (2,)) == 3


async def test_a_statement_deallocated_behind_the_cache_is_run_again(pg: Database) -> None:
    async with pg.connection() as conn:
        assert await conn.fetch_val("SELECT %s::int + 10", (1,)) == 11
        await conn.raw.execute("DEALLOCATE ALL")  # psycopg's own path: the cache cannot see it
        assert await conn.fetch_val("SELECT %s::int + 10", (2,)) == 12


async def test_inside_a_transaction_a_dropped_statement_fails_then_works_again(pg: Database) -> None:
    async with pg.connection() as conn:
        assert await conn.fetch_val("SELECT %s::int + 20", (1,)) == 21
        await conn.raw.execute("DEALLOCATE ALL")
        with pytest.raises(DatabaseError, match="does not exist"):
            async with conn.transaction():
                await conn.fetch_val("SELECT %s::int + 20", (2,))
        assert await conn.fetch_val("SELECT %s::int + 20", (3,)) == 23


async def test_a_changed_table_does_not_break_a_prepared_select_star(pg: Database) -> None:
    table = f"wire_{uuid.uuid4().hex[:10]}"
    async with pg.connection() as conn:
        await conn.execute(f"CREATE TEMP TABLE {table} (a int)")
        await conn.execute(f"INSERT INTO {table} VALUES (%s)", (1,))
        assert dict(await conn.fetch_one(f"SELECT * FROM {table} WHERE a = %s", (1,))) == {"a": 1}
        await conn.execute(f"ALTER TABLE {table} ADD COLUMN b text DEFAULT 'x'")
        assert dict(await conn.fetch_one(f"SELECT * FROM {table} WHERE a = %s", (1,))) == {"a": 1, "b": "x"}


# -- Cancellation ------------------------------------------------------------------------------


async def test_a_cancelled_statement_leaves_its_connection_reusable(pg: Database) -> None:
    task = asyncio.get_running_loop().create_task(pg.fetch_val("SELECT pg_sleep(5)"))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await pg.fetch_val("SELECT %s::int", (5,)) == 5
    stats = pg.pool_stats()
    assert stats.connections_replaced == 0 and stats.in_use == 0  # drained, not thrown away


async def test_copy_through_execute_is_refused_and_the_connection_stays_usable(pg: Database) -> None:
    async with pg.connection() as conn:
        await conn.execute("CREATE TEMP TABLE wire_copy (x int)")
        with pytest.raises(ProgrammingError, match="copy_records"):
            await conn.execute("COPY wire_copy FROM STDIN")
        with pytest.raises(ProgrammingError, match="copy_records"):
            await conn.fetch_all("COPY (SELECT generate_series(1, 50000)) TO STDOUT")
        assert await conn.fetch_val("SELECT count(*) FROM wire_copy") == 0
        assert await conn.fetch_val("SELECT %s::int", (9,)) == 9


async def test_a_connection_killed_between_statements_fails_clearly_and_is_replaced(pg: Database) -> None:
    require_server("postgresql")
    async with Database(POSTGRESQL_URL, pool_min_size=1, pool_max_size=1) as db:
        with pytest.raises(ConnectionError):
            async with db.connection() as conn:
                pid = await conn.fetch_val("SELECT pg_backend_pid()")  # our reader is on its socket now
                await pg.execute("SELECT pg_terminate_backend(%s)", (pid,))
                await asyncio.sleep(0.3)  # the server's goodbye arrives while nobody waits
                assert not conn._wire._reading  # read and let go, not spinning on a dead socket
                await conn.fetch_val("SELECT 1")
        assert await db.fetch_val("SELECT %s::int", (3,)) == 3  # a fresh connection
        assert db.pool_stats().connections_replaced >= 1


async def test_psycopg_can_use_the_connection_between_covet_statements(pg: Database) -> None:
    async with pg.connection() as conn:
        assert await conn.fetch_val("SELECT %s::int", (1,)) == 1
        cur = await conn.raw.execute("SELECT 2")  # psycopg's own wait on the same socket
        assert await cur.fetchone() == (2,)
        assert await conn.fetch_val("SELECT %s::int", (3,)) == 3
        rows = [r async for r in conn.iterate("SELECT generate_series(1, 5) AS n", batch_size=2)]
        assert [r["n"] for r in rows] == [1, 2, 3, 4, 5]
        assert await conn.execute_many("SELECT %s::int", [(1,), (2,)]) >= 0
        assert await conn.fetch_val("SELECT %s::int", (4,)) == 4
