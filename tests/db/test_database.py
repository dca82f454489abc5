"""The query API on the three real backends: execute, fetch_*, iterate, connection(), Records."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import pickle
from typing import Any

import pytest

from covet.db import Database, InterfaceError, ProgrammingError, Record
from covet.db.records import KIND_DICT, KIND_TUPLE, decode_rows, record_class

from .conftest import placeholders


@dataclasses.dataclass(frozen=True)
class Compiled:
    """Stands in for the query builder's compiled query: anything with .sql and .params."""

    sql: str
    params: tuple[Any, ...]


async def make_people(db: Database, table: str, backend: str, n: int = 3) -> None:
    await db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name VARCHAR(100), age INTEGER)")
    await db.execute_many(
        f"INSERT INTO {table} (id, name, age) VALUES ({placeholders(backend, 3)})",
        [(i, f"person{i}", 20 + i) for i in range(1, n + 1)],
    )


async def test_execute_returns_affected_rows(db: Database, table: str, backend: str, ph: str) -> None:
    await make_people(db, table, backend)
    assert await db.execute(f"UPDATE {table} SET age = age + 1 WHERE id > {ph}", (1,)) == 2
    assert await db.execute(f"DELETE FROM {table} WHERE id = {ph}", (99,)) == 0


async def test_an_update_counts_the_rows_it_matched_even_those_it_leaves_unchanged(
    db: Database, table: str, backend: str, ph: str
) -> None:
    await make_people(db, table, backend)
    await db.execute(f"UPDATE {table} SET age = {ph} WHERE id = {ph}", (50, 1))
    # Row 1 already has age 50: it is matched, not changed (MySQL counts only changes by default).
    assert await db.execute(f"UPDATE {table} SET age = {ph} WHERE id IN (1, 2)", (50,)) == 2


async def test_fetch_all_returns_records(db: Database, table: str, backend: str, ph: str) -> None:
    await make_people(db, table, backend)
    rows = await db.fetch_all(f"SELECT id, name, age FROM {table} WHERE age > {ph} ORDER BY id", (20,))
    assert [tuple(r) for r in rows] == [(1, "person1", 21), (2, "person2", 22), (3, "person3", 23)]
    row = rows[1]
    assert isinstance(row, Record) and isinstance(row, tuple)
    assert row[0] == 2 and row[-1] == 22
    assert row["name"] == "person2" and row.name == "person2"
    assert dict(row) == {"id": 2, "name": "person2", "age": 22}
    assert row.keys() == ("id", "name", "age")
    identifier, name, age = row
    assert (identifier, name, age) == (2, "person2", 22)
    assert row == (2, "person2", 22)


async def test_fetch_all_as_tuples_gives_plain_tuples(db: Database, table: str, backend: str) -> None:
    await make_people(db, table, backend)
    rows = await db.fetch_all(f"SELECT id, name FROM {table} ORDER BY id", as_tuples=True)
    assert rows == [(1, "person1"), (2, "person2"), (3, "person3")]
    assert all(type(r) is tuple for r in rows)


async def test_fetch_one_and_fetch_val(db: Database, table: str, backend: str, ph: str) -> None:
    await make_people(db, table, backend)
    row = await db.fetch_one(f"SELECT name, age FROM {table} WHERE id = {ph}", (3,))
    assert row.name == "person3" and row["age"] == 23
    assert await db.fetch_one(f"SELECT name FROM {table} WHERE id = {ph}", (42,)) is None
    one = await db.fetch_one(f"SELECT name FROM {table} WHERE id = {ph}", (1,), as_tuples=True)
    assert one == ("person1",)
    assert await db.fetch_val(f"SELECT count(*) FROM {table}") == 3
    two = f"SELECT id, name FROM {table} WHERE id = {ph}"
    assert await db.fetch_val(two, (2,), column=1) == "person2"
    assert await db.fetch_val(two, (2,), column="name") == "person2"
    with pytest.raises(KeyError, match="no column 'nope'"):
        await db.fetch_val(f"SELECT id FROM {table} WHERE id = {ph}", (2,), column="nope")
    assert await db.fetch_val(f"SELECT id FROM {table} WHERE id = {ph}", (42,)) is None


