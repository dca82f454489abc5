"""SQL function calls and window functions: ``func.count()``, ``func.sum(x).over(...)``.

``func.name(*args)`` calls the SQL function ``name`` (names are checked, never quoted); an
aggregate takes ``.filter(...)``, any function ``.over(...)`` to become a window function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Optional, Union

from covet._speedups import sqlnodes as _k
from covet.db.dialects import InvalidIdentifierError
from covet.db.query import nodes
from covet.db.query.expressions import STAR, Node, Operators, _conditions, coerce

__all__ = ["FrameBounds", "Function", "Window", "func"]


class Function(Operators, _k.FuncNode):
    """An SQL function call; aggregates take ``.filter(...)``, window functions ``.over(...)``."""

    __slots__ = ()

    def filter(self, *conditions: object) -> Function:
        """``agg(x) FILTER (WHERE …)`` (``agg(CASE WHEN … THEN x END)`` where unsupported)."""
        return Function(self.name, self.args, self.distinct, _conditions(conditions))

    def over(
        self,
        partition_by: Union[object, Sequence[object], None] = None,
        order_by: Union[object, Sequence[object], None] = None,
        *,
        rows: Optional[FrameBounds] = None,
        range_: Optional[FrameBounds] = None,
    ) -> Window:
        """``f(...) OVER (PARTITION BY … ORDER BY … [frame])``; each takes one expression or a list.

        A frame is ``rows=(start, end)`` or ``range_=(start, end)``, as SQLAlchemy spells it: each
        bound an offset from the current row — None is UNBOUNDED, 0 CURRENT ROW, -n n PRECEDING,
        n n FOLLOWING. ``rows=(None, 0)`` is a running total's ROWS BETWEEN UNBOUNDED PRECEDING
        AND CURRENT ROW. RANGE offsets other than None and 0 need an ORDER BY on one number.
        """
        if rows is not None and range_ is not None:
            raise ValueError("a window frame is rows=... or range_=..., not both")
        mode, bounds = (_k.FRAME_ROWS, rows) if rows is not None else (_k.FRAME_RANGE, range_)
        if bounds is None:
            return Window(self, _sequence(partition_by), _sequence(order_by))
        start, end = _frame_bounds(bounds)
        return Window(self, _sequence(partition_by), _sequence(order_by), mode, start, end)


FrameBounds = tuple[Optional[int], Optional[int]]


def _frame_bounds(bounds: FrameBounds) -> FrameBounds:
    try:
        start, end = bounds
    except (TypeError, ValueError):
        raise ValueError(f"a window frame is a (start, end) pair, not {bounds!r}") from None
    checked = []
    for bound in (start, end):
        if bound is not None and (type(bound) is bool or not isinstance(bound, int)):
            raise TypeError(f"a window frame bound is an int offset or None, not {bound!r}")
        checked.append(None if bound is None else int(bound))
    start, end = checked
    if start is not None and end is not None and start > end:
        raise ValueError(f"a window frame cannot end ({end}) before it starts ({start})")
    return start, end


class Window(Operators, nodes.WindowNode):
    __slots__ = ()


def _sequence(items: Union[object, Sequence[object], None]) -> tuple[Node, ...]:
    if items is None:
        return ()
    if isinstance(items, (list, tuple)):
        return tuple(coerce(item) for item in items)
    return (coerce(items),)


class _FunctionNamespace:
    """``func.name(*args)`` calls the SQL function ``name``; ``func.count()`` is ``count(*)``."""

    def __getattr__(self, name: str) -> Callable[..., Function]:
        if name.startswith("__"):
            raise AttributeError(name)
        if not (name.isidentifier() and name.isascii()):  # function names are never quoted
            raise InvalidIdentifierError(
                f"invalid function name {name!r}: ASCII letters, digits and underscores only"
            )
        function = self.__dict__[name] = _function(name)  # found directly from now on
        return function


def _function(name: str) -> Callable[..., Function]:
    star = (STAR,) if name.lower() == "count" else ()

    def call(*args: object, distinct: bool = False) -> Function:
        return Function(name, tuple([coerce(arg) for arg in args]) if args else star, distinct)

    call.__name__ = name
    return call


func = _FunctionNamespace()
