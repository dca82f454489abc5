"""The query builder: tables, expressions and statements, compiled per dialect to SQL + parameters.

    from covet.db.query import Table, Column, select, insert, func

    users = Table("users", Column("id", "integer", primary_key=True), Column("name"),
                  Column("age", "integer"))
    query = select(users.c.id, users.c.name).where(users.c.age >= 18).order_by(users.c.name).limit(10)
    compiled = query.compile("postgresql")
    compiled.sql     # 'SELECT "users"."id", "users"."name" FROM "users" WHERE "users"."age" >= %s ...'
    compiled.params  # (18, 10)

Also compound selects (``union``, ``intersect``, ``except_``), common table expressions
(``select(...).cte(name)`` declared with ``.with_(cte)``, recursive too) and window frames
(``func.sum(x).over(order_by=..., rows=(None, 0))``).

Values are always parameters and identifiers always quoted (and checked). Compiling goes through
``covet._speedups.sqlcompile``, which caches the SQL of each statement shape per dialect: the
same query with other values costs a walk to collect the new parameters.
"""

from covet._speedups.sqlcompile import CompiledQuery
from covet.db.dialects import (
    Dialect,
    InvalidIdentifierError,
    UnsupportedFeatureError,
    dialect_for,
    get_dialect,
    quoted,
)
from covet.db.query.compound import Compound, except_, except_all, intersect, intersect_all, union, union_all
from covet.db.query.delete import Delete, delete
from covet.db.query.expressions import (
    and_,
    asc,
    case,
    cast,
    desc,
    excluded,
    exists,
    false,
    literal,
    not_,
    null,
    or_,
    true,
)
from covet.db.query.functions import func
from covet.db.query.insert import Insert, insert
from covet.db.query.select import CTE, Select, Subquery, select
from covet.db.query.tables import Column, ColumnCollection, Table, UnknownColumnError
from covet.db.query.update import Update, update

__all__ = [
    "CTE",
    "Column",
    "ColumnCollection",
    "CompiledQuery",
    "Compound",
    "Delete",
    "Dialect",
    "Insert",
    "InvalidIdentifierError",
    "Select",
    "Subquery",
    "Table",
    "UnknownColumnError",
    "UnsupportedFeatureError",
    "Update",
    "and_",
    "asc",
    "case",
    "cast",
    "delete",
    "desc",
    "dialect_for",
    "except_",
    "except_all",
    "excluded",
    "exists",
    "false",
    "func",
    "get_dialect",
    "insert",
    "intersect",
    "intersect_all",
    "literal",
    "not_",
    "null",
    "or_",
    "quoted",
    "select",
    "true",
    "union",
    "union_all",
    "update",
]
