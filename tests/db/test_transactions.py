"""Transactions: commit, rollback, savepoints, read-only, isolation levels."""

from __future__ import annotations

import asyncio

import pytest

from covet.db import Database, InterfaceError, LockNotAvailable, ReadOnlyViolation, SerializationFailure

from .conftest import require_server


async def make_table(db: Database, table: str) -> None:
    await db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, v INTEGER)")


async def ids(db: Database, table: str) -> list[int]:
    return [r[0] for r in await db.fetch_all(f"SELECT id FROM {table} ORDER BY id", as_tuples=True)]


async def test_commit_at_the_end_of_the_block(db: Database, table: str, ph: str) -> None:
    await make_table(db, table)
    async with db.transaction() as tx:
        assert tx.is_active and tx.savepoint is None
        await db.execute(f"INSERT INTO {table} (id, v) VALUES ({ph}, {ph})", (1, 1))
        assert db.pool_stats().in_use == 1
    assert not tx.is_active
    assert await ids(db, table) == [1]
    assert db.pool_stats().in_use == 0


async def test_rollback_when_an_exception_leaves_the_block(db: Database, table: str, ph: str) -> None:
    await make_table(db, table)
    with pytest.raises(RuntimeError, match="boom"):
        async with db.transaction():
            await db.execute(f"INSERT INTO {table} (id, v) VALUES ({ph}, {ph})", (1, 1))
            raise RuntimeError("boom")
    assert await ids(db, table) == []
    assert db.pool_stats().in_use == 0


async def test_inner_rollback_keeps_the_outer_transaction(db: Database, table: str, ph: str) -> None:
    await make_table(db, table)
    insert = f"INSERT INTO {table} (id, v) VALUES ({ph}, 0)"
    async with db.transaction():
        await db.execute(insert, (1,))
        with pytest.raises(ValueError):
            async with db.transaction() as inner:
                assert inner.savepoint == "sp_1"
                await db.execute(insert, (2,))
                raise ValueError
        async with db.transaction() as second:
            assert second.savepoint == "sp_2"
            await db.execute(insert, (3,))
            async with db.transaction() as third:
                await db.execute(insert, (4,))
                await third.rollback()  # explicit: undo 4, keep going
            await db.execute(insert, (5,))
    assert await ids(db, table) == [1, 3, 5]


async def test_outer_rollback_undoes_released_savepoints(db: Database, table: str, ph: str) -> None:
    await make_table(db, table)
    async with db.transaction() as outer:
        async with db.transaction():
            await db.execute(f"INSERT INTO {table} (id, v) VALUES ({ph}, 0)", (1,))
        await outer.rollback()
    assert await ids(db, table) == []


async def test_early_commit_and_double_end(db: Database, table: str, ph: str) -> None:
    await make_table(db, table)
    async with db.transaction() as tx:
        await db.execute(f"INSERT INTO {table} (id, v) VALUES ({ph}, 0)", (1,))
        await tx.commit()
        with pytest.raises(InterfaceError, match="not active"):
            await tx.rollback()
    assert await ids(db, table) == [1]
    with pytest.raises(InterfaceError, match="entered once"):
        async with tx:
            pass


async def test_integrity_error_inside_a_savepoint_is_recoverable(db: Database, table: str, ph: str) -> None:
    await make_table(db, table)
    insert = f"INSERT INTO {table} (id, v) VALUES ({ph}, 0)"
    from covet.db import UniqueViolation

    async with db.transaction():
        await db.execute(insert, (1,))
        with pytest.raises(UniqueViolation):
            async with db.transaction():
                await db.execute(insert, (1,))
        await db.execute(insert, (2,))  # PostgreSQL would refuse here without the savepoint
    assert await ids(db, table) == [1, 2]


async def test_transactions_in_separate_tasks_are_separate(db: Database, table: str, ph: str) -> None:
    await make_table(db, table)

    async def work(i: int, fail: bool) -> None:
        async with db.transaction():
            await db.execute(f"INSERT INTO {table} (id, v) VALUES ({ph}, 0)", (i,))
            await asyncio.sleep(0.01)
            if fail:
                raise KeyError(i)

    results = await asyncio.gather(*(work(i, i % 2 == 1) for i in range(6)), return_exceptions=True)
    assert [type(r) for r in results] == [type(None), KeyError] * 3
    assert await ids(db, table) == [0, 2, 4]
    assert db.pool_stats().in_use == 0


