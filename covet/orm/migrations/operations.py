"""Migration operations: each changes the recorded state and the database, forwards and backwards.

A migration file lists operations in plain Python::

    operations = [
        migrations.CreateModel("author", [("id", migrations.Field("BigAutoField", primary_key=True)),
                                          ("name", migrations.Field("CharField", max_length=100))]),
        migrations.AddField("book", "isbn", migrations.Field("CharField", max_length=13, null=True)),
        migrations.RunPython(fill_isbn, reverse=migrations.RunPython.noop),
    ]

``state_forwards`` applies the change to a ``ProjectState``; ``forwards`` and ``backwards`` run
the DDL through a ``SchemaEditor`` given the states before and after the operation.
"""

from __future__ import annotations

import abc
import inspect
from collections.abc import Callable, Sequence
from typing import Any, Optional, Union

from covet.db import Database
from covet.orm.errors import ImproperlyConfigured
from covet.orm.migrations.schema import SchemaEditor
from covet.orm.migrations.state import Check, Field, Index, ModelState, ProjectState, Unique

__all__ = [
    "AddConstraint",
    "AddField",
    "AddIndex",
    "AlterField",
    "CreateModel",
    "DeleteModel",
    "IrreversibleError",
    "Operation",
    "RemoveConstraint",
    "RemoveField",
    "RemoveIndex",
    "RenameField",
    "RunPython",
    "RunSQL",
]


class IrreversibleError(RuntimeError):
    """Rolling back an operation that cannot be undone (RunSQL/RunPython without a reverse)."""


class Operation(abc.ABC):
    """One step of a migration: a change to the project state and the SQL that makes it."""

    reversible = True

    @abc.abstractmethod
    def state_forwards(self, state: ProjectState) -> None:
        """Apply the change to ``state`` (in place)."""

    @abc.abstractmethod
    async def forwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        """Make the change in the database; ``before``/``after`` are the states around it."""

    @abc.abstractmethod
    async def backwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        """Undo the change; ``before``/``after`` are the states around the forward operation."""

    @abc.abstractmethod
    def describe(self) -> str:
        """One line saying what the step does (makemigrations output, comments in migration files,
        error notes)."""

    @abc.abstractmethod
    def arguments(self) -> tuple[list[Any], dict[str, Any]]:
        """The positional and keyword arguments that recreate this operation (for the writer)."""


# -- tables ---------------------------------------------------------------------------------------


class CreateModel(Operation):
    """Create ``table`` with its fields (``(column, Field)`` pairs), indexes and constraints."""

    def __init__(
        self,
        table: str,
        fields: Sequence[tuple[str, Field]],
        indexes: Sequence[Index] = (),
        constraints: Sequence[Union[Unique, Check]] = (),
    ) -> None:
        self.state = ModelState(table, list(fields), list(indexes), list(constraints))

    def state_forwards(self, state: ProjectState) -> None:
        state.models[self.state.table] = self.state.clone()

    async def forwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        await editor.create_table(after[self.state.table])

    async def backwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        await editor.drop_table(self.state.table)

    def describe(self) -> str:
        return f"create table {self.state.table}"

    def arguments(self) -> tuple[list[Any], dict[str, Any]]:
        kwargs: dict[str, Any] = {}
        if self.state.indexes:
            kwargs["indexes"] = self.state.indexes
        if self.state.constraints:
            kwargs["constraints"] = self.state.constraints
        return [self.state.table, self.state.fields], kwargs


class DeleteModel(Operation):
    """Drop ``table``; migrating back creates it again as the previous state had it."""

    def __init__(self, table: str) -> None:
        self.table = table

    def state_forwards(self, state: ProjectState) -> None:
        del state.models[self.table]

    async def forwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        await editor.drop_table(self.table)

    async def backwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        await editor.create_table(before[self.table])

    def describe(self) -> str:
        return f"drop table {self.table}"

    def arguments(self) -> tuple[list[Any], dict[str, Any]]:
        return [self.table], {}


# -- columns --------------------------------------------------------------------------------------


class AddField(Operation):
    """Add ``column`` to ``table``, declared as ``field``."""

    def __init__(self, table: str, column: str, field: Field) -> None:
        self.table = table
        self.column = column
        self.field = field

    def state_forwards(self, state: ProjectState) -> None:
        state[self.table].fields.append((self.column, self.field))

    async def forwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        await editor.add_column(after[self.table], self.column, self.field)

    async def backwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        await editor.drop_column(before[self.table], self.column, self.field)

    def describe(self) -> str:
        return f"add column {self.table}.{self.column}"

    def arguments(self) -> tuple[list[Any], dict[str, Any]]:
        return [self.table, self.column, self.field], {}


