"""Expressions: values, operators and predicates over columns (SQL functions: ``functions``).

Every class here is a node of ``covet._speedups.sqlnodes`` (plain data the compiler reads in C)
with Python behaviour added: ``users.c.age >= 18`` builds a ``BinaryExpression``, ``&``, ``|``
and ``~`` combine conditions, and methods cover the rest (``in_``, ``between``, ``like``,
``is_null``, ``desc``, ``label`` …). Values never become SQL text: anything that is not a node is
wrapped in a ``Param`` and sent as a bound parameter.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Optional, Union

from covet._speedups import sqlnodes as _k
from covet._speedups.sqlcompile import CompiledQuery
from covet.db.dialects import (
    Dialect,
    check_identifier,
    check_type_name,
    get_dialect,
)
from covet.db.query import nodes

if TYPE_CHECKING:
    from covet.db.query.select import Select

__all__ = [
    "Between",
    "BinaryExpression",
    "BooleanClause",
    "Case",
    "Cast",
    "Compilable",
    "Constant",
    "Excluded",
    "Exists",
    "InList",
    "InSelect",
    "Label",
    "Like",
    "NullTest",
    "Operators",
    "Ordering",
    "Param",
    "ScalarSelect",
    "UnaryExpression",
    "and_",
    "asc",
    "case",
    "cast",
    "coerce",
    "desc",
    "excluded",
    "exists",
    "false",
    "literal",
    "not_",
    "null",
    "or_",
    "true",
]

Node = _k.Node


class Compilable(_k.Node):
    """Anything that compiles on its own: statements, and expressions for inspection."""

    __slots__ = ()

    def compile(self, dialect: Union[str, Dialect]) -> CompiledQuery:
        """``CompiledQuery(sql, params)`` for ``dialect`` (a name or a ``Dialect``)."""
        return get_dialect(dialect).compile(self)

    def __str__(self) -> str:
        return get_dialect("postgresql").compile(self).sql

    def __repr__(self) -> str:
        try:
            sql = str(self)
        except Exception:  # an unfinished statement (an UPDATE without values) still needs a repr
            return object.__repr__(self)
        return f"<{type(self).__name__} {sql}>"


def coerce(value: object) -> Node:
    """``value`` as a node: nodes as they are, a select as a scalar subquery, else a parameter."""
    if isinstance(value, _k.Node):
        if value.kind == _k.K_SELECT or value.kind == _k.K_COMPOUND:
            return ScalarSelect(value)
        return value
    return Param(value)


def _conditions(conditions: Sequence[object]) -> Optional[Node]:
    if not conditions:
        return None
    return coerce(conditions[0]) if len(conditions) == 1 else and_(*conditions)


class Operators(Compilable):
    """SQL operators for value expressions (columns, parameters, functions, results of operators)."""

    __slots__ = ()
    __hash__ = Compilable.__hash__  # defining __eq__ would otherwise make expressions unhashable

    # -- comparisons: None compares with IS [NOT] NULL --------------------------------------------

    def __eq__(self, other: object) -> Operators:  # type: ignore[override]
        if other is None:
            return NullTest(self, False)
        return BinaryExpression(_k.OP_EQ, self, coerce(other))

    def __ne__(self, other: object) -> Operators:  # type: ignore[override]
        if other is None:
            return NullTest(self, True)
        return BinaryExpression(_k.OP_NE, self, coerce(other))

    def __lt__(self, other: object) -> BinaryExpression:
        return BinaryExpression(_k.OP_LT, self, coerce(other))

    def __le__(self, other: object) -> BinaryExpression:
        return BinaryExpression(_k.OP_LE, self, coerce(other))

    def __gt__(self, other: object) -> BinaryExpression:
        return BinaryExpression(_k.OP_GT, self, coerce(other))

    def __ge__(self, other: object) -> BinaryExpression:
        return BinaryExpression(_k.OP_GE, self, coerce(other))

    # -- arithmetic --------------------------------------------------------------------------------

    def __add__(self, other: object) -> BinaryExpression:
        return BinaryExpression(_k.OP_ADD, self, coerce(other))

    def __radd__(self, other: object) -> BinaryExpression:
        return BinaryExpression(_k.OP_ADD, coerce(other), self)

    def __sub__(self, other: object) -> BinaryExpression:
        return BinaryExpression(_k.OP_SUB, self, coerce(other))

    def __rsub__(self, other: object) -> BinaryExpression:
        return BinaryExpression(_k.OP_SUB, coerce(other), self)

    def __mul__(self, other: object) -> BinaryExpression:
        return BinaryExpression(_k.OP_MUL, self, coerce(other))

    def __rmul__(self, other: object) -> BinaryExpression:
        return BinaryExpression(_k.OP_MUL, coerce(other), self)

    def __truediv__(self, other: object) -> BinaryExpression:
        return BinaryExpression(_k.OP_DIV, self, coerce(other))

    def __rtruediv__(self, other: object) -> BinaryExpression:
        return BinaryExpression(_k.OP_DIV, coerce(other), self)

    def __mod__(self, other: object) -> BinaryExpression:
        return BinaryExpression(_k.OP_MOD, self, coerce(other))

    def __rmod__(self, other: object) -> BinaryExpression:
        return BinaryExpression(_k.OP_MOD, coerce(other), self)

    def __neg__(self) -> UnaryExpression:
        return UnaryExpression(_k.OP_NEG, self)

    def concat(self, other: object) -> BinaryExpression:
        """String concatenation: ``a || b`` (``CONCAT(a, b)`` on MySQL)."""
        return BinaryExpression(_k.OP_CONCAT, self, coerce(other))

    # -- boolean logic -----------------------------------------------------------------------------

    def __and__(self, other: object) -> BooleanClause:
        return and_(self, other)

    def __rand__(self, other: object) -> BooleanClause:
        return and_(other, self)

    def __or__(self, other: object) -> BooleanClause:
        return or_(self, other)

    def __ror__(self, other: object) -> BooleanClause:
        return or_(other, self)

    def __invert__(self) -> Operators:
        return not_(self)

    # -- predicates --------------------------------------------------------------------------------

    def in_(self, values: Union[Iterable[object], Select]) -> Operators:
        """``IN (values)`` (bound one by one, or as one array on PostgreSQL) or ``IN (SELECT …)``."""
        return _in(self, values, False)

    def not_in(self, values: Union[Iterable[object], Select]) -> Operators:
        return _in(self, values, True)

    def between(self, low: object, high: object) -> Between:
        return Between(self, coerce(low), coerce(high), False)

    def not_between(self, low: object, high: object) -> Between:
        return Between(self, coerce(low), coerce(high), True)

    def like(self, pattern: object, escape: Optional[str] = None) -> Like:
        return Like(self, coerce(pattern), _escape(escape), False, False)

    def not_like(self, pattern: object, escape: Optional[str] = None) -> Like:
        return Like(self, coerce(pattern), _escape(escape), True, False)

    def ilike(self, pattern: object, escape: Optional[str] = None) -> Like:
        """Case-insensitive LIKE: ``ILIKE`` on PostgreSQL, ``LOWER(a) LIKE LOWER(b)`` elsewhere."""
        return Like(self, coerce(pattern), _escape(escape), False, True)

    def not_ilike(self, pattern: object, escape: Optional[str] = None) -> Like:
        return Like(self, coerce(pattern), _escape(escape), True, True)

    def contains(self, text: str) -> Like:
        """``LIKE '%text%'`` with ``%``, ``_`` and the escape character in ``text`` matched literally."""
        return Like(self, Param(f"%{_like_escape(text)}%"), Param(_LIKE_ESCAPE), False, False)

    def startswith(self, text: str) -> Like:
        return Like(self, Param(f"{_like_escape(text)}%"), Param(_LIKE_ESCAPE), False, False)

    def endswith(self, text: str) -> Like:
        return Like(self, Param(f"%{_like_escape(text)}"), Param(_LIKE_ESCAPE), False, False)

    def is_null(self) -> NullTest:
        return NullTest(self, False)

    def is_not_null(self) -> NullTest:
        return NullTest(self, True)

    # -- ordering, naming, typing ------------------------------------------------------------------

    def asc(self, nulls: Optional[str] = None) -> Ordering:
        """For ORDER BY; ``nulls`` is ``"first"`` or ``"last"`` (emulated where unsupported)."""
        return Ordering(self, False, _nulls(nulls))

    def desc(self, nulls: Optional[str] = None) -> Ordering:
        return Ordering(self, True, _nulls(nulls))

    def label(self, name: str) -> Label:
        """``expr AS name`` in a select list; the name alone where it is referenced again."""
        return Label(self, name)

    def cast(self, type_name: str) -> Cast:
        return Cast(self, type_name)


_LIKE_ESCAPE = "!"


def _like_escape(text: str) -> str:
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def _escape(escape: Optional[str]) -> Optional[Node]:
    if escape is None:
        return None
    if not isinstance(escape, str) or len(escape) != 1:
        raise ValueError(f"a LIKE escape is one character, not {escape!r}")
    return Param(escape)


def _nulls(nulls: Optional[str]) -> int:
    if nulls is None:
        return _k.NULLS_DEFAULT
    if nulls == "first":
        return _k.NULLS_FIRST
    if nulls == "last":
        return _k.NULLS_LAST
    raise ValueError(f"nulls must be 'first' or 'last', not {nulls!r}")


# PostgreSQL array element types for IN-lists sent as one array parameter, by the values'
# Python type (when the column does not declare its own type).
_ARRAY_TYPES: dict[type, str] = {
    int: "bigint",
    str: "text",
    float: "double precision",
    bool: "boolean",
    uuid.UUID: "uuid",
    decimal.Decimal: "numeric",
    datetime.date: "date",
}
# Column types whose cast would change values (length limits, sequences): cast to the base type.
_ARRAY_BASE_TYPES = {"serial": "integer", "bigserial": "bigint", "smallserial": "smallint",
                     "char": "bpchar", "character": "bpchar"}


def _array_type(operand: Node, values: tuple[Any, ...]) -> Optional[str]:
    if isinstance(operand, _k.ColumnNode) and operand.sql_type is not None:
        if operand.sql_type.endswith("[]"):
            return None  # an array column: IN compares whole arrays, leave it expanded
        base = operand.sql_type.split("(", 1)[0].strip().lower()
        return _ARRAY_BASE_TYPES.get(base, base)
    kinds = set(map(type, values))
    if len(kinds) != 1:
        return None
    return _ARRAY_TYPES.get(kinds.pop())


def _in(operand: Node, values: Union[Iterable[object], Select], negate: bool) -> Operators:
    if isinstance(values, _k.Node):
        if values.kind != _k.K_SELECT and values.kind != _k.K_COMPOUND:
            raise TypeError(f"in_() takes values or a select(), not {values!r}")
        return InSelect(operand, values, negate)
    if isinstance(values, (str, bytes)):
        raise TypeError(f"in_() takes a collection of values, not the single value {values!r}")
    items = tuple(values)
    for item in items:
        if isinstance(item, _k.Node):
            raise TypeError(
                f"in_() compares with values; to compare with expressions use or_(x == a, x == b) ({item!r})"
            )
    return InList(operand, items, negate, _array_type(operand, items))


# -- the node classes ----------------------------------------------------------------------------


class Param(Operators, _k.ParamNode):
    """A value, always sent as a bound parameter."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Param({self.value!r})"


