"""``QuerySet.aggregate()``: one query, over a subquery when the QuerySet's rows are not plain rows.

Over a filtered QuerySet the aggregates run in its own SELECT. When it is distinct, sliced or
grouped (aggregate annotations), that would be wrong: ``SELECT DISTINCT SUM(x)`` still sums
every joined row, a LIMIT applies to the one result row, and an aggregate of an aggregate is
not SQL. Then, as Django does, the QuerySet becomes a subquery (its columns, plus each
aggregate's argument as a labelled column) and the aggregates run over its rows. A ``filter=``
moves inside as ``CASE WHEN condition THEN argument END``: aggregates skip the NULLs it gives,
which is what ``FILTER (WHERE …)`` means.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from covet.db.query import func, select
from covet.db.query.expressions import STAR, Param, case
from covet.orm import connection
from covet.orm.expressions import Aggregate, Expression
from covet.orm.query import QueryCompiler

if TYPE_CHECKING:
    from covet.db import Database
    from covet.orm.connection import DatabaseInfo
    from covet.orm.query import QueryState

__all__ = ["aggregate_query", "needs_subquery", "run_aggregate"]


def needs_subquery(state: QueryState) -> bool:
    """True when the aggregates must run over the QuerySet's rows as a subquery."""
    return state.distinct or state.is_sliced or state.grouped


def aggregate_query(state: QueryState, named: dict[str, Expression], info: DatabaseInfo) -> Any:
    """The SELECT computing ``named`` (name -> aggregate) over the QuerySet described by ``state``."""
    if not needs_subquery(state):
        merged = state.copy(annotations={**state.annotations, **named})
        compiler = QueryCompiler(merged, info)
        columns = [compiler.annotation(name) for name in named]
        return compiler.select(columns, ordered=False, annotations=False)
    inner = QueryCompiler(state, info)
    if state.values is not None:
        columns = [column.label(f"__v{i}") for i, column in enumerate(inner.value_columns())]  # type: ignore[attr-defined]
    elif state.distinct:
        columns = inner.model_columns(inner.base, inner.model)
    else:
        columns = [inner.base.c[inner.model._meta.pk.column]]
    aggregates: list[tuple[Aggregate, bool]] = []  # (aggregate, whether it reads a column)
    for index, expression in enumerate(named.values()):
        if not isinstance(expression, Aggregate):
            raise TypeError(
                f"aggregate() over a distinct, sliced or annotated QuerySet takes Count, Sum, Avg, "
                f"Min or Max, not {expression!r}"
            )
        argument = _argument(inner, expression)
        if argument is not None:
            columns.append(argument.label(f"__a{index}"))
        aggregates.append((expression, argument is not None))
    rows = inner.select(columns, ordered=state.is_sliced, annotations=state.values is None).subquery(
        "aggregated"
    )
    calls = [
        getattr(func, aggregate.function)(rows.c[f"__a{index}"], distinct=aggregate.distinct)
        if reads
        else func.count()
        for index, (aggregate, reads) in enumerate(aggregates)
    ]
    return select(*calls).select_from(rows)


def _argument(inner: QueryCompiler, expression: Aggregate) -> Any:
    """The value an aggregate reads, as a column of the subquery; None for a plain ``COUNT(*)``."""
    node = inner.aggregate_argument(expression.expression)
    if expression.filter is None:
        return None if node is STAR else node
    condition = inner.condition(expression.filter, aggregate=True)
    return case((condition, Param(1) if node is STAR else node))


async def run_aggregate(
    db: Database, info: DatabaseInfo, state: QueryState, named: dict[str, Expression]
) -> dict[str, Any]:
    """``{name: value}`` of the aggregates ``named`` over the QuerySet described by ``state``."""
    query = info.dialect.compile(aggregate_query(state, named, info))
    rows = await connection.fetch_all(db, query.sql, query.params)
    row = rows[0] if rows else (None,) * len(named)
    return dict(zip(named, row, strict=True))