async def test_named_parameters_with_a_mapping(db: Database, table: str, backend: str) -> None:
    await make_people(db, table, backend)
    marker = ":{}" if backend == "sqlite" else "%({})s"
    where = f"id = {marker.format('id')} OR age = {marker.format('age')}"
    sql = f"SELECT name FROM {table} WHERE {where} ORDER BY id"
    rows = await db.fetch_all(sql, {"id": 1, "age": 23})
    assert [r.name for r in rows] == ["person1", "person3"]


async def test_compiled_query_objects_are_accepted(db: Database, table: str, backend: str, ph: str) -> None:
    await make_people(db, table, backend)
    select = Compiled(f"SELECT name FROM {table} WHERE id = {ph}", (2,))
    assert (await db.fetch_all(select))[0].name == "person2"
    assert (await db.fetch_one(select)).name == "person2"
    assert await db.fetch_val(select) == "person2"
    assert await db.execute(Compiled(f"UPDATE {table} SET age = {ph} WHERE id = {ph}", (50, 2))) == 1
    insert = Compiled(f"INSERT INTO {table} (id, name, age) VALUES ({placeholders(backend, 3)})", ())
    assert await db.execute_many(insert, [(7, "x", 1), (8, "y", 2)]) == 2
    async with db.iterate(Compiled(f"SELECT id FROM {table} WHERE id > {ph} ORDER BY id", (6,))) as rows:
        assert [r.id async for r in rows] == [7, 8]
    with pytest.raises(TypeError, match="params given twice"):
        await db.fetch_all(select, (1,))
    with pytest.raises(TypeError, match=r"compiled query with \.sql and \.params"):
        await db.fetch_all(42)  # type: ignore[arg-type]


async def test_injection_attempts_round_trip_as_data(db: Database, table: str, backend: str, ph: str) -> None:
    await db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, note VARCHAR(200))")
    evil = [
        "'; DROP TABLE x; --",
        f"'); DROP TABLE {table}; --",
        "\\'; DELETE FROM users; --",
        "%s %(x)s ? :name",
        "\x00 nul and ' quote \" double",
    ]
    if backend == "postgresql":
        evil[-1] = evil[-1].replace("\x00", "")  # PostgreSQL text cannot hold NUL at all
    await db.execute_many(f"INSERT INTO {table} (id, note) VALUES ({ph}, {ph})", list(enumerate(evil)))
    stored = await db.fetch_all(f"SELECT note FROM {table} ORDER BY id", as_tuples=True)
    assert [r[0] for r in stored] == evil
    assert await db.fetch_val(f"SELECT count(*) FROM {table} WHERE note = {ph}", (evil[1],)) == 1


async def test_execute_many_is_batched(
    db: Database, table: str, backend: str, ph: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, v INTEGER)")
    n = 1000
    insert = f"INSERT INTO {table} (id, v) VALUES ({ph}, {ph})"
    async with db.connection() as conn:
        calls: list[str] = []
        if backend == "sqlite":  # one hop to the connection's thread for the whole batch
            submit = conn._submit  # type: ignore[attr-defined]

            async def counted(fn: Any, *args: Any) -> Any:
                calls.append(getattr(args[1], "__name__", "?") if len(args) > 1 else "?")
                return await submit(fn, *args)

            monkeypatch.setattr(conn, "_submit", counted)
        elif backend == "postgresql":  # psycopg pipelines executemany: one statement call per batch
            import psycopg

            assert psycopg.AsyncPipeline.is_supported()
            original = psycopg.AsyncCursor.executemany

            async def counting(self: Any, query: Any, params_seq: Any, **kwargs: Any) -> Any:
                calls.append("executemany")
                return await original(self, query, params_seq, **kwargs)

            monkeypatch.setattr(psycopg.AsyncCursor, "executemany", counting)
        else:
            calls.append("see test_execute_many_on_mysql_sends_one_multi_row_insert")
        assert await db.execute_many(insert, [(i, i) for i in range(n)]) == n
        monkeypatch.undo()
    assert len(calls) == 1, calls
    assert await db.fetch_val(f"SELECT count(*) FROM {table}") == n
    assert await db.execute_many(insert, []) == 0