async def test_readonly_transaction_rejects_writes(db: Database, table: str, ph: str) -> None:
    await make_table(db, table)
    await db.execute(f"INSERT INTO {table} (id, v) VALUES ({ph}, 0)", (1,))
    with pytest.raises(ReadOnlyViolation):
        async with db.transaction(readonly=True):
            assert await ids(db, table) == [1]
            await db.execute(f"INSERT INTO {table} (id, v) VALUES ({ph}, 0)", (2,))
    # The connection is read-write again afterwards.
    await db.execute(f"INSERT INTO {table} (id, v) VALUES ({ph}, 0)", (3,))
    assert await ids(db, table) == [1, 3]
    with pytest.raises(ValueError, match="read-only transaction cannot be nested"):
        async with db.transaction(), db.transaction(readonly=True):
            pass
    async with db.transaction(readonly=True), db.transaction(readonly=True) as inner:
        assert inner.savepoint == "sp_1"


async def test_isolation_level_names(db: Database) -> None:
    with pytest.raises(ValueError, match="unknown isolation level"):
        db.transaction(isolation="snapshot")
    with pytest.raises(ValueError, match="outermost"):
        async with db.transaction(), db.transaction(isolation="serializable"):
            pass


@pytest.mark.parametrize(
    ("isolation", "sees_the_new_value"),
    [("read committed", True), ("repeatable read", False), ("serializable", False)],
)
async def test_isolation_levels_behave(
    db: Database, table: str, ph: str, backend: str, isolation: str, sees_the_new_value: bool
) -> None:
    """A reader's second look at a row another transaction changed meanwhile."""
    if backend == "sqlite":
        sees_the_new_value = False  # SQLite is always serializable
    # InnoDB's SERIALIZABLE reads take shared locks: there the writer waits, and times out.
    writer_blocked = backend == "mysql" and isolation == "serializable"
    await make_table(db, table)
    await db.execute(f"INSERT INTO {table} (id, v) VALUES ({ph}, {ph})", (1, 1))
    select = f"SELECT v FROM {table} WHERE id = 1"
    async with db.transaction(isolation=isolation, readonly=True):
        assert await db.fetch_val(select) == 1

        async def writer() -> None:  # another task: another connection
            async with db.connection():
                if writer_blocked:
                    await db.execute("SET SESSION innodb_lock_wait_timeout = 1")
                    with pytest.raises(LockNotAvailable):
                        await db.execute(f"UPDATE {table} SET v = 2 WHERE id = 1")
                    await db.execute("SET SESSION innodb_lock_wait_timeout = DEFAULT")
                else:
                    await db.execute(f"UPDATE {table} SET v = 2 WHERE id = 1")

        await asyncio.get_running_loop().create_task(writer())
        assert await db.fetch_val(select) == (2 if sees_the_new_value else 1)
    assert await db.fetch_val(select) == (1 if writer_blocked else 2)


async def test_default_isolation_from_the_config(make_url: object, server_backend: str) -> None:
    url = make_url(server_backend)  # type: ignore[operator]
    async with Database(url, isolation="serializable") as db:
        if server_backend == "postgresql":
            assert await db.fetch_val("SHOW transaction_isolation") == "serializable"
        else:
            level = await db.fetch_val("SELECT @@session.tx_isolation")
            assert level == "SERIALIZABLE"


test_default_isolation_from_the_config = pytest.mark.parametrize(
    "server_backend", ["postgresql", "mysql"], indirect=True
)(test_default_isolation_from_the_config)


async def test_serialization_failure_is_mapped(make_url: object) -> None:
    require_server("postgresql")
    async with Database(make_url("postgresql")) as db:  # type: ignore[operator]
        table = "t_serial_conflict"
        await db.execute(f"DROP TABLE IF EXISTS {table}")
        await db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, v INTEGER)")
        await db.execute(f"INSERT INTO {table} VALUES (1, 0)")
        try:
            first_read = asyncio.Event()
            second_done = asyncio.Event()

            async def first() -> None:
                async with db.transaction(isolation="serializable"):
                    await db.fetch_val(f"SELECT v FROM {table} WHERE id = 1")
                    first_read.set()
                    await second_done.wait()
                    await db.execute(f"UPDATE {table} SET v = v + 1 WHERE id = 1")

            async def second() -> None:
                await first_read.wait()
                async with db.transaction(isolation="serializable"):
                    await db.execute(f"UPDATE {table} SET v = v + 10 WHERE id = 1")
                second_done.set()

            results = await asyncio.gather(first(), second(), return_exceptions=True)
            assert isinstance(results[0], SerializationFailure), results
            assert results[1] is None
            assert await db.fetch_val(f"SELECT v FROM {table}") == 10
        finally:
            await db.execute(f"DROP TABLE IF EXISTS {table}")
