"""Where the three databases differ for the ORM: column types, date parts, case-sensitive matching.

One ``Operations`` subclass per backend, holding facts and the few expressions that must be
written differently; the rest of the ORM asks these objects instead of testing backend names.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, ClassVar, Optional

from covet.db.query import cast, func
from covet.db.query.expressions import Node, Operators, Param
from covet.orm.errors import FieldError

if TYPE_CHECKING:
    from covet.orm.fields import Field

__all__ = ["DATE_PARTS", "Operations", "array_type", "operations_for", "unnest_type"]

#: The date-part transforms a lookup can use: ``published__year=2024``.
DATE_PARTS = ("year", "quarter", "month", "day", "week_day", "hour", "minute", "second", "date")

# PostgreSQL types: used for DDL there, and everywhere as the element type of IN-list arrays.
_PG_TYPES: dict[str, str] = {
    "AutoField": "integer",
    "BigAutoField": "bigint",
    "IntegerField": "integer",
    "SmallIntegerField": "smallint",
    "BigIntegerField": "bigint",
    "FloatField": "double precision",
    "BooleanField": "boolean",
    "TextField": "text",
    "DateField": "date",
    "TimeField": "time",
    "DateTimeField": "timestamptz",
    "UUIDField": "uuid",
    "JSONField": "jsonb",
    "BinaryField": "bytea",
}


def _sized_type(field: Field, types: dict[str, str]) -> str:
    kind = field.internal_type
    if kind == "CharField":
        return f"varchar({field.max_length})"  # type: ignore[attr-defined]
    if kind == "DecimalField":
        return f"numeric({field.max_digits}, {field.decimal_places})"  # type: ignore[attr-defined]
    if kind == "EnumField":
        if field.integer:  # type: ignore[attr-defined]
            return types["IntegerField"]
        return f"varchar({field.max_length})"  # type: ignore[attr-defined]
    if kind in ("ForeignKey", "OneToOneField"):
        return _sized_type(field.target_field, types)  # type: ignore[attr-defined]
    try:
        return types[kind]
    except KeyError:
        raise FieldError(f"no column type for {type(field).__name__}") from None


def array_type(field: Field) -> Optional[str]:
    """The SQL type the query builder may cast an IN-list array to (PostgreSQL), or None."""
    if field.internal_type in ("JSONField", "BinaryField"):
        return None
    base = _sized_type(field, _PG_TYPES)
    return None if base.endswith("[]") else base


# The element types of the arrays ``bulk_update`` sends on PostgreSQL, unsized: an explicit cast to
# varchar(n) or numeric(p, s) would truncate or round, the column's assignment checks instead.
_UNNEST_TYPES: dict[str, str] = {**_PG_TYPES, "CharField": "text", "DecimalField": "numeric"}


def unnest_type(field: Field) -> Optional[str]:
    """The array element type ``bulk_update`` may send ``field``'s values as (PostgreSQL), or
    None when they must go as single parameters."""
    kind = field.internal_type
    if kind == "EnumField":
        return _PG_TYPES["IntegerField"] if field.integer else "text"  # type: ignore[attr-defined]
    if kind in ("ForeignKey", "OneToOneField"):
        return unnest_type(field.target_field)  # type: ignore[attr-defined]
    return _UNNEST_TYPES.get(kind)


class Operations(abc.ABC):
    """What the ORM must know about one backend."""

    name: ClassVar[str] = ""
    types: ClassVar[dict[str, str]] = {}
    #: DDL inside a transaction is rolled back with it.
    transactional_ddl: ClassVar[bool] = True
    #: Bound parameters one statement may carry (bulk inserts are split to stay below).
    max_params: ClassVar[int] = 32766
    #: CASE expressions of bound values need a cast to the column's type (PostgreSQL types them).
    cast_case_values: ClassVar[bool] = False
    #: ``bulk_update`` joins the rows as arrays (``UPDATE … FROM unnest(…)``): one statement
    #: whose text does not depend on the number of rows, so it stays prepared.
    update_from_arrays: ClassVar[bool] = False

    def column_type(self, field: Field) -> str:
        return _sized_type(field, self.types)

    @abc.abstractmethod
    def auto_column(self, field: Field) -> str:
        """The column definition of an auto-increment primary key."""

    @abc.abstractmethod
    def date_part(self, part: str, operand: Node) -> Operators:
        """``operand``'s ``part`` (one of DATE_PARTS) as an integer (a date for ``date``)."""

    # Case-sensitive substring tests; ``text`` is the literal string to find.
    def contains(self, operand: Any, text: str) -> Operators:
        return operand.contains(text)  # type: ignore[no-any-return]

    def startswith(self, operand: Any, text: str) -> Operators:
        return operand.startswith(text)  # type: ignore[no-any-return]

    def endswith(self, operand: Any, text: str) -> Operators:
        return operand.endswith(text)  # type: ignore[no-any-return]


