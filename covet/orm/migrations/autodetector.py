"""What changed between the recorded schema and the models: the operations of the next migration.

Tables are created parents first (a foreign key needs its target) and dropped children first.
A column that disappears while one with the same definition appears in the same table is taken
as renamed; check the generated file when that is not what you meant.
"""

from __future__ import annotations

from covet.orm.migrations.operations import (
    AddConstraint,
    AddField,
    AddIndex,
    AlterField,
    CreateModel,
    DeleteModel,
    Operation,
    RemoveConstraint,
    RemoveField,
    RemoveIndex,
    RenameField,
)
from covet.orm.migrations.state import ModelState, ProjectState

__all__ = ["detect_changes"]


def _ordered(tables: list[str], state: ProjectState) -> list[str]:
    """``tables`` with every table after the tables (of this list) its foreign keys point at."""
    pending = set(tables)
    ordered: list[str] = []
    while pending:
        ready = sorted(t for t in pending if not (state.models[t].references() - {t}) & pending)
        if not ready:  # a cycle: the order does not matter to SQLite, and fails clearly elsewhere
            ready = sorted(pending)
        for table in ready:
            ordered.append(table)
            pending.discard(table)
    return ordered


def detect_changes(old: ProjectState, new: ProjectState) -> list[Operation]:
    operations: list[Operation] = []
    added = [t for t in new.models if t not in old.models]
    removed = [t for t in old.models if t not in new.models]
    for table in _ordered(added, new):
        model = new.models[table]
        operations.append(CreateModel(table, model.fields, model.indexes, model.constraints))
    for table in sorted(old.models):
        if table in new.models:
            operations.extend(_table_changes(old.models[table], new.models[table]))
    for table in reversed(_ordered(removed, old)):
        operations.append(DeleteModel(table))
    return operations


def _table_changes(old: ModelState, new: ModelState) -> list[Operation]:
    table = new.table
    operations: list[Operation] = []
    new_indexes = {i.name: i for i in new.indexes}
    old_indexes = {i.name: i for i in old.indexes}
    new_constraints = {c.name: c for c in new.constraints}
    old_constraints = {c.name: c for c in old.constraints}
    dropped = {c for c in dict(old.fields) if c not in dict(new.fields)}
    for name, index in old_indexes.items():
        if dropped & {c.lstrip("-") for c in index.columns}:
            continue  # goes with its column (RemoveField)
        if new_indexes.get(name) != index:
            operations.append(RemoveIndex(table, name))
    for name, constraint in old_constraints.items():
        if new_constraints.get(name) != constraint:
            operations.append(RemoveConstraint(table, name))

    old_columns = dict(old.fields)
    new_columns = dict(new.fields)
    gone = [c for c in old_columns if c not in new_columns]
    came = [c for c in new_columns if c not in old_columns]
    if len(gone) == 1 and len(came) == 1 and old_columns[gone[0]] == new_columns[came[0]]:
        operations.append(RenameField(table, gone[0], came[0]))
        gone, came = [], []
    for column in gone:
        operations.append(RemoveField(table, column))
    for column in came:
        operations.append(AddField(table, column, new_columns[column]))
    for column, field in new.fields:
        if column in old_columns and old_columns[column] != field:
            operations.append(AlterField(table, column, field))

    for name, index in new_indexes.items():
        if old_indexes.get(name) != index:
            operations.append(AddIndex(table, index))
    for name, constraint in new_constraints.items():
        if old_constraints.get(name) != constraint:
            operations.append(AddConstraint(table, constraint))
    return operations