class RemoveField(Operation):
    """Drop ``column`` from ``table``; migrating back adds it as the previous state had it."""

    def __init__(self, table: str, column: str) -> None:
        self.table = table
        self.column = column

    def state_forwards(self, state: ProjectState) -> None:
        model = state[self.table]
        model.fields = [(name, field) for name, field in model.fields if name != self.column]
        model.indexes = [i for i in model.indexes if self.column not in [c.lstrip("-") for c in i.columns]]

    async def forwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        # Indexes over the column go with it (PostgreSQL and MySQL drop them; SQLite rebuilds).
        await editor.drop_column(after[self.table], self.column, before[self.table].field(self.column))

    async def backwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        old = before[self.table]
        await editor.add_column(old, self.column, old.field(self.column))
        for index in old.indexes:
            if index not in after[self.table].indexes:
                await editor.add_index(self.table, index)

    def describe(self) -> str:
        return f"drop column {self.table}.{self.column}"

    def arguments(self) -> tuple[list[Any], dict[str, Any]]:
        return [self.table, self.column], {}


class RenameField(Operation):
    """Rename column ``old`` of ``table`` to ``new``, keeping its data."""

    def __init__(self, table: str, old: str, new: str) -> None:
        self.table = table
        self.old = old
        self.new = new

    def state_forwards(self, state: ProjectState) -> None:
        model = state[self.table]
        model.fields = [(self.new if name == self.old else name, field) for name, field in model.fields]
        for index in model.indexes:
            index.columns = tuple(self.new if c == self.old else c for c in index.columns)
        for constraint in model.constraints:
            if isinstance(constraint, Unique):
                constraint.columns = tuple(self.new if c == self.old else c for c in constraint.columns)

    async def forwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        await editor.rename_column(self.table, self.old, self.new, after[self.table].field(self.new))

    async def backwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        await editor.rename_column(self.table, self.new, self.old, before[self.table].field(self.old))

    def describe(self) -> str:
        return f"rename column {self.table}.{self.old} to {self.new}"

    def arguments(self) -> tuple[list[Any], dict[str, Any]]:
        return [self.table, self.old, self.new], {}


class AlterField(Operation):
    """Change the declaration of ``column`` of ``table`` to ``field`` (type, null, default …)."""

    def __init__(self, table: str, column: str, field: Field) -> None:
        self.table = table
        self.column = column
        self.field = field

    def state_forwards(self, state: ProjectState) -> None:
        model = state[self.table]
        model.fields = [(name, self.field if name == self.column else f) for name, f in model.fields]

    async def forwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        old = before[self.table].field(self.column)
        await editor.alter_column(after[self.table], self.column, old, self.field)

    async def backwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        old = before[self.table].field(self.column)
        await editor.alter_column(before[self.table], self.column, self.field, old)

    def describe(self) -> str:
        return f"alter column {self.table}.{self.column}"

    def arguments(self) -> tuple[list[Any], dict[str, Any]]:
        return [self.table, self.column, self.field], {}


# -- indexes and constraints ----------------------------------------------------------------------


class AddIndex(Operation):
    """Create ``index`` on ``table``."""

    def __init__(self, table: str, index: Index) -> None:
        self.table = table
        self.index = index

    def state_forwards(self, state: ProjectState) -> None:
        state[self.table].indexes.append(self.index)

    async def forwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        await editor.add_index(self.table, self.index)

    async def backwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        await editor.drop_index(self.table, self.index, before[self.table])

    def describe(self) -> str:
        return f"create index {self.index.name} on {self.table}"

    def arguments(self) -> tuple[list[Any], dict[str, Any]]:
        return [self.table, self.index], {}


class RemoveIndex(Operation):
    """Drop the index ``name`` of ``table``."""

    def __init__(self, table: str, name: str) -> None:
        self.table = table
        self.name = name

    def _index(self, state: ProjectState) -> Index:
        for index in state[self.table].indexes:
            if index.name == self.name:
                return index
        raise ImproperlyConfigured(f"table {self.table!r} has no index {self.name!r} in the migration state")

    def state_forwards(self, state: ProjectState) -> None:
        model = state[self.table]
        model.indexes = [i for i in model.indexes if i.name != self.name]

    async def forwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        await editor.drop_index(self.table, self._index(before), before[self.table])

    async def backwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        await editor.add_index(self.table, self._index(before))

    def describe(self) -> str:
        return f"drop index {self.name} on {self.table}"

    def arguments(self) -> tuple[list[Any], dict[str, Any]]:
        return [self.table, self.name], {}


