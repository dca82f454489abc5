"""UPDATE statements: ``update(users).values(name="ann").where(users.c.id == 1).returning(users.c.id)``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional

from covet._speedups import sqlnodes as _k
from covet.db.query.expressions import Compilable, Node, _conditions, and_, coerce
from covet.db.query.insert import ColumnKey, column_name, dml_table, returning_items
from covet.db.query.tables import Table

__all__ = ["Update", "update"]


class Update(Compilable, _k.UpdateNode):
    """An UPDATE; each method returns a new statement. Without ``where`` it updates every row."""

    __slots__ = ()

    @property
    def target(self) -> Table:
        return self.table  # type: ignore[return-value]

    def values(self, values: Optional[Mapping[ColumnKey, object]] = None, **more: object) -> Update:
        """Columns to set, added to those set before: values become parameters, expressions
        (``users.c.visits + 1``) are compiled."""
        names = list(self.set_names)
        nodes = list(self.set_values)
        for key, value in [*(values or {}).items(), *more.items()]:
            name = column_name(self.target, key)
            node = coerce(value)
            if name in names:
                nodes[names.index(name)] = node
            else:
                names.append(name)
                nodes.append(node)
        return Update(self.table, tuple(names), tuple(nodes), self.where_clause, self.returning_items)

    def where(self, *conditions: object) -> Update:
        return Update(self.table, self.set_names, self.set_values, _and_more(self.where_clause, conditions),
                      self.returning_items)

    def returning(self, *items: object) -> Update:
        """``RETURNING items``; compiling raises ``UnsupportedFeatureError`` where UPDATE has none
        (MySQL, MariaDB, SQLite before 3.35)."""
        return Update(self.table, self.set_names, self.set_values, self.where_clause,
                      returning_items(self.target, items))


def _and_more(current: Optional[Node], conditions: tuple[object, ...]) -> Optional[Node]:
    if current is None:
        return _conditions(conditions)
    return and_(current, *conditions) if conditions else current


def update(table: Table) -> Update:
    """``UPDATE table``; add ``.values(...)`` and usually ``.where(...)``."""
    return Update(dml_table(table, "update"), (), ())
