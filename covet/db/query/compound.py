"""Compound selects: ``union``, ``union_all``, ``intersect``, ``except_`` and their ``_all`` forms.

::

    active = select(users.c.id).where(users.c.active == True)
    buyers = select(orders.c.user_id)
    query = union(active, buyers).order_by(users.c.id).limit(10)   # or active.union(buyers)

A ``Compound`` orders and pages its whole result (ORDER BY names result columns: a column
given to ``order_by`` is written by its bare name). Chained operations of one kind stay flat
(``a.union(b).union(c)``); mixing kinds nests them, in parentheses where the dialect allows
(everywhere but SQLite, where only the first member may itself be a compound). INTERSECT and
EXCEPT need SQLite, PostgreSQL, MariaDB ≥ 10.3 or MySQL ≥ 8.0.31; their ALL forms PostgreSQL,
MariaDB ≥ 10.5 or MySQL ≥ 8.0.31.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional, Union, cast

from covet._speedups import sqlnodes as _k
from covet.db.query.expressions import Compilable, Exists, Node, Ordering, ScalarSelect, coerce
from covet.db.query.nodes import CompoundNode
from covet.db.query.select import CTE, Select, Subquery, _checked_ctes, _count

__all__ = [
    "Compound",
    "combine",
    "except_",
    "except_all",
    "intersect",
    "intersect_all",
    "union",
    "union_all",
]

Selectable = Union[Select, "Compound"]
_KEEP: object = object()


class Compound(Compilable, CompoundNode):
    """Selects combined by UNION, INTERSECT or EXCEPT; immutable like :class:`Select`."""

    __slots__ = ()

    @property
    def columns(self) -> tuple[Node, ...]:
        """The columns of the result: those of the first select."""
        first: Selectable = self.selects[0]  # type: ignore[assignment]
        return first.columns

    def _with(
        self,
        *,
        order_by: Optional[tuple[Node, ...]] = None,
        limit: object = _KEEP,
        offset: object = _KEEP,
        ctes: Optional[tuple[CTE, ...]] = None,
    ) -> Compound:
        return Compound(
            self.op,
            self.is_all,
            self.selects,
            self.order_items if order_by is None else order_by,
            self.limit_value if limit is _KEEP else limit,  # type: ignore[arg-type]
            self.offset_value if offset is _KEEP else offset,  # type: ignore[arg-type]
            self.ctes if ctes is None else ctes,
        )

    def order_by(self, *expressions: object) -> Compound:
        """Sort the combined result; columns are referred to by name (``ORDER BY "id"``)."""
        added = tuple(_result_reference(coerce(e)) for e in expressions)
        return self._with(order_by=self.order_items + added)

    def limit(self, count: Optional[int]) -> Compound:
        return self._with(limit=None if count is None else _count(count, "limit"))

    def offset(self, count: Optional[int]) -> Compound:
        return self._with(offset=None if count is None else _count(count, "offset"))

    def with_(self, *ctes: CTE) -> Compound:
        """Declare common table expressions before the whole compound."""
        return self._with(ctes=cast(tuple[CTE, ...], self.ctes) + _checked_ctes(ctes))

    def union(self, *others: Selectable) -> Compound:
        return combine(_k.SET_UNION, False, (self, *others))

    def union_all(self, *others: Selectable) -> Compound:
        return combine(_k.SET_UNION, True, (self, *others))

    def intersect(self, *others: Selectable) -> Compound:
        return combine(_k.SET_INTERSECT, False, (self, *others))

    def intersect_all(self, *others: Selectable) -> Compound:
        return combine(_k.SET_INTERSECT, True, (self, *others))

    def except_(self, *others: Selectable) -> Compound:
        return combine(_k.SET_EXCEPT, False, (self, *others))

    def except_all(self, *others: Selectable) -> Compound:
        return combine(_k.SET_EXCEPT, True, (self, *others))

    def subquery(self, name: str) -> Subquery:
        """The combined result as a FROM item named ``name``."""
        return Subquery(self, name)

    def cte(self, name: str, *, recursive: bool = False, columns: Optional[Sequence[str]] = None) -> CTE:
        return CTE(self, name, columns, recursive)

    def scalar_subquery(self) -> ScalarSelect:
        return ScalarSelect(self)

    def exists(self) -> Exists:
        return Exists(self)


def _result_reference(node: Node) -> Node:
    """A column in a compound's ORDER BY names a result column: its bare name, not table.name."""
    if isinstance(node, _k.ColumnNode):
        return _k.LabelNode(node, node.name)
    if isinstance(node, _k.OrderNode) and isinstance(node.element, _k.ColumnNode):
        return Ordering(_result_reference(node.element), node.desc, node.nulls)
    return node


def combine(op: int, is_all: bool, selects: tuple[Selectable, ...]) -> Compound:
    """``selects`` joined by one set operation (``SET_*``), the first flattened into it when it is
    an unordered, unpaged compound of the same operation."""
    if len(selects) < 2:
        raise ValueError("a set operation combines at least two selects")
    for item in selects:
        if not isinstance(item, (Select, Compound)):
            raise TypeError(f"set operations combine selects, not {item!r}")
    first = selects[0]
    if (
        isinstance(first, Compound)
        and first.op == op
        and first.is_all == is_all
        and not first.order_items
        and first.limit_value is None
        and first.offset_value is None
        and not first.ctes
    ):
        selects = cast(tuple[Selectable, ...], first.selects) + selects[1:]
    width = len(selects[0].columns)
    for item in selects[1:]:
        if len(item.columns) != width:
            raise ValueError(
                "each select of a set operation needs the same number of columns: "
                f"{width} and {len(item.columns)}"
            )
    return Compound(op, is_all, selects)


def union(*selects: Selectable) -> Compound:
    """``s1 UNION s2 …``: the rows of every select, duplicates removed."""
    return combine(_k.SET_UNION, False, selects)


def union_all(*selects: Selectable) -> Compound:
    """``s1 UNION ALL s2 …``: the rows of every select, duplicates kept."""
    return combine(_k.SET_UNION, True, selects)


def intersect(*selects: Selectable) -> Compound:
    """``s1 INTERSECT s2 …``: the rows every select has."""
    return combine(_k.SET_INTERSECT, False, selects)


def intersect_all(*selects: Selectable) -> Compound:
    return combine(_k.SET_INTERSECT, True, selects)


def except_(*selects: Selectable) -> Compound:
    """``s1 EXCEPT s2 …``: the rows of the first select that none of the others has."""
    return combine(_k.SET_EXCEPT, False, selects)


def except_all(*selects: Selectable) -> Compound:
    return combine(_k.SET_EXCEPT, True, selects)
