"""Migration operations through the executor on each backend: indexes, constraints, alters, reversibility."""

from __future__ import annotations

import uuid

import pytest

from covet.db import CheckViolation, Database, IntegrityError, UniqueViolation
from covet.orm import Q
from covet.orm.migrations import (
    AddConstraint,
    AddField,
    AlterField,
    Check,
    CreateModel,
    Field,
    Index,
    IrreversibleError,
    Migration,
    RemoveConstraint,
    RemoveIndex,
    RunSQL,
    Unique,
)
from covet.orm.migrations.executor import MIGRATIONS_TABLE, MigrationExecutor
from covet.orm.migrations.state import ProjectState


def _migrations(table: str) -> list[Migration]:
    class Initial(Migration):
        operations = [
            CreateModel(
                table,
                [
                    ("id", Field("BigAutoField", primary_key=True)),
                    ("code", Field("CharField", max_length=10)),
                    ("qty", Field("IntegerField", default=0)),
                ],
                indexes=[Index(f"{table}_code_idx", ("code",))],
                constraints=[
                    Unique(f"{table}_code_qty", ("code", "qty")),
                    Check(f"{table}_qty", Q(qty__gte=0)),
                ],
            )
        ]

    class Loosen(Migration):
        dependencies = ["0001_initial"]
        operations = [
            RemoveIndex(table, f"{table}_code_idx"),
            RemoveConstraint(table, f"{table}_code_qty"),
            RemoveConstraint(table, f"{table}_qty"),
            AlterField(table, "code", Field("CharField", max_length=20, unique=True)),
            AddField(table, "note", Field("CharField", max_length=5, null=True)),
            AddConstraint(table, Check(f"{table}_note", Q(note__isnull=True) | Q(note__startswith="n"))),
        ]

    class Fill(Migration):
        dependencies = ["0002_loosen"]
        operations = [RunSQL(f"UPDATE {table} SET qty = 1")]

    names = ("0001_initial", "0002_loosen", "0003_fill")
    migrations: list[Migration] = []
    for name, cls in zip(names, (Initial, Loosen, Fill), strict=True):
        migration = cls()
        migration.name = name
        migrations.append(migration)
    return migrations


async def test_operations_apply_and_roll_back(db: Database) -> None:
    table = f"ops_{uuid.uuid4().hex[:8]}"
    ph = "?" if db.backend == "sqlite" else "%s"
    insert = f"INSERT INTO {table} (code, qty) VALUES ({ph}, {ph})"
    lines: list[str] = []
    executor = MigrationExecutor(db, _migrations(table), report=lines.append)
    try:
        await executor.migrate("0001")
        await db.execute(insert, ("a", 1))
        with pytest.raises(UniqueViolation):
            await db.execute(insert, ("a", 1))
        with pytest.raises((CheckViolation, IntegrityError)):
            await db.execute(insert, ("b", -1))

        await executor.migrate("0002")
        assert lines[-1].startswith("Applying 0002_loosen... OK")
        await db.execute(insert, ("b", -1))  # the check is gone
        with pytest.raises(UniqueViolation):
            await db.execute(insert, ("a", 5))  # code alone is unique now
        with pytest.raises((CheckViolation, IntegrityError)):
            await db.execute(f"INSERT INTO {table} (code, qty, note) VALUES ({ph}, 0, {ph})", ("c", "x"))

        await db.execute(f"DELETE FROM {table} WHERE qty < 0")
        await executor.migrate("0001")
        assert lines[-1].startswith("Unapplying 0002_loosen... OK")
        with pytest.raises((CheckViolation, IntegrityError)):
            await db.execute(insert, ("d", -1))

        await executor.migrate()
        assert await executor.applied() == ["0001_initial", "0002_loosen", "0003_fill"]
        assert await db.fetch_val(f"SELECT qty FROM {table}") == 1
        with pytest.raises(IrreversibleError, match="no reverse"):
            await executor.migrate("0002")
        plan = await executor.plan("zero")
        assert [(m.name, back) for m, back in plan] == [
            ("0003_fill", True),
            ("0002_loosen", True),
            ("0001_initial", True),
        ]
        sql = await executor.sql_for(plan[1])
        assert any("DROP" in statement or "CREATE TABLE" in statement for statement in sql)
        assert executor.state_before(executor.migrations[1]).models[table].columns == ["id", "code", "qty"]
        assert isinstance(executor.state_before(executor.migrations[0]), ProjectState)
    finally:
        await db.execute(f"DROP TABLE IF EXISTS {table}")
        await db.execute(f"DROP TABLE IF EXISTS {MIGRATIONS_TABLE}")


async def test_the_index_a_foreign_key_uses_can_be_dropped_and_restored(db: Database) -> None:
    # MySQL will not drop an index a foreign key relies on: the key comes off around the drop.
    parent, child = f"par_{uuid.uuid4().hex[:8]}", f"chi_{uuid.uuid4().hex[:8]}"
    key = Field(
        "ForeignKey", null=True, on_delete="SET_NULL", target=Field("BigAutoField"), to=parent, to_column="id"
    )

    class Initial(Migration):
        operations = [
            CreateModel(parent, [("id", Field("BigAutoField", primary_key=True))]),
            CreateModel(
                child,
                [("id", Field("BigAutoField", primary_key=True)), ("parent_id", key)],
                indexes=[Index(f"{child}_parent_idx", ("parent_id",))],
            ),
        ]

    class Unindex(Migration):
        dependencies = ["0001_initial"]
        operations = [RemoveIndex(child, f"{child}_parent_idx")]

    migrations: list[Migration] = []
    for name, cls in (("0001_initial", Initial), ("0002_unindex", Unindex)):
        migration = cls()
        migration.name = name
        migrations.append(migration)
    executor = MigrationExecutor(db, migrations, report=lambda line: None)
    ph = "?" if db.backend == "sqlite" else "%s"

    async def the_key_holds() -> None:
        await db.execute(f"DELETE FROM {child}")
        await db.execute(f"DELETE FROM {parent}")
        await db.execute(f"INSERT INTO {parent} (id) VALUES (1)")
        await db.execute(f"INSERT INTO {child} (parent_id) VALUES ({ph})", (1,))
        with pytest.raises(IntegrityError):
            await db.execute(f"INSERT INTO {child} (parent_id) VALUES ({ph})", (99,))

    try:
        await executor.migrate()
        await the_key_holds()
        await executor.migrate("0001")  # the index back
        await the_key_holds()
        await executor.migrate("0002")
        await the_key_holds()
    finally:
        await db.execute(f"DROP TABLE IF EXISTS {child}")
        await db.execute(f"DROP TABLE IF EXISTS {parent}")
        await db.execute(f"DROP TABLE IF EXISTS {MIGRATIONS_TABLE}")
