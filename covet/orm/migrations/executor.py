"""Applying and rolling back migrations, recorded in the ``covet_migrations`` table.

Each migration runs in its own transaction where DDL is transactional (PostgreSQL, SQLite): a
failure leaves the database as it was before that migration, which is not recorded. MySQL commits
DDL as it goes, so a failing migration there can stop half-way: the error's notes say which
operation failed and which ones before it stay done (and the migration is not recorded).
"""

from __future__ import annotations

import contextlib
import datetime
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Optional

from covet.db import Database
from covet.db.query import Column, Table, delete, insert, select
from covet.orm.connection import database_info
from covet.orm.errors import ImproperlyConfigured
from covet.orm.migrations.loader import Migration
from covet.orm.migrations.operations import Operation
from covet.orm.migrations.schema import SchemaEditor
from covet.orm.migrations.state import ProjectState

__all__ = ["MIGRATIONS_TABLE", "MigrationExecutor", "Step"]

MIGRATIONS_TABLE = "covet_migrations"

Step = tuple[Migration, bool]  # (migration, backwards)

_RECORDS = Table(MIGRATIONS_TABLE, Column("name", primary_key=True), Column("applied_at"))


class MigrationExecutor:
    def __init__(
        self, db: Database, migrations: Sequence[Migration], *, report: Callable[[str], None] = print
    ) -> None:
        self.db = db
        self.migrations = list(migrations)
        self.report = report

    async def _editor(self, collect_only: bool = False) -> SchemaEditor:
        return await SchemaEditor.for_database(self.db, collect_only=collect_only)

    async def ensure_table(self) -> None:
        editor = await self._editor()
        ident = editor.ident
        key = "varchar(255)" if editor.backend != "sqlite" else "text"
        await self.db.execute(
            f"CREATE TABLE IF NOT EXISTS {ident(MIGRATIONS_TABLE)} "
            f"(name {key} PRIMARY KEY, applied_at varchar(40) NOT NULL)"
        )

    async def applied(self) -> list[str]:
        await self.ensure_table()
        info = await database_info(self.db)
        query = info.dialect.compile(select(_RECORDS.c.name).order_by(_RECORDS.c.name))
        rows = await self.db.fetch_all(query)
        return [row[0] for row in rows]

    async def plan(self, target: Optional[str] = None) -> list[Step]:
        """The steps to reach ``target`` (a migration name, ``"zero"``, or None for the latest)."""
        applied = set(await self.applied())
        names = [m.name for m in self.migrations]
        unknown = applied - set(names)
        if unknown:
            raise ImproperlyConfigured(
                f"the database has migrations applied that are not on disk: {', '.join(sorted(unknown))}"
            )
        if target is None:
            return [(m, False) for m in self.migrations if m.name not in applied]
        if target == "zero":
            index = -1
        else:
            matches = [i for i, name in enumerate(names) if name == target or name.startswith(f"{target}_")]
            if len(matches) != 1:
                raise ImproperlyConfigured(
                    f"no single migration named {target!r}; known: {', '.join(names) or 'none'}"
                )
            index = matches[0]
        forwards = [(m, False) for m in self.migrations[: index + 1] if m.name not in applied]
        backwards = [(m, True) for m in reversed(self.migrations[index + 1 :]) if m.name in applied]
        return forwards + backwards

    def state_before(self, migration: Migration) -> ProjectState:
        state = ProjectState()
        for m in self.migrations:
            if m is migration:
                break
            for operation in m.operations:
                operation.state_forwards(state)
        return state

    async def sql_for(self, step: Step) -> list[str]:
        """The statements a step would run (for ``--plan``), without running them."""
        editor = await self._editor(collect_only=True)
        await self._run_operations(editor, *step)
        return editor.statements

    async def migrate(self, target: Optional[str] = None) -> list[Step]:
        """Apply (or roll back) up to ``target``, one transaction per migration where possible."""
        steps = await self.plan(target)
        if not steps:
            self.report("No migrations to apply.")
        transactional = (await database_info(self.db)).ops.transactional_ddl
        for migration, backwards in steps:
            verb = "Unapplying" if backwards else "Applying"
            started = time.perf_counter()
            done: list[Operation] = []
            try:
                async with self._scope():
                    editor = await self._editor()
                    await self._run_operations(editor, migration, backwards, done)
                    await self._record(editor, migration, backwards)
            except Exception as exc:
                exc.add_note(_aftermath(migration, backwards, done, transactional))
                raise
            elapsed = (time.perf_counter() - started) * 1000
            self.report(f"{verb} {migration.name}... OK ({elapsed:.0f} ms)")
        return steps

    async def _run_operations(
        self,
        editor: SchemaEditor,
        migration: Migration,
        backwards: bool,
        done: Optional[list[Operation]] = None,
    ) -> None:
        """Run the migration's operations in order (reversed when ``backwards``); each one that
        completes is appended to ``done``."""
        before = self.state_before(migration)
        states = [before]
        for operation in migration.operations:
            after = states[-1].clone()
            operation.state_forwards(after)
            states.append(after)
        pairs = list(zip(migration.operations, states[:-1], states[1:], strict=True))
        if backwards:
            pairs.reverse()
        for operation, state_before, state_after in pairs:
            try:
                if backwards:
                    await operation.backwards(editor, state_before, state_after)
                else:
                    await operation.forwards(editor, state_before, state_after)
            except Exception as exc:
                exc.add_note(f"while running migration {migration.name}: {operation.describe()}")
                raise
            if done is not None:
                done.append(operation)

    async def _record(self, editor: SchemaEditor, migration: Migration, backwards: bool) -> None:
        dialect = editor.info.dialect
        if backwards:
            await self.db.execute(dialect.compile(delete(_RECORDS).where(_RECORDS.c.name == migration.name)))
        else:
            now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
            await self.db.execute(
                dialect.compile(insert(_RECORDS).values(name=migration.name, applied_at=now))
            )

    @contextlib.asynccontextmanager
    async def _scope(self) -> AsyncIterator[None]:
        info = await database_info(self.db)
        async with self.db.connection():
            if info.backend == "sqlite":
                # A table rebuild drops and recreates tables others point at: check the keys at the end.
                await self.db.execute("PRAGMA foreign_keys = OFF")
            try:
                if info.ops.transactional_ddl:
                    async with self.db.transaction():
                        yield
                        if info.backend == "sqlite":
                            await self._check_foreign_keys()
                else:
                    yield
            finally:
                if info.backend == "sqlite":
                    await self.db.execute("PRAGMA foreign_keys = ON")

    async def _check_foreign_keys(self) -> None:
        problems = await self.db.fetch_all("PRAGMA foreign_key_check")
        if problems:
            first = problems[0]
            raise ImproperlyConfigured(
                f"the migration leaves {len(problems)} row(s) whose foreign key points nowhere "
                f"(first: table {first[0]}, rowid {first[1]}, referencing {first[2]}); it was rolled back"
            )


def _aftermath(migration: Migration, backwards: bool, done: Sequence[Operation], transactional: bool) -> str:
    """What a failed migration left behind, for the error's notes."""
    verb = "unapplying" if backwards else "applying"
    recorded = "still recorded as applied" if backwards else "not recorded as applied"
    if transactional:
        return (
            f"{verb} {migration.name} was rolled back: the database is as it was before, "
            f"and the migration is {recorded}"
        )
    if not done:
        return f"no step of {migration.name} before the failing one had run; it is {recorded}"
    steps = "; ".join(operation.describe() for operation in done)
    return (
        f"this database commits DDL as it runs, so {verb} {migration.name} was not rolled back: "
        f"these steps before the failing one stay done: {steps}. The migration is {recorded}: "
        "undo those steps by hand, then run migrate again"
    )