class Constant(Operators, _k.ConstNode):
    """A keyword constant: NULL, TRUE, FALSE or ``*``."""

    __slots__ = ()


class BinaryExpression(Operators, _k.BinaryNode):
    __slots__ = ()

    def __bool__(self) -> bool:
        # `column in [a, b]` calls ==; answer it by identity, as Python would. Anything else is
        # a mistake like `a == 1 and b == 2`, which must be written (a == 1) & (b == 2).
        if self.op == _k.OP_EQ:
            return self.left is self.right
        if self.op == _k.OP_NE:
            return self.left is not self.right
        raise TypeError("an SQL expression has no truth value: combine conditions with & | ~, not and/or/not")


class BooleanClause(Operators, _k.BoolNode):
    __slots__ = ()


class UnaryExpression(Operators, _k.UnaryNode):
    __slots__ = ()


class NullTest(Operators, _k.NullTestNode):
    __slots__ = ()


class InList(Operators, _k.InListNode):
    __slots__ = ()


class InSelect(Operators, nodes.InSelectNode):
    __slots__ = ()


class Between(Operators, nodes.BetweenNode):
    __slots__ = ()


class Like(Operators, _k.LikeNode):
    __slots__ = ()


class Case(Operators, nodes.CaseNode):
    __slots__ = ()


