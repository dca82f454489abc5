"""INSERT statements, one row or many, with RETURNING and upserts.

``insert(users).values(name="ann", email="a@x")`` or ``.values([{...}, {...}])`` for a multi-row
INSERT (every row sets the same columns; all values are parameters). Upserts:
``.on_conflict_do_nothing("email")`` and ``.on_conflict_do_update("email", {"name": excluded("name")})``
render as ``ON CONFLICT … DO …`` (PostgreSQL, SQLite) or ``ON DUPLICATE KEY UPDATE …`` (MySQL,
where any unique key conflicts whatever the target says).
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Optional, Union

from covet._speedups import sqlnodes as _k
from covet.db.query.expressions import Compilable, Excluded, Node, _conditions, coerce
from covet.db.query.select import Select
from covet.db.query.tables import Column, Table

__all__ = ["Insert", "insert"]

ColumnKey = Union[str, Column]


def dml_table(table: object, verb: str) -> Table:
    """``table`` if it can be the target of ``verb`` (a Table, not an alias or a subquery)."""
    if not isinstance(table, Table):
        raise TypeError(f"{verb}() takes a Table, not {table!r}")
    if table.alias_name is not None:
        raise ValueError(f"{verb}() takes the table itself, not the alias {table.alias_name!r}")
    return table


def column_name(table: Table, key: object) -> str:
    """The name of ``key`` (a name or a Column) as a column of ``table``, checked."""
    if isinstance(key, _k.ColumnNode):
        if key.table is not table:
            raise ValueError(f"column {key!r} does not belong to table {table.name!r}")
        return key.name
    if not isinstance(key, str):
        raise TypeError(f"column names are str or Column, not {key!r}")
    return table.c[key].name


def returning_items(table: Table, items: tuple[object, ...]) -> tuple[Node, ...]:
    nodes: list[Node] = []
    for item in items:
        if isinstance(item, Table):
            nodes.extend(item.columns)
        elif isinstance(item, str):
            nodes.append(table.c[item])
        else:
            nodes.append(coerce(item))
    return tuple(nodes)


class _ExcludedColumns:
    __slots__ = ("_table",)

    def __init__(self, table: Table) -> None:
        self._table = table

    def __getattr__(self, name: str) -> Excluded:
        return Excluded(self._table.c[name].name)


class Insert(Compilable, _k.InsertNode):
    """An INSERT; each method returns a new statement."""

    __slots__ = ()

    def _with(self, **changes: Any) -> Insert:
        fields: dict[str, Any] = {
            "columns": self.columns,
            "rows": self.rows,
            "raw_rows": self.raw_rows,
            "select": self.select,
            "conflict": self.conflict,
            "conflict_target": self.conflict_target,
            "set_names": self.set_names,
            "set_values": self.set_values,
            "conflict_where": self.conflict_where,
            "returning": self.returning_items,
        }
        fields.update(changes)
        return Insert(self.table, **fields)

    @property
    def target(self) -> Table:
        return self.table  # type: ignore[return-value]

    @property
    def excluded(self) -> _ExcludedColumns:
        """``stmt.excluded.name``: the value this INSERT proposed for ``name``, in an upsert's SET."""
        return _ExcludedColumns(self.target)

    def values(
        self, *rows: Union[Mapping[ColumnKey, object], Sequence[Mapping[ColumnKey, object]]], **values: object
    ) -> Insert:
        """The rows to insert (replacing any given before): mappings of column to value.

        ``values(name="a")``, ``values({"name": "a"}, {"name": "b"})`` or ``values(list_of_dicts)``.
        """
        mappings: list[Mapping[ColumnKey, object]] = []
        for row in rows:
            if isinstance(row, Mapping):
                mappings.append(row)
            else:
                mappings.extend(row)
        if values:
            mappings.append(values)  # type: ignore[arg-type]
        if not mappings:
            raise ValueError("values() needs at least one row")
        table = self.target
        first = mappings[0]
        keys = list(first)
        names = tuple(column_name(table, key) for key in keys)
        if len(set(names)) != len(names):
            raise ValueError(f"a row sets a column twice: {', '.join(names)}")
        # PERF: bulk inserts pass thousands of rows; itemgetter and map keep the loop in C. A row
        # of the same length that has every key of the first row has exactly its keys.
        take = operator.itemgetter(*keys)
        width = len(keys)
        tuples: list[tuple[Any, ...]]
        try:
            if width == 1:
                tuples = [(take(row),) for row in mappings if len(row) == 1]
            else:
                tuples = [take(row) for row in mappings if len(row) == width]
        except KeyError:
            tuples = []
        if len(tuples) != len(mappings):
            number, row = next((n, r) for n, r in enumerate(mappings) if r.keys() != first.keys())
            other = ", ".join(column_name(table, key) for key in row)
            raise ValueError(
                f"every row must set the same columns: row 0 sets {', '.join(names)}, "
                f"row {number} sets {other}"
            )
        types = set(map(type, itertools.chain.from_iterable(tuples)))
        raw = not any(issubclass(kind, _k.Node) for kind in types)
        if not raw:
            tuples = [tuple(coerce(value) for value in row_values) for row_values in tuples]
        return self._with(columns=names, rows=tuple(tuples), raw_rows=raw, select=None)

    def from_select(self, columns: Iterable[ColumnKey], select: Select) -> Insert:
        """``INSERT INTO t (columns) SELECT …``."""
        names = tuple(column_name(self.target, key) for key in columns)
        if not isinstance(select, _k.SelectNode):
            raise TypeError(f"from_select() takes a select(), not {select!r}")
        return self._with(columns=names, rows=(), raw_rows=True, select=select)

    def returning(self, *items: object) -> Insert:
        """``RETURNING items`` (columns, names, expressions, or the table for all its columns).

        Compiling raises ``UnsupportedFeatureError`` where the dialect has no INSERT … RETURNING.
        """
        return self._with(returning=returning_items(self.target, items))

    def on_conflict_do_nothing(self, *target: ColumnKey) -> Insert:
        """Skip rows that conflict on ``target`` (a unique column set; any unique key if empty)."""
        names = tuple(column_name(self.target, key) for key in target)
        return self._with(conflict=_k.CONFLICT_NOTHING, conflict_target=names, set_names=(), set_values=(),
                          conflict_where=None)

    def on_conflict_do_update(
        self,
        target: Union[ColumnKey, Sequence[ColumnKey]],
        set_: Optional[Mapping[ColumnKey, object]] = None,
        where: object = None,
    ) -> Insert:
        """Update the existing row when one conflicts on ``target``.

        ``set_`` maps columns to values (``excluded("col")`` is the value this INSERT proposed);
        by default every inserted column but the target takes its proposed value. ``where``
        limits which conflicting rows are updated (PostgreSQL and SQLite only).
        """
        table = self.target
        keys = (target,) if isinstance(target, (str, _k.ColumnNode)) else tuple(target)
        names = tuple(column_name(table, key) for key in keys)
        if not names:
            raise ValueError("on_conflict_do_update() needs the conflicting columns (a unique key)")
        if set_ is None:
            if not self.columns:
                raise ValueError("call values() before on_conflict_do_update() without set_")
            set_names = tuple(name for name in self.columns if name not in names)
            if not set_names:
                raise ValueError("every inserted column is in the conflict target: nothing to update")
            set_values: tuple[Node, ...] = tuple(Excluded(name) for name in set_names)
        else:
            set_names = tuple(column_name(table, key) for key in set_)
            set_values = tuple(coerce(value) for value in set_.values())
            if not set_names:
                raise ValueError("on_conflict_do_update() needs at least one column to set")
        return self._with(
            conflict=_k.CONFLICT_UPDATE,
            conflict_target=names,
            set_names=set_names,
            set_values=set_values,
            conflict_where=None if where is None else _conditions((where,)),
        )


def insert(table: Table) -> Insert:
    """``INSERT INTO table``; add ``.values(...)`` or ``.from_select(...)``."""
    return Insert(dml_table(table, "insert"), ())
