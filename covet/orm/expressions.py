"""Expressions in ORM queries: ``Q`` conditions, ``F`` field references, aggregates, subqueries.

::

    Book.objects.filter(Q(pages__gt=300) | ~Q(author__name="Ann"))
    Book.objects.filter(pages__gt=F("chapters") * 20)
    await Book.objects.filter(pk=1).update(stock=F("stock") - 1)
    Author.objects.annotate(n=Count("books", filter=Q(books__pages__gt=100)))
    Author.objects.filter(Exists(Book.objects.filter(author=OuterRef("pk"), pages__gt=500)))

Each expression is resolved against a query when it compiles (``resolve(compiler)``): names
become columns (joining tables as the path says), values become bound parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Optional, Union

from covet.db.query import func, not_
from covet.db.query.expressions import Node, Operators, Param, and_, or_

if TYPE_CHECKING:
    from covet.orm.query import QueryCompiler
    from covet.orm.queryset import QuerySet

__all__ = [
    "Aggregate",
    "Avg",
    "Count",
    "Exists",
    "Expression",
    "F",
    "Max",
    "Min",
    "OuterRef",
    "Q",
    "Subquery",
    "Sum",
    "Value",
]


class Expression:
    """Something that resolves to an SQL expression; supports ``+ - * / %`` with values and others."""

    contains_aggregate: ClassVar[bool] = False

    def resolve(self, compiler: QueryCompiler) -> Node:
        raise TypeError(f"{type(self).__name__} cannot be used in a query")

    def _combine(self, op: str, other: object, reverse: bool) -> Combined:
        other_expr = other if isinstance(other, Expression) else Value(other)
        return Combined(other_expr, op, self) if reverse else Combined(self, op, other_expr)

    def __add__(self, other: object) -> Combined:
        return self._combine("+", other, False)

    def __radd__(self, other: object) -> Combined:
        return self._combine("+", other, True)

    def __sub__(self, other: object) -> Combined:
        return self._combine("-", other, False)

    def __rsub__(self, other: object) -> Combined:
        return self._combine("-", other, True)

    def __mul__(self, other: object) -> Combined:
        return self._combine("*", other, False)

    def __rmul__(self, other: object) -> Combined:
        return self._combine("*", other, True)

    def __truediv__(self, other: object) -> Combined:
        return self._combine("/", other, False)

    def __rtruediv__(self, other: object) -> Combined:
        return self._combine("/", other, True)

    def __mod__(self, other: object) -> Combined:
        return self._combine("%", other, False)

    def asc(self) -> OrderBy:
        return OrderBy(self, descending=False)

    def desc(self) -> OrderBy:
        return OrderBy(self, descending=True)


_OPERATORS: dict[str, Callable[[Any, Any], Node]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "%": lambda a, b: a % b,
}


class Combined(Expression):
    """``left op right`` (built by arithmetic on expressions)."""

    def __init__(self, left: Expression, op: str, right: Expression) -> None:
        self.left = left
        self.op = op
        self.right = right

    @property
    def contains_aggregate(self) -> bool:  # type: ignore[override]
        return self.left.contains_aggregate or self.right.contains_aggregate

    def resolve(self, compiler: QueryCompiler) -> Node:
        left = self.left.resolve(compiler)
        right = self.right.resolve(compiler)
        return _OPERATORS[self.op](left, right)

    def __repr__(self) -> str:
        return f"({self.left!r} {self.op} {self.right!r})"


class Value(Expression):
    """A literal value, sent as a bound parameter."""

    def __init__(self, value: object) -> None:
        self.value = value

    def resolve(self, compiler: QueryCompiler) -> Node:
        return Param(self.value)

    def __repr__(self) -> str:
        return f"Value({self.value!r})"


class F(Expression):
    """The value of a field of the row (``F("stock")``, ``F("author__name")``), evaluated by the database."""

    def __init__(self, name: str) -> None:
        self.name = name

    def resolve(self, compiler: QueryCompiler) -> Node:
        return compiler.annotation_or_column(self.name)

    def __repr__(self) -> str:
        return f"F({self.name!r})"


class OuterRef(F):
    """Inside a ``Subquery``/``Exists``: a field of the row of the query around it."""

    def resolve(self, compiler: QueryCompiler) -> Node:
        return compiler.outer_column(self.name)

    def __repr__(self) -> str:
        return f"OuterRef({self.name!r})"


class OrderBy(Expression):
    def __init__(self, expression: Expression, *, descending: bool) -> None:
        self.expression = expression
        self.descending = descending

    def resolve(self, compiler: QueryCompiler) -> Node:
        node: Any = self.expression.resolve(compiler)
        return node.desc() if self.descending else node.asc()  # type: ignore[no-any-return]


class Subquery(Expression):
    """A query used as a value: it must select one column (``values("x")``) and at most one row."""

    def __init__(self, queryset: QuerySet[Any]) -> None:
        self.queryset = queryset

    def resolve(self, compiler: QueryCompiler) -> Node:
        return compiler.subquery(self.queryset).scalar_subquery()


class Exists(Subquery):
    """``EXISTS (subquery)``; ``~Exists(...)`` is ``NOT EXISTS``. For ``filter()`` and ``annotate()``."""

    def __init__(self, queryset: QuerySet[Any], *, negated: bool = False) -> None:
        super().__init__(queryset)
        self.negated = negated

    def __invert__(self) -> Exists:
        return Exists(self.queryset, negated=not self.negated)

    def resolve(self, compiler: QueryCompiler) -> Node:
        node = compiler.subquery(self.queryset, for_exists=True).exists()
        return not_(node) if self.negated else node


class Aggregate(Expression):
    """An aggregate over ``expression`` (a field path or an expression), with ``filter=Q(...)``."""

    function: ClassVar[str] = ""
    contains_aggregate = True

    def __init__(
        self, expression: Union[str, Expression], *, distinct: bool = False, filter: Optional[Q] = None
    ) -> None:
        self.expression = F(expression) if isinstance(expression, str) else expression
        self.distinct = distinct
        self.filter = filter

    def resolve(self, compiler: QueryCompiler) -> Node:
        argument = compiler.aggregate_argument(self.expression)
        call: Any = getattr(func, self.function)(argument, distinct=self.distinct)
        if self.filter is not None:
            call = call.filter(compiler.condition(self.filter, aggregate=True))
        return call  # type: ignore[no-any-return]

    def default_alias(self) -> str:
        if isinstance(self.expression, F):
            return f"{self.expression.name}__{self.function}"
        raise TypeError(f"name the {type(self).__name__} over an expression: aggregate(name=...)")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.expression!r})"


class Count(Aggregate):
    function = "count"

    def __init__(
        self, expression: Union[str, Expression] = "*", *, distinct: bool = False, filter: Optional[Q] = None
    ) -> None:
        super().__init__(expression, distinct=distinct, filter=filter)


class Sum(Aggregate):
    function = "sum"


class Avg(Aggregate):
    function = "avg"


class Min(Aggregate):
    function = "min"


class Max(Aggregate):
    function = "max"


class Q:
    """Conditions combined with ``&``, ``|`` and ``~``: ``Q(a=1) | ~Q(b__lt=2)``.

    Keyword conditions inside one Q are ANDed; positional arguments may be Q objects or
    boolean expressions such as ``Exists(...)``.
    """

    AND = "AND"
    OR = "OR"

    def __init__(self, *args: Union[Q, Expression], **kwargs: Any) -> None:
        self.children: list[Any] = [*args, *sorted(kwargs.items())]
        self.connector = Q.AND
        self.negated = False

    @classmethod
    def _new(cls, children: list[Any], connector: str, negated: bool) -> Q:
        q = cls()
        q.children = children
        q.connector = connector
        q.negated = negated
        return q

    def _combine(self, other: object, connector: str) -> Q:
        if not isinstance(other, (Q, Expression)):
            raise TypeError(f"Q objects combine with Q objects or expressions, not {other!r}")
        if not self.children:
            return other if isinstance(other, Q) else Q(other)
        if isinstance(other, Q) and not other.children:
            return self
        return Q._new([self, other], connector, False)

    def __and__(self, other: object) -> Q:
        return self._combine(other, Q.AND)

    def __or__(self, other: object) -> Q:
        return self._combine(other, Q.OR)

    def __invert__(self) -> Q:
        return Q._new([self], Q.AND, True)

    @property
    def contains_aggregate(self) -> bool:
        return any(isinstance(c, (Q, Expression)) and c.contains_aggregate for c in self.children)

    def resolve(self, compiler: QueryCompiler, aggregate: bool = False) -> Node:
        parts: list[Node] = []
        if self.negated:  # lookups below compile differently (see covet.orm.multivalued)
            compiler.negations += 1
        try:
            for child in self.children:
                if isinstance(child, Q):
                    parts.append(child.resolve(compiler, aggregate))
                elif isinstance(child, Expression):
                    parts.append(child.resolve(compiler))
                else:
                    lookup, value = child
                    parts.append(compiler.lookup(lookup, value, aggregate=aggregate))
        finally:
            if self.negated:
                compiler.negations -= 1
        node: Operators = (and_ if self.connector == Q.AND else or_)(*parts) if len(parts) != 1 else parts[0]  # type: ignore[assignment]
        return not_(node) if self.negated else node

    def __repr__(self) -> str:
        inner = f" {self.connector} ".join(
            repr(c) if isinstance(c, (Q, Expression)) else f"{c[0]}={c[1]!r}" for c in self.children
        )
        return f"{'~' if self.negated else ''}Q({inner})"