async def test_execute_many_on_mysql_sends_one_multi_row_insert(make_url: Any) -> None:
    from .conftest import require_server

    require_server("mysql")
    async with Database(make_url("mysql")) as db, db.connection():
        table = "t_multirow_insert"
        await db.execute(f"CREATE TEMPORARY TABLE {table} (id INTEGER PRIMARY KEY)")
        before = int((await db.fetch_one("SHOW SESSION STATUS LIKE 'Com_insert'"))[1])
        await db.execute_many(f"INSERT INTO {table} (id) VALUES (%s)", [(i,) for i in range(500)])
        after = int((await db.fetch_one("SHOW SESSION STATUS LIKE 'Com_insert'"))[1])
        assert after - before == 1
        assert await db.fetch_val(f"SELECT count(*) FROM {table}") == 500


async def test_iterate_streams_in_batches(db: Database, table: str, backend: str) -> None:
    n, batch = 50_000, 1000
    await db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, payload VARCHAR(20))")
    ph = placeholders(backend, 2)
    rows_in = [(i, "x" * 20) for i in range(n)]
    await db.execute_many(f"INSERT INTO {table} (id, payload) VALUES ({ph})", rows_in)
    rows = db.iterate(f"SELECT id, payload FROM {table} ORDER BY id", batch_size=batch)
    seen = 0
    async for row in rows:
        if seen == 0:
            # Only the first batch has been fetched when the first row arrives.
            assert rows.batches == 1
            assert db.pool_stats().in_use == 1
        assert row.id == seen
        seen += 1
    assert seen == n
    assert rows.batches == n // batch
    assert db.pool_stats().in_use == 0


async def test_iterate_early_exit_releases_the_connection(db: Database, table: str, backend: str) -> None:
    await make_people(db, table, backend, n=20)
    async with db.iterate(f"SELECT id FROM {table} ORDER BY id", batch_size=5) as rows:
        async for row in rows:
            if row.id == 7:
                break
    assert rows.batches == 2
    assert db.pool_stats().in_use == 0
    # The connection is clean: it runs the next query (on MySQL, no half-read result is left).
    assert await db.fetch_val(f"SELECT count(*) FROM {table}") == 20


async def test_iterate_abandoned_by_break_is_released_when_collected(
    db: Database, table: str, backend: str
) -> None:
    await make_people(db, table, backend, n=20)
    async for row in db.iterate(f"SELECT id FROM {table} ORDER BY id", batch_size=5):
        if row.id == 3:
            break
    for _ in range(50):  # the loop's async-generator finalizer closes it in a task
        if db.pool_stats().in_use == 0:
            break
        await asyncio.sleep(0.01)
    assert db.pool_stats().in_use == 0
    assert await db.fetch_val(f"SELECT count(*) FROM {table}") == 20


async def test_iterate_rejects_a_bad_batch_size(db: Database) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        db.iterate("SELECT 1", batch_size=0)


async def test_connection_block_runs_every_call_on_one_connection(
    db: Database, table: str, backend: str
) -> None:
    temp = f"{table}_tmp"
    async with db.connection() as conn:
        await db.execute(f"CREATE TEMPORARY TABLE {temp} (v INTEGER)")
        await db.execute(f"INSERT INTO {temp} (v) VALUES (1)")
        assert await db.fetch_val(f"SELECT count(*) FROM {temp}") == 1
        assert await conn.fetch_val(f"SELECT count(*) FROM {temp}") == 1
        async with db.transaction() as tx:
            assert tx.connection is conn
            await db.execute(f"INSERT INTO {temp} (v) VALUES (2)")
        assert await db.fetch_val(f"SELECT count(*) FROM {temp}") == 2
        assert db.pool_stats().in_use == 1

        async def elsewhere() -> None:
            # Another task gets a connection of its own: the temporary table is not there.
            await db.fetch_val(f"SELECT count(*) FROM {temp}")

        with pytest.raises(ProgrammingError):
            await asyncio.get_running_loop().create_task(elsewhere())
    assert db.pool_stats().in_use == 0


async def test_held_connection_is_the_blocks_connection_and_only_in_its_task(db: Database) -> None:
    assert db.held_connection() is None
    async with db.connection() as conn:
        assert db.held_connection() is conn
        # A task started inside the block inherits the context, not the connection.
        assert await asyncio.get_running_loop().create_task(_held(db)) is None
        async with db.transaction() as tx:
            assert db.held_connection() is tx.connection is conn
    assert db.held_connection() is None
    async with db.transaction() as tx:
        assert db.held_connection() is tx.connection