class AddConstraint(Operation):
    """Add a unique or check ``constraint`` to ``table``."""

    def __init__(self, table: str, constraint: Union[Unique, Check]) -> None:
        self.table = table
        self.constraint = constraint

    def state_forwards(self, state: ProjectState) -> None:
        state[self.table].constraints.append(self.constraint)

    async def forwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        await editor.add_constraint(after[self.table], self.constraint)

    async def backwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        await editor.drop_constraint(before[self.table], self.constraint)

    def describe(self) -> str:
        return f"add constraint {self.constraint.name} on {self.table}"

    def arguments(self) -> tuple[list[Any], dict[str, Any]]:
        return [self.table, self.constraint], {}


class RemoveConstraint(Operation):
    """Drop the constraint ``name`` of ``table``."""

    def __init__(self, table: str, name: str) -> None:
        self.table = table
        self.name = name

    def _constraint(self, state: ProjectState) -> Union[Unique, Check]:
        for constraint in state[self.table].constraints:
            if constraint.name == self.name:
                return constraint  # type: ignore[no-any-return]
        raise ImproperlyConfigured(
            f"table {self.table!r} has no constraint {self.name!r} in the migration state"
        )

    def state_forwards(self, state: ProjectState) -> None:
        model = state[self.table]
        model.constraints = [c for c in model.constraints if c.name != self.name]

    async def forwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        await editor.drop_constraint(after[self.table], self._constraint(before))

    async def backwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        await editor.add_constraint(before[self.table], self._constraint(before))

    def describe(self) -> str:
        return f"drop constraint {self.name} on {self.table}"

    def arguments(self) -> tuple[list[Any], dict[str, Any]]:
        return [self.table, self.name], {}


# -- data migrations ------------------------------------------------------------------------------


class RunSQL(Operation):
    """Run SQL (a statement or a list of them); ``reverse`` undoes it when migrating back."""

    def __init__(
        self, sql: Union[str, Sequence[str]], reverse: Union[str, Sequence[str], None] = None
    ) -> None:
        self.sql = [sql] if isinstance(sql, str) else list(sql)
        self.reverse = None if reverse is None else ([reverse] if isinstance(reverse, str) else list(reverse))
        self.reversible = reverse is not None

    def state_forwards(self, state: ProjectState) -> None:
        return None

    async def forwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        for statement in self.sql:
            await editor.run(statement)

    async def backwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        if self.reverse is None:
            raise IrreversibleError(
                f"RunSQL({self.sql[0][:60]!r}) has no reverse: give reverse= to migrate back"
            )
        for statement in self.reverse:
            await editor.run(statement)

    def describe(self) -> str:
        return f"run SQL ({len(self.sql)} statement{'s' if len(self.sql) != 1 else ''})"

    def arguments(self) -> tuple[list[Any], dict[str, Any]]:
        kwargs = {} if self.reverse is None else {"reverse": self.reverse}
        return [self.sql], kwargs


DataFunction = Callable[[Database], Any]


class RunPython(Operation):
    """Call ``function(db)`` (sync or async), e.g. to fill a new column; ``reverse`` for going back.

    The models as they are declared now may differ from the schema at this migration: query
    with ``db.fetch_all``/``db.execute`` (or models whose fields this migration already has).
    """

    def __init__(self, function: DataFunction, reverse: Optional[DataFunction] = None) -> None:
        self.function = function
        self.reverse = reverse
        self.reversible = reverse is not None

    @staticmethod
    def noop(db: Database) -> None:
        """A reverse that does nothing, for data migrations that need no undoing."""

    def state_forwards(self, state: ProjectState) -> None:
        return None

    async def _call(self, function: DataFunction, editor: SchemaEditor) -> None:
        if editor.collect_only:
            editor.statements.append(f"-- RunPython {getattr(function, '__qualname__', function)!s}")
            return
        result = function(editor.db)
        if inspect.isawaitable(result):
            await result

    async def forwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        await self._call(self.function, editor)

    async def backwards(self, editor: SchemaEditor, before: ProjectState, after: ProjectState) -> None:
        if self.reverse is None:
            raise IrreversibleError(f"RunPython({self.function.__name__}) has no reverse: give reverse=")
        await self._call(self.reverse, editor)

    def describe(self) -> str:
        return f"run Python {getattr(self.function, '__name__', self.function)!s}"

    def arguments(self) -> tuple[list[Any], dict[str, Any]]:
        raise TypeError("RunPython operations are written by hand, not generated")