class Cast(Operators, nodes.CastNode):
    __slots__ = ()

    def __init__(self, operand: Node, type_name: str) -> None:
        super().__init__(operand, check_type_name(type_name))


class Label(Operators, _k.LabelNode):
    __slots__ = ()

    def __init__(self, element: Node, name: str) -> None:
        super().__init__(element, str(check_identifier(name, "label")))


class Ordering(Compilable, _k.OrderNode):
    __slots__ = ()


class ScalarSelect(Operators, nodes.ScalarNode):
    """A select used as a value, ``(SELECT …)``; it should return one column and at most one row."""

    __slots__ = ()


class Exists(Operators, nodes.ExistsNode):
    __slots__ = ()


class Excluded(Operators, nodes.ExcludedNode):
    """In ``on_conflict_do_update``'s values: the value the INSERT proposed for a column."""

    __slots__ = ()

    def __init__(self, name: str) -> None:
        super().__init__(str(check_identifier(name, "column name")))


# -- functions that build expressions ------------------------------------------------------------


def literal(value: object) -> Param:
    """``value`` as a bound parameter, e.g. to select a constant: ``select(literal(1))``."""
    return Param(value)


def null() -> Constant:
    return Constant(_k.C_NULL)


def true() -> Constant:
    return Constant(_k.C_TRUE)