async def _held(db: Database) -> object:
    return db.held_connection()


async def test_fetch_one_load_builds_the_result_from_the_row_or_none(
    db: Database, table: str, backend: str, ph: str
) -> None:
    await make_people(db, table, backend)
    seen: list[object] = []

    def load(row: object) -> object:
        seen.append(row)
        return "nobody" if row is None else f"{row[0]} is {row[1]}"  # type: ignore[index]

    query = f"SELECT name, age FROM {table} WHERE id = {ph}"
    assert await db.fetch_one(query, (2,), load=load) == "person2 is 22"
    assert await db.fetch_one(query, (42,), load=load) == "nobody"
    async with db.connection() as conn:
        assert await conn.fetch_one(query, (3,), load=load) == "person3 is 23"
    assert seen == [("person2", 22), None, ("person3", 23)]  # plain tuples, whatever the backend

    def refuse(row: object) -> object:
        raise LookupError("not this one")

    with pytest.raises(LookupError, match="not this one"):
        await db.fetch_one(query, (1,), load=refuse)
    assert db.pool_stats().in_use == 0  # the connection went back all the same


async def test_nested_connection_blocks_share_the_connection(db: Database) -> None:
    async with db.connection() as outer, db.connection() as inner:
        assert inner is outer
        assert db.pool_stats().in_use == 1
    assert db.pool_stats().in_use == 0


async def test_connections_go_back_after_an_error(db: Database) -> None:
    for _ in range(10):
        with pytest.raises(ProgrammingError):
            await db.fetch_all("SELECT * FROM no_such_table_anywhere")
    stats = db.pool_stats()
    assert stats.in_use == 0
    assert await db.fetch_val("SELECT 1") == 1


async def test_pool_stats_report_the_pool(db: Database, backend: str) -> None:
    for _ in range(5):
        await db.fetch_val("SELECT 1")
    stats = db.pool_stats()
    assert stats.backend == backend
    assert stats.in_use == 0 and stats.waiting == 0
    assert 1 <= stats.size <= stats.max_size == 4
    assert stats.idle == stats.size
    assert stats.acquires >= 5
    assert stats.acquire_p50_ms is not None and stats.acquire_p99_ms is not None
    assert 0 <= stats.acquire_p50_ms <= stats.acquire_p90_ms <= stats.acquire_p99_ms  # type: ignore[operator]


async def test_use_before_connect_and_after_disconnect_is_an_interface_error(url: str) -> None:
    db = Database(url)
    with pytest.raises(InterfaceError, match="not connected"):
        await db.fetch_val("SELECT 1")
    async with db:
        assert db.is_connected
        assert await db.fetch_val("SELECT 1") == 1
    assert not db.is_connected
    with pytest.raises(InterfaceError):
        await db.execute("SELECT 1")
    await db.disconnect()  # idempotent