class PostgreSQLOperations(Operations):
    name = "postgresql"
    types = _PG_TYPES
    cast_case_values = True
    update_from_arrays = True

    def auto_column(self, field: Field) -> str:
        return f"{self.column_type(field)} GENERATED BY DEFAULT AS IDENTITY"

    _PARTS: ClassVar[dict[str, str]] = {
        "year": "year",
        "quarter": "quarter",
        "month": "month",
        "day": "day",
        "week_day": "dow",
        "hour": "hour",
        "minute": "minute",
        "second": "second",
    }

    def date_part(self, part: str, operand: Node) -> Operators:
        if part == "date":
            return cast(operand, "date")
        value = cast(func.date_part(Param(self._PARTS[part]), operand), "integer")
        return value + 1 if part == "week_day" else value  # Sunday is 1, as in Django


class SQLiteOperations(Operations):
    name = "sqlite"
    types: ClassVar[dict[str, str]] = {
        **_PG_TYPES,
        "AutoField": "integer",
        "BigAutoField": "integer",
        "FloatField": "real",
        "BooleanField": "BOOLEAN",
        "DateField": "DATE",
        "TimeField": "TIME",
        "DateTimeField": "DATETIME",
        "UUIDField": "UUID",
        "JSONField": "JSON",
        "BinaryField": "blob",
    }

    def column_type(self, field: Field) -> str:
        if field.internal_type == "DecimalField":
            return "DECIMAL"  # numeric affinity: compares as a number (values come back as Decimal)
        return super().column_type(field)

    def auto_column(self, field: Field) -> str:
        return "integer PRIMARY KEY AUTOINCREMENT"

    _FORMATS: ClassVar[dict[str, str]] = {
        "year": "%Y",
        "month": "%m",
        "day": "%d",
        "week_day": "%w",
        "hour": "%H",
        "minute": "%M",
        "second": "%S",
    }

    def date_part(self, part: str, operand: Node) -> Operators:
        if part == "date":
            return func.date(operand)
        if part == "quarter":
            month = cast(func.strftime(Param("%m"), operand), "integer")
            return cast((month + 2) / 3, "integer")
        value = cast(func.strftime(Param(self._FORMATS[part]), operand), "integer")
        return value + 1 if part == "week_day" else value

    # SQLite's LIKE ignores ASCII case: substr/instr compare exactly.
    def contains(self, operand: Any, text: str) -> Operators:
        return func.instr(operand, Param(text)) > 0

    def startswith(self, operand: Any, text: str) -> Operators:
        if not text:
            return operand.is_not_null()  # type: ignore[no-any-return]
        return func.substr(operand, 1, len(text)) == text

    def endswith(self, operand: Any, text: str) -> Operators:
        if not text:
            return operand.is_not_null()  # type: ignore[no-any-return]
        return func.substr(operand, -len(text)) == text


class MySQLOperations(Operations):
    name = "mysql"
    transactional_ddl = False
    max_params = 65535
    types: ClassVar[dict[str, str]] = {
        **_PG_TYPES,
        "FloatField": "double precision",
        "BooleanField": "bool",
        "TextField": "longtext",
        "TimeField": "time(6)",
        "DateTimeField": "datetime(6)",
        "UUIDField": "char(36)",
        "JSONField": "json",
        "BinaryField": "longblob",
    }

    def auto_column(self, field: Field) -> str:
        return f"{self.column_type(field)} AUTO_INCREMENT"

    _FUNCTIONS: ClassVar[dict[str, str]] = {
        "year": "year",
        "quarter": "quarter",
        "month": "month",
        "day": "dayofmonth",
        "week_day": "dayofweek",
        "hour": "hour",
        "minute": "minute",
        "second": "second",
        "date": "date",
    }

    def date_part(self, part: str, operand: Node) -> Operators:
        function: Operators = getattr(func, self._FUNCTIONS[part])(operand)
        return function

    # The default collations ignore case: compare the bytes.
    def contains(self, operand: Any, text: str) -> Operators:
        return cast(operand, "binary").contains(text)

    def startswith(self, operand: Any, text: str) -> Operators:
        return cast(operand, "binary").startswith(text)

    def endswith(self, operand: Any, text: str) -> Operators:
        return cast(operand, "binary").endswith(text)


_OPERATIONS: dict[str, Operations] = {
    ops.name: ops for ops in (PostgreSQLOperations(), SQLiteOperations(), MySQLOperations())
}


def operations_for(backend: str) -> Operations:
    return _OPERATIONS[backend]
