"""DDL for the three backends: create/drop tables, add/drop/rename/alter columns, indexes, constraints.

The ``SchemaEditor`` renders statements from migration state (``state.ModelState``/``Field``)
and runs them on a database. SQLite cannot alter a column or add a constraint in place: for
those it rebuilds the table (create the new shape, copy the rows, drop, rename), as Django does.
Foreign keys are plain constraints (no ``ON DELETE`` action): the ORM applies ``on_delete``
itself, children before parents.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from collections.abc import Sequence
from typing import Any, Optional

from covet.db import Database
from covet.db.query import Column, Table
from covet.orm import connection
from covet.orm.connection import DatabaseInfo, database_info
from covet.orm.errors import FieldError
from covet.orm.expressions import Q
from covet.orm.lookups import build_lookup
from covet.orm.migrations.state import Check, Field, Index, ModelState, Unique, index_name

__all__ = ["SchemaEditor", "literal_sql"]


def literal_sql(value: Any, backend: str) -> str:
    """``value`` written as an SQL literal, for DDL (DEFAULT, CHECK), where parameters cannot go."""
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        if backend == "postgresql":
            return "TRUE" if value else "FALSE"
        return "1" if value else "0"
    if isinstance(value, (int, float, decimal.Decimal)):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, (datetime.date, datetime.time, uuid.UUID)):
        value = value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
    if isinstance(value, str):
        text = value.replace("'", "''")
        if backend == "mysql":
            text = text.replace("\\", "\\\\")
        return f"'{text}'"
    raise FieldError(f"cannot write {value!r} as an SQL literal in a migration (a default or a check)")


class SchemaEditor:
    """Runs DDL on ``db``; ``statements`` collects what ran (for ``--plan`` and tests)."""

    def __init__(self, db: Database, info: DatabaseInfo, *, collect_only: bool = False) -> None:
        self.db = db
        self.info = info
        self.ops = info.ops
        self.backend = info.backend
        self.ident = info.dialect.compiler.ident
        self.collect_only = collect_only
        self.statements: list[str] = []

    @classmethod
    async def for_database(cls, db: Database, *, collect_only: bool = False) -> SchemaEditor:
        return cls(db, await database_info(db), collect_only=collect_only)

    async def run(self, sql: str) -> None:
        self.statements.append(sql)
        if not self.collect_only:
            await connection.execute(self.db, sql, None)

    # -- columns ----------------------------------------------------------------------------------

    def column_definition(self, name: str, field: Field, *, inline_pk: bool = True) -> str:
        ident = self.ident
        if field.auto:
            sql = f"{ident(name)} {self.ops.auto_column(field)}"  # type: ignore[arg-type]
            if self.backend != "sqlite":
                sql += " PRIMARY KEY"
            return sql
        parts = [ident(name), self.ops.column_type(field)]  # type: ignore[arg-type]
        parts.append("NULL" if field.null else "NOT NULL")
        if field.has_default and field.default is not None and not callable(field.default):
            parts.append(f"DEFAULT {literal_sql(field.default, self.backend)}")
        if field.primary_key and inline_pk:
            parts.append("PRIMARY KEY")
        elif field.unique and not field.primary_key:
            parts.append("UNIQUE")
        return " ".join(parts)

    def foreign_key_clause(self, table: str, name: str, field: Field) -> Optional[str]:
        if field.to is None or not field.db_constraint:
            return None
        ident = self.ident
        constraint = index_name(table, [name], "fk")
        return (
            f"CONSTRAINT {ident(constraint)} FOREIGN KEY ({ident(name)}) "
            f"REFERENCES {ident(field.to)} ({ident(field.to_column or 'id')})"
        )

    def check_sql(self, table: str, check: Check) -> str:
        """The condition of a CHECK constraint, with its values written as literals."""
        q: Q = check.condition
        columns: dict[str, Column] = {}

        def column(name: str) -> Column:
            if name not in columns:
                columns[name] = Column(name)
            return columns[name]

        parts = _check_parts(q, column, self.ops)
        Table(table, *columns.values())  # attach the columns: they render qualified
        compiled = self.info.dialect.compile(parts)
        pieces = compiled.sql.split("?" if self.info.dialect.paramstyle == "qmark" else "%s")
        sql = pieces[0]
        for value, piece in zip(compiled.params, pieces[1:], strict=True):
            sql += literal_sql(value, self.backend) + piece
        if self.info.dialect.paramstyle == "format":
            sql = sql.replace("%%", "%")
        return sql.replace(self.ident(table) + ".", "")

    def constraint_clause(self, table: str, constraint: Any) -> str:
        ident = self.ident
        if isinstance(constraint, Unique):
            columns = ", ".join(ident(c) for c in constraint.columns)
            return f"CONSTRAINT {ident(constraint.name)} UNIQUE ({columns})"
        return f"CONSTRAINT {ident(constraint.name)} CHECK ({self.check_sql(table, constraint)})"

    # -- tables -----------------------------------------------------------------------------------

    def create_table_sql(self, state: ModelState, name: Optional[str] = None) -> str:
        table = name or state.table
        lines = [self.column_definition(column, field) for column, field in state.fields]
        for column, field in state.fields:
            clause = self.foreign_key_clause(table, column, field)
            if clause is not None:
                lines.append(clause)
        lines.extend(self.constraint_clause(table, c) for c in state.constraints)
        return f"CREATE TABLE {self.ident(table)} ({', '.join(lines)})"

    async def create_table(self, state: ModelState) -> None:
        await self.run(self.create_table_sql(state))
        for index in state.indexes:
            await self.add_index(state.table, index)

    async def drop_table(self, table: str) -> None:
        await self.run(f"DROP TABLE {self.ident(table)}")

    # -- indexes and constraints ------------------------------------------------------------------

    async def add_index(self, table: str, index: Index) -> None:
        ident = self.ident
        columns = ", ".join(
            ident(c.lstrip("-")) + (" DESC" if c.startswith("-") else "") for c in index.columns
        )
        unique = "UNIQUE " if index.unique else ""
        await self.run(f"CREATE {unique}INDEX {ident(index.name)} ON {ident(table)} ({columns})")

    async def drop_index(self, table: str, index: Index, state: Optional[ModelState] = None) -> None:
        """``state``, the table as it is, lets MySQL drop the index a foreign key of it relies on."""
        ident = self.ident
        if self.backend != "mysql":
            await self.run(f"DROP INDEX {ident(index.name)}")
            return
        # MySQL refuses to drop the index a foreign key uses (error 1553): take the key off around
        # the drop; added back, it makes its own index, as a key without an index of ours has.
        leading = index.columns[0].lstrip("-") if index.columns else None
        keys = [
            (column, field)
            for column, field in (state.fields if state is not None else ())
            if column == leading and field.to is not None and field.db_constraint
        ]
        for column, _ in keys:
            await self.run(
                f"ALTER TABLE {ident(table)} DROP FOREIGN KEY {ident(index_name(table, [column], 'fk'))}"
            )
        await self.run(f"DROP INDEX {ident(index.name)} ON {ident(table)}")
        for column, field in keys:
            await self.run(f"ALTER TABLE {ident(table)} ADD {self.foreign_key_clause(table, column, field)}")

    async def add_constraint(self, state: ModelState, constraint: Any) -> None:
        """``state`` is the table with the constraint already in it."""
        if self.backend == "sqlite":
            await self.rebuild(state, state)
            return
        await self.run(
            f"ALTER TABLE {self.ident(state.table)} ADD {self.constraint_clause(state.table, constraint)}"
        )

    async def drop_constraint(self, state: ModelState, constraint: Any) -> None:
        """``state`` is the table without the constraint."""
        ident = self.ident
        if self.backend == "sqlite":
            await self.rebuild(state, state)
        elif self.backend == "mysql" and isinstance(constraint, Unique):
            await self.run(f"ALTER TABLE {ident(state.table)} DROP INDEX {ident(constraint.name)}")
        else:
            await self.run(f"ALTER TABLE {ident(state.table)} DROP CONSTRAINT {ident(constraint.name)}")

    # -- columns of existing tables ---------------------------------------------------------------

    async def add_column(self, state: ModelState, column: str, field: Field) -> None:
        """``state`` is the table with the column already in it."""
        if self.backend == "sqlite" and (
            field.unique or field.primary_key or (field.to and field.db_constraint)
        ):
            await self.rebuild(state, state, copy_columns=[c for c in state.columns if c != column])
            return
        ident = self.ident
        await self.run(f"ALTER TABLE {ident(state.table)} ADD {self.column_definition(column, field)}")
        clause = self.foreign_key_clause(state.table, column, field)
        if clause is not None:
            await self.run(f"ALTER TABLE {ident(state.table)} ADD {clause}")

    async def drop_column(self, state: ModelState, column: str, field: Field) -> None:
        """``state`` is the table without the column; ``field`` the column dropped."""
        ident = self.ident
        if self.backend == "sqlite":
            await self.rebuild(state, state)
            return
        if self.backend == "mysql" and field.to and field.db_constraint:
            await self.run(
                f"ALTER TABLE {ident(state.table)} DROP FOREIGN KEY "
                f"{ident(index_name(state.table, [column], 'fk'))}"
            )
        await self.run(f"ALTER TABLE {ident(state.table)} DROP COLUMN {ident(column)}")

    async def rename_column(self, table: str, old: str, new: str, field: Field) -> None:
        ident = self.ident
        await self.run(f"ALTER TABLE {ident(table)} RENAME COLUMN {ident(old)} TO {ident(new)}")

    async def alter_column(self, state: ModelState, column: str, old: Field, new: Field) -> None:
        """``state`` is the table with the new column definition."""
        ident = self.ident
        table = ident(state.table)
        name = ident(column)
        if self.backend == "sqlite":
            await self.rebuild(state, state)
            return
        if self.backend == "mysql":
            definition = self.column_definition(column, new)
            if old.unique and not new.unique:
                definition = definition.replace(" UNIQUE", "")
                await self.run(f"ALTER TABLE {table} DROP INDEX {name}")
            elif old.unique and new.unique:
                definition = definition.replace(" UNIQUE", "")
            await self.run(f"ALTER TABLE {table} MODIFY {definition}")
            return
        old_type, new_type = self.ops.column_type(old), self.ops.column_type(new)  # type: ignore[arg-type]
        if old_type != new_type:
            await self.run(
                f"ALTER TABLE {table} ALTER COLUMN {name} TYPE {new_type} USING {name}::{new_type}"
            )
        if old.null != new.null:
            await self.run(
                f"ALTER TABLE {table} ALTER COLUMN {name} {'DROP' if new.null else 'SET'} NOT NULL"
            )
        if old.options.get("default") != new.options.get("default"):
            if new.has_default and new.default is not None:
                await self.run(
                    f"ALTER TABLE {table} ALTER COLUMN {name} "
                    f"SET DEFAULT {literal_sql(new.default, self.backend)}"
                )
            else:
                await self.run(f"ALTER TABLE {table} ALTER COLUMN {name} DROP DEFAULT")
        if old.unique != new.unique:
            constraint = ident(index_name(state.table, [column], "uniq"))
            if new.unique:
                await self.run(f"ALTER TABLE {table} ADD CONSTRAINT {constraint} UNIQUE ({name})")
            else:
                await self.run(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {constraint}")
                await self.run(
                    f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS "
                    f"{ident(state.table + '_' + column + '_key')}"  # the name PostgreSQL gives inline UNIQUE
                )

    async def rebuild(
        self, old: ModelState, new: ModelState, copy_columns: Optional[Sequence[str]] = None
    ) -> None:
        """SQLite: give the table ``new``'s shape by copying it into a new table."""
        ident = self.ident
        temporary = f"covet_new__{new.table}"
        columns = (
            list(copy_columns) if copy_columns is not None else [c for c in new.columns if c in old.columns]
        )
        listed = ", ".join(ident(c) for c in columns)
        await self.run(self.create_table_sql(new, temporary))
        await self.run(f"INSERT INTO {ident(temporary)} ({listed}) SELECT {listed} FROM {ident(old.table)}")  # noqa: S608 - quoted identifiers  # nosec B608
        await self.run(f"DROP TABLE {ident(old.table)}")
        await self.run(f"ALTER TABLE {ident(temporary)} RENAME TO {ident(new.table)}")
        for index in new.indexes:
            await self.add_index(new.table, index)


def _check_parts(q: Q, column: Any, ops: Any) -> Any:
    from covet.db.query.expressions import and_, not_, or_

    parts = []
    for child in q.children:
        if isinstance(child, Q):
            parts.append(_check_parts(child, column, ops))
            continue
        if not isinstance(child, tuple):
            raise FieldError(f"a CheckConstraint can only use field lookups, not {child!r}")
        key, value = child
        name, _, lookup = key.partition("__")
        if "__" in lookup:
            raise FieldError(f"a CheckConstraint compares the table's own columns: {key!r} spans a relation")
        parts.append(build_lookup(lookup or "exact", column(name), value, ops, f"check on {name!r}"))
    node = (and_ if q.connector == Q.AND else or_)(*parts) if len(parts) != 1 else parts[0]
    return not_(node) if q.negated else node