async def test_embedded_default_database(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    async with Database() as db:
        await db.execute("CREATE TABLE t (v INTEGER)")
        await db.execute("INSERT INTO t (v) VALUES (?)", (5,))
        assert await db.fetch_val("SELECT v FROM t") == 5
    assert (tmp_path / "covet.db").exists()


async def test_memory_database_is_shared_by_every_call() -> None:
    async with Database("sqlite:///:memory:") as db:
        await db.execute("CREATE TABLE t (v INTEGER)")
        await asyncio.gather(*(db.execute("INSERT INTO t (v) VALUES (?)", (i,)) for i in range(20)))
        assert await db.fetch_val("SELECT count(*) FROM t") == 20
        assert db.pool_stats().size == 1


def test_records_keep_rows_cheap_and_usable() -> None:
    cls = record_class(("id", "count", "keys", "select", "_hidden", "id"))
    assert cls is record_class(("id", "count", "keys", "select", "_hidden", "id"))
    row = cls((1, 2, 3, 4, 5, 6))
    assert row.id == 1 and row["id"] == 1  # the first duplicate wins
    assert row["count"] == 2 and row.count(2) == 1  # the tuple method is kept
    assert row["keys"] == 3 and row.keys() == ("id", "count", "keys", "select", "_hidden", "id")
    assert row.select == 4 and row["_hidden"] == 5
    assert row.get("missing", "d") == "d"
    assert row[1:3] == (2, 3)
    with pytest.raises(KeyError, match="no column 'missing'"):
        row["missing"]
    with pytest.raises(AttributeError):
        row.missing  # noqa: B018
    clone = pickle.loads(pickle.dumps(row))
    assert clone == row and clone.select == 4
    assert repr(record_class(("a",))((1,))) == "Record(a=1)"
    assert not hasattr(row, "__dict__")


def test_decode_rows_kinds() -> None:
    rows = [(1, "a"), (2, "b")]
    assert decode_rows(["id", "name"], rows, KIND_TUPLE) is rows
    assert decode_rows(["id", "name"], rows, KIND_DICT) == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
    assert decode_rows(["id", "name"], tuple(rows), KIND_TUPLE) == rows


async def test_fetch_on_a_statement_without_rows(db: Database, table: str, backend: str) -> None:
    await db.execute(f"CREATE TABLE {table} (id INTEGER)")
    with contextlib.suppress(ProgrammingError):  # psycopg refuses; the others return no rows
        assert await db.fetch_all(f"INSERT INTO {table} (id) VALUES (1)") == []
    assert await db.fetch_val(f"SELECT count(*) FROM {table}") == 1


async def test_execute_reports_the_inserted_id(db: Database, table: str, backend: str, ph: str) -> None:
    key = {
        "sqlite": "INTEGER PRIMARY KEY",
        "mysql": "INTEGER AUTO_INCREMENT PRIMARY KEY",
        "postgresql": "SERIAL PRIMARY KEY",
    }[backend]
    await db.execute(f"CREATE TABLE {table} (id {key}, name VARCHAR(20))")
    first = await db.execute(f"INSERT INTO {table} (name) VALUES ({ph})", ("a",))
    second = await db.execute(f"INSERT INTO {table} (name) VALUES ({ph}), ({ph})", ("b", "c"))
    updated = await db.execute(f"UPDATE {table} SET name = {ph}", ("z",))
    assert (first, second, updated) == (1, 2, 3)
    assert isinstance(first, int) and first.rowcount == 1
    if backend == "postgresql":
        assert first.lastrowid is None  # no such thing: RETURNING gives it
        assert await db.fetch_val(f"INSERT INTO {table} (name) VALUES ({ph}) RETURNING id", ("d",)) == 4
    else:
        # MySQL/MariaDB report the first id of a multi-row INSERT; SQLite the last row's.
        assert first.lastrowid == 1
        assert second.lastrowid == (2 if backend == "mysql" else 3)
    assert updated.lastrowid is None
    async with db.connection():  # the id of this connection's insert, whatever others do
        inserted = await db.execute(f"INSERT INTO {table} (id, name) VALUES ({ph}, {ph})", (100, "e"))
        nothing = await db.execute(f"DELETE FROM {table} WHERE id = {ph}", (-1,))
    assert inserted.lastrowid == (None if backend == "postgresql" else 100)
    assert nothing == 0 and nothing.lastrowid is None
    assert repr(nothing) == "ExecuteResult(rowcount=0, lastrowid=None)"


async def test_copy_records_bulk_inserts_all_rows(db: Database, table: str, backend: str) -> None:
    await db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name VARCHAR(40), score INTEGER)")
    rows = [(i, f"name {i}", None if i % 7 == 0 else i * 3) for i in range(2500)]
    assert await db.copy_records(table, ["id", "name", "score"], rows) == 2500
    assert await db.copy_records(table, ("id", "name"), iter([(5000, "gen")])) == 1  # any iterable
    assert await db.copy_records(table, ["id"], []) == 0
    stored = await db.fetch_all(f"SELECT id, name, score FROM {table} ORDER BY id", as_tuples=True)
    assert stored == [*rows, (5000, "gen", None)]