def false() -> Constant:
    return Constant(_k.C_FALSE)


STAR = Constant(_k.C_STAR)


def and_(*conditions: object) -> BooleanClause:
    """All of ``conditions`` (nested ANDs are flattened); ``and_()`` is TRUE."""
    return BooleanClause(_k.OP_AND, _flatten(_k.OP_AND, conditions))


def or_(*conditions: object) -> BooleanClause:
    """Any of ``conditions``; ``or_()`` is FALSE."""
    return BooleanClause(_k.OP_OR, _flatten(_k.OP_OR, conditions))


def _flatten(op: int, conditions: tuple[object, ...]) -> tuple[Node, ...]:
    items: list[Node] = []
    for condition in conditions:
        node = coerce(condition)
        if isinstance(node, _k.BoolNode) and node.op == op:
            items.extend(node.items)
        else:
            items.append(node)
    return tuple(items)


def not_(condition: object) -> Operators:
    node = coerce(condition)
    if isinstance(node, _k.NullTestNode):
        return NullTest(node.operand, not node.negate)
    if isinstance(node, _k.InListNode):
        return InList(node.operand, node.values, not node.negate, node.array_type)
    if isinstance(node, nodes.InSelectNode):
        return InSelect(node.operand, node.select, not node.negate)
    return UnaryExpression(_k.OP_NOT, node)


def exists(select: Select) -> Exists:
    """``EXISTS (SELECT …)``; ``~exists(...)`` is ``NOT EXISTS``."""
    return Exists(select)


def case(*whens: tuple[object, object], else_: object = None) -> Case:
    """``CASE WHEN c1 THEN r1 … ELSE e END`` from ``(condition, result)`` pairs."""
    if not whens:
        raise ValueError("case() needs at least one (condition, result) pair")
    flat: list[Node] = []
    for pair in whens:
        condition, result = pair
        flat.append(coerce(condition))
        flat.append(coerce(result))
    return Case(tuple(flat), None if else_ is None else coerce(else_))


def cast(value: object, type_name: str) -> Cast:
    """``CAST(value AS type_name)``; the type is checked to be a plain type name."""
    return Cast(coerce(value), type_name)


def asc(value: object, nulls: Optional[str] = None) -> Ordering:
    return Ordering(coerce(value), False, _nulls(nulls))


def desc(value: object, nulls: Optional[str] = None) -> Ordering:
    return Ordering(coerce(value), True, _nulls(nulls))


def excluded(name: Union[str, _k.ColumnNode]) -> Excluded:
    """The value an upsert's INSERT proposed for column ``name`` (``EXCLUDED.name``)."""
    return Excluded(name.name if isinstance(name, _k.ColumnNode) else name)
