"""Tables and columns: ``users = Table("users", Column("id", "integer", primary_key=True), ...)``.

A ``Table`` is what the ORM generates from a model: a name, an optional schema, and columns with
an optional SQL type and primary-key flag. ``users.c.name`` (or ``users.c["name"]``) is a column
usable in expressions; an unknown name raises ``UnknownColumnError`` naming it and the table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Optional

from covet._speedups import sqlnodes as _k
from covet.db.dialects import check_identifier, check_type_name, quoted
from covet.db.query.expressions import Compilable, Operators

__all__ = ["Column", "ColumnCollection", "Table", "UnknownColumnError"]


class UnknownColumnError(AttributeError, KeyError):
    """A column name the table (or subquery) does not have (from ``t.c.name`` or ``t.c["name"]``)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""  # not KeyError's repr of the message


class Column(Operators, _k.ColumnNode):
    """A column; ``Table(...)`` attaches it, after which it renders as ``"table"."name"``.

    ``type`` is the SQL type (``"integer"``, ``"varchar(40)"``): the builder uses it to type
    array parameters; the ORM and migrations may use it and ``primary_key`` for more.
    """

    __slots__ = ("primary_key",)

    def __init__(self, name: str, type: Optional[str] = None, *, primary_key: bool = False) -> None:
        check_identifier(name, "column name")
        super().__init__(str(name), None if type is None else check_type_name(type))
        self.primary_key = primary_key

    def copy(self) -> Column:
        """An unattached column like this one, for aliases (subclasses with more fields override it)."""
        return Column(quoted(self.name), self.sql_type, primary_key=self.primary_key)

    def __repr__(self) -> str:
        table = self.table
        return f"Column({table.ref + '.' if table is not None else ''}{self.name})"


class ColumnCollection:
    """The columns of a table or subquery by name: ``users.c.email`` or ``users.c["email"]``.

    Columns live in the instance ``__dict__``, so ``c.email`` is a plain attribute hit (this is
    on every query's path); only unknown names reach ``__getattr__``, which raises.
    """

    def __init__(self, owner: str, columns: Sequence[Column]) -> None:
        by_name: dict[str, Column] = {}
        for column in columns:
            if column.name in by_name:
                raise ValueError(f"{owner} has two columns named {column.name!r}")
            by_name[column.name] = column
        self.__dict__.update(by_name)
        self.__owner = owner
        self.__columns = by_name

    def __getattr__(self, name: str) -> Column:
        if name.startswith("__"):
            raise AttributeError(name)
        raise self._unknown(name)

    def __getitem__(self, name: str) -> Column:
        try:
            return self.__columns[name]
        except KeyError:
            raise self._unknown(name) from None

    def _unknown(self, name: str) -> UnknownColumnError:
        known = ", ".join(self.__columns) or "none"
        return UnknownColumnError(f"{self.__owner} has no column {name!r} (its columns: {known})")

    def __iter__(self) -> Iterator[Column]:
        return iter(self.__columns.values())

    def __len__(self) -> int:
        return len(self.__columns)

    def __contains__(self, name: object) -> bool:
        return name in self.__columns

    def keys(self) -> list[str]:
        return list(self.__columns)


def _plain(name: Optional[str]) -> Optional[str]:
    return None if name is None else str(name)


class Table(Compilable, _k.TableNode):
    """A table: ``users = Table("users", Column("id", "integer", primary_key=True), Column("name"))``.

    ``users.c.name`` is a column; ``users.alias("u")`` the same table under another name.
    """

    __slots__ = ("c", "columns")

    def __init__(
        self, name: str, *columns: Column, schema: Optional[str] = None, alias: Optional[str] = None
    ) -> None:
        check_identifier(name, "table name")
        if schema is not None:
            check_identifier(schema, "schema name")
        if alias is not None:
            check_identifier(alias, "table alias")
        super().__init__(str(name), _plain(schema), _plain(alias))
        for column in columns:
            column._attach(self)
        self.columns: tuple[Column, ...] = columns
        owner = f"table {self.ref!r}" if alias is None else f"table {name!r} (as {alias!r})"
        self.c = ColumnCollection(owner, columns)

    def alias(self, name: str) -> Table:
        """This table under the name ``name`` (``FROM "users" AS "u"``), with its own columns."""
        schema = None if self.schema is None else quoted(self.schema)  # checked when first given
        columns = (column.copy() for column in self.columns)
        return Table(quoted(self.name), *columns, schema=schema, alias=name)

    @property
    def primary_key(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.primary_key)

    def column(self, name: str) -> Column:
        """The column called ``name``, or ``UnknownColumnError`` naming it and the table."""
        return self.c[name]

    def __repr__(self) -> str:
        alias = f" AS {self.alias_name}" if self.alias_name is not None else ""
        return f"Table({self.name}{alias}: {', '.join(c.name for c in self.columns)})"
