"""DELETE statements: ``delete(users).where(users.c.id == 1).returning(users.c.id)``."""

from __future__ import annotations

from covet._speedups import sqlnodes as _k
from covet.db.query.expressions import Compilable
from covet.db.query.insert import dml_table, returning_items
from covet.db.query.tables import Table
from covet.db.query.update import _and_more

__all__ = ["Delete", "delete"]


class Delete(Compilable, _k.DeleteNode):
    """A DELETE; each method returns a new statement. Without ``where`` it deletes every row."""

    __slots__ = ()

    @property
    def target(self) -> Table:
        return self.table  # type: ignore[return-value]

    def where(self, *conditions: object) -> Delete:
        return Delete(self.table, _and_more(self.where_clause, conditions), self.returning_items)

    def returning(self, *items: object) -> Delete:
        """``RETURNING items``; compiling raises ``UnsupportedFeatureError`` where DELETE has none
        (MySQL, MariaDB before 10.5, SQLite before 3.35)."""
        return Delete(self.table, self.where_clause, returning_items(self.target, items))


def delete(table: Table) -> Delete:
    """``DELETE FROM table``; add ``.where(...)`` unless every row should go."""
    return Delete(dml_table(table, "delete"))