async def test_copy_records_is_all_or_nothing(db: Database, table: str, backend: str) -> None:
    from covet.db import IntegrityError

    await db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name VARCHAR(40))")
    with pytest.raises(IntegrityError):
        await db.copy_records(table, ["id", "name"], [(1, "a"), (2, "b"), (1, "again")])
    assert await db.fetch_val(f"SELECT count(*) FROM {table}") == 0
    assert await db.fetch_val("SELECT 1") == 1  # and the pool carries on


async def test_copy_records_quotes_and_checks_identifiers(db: Database, table: str, backend: str) -> None:
    from covet.db.query import InvalidIdentifierError, quoted

    odd = 'it\'s "100%" odd'
    quote = "`" if backend == "mysql" else '"'
    await db.execute(
        f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, "
        f"{quote}{odd.replace(quote, quote * 2)}{quote} VARCHAR(20))"  # no parameters: % is literal
    )
    assert await db.copy_records(table, ["id", quoted(odd)], [(1, "x")]) == 1
    for bad_table, bad_columns in [
        (f"{table}; DROP TABLE {table}", ["id"]),
        (table, ["id) VALUES (1); --"]),
        (table, ['id"']),
        (table, "id"),
    ]:
        with pytest.raises((InvalidIdentifierError, ValueError)):
            await db.copy_records(bad_table, bad_columns, [(2,)])
    assert await db.fetch_val(f"SELECT count(*) FROM {table}") == 1


@dataclasses.dataclass
class Person:
    id: int
    name: str
    age: int


async def test_fetch_objects_builds_instances_from_rows(db: Database, table: str, backend: str) -> None:
    await make_people(db, table, backend)
    people = await db.fetch_objects(f"SELECT id, name, age FROM {table} ORDER BY id", cls=Person)
    assert people == [Person(1, "person1", 21), Person(2, "person2", 22), Person(3, "person3", 23)]
    renamed = await db.fetch_objects(
        f"SELECT id, name AS n, age FROM {table} ORDER BY id", cls=Person, names=("id", "name", "age")
    )
    assert renamed[0] == Person(1, "person1", 21)
    async with db.connection() as conn:
        assert len(await conn.fetch_objects(f"SELECT id, name, age FROM {table}", cls=Person)) == 3


async def test_injection_through_identifiers_stays_inside_the_quotes(
    db: Database, table: str, backend: str
) -> None:
    from covet.db.query import Column, Table, insert, quoted, select

    quote = "`" if backend == "mysql" else '"'
    evil = f"{table}{quote}; DROP TABLE {table}_keep; --"
    keep = f"{table}_keep"
    await db.execute(f"CREATE TABLE {keep} (id INTEGER)")
    try:
        await db.execute(
            f"CREATE TABLE {quote}{evil.replace(quote, quote * 2)}{quote} "
            f"({quote}a{quote}{quote}b{quote} INTEGER)"  # a column named a"b (or a`b)
        )
        odd = Table(quoted(evil), Column(quoted(f"a{quote}b")))
        dialect = "mysql" if backend == "mysql" else backend
        await db.execute(insert(odd).values({f"a{quote}b": 7}).compile(dialect))
        assert await db.fetch_all(select(odd).compile(dialect), as_tuples=True) == [(7,)]
        await db.copy_records(quoted(evil), [quoted(f"a{quote}b")], [(8,)])
        assert await db.fetch_val(f"SELECT count(*) FROM {keep}") == 0  # still there
    finally:
        await db.execute(f"DROP TABLE IF EXISTS {quote}{evil.replace(quote, quote * 2)}{quote}")
        await db.execute(f"DROP TABLE IF EXISTS {keep}")


_FORGETFUL = """
import asyncio, sys
from covet.db import Database

async def main():
    db = Database(sys.argv[1])
    await db.connect()
    await db.execute("CREATE TABLE IF NOT EXISTS kept (n INTEGER)")
    await db.execute("INSERT INTO kept VALUES (1)")
    # no disconnect(): the program just ends

asyncio.run(main())
"""


def test_a_program_that_never_disconnects_from_sqlite_still_exits_with_its_writes_kept(tmp_path):
    import sqlite3
    import subprocess
    import sys

    path = tmp_path / "forgetful.db"
    subprocess.run([sys.executable, "-c", _FORGETFUL, f"sqlite:///{path}"], check=True, timeout=30)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT n FROM kept").fetchall() == [(1,)]
