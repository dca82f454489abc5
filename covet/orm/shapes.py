"""The SELECTs of QuerySet shapes, compiled once per (model, database).

Most queries an app runs come from a handful of QuerySets written in its code —
``Fortune.objects.all()``, ``Book.objects.filter(author_id=...)`` — whose SQL text is the same
on every call, only their filter values change. ``shape_of(state)`` describes such a state as a
hashable key (everything that changes the SQL: filters and their lookups, ordering, slicing,
select_related, values(), locks, distinct …) plus the filter values in the order their
parameters appear; ``compile_shape`` compiles a state once and records, per filter value, how
it becomes its parameter. The next QuerySet of the same shape skips the compiler entirely.

Only shapes whose SQL cannot depend on a value are described (annotations, ``having``,
expressions as values or in ``order_by``, ``in`` lists, transforms … are compiled per call as
before), and a shape is kept only if the parameters rebuilt from its values equal the ones the
compiler made.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Optional, Union

from covet.orm.expressions import Q
from covet.orm.lookups import LOOKUPS
from covet.orm.multivalued import multivalued_step
from covet.orm.query import QueryCompiler, QueryState, RelatedNode

if TYPE_CHECKING:
    from covet.orm.connection import DatabaseInfo

__all__ = ["CompiledShape", "compile_shape", "shape_of"]

Converter = Callable[[Any], Any]

#: Shapes kept per database; past it, further shapes compile per call (a bound for apps that
#: build many, e.g. by slicing at ever new offsets).
MAX_SHAPES = 1024

# Values whose type alone decides how they compile (a bound parameter of the field's to_db).
# bool is in the key by value: ``isnull=True`` and ``isnull=False`` are different SQL.
_SCALARS = frozenset(
    {int, str, float, bytes, decimal.Decimal, datetime.date, datetime.datetime, datetime.time, uuid.UUID}
)
# Lookups compiled to ``column <op> parameter``: one parameter, the field's db value.
_ONE_PARAMETER = frozenset({"exact", "gt", "gte", "lt", "lte"})


class CompiledShape(NamedTuple):
    """A shape's SQL and how a call's filter values become its parameters."""

    sql: str
    #: Per filter value: its field's ``to_db``, or None when the value is in the SQL (IS NULL).
    converters: tuple[Optional[Converter], ...]
    #: The parameters after the filters' (LIMIT, OFFSET), the same for every call of the shape.
    tail: tuple[Any, ...]
    #: Where the select_related models are in a row (None for values()).
    tree: Optional[RelatedNode]
    #: What to send when there are no parameters: None (the driver then takes the SQL as it is,
    #: the cheaper path on PostgreSQL) unless the SQL has a ``%`` (then doubled, so ``()``).
    no_params: Optional[tuple[()]]

    def params(self, values: list[Any]) -> Union[tuple[Any, ...], None, Literal[False]]:
        """The parameters for ``values``; False when a value converts to NULL (compile this call)."""
        if not self.converters:
            return self.tail or self.no_params
        converted = _convert(self.converters, values)
        return False if converted is None else (*converted, *self.tail)


def _convert(converters: tuple[Optional[Converter], ...], values: list[Any]) -> Optional[tuple[Any, ...]]:
    """The filter values' parameters, or None when one converts to NULL (``exact`` would be IS NULL)."""
    params = []
    for convert, value in zip(converters, values, strict=True):
        if convert is not None:
            converted = convert(value)
            if converted is None:
                return None
            params.append(converted)
    return tuple(params)


def shape_of(state: QueryState) -> Optional[tuple[Any, list[Any]]]:
    """(key, filter values) for a state whose SQL depends only on the key, else None."""
    if state.annotations or state.having:
        return None
    ordering = state.ordering
    if ordering is not None:
        for item in ordering:
            if item.__class__ is not str:
                return None
    values: list[Any] = []
    where: Any = ()
    if state.where:
        described = []
        for q in state.where:
            part = _describe(q, values)
            if part is None:
                return None
            described.append(part)
        where = tuple(described)
    key = (
        state.model,
        where,
        ordering,
        state.low,
        state.high,
        state.distinct,
        state.related,
        state.values,
        state.values_mode,
        state.lock,
    )
    return key, values


def _describe(q: Q, values: list[Any]) -> Optional[tuple[Any, ...]]:
    parts: list[Any] = [q.connector, q.negated]
    for child in q.children:
        if isinstance(child, Q):
            inner = _describe(child, values)
            if inner is None:
                return None
            parts.append(inner)
        elif child.__class__ is tuple:
            lookup, value = child
            kind = value.__class__
            if kind is bool or value is None:
                parts.append((lookup, value))
            elif kind in _SCALARS:
                parts.append((lookup, kind))
            else:
                return None  # expressions, querysets, lists, model instances: compiled per call
            values.append(value)
        else:
            return None  # Exists(...) and other boolean expressions
    return tuple(parts)


def compile_shape(
    state: QueryState, info: DatabaseInfo, key: Any, values: list[Any]
) -> Optional[CompiledShape]:
    """Compile ``state`` (of shape ``key``) and remember it in ``info.select_shapes``: the shape,
    or None when it must be compiled per call (remembered as False, so the check is not repeated)."""
    cache = info.select_shapes
    if len(cache) >= MAX_SHAPES:
        return None
    converters = _converters(state, info)
    shape: Optional[CompiledShape] = None
    if converters is not None:
        compiler = QueryCompiler(state, info)
        tree: Optional[RelatedNode] = None
        if state.values is not None:
            query = info.dialect.compile(compiler.select(compiler.value_columns()))
        else:
            columns, tree = compiler.related_columns()
            query = info.dialect.compile(compiler.select(columns))
        compiled = tuple(query.params)
        filter_params = _convert(converters, values)
        if filter_params is None:
            return None  # this call's value converts to NULL: decide on another call
        if compiled[: len(filter_params)] == filter_params:
            tail = compiled[len(filter_params) :]
            shape = CompiledShape(query.sql, converters, tail, tree, () if "%" in query.sql else None)
    cache[key] = shape or False
    return shape


def _converters(state: QueryState, info: DatabaseInfo) -> Optional[tuple[Optional[Converter], ...]]:
    """Per filter value (in the order of ``shape_of``), how it becomes its parameter; None when
    a lookup of the state is not one parameter of the field's db value."""
    scratch = QueryCompiler(state, info)  # for walking paths only: its joins are thrown away
    converters: list[Optional[Converter]] = []

    def visit(q: Q, negated: bool) -> bool:
        negated = negated or q.negated
        for child in q.children:
            if isinstance(child, Q):
                if not visit(child, negated):
                    return False
                continue
            key, value = child
            parts = key.split("__")
            if negated and multivalued_step(state.model, parts) is not None:
                return False  # an EXISTS subquery (see covet.orm.multivalued)
            found = scratch.walk(parts)
            if len(found.rest) > 1 or (found.rest and found.rest[0] not in LOOKUPS):
                return False  # a transform (date parts); walk() or the compiler explains errors
            name = found.rest[0] if found.rest else "exact"
            if name == "isnull" or (name == "exact" and value is None):
                converters.append(None)
            elif name in _ONE_PARAMETER and value is not None:
                converters.append(found.field.to_db)
            else:
                return False
        return True

    for q in state.where:
        if not visit(q, False):
            return None
    return tuple(converters)
