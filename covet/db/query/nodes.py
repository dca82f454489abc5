"""Query nodes that need not be compiled: the rarer expressions and the compound statements.

The compiler (``covet._speedups.sqlcompile``) reads the common nodes — tables, columns,
parameters, operators, functions, SELECT/INSERT/UPDATE/DELETE, in ``covet._speedups.sqlnodes``
— through C structs. The nodes here are plain Python objects it reads by attribute: they appear
in fewer statements, and keeping them out of the kernels keeps those to the hot path. Like the kernel's
nodes they are plain data; ``covet.db.query`` subclasses them with builder methods.
"""

from __future__ import annotations

from typing import Optional

from covet._speedups import sqlnodes as _k

__all__ = [
    "BetweenNode",
    "CTENode",
    "CaseNode",
    "CastNode",
    "CompoundNode",
    "ExcludedNode",
    "ExistsNode",
    "InSelectNode",
    "ScalarNode",
    "WindowNode",
]

Node = _k.Node


class InSelectNode(_k.Node):
    """``operand [NOT] IN (SELECT …)``."""

    __slots__ = ("negate", "operand", "select")

    def __init__(self, operand: Node, select: Node, negate: bool) -> None:
        _k.init_node(self, _k.K_IN_SELECT, _k.P_CMP, negate)
        self.operand = operand
        self.select = select
        self.negate = negate


class BetweenNode(_k.Node):
    __slots__ = ("high", "low", "negate", "operand")

    def __init__(self, operand: Node, low: Node, high: Node, negate: bool) -> None:
        _k.init_node(self, _k.K_BETWEEN, _k.P_CMP, negate)
        self.operand = operand
        self.low = low
        self.high = high
        self.negate = negate


class WindowNode(_k.Node):
    """``func OVER (PARTITION BY … ORDER BY … [ROWS|RANGE BETWEEN start AND end])``.

    Frame bounds are offsets from the current row: None is UNBOUNDED (PRECEDING as a start,
    FOLLOWING as an end), 0 CURRENT ROW, -n n PRECEDING, n n FOLLOWING.
    """

    __slots__ = ("frame_end", "frame_mode", "frame_start", "func", "order_by", "partition_by")

    def __init__(
        self,
        func: Node,
        partition_by: tuple[Node, ...],
        order_by: tuple[Node, ...],
        frame_mode: int = _k.FRAME_NONE,
        frame_start: Optional[int] = None,
        frame_end: Optional[int] = None,
    ) -> None:
        _k.init_node(self, _k.K_WINDOW, _k.P_ATOM, frame_mode)
        self.func = func
        self.partition_by = partition_by
        self.order_by = order_by
        self.frame_mode = frame_mode
        self.frame_start = frame_start
        self.frame_end = frame_end


class CaseNode(_k.Node):
    """``CASE WHEN c1 THEN r1 … ELSE e END``; ``whens`` is flat: (c1, r1, c2, r2, …)."""

    __slots__ = ("else_", "whens")

    def __init__(self, whens: tuple[Node, ...], else_: Optional[Node] = None) -> None:
        _k.init_node(self, _k.K_CASE, _k.P_ATOM, else_ is not None)
        self.whens = whens
        self.else_ = else_


class CastNode(_k.Node):
    __slots__ = ("operand", "type_name")

    def __init__(self, operand: Node, type_name: str) -> None:
        _k.init_node(self, _k.K_CAST, _k.P_ATOM, 0)
        self.operand = operand
        self.type_name = type_name


class ScalarNode(_k.Node):
    """A select used as a value: ``(SELECT …)``."""

    __slots__ = ("select",)

    def __init__(self, select: Node) -> None:
        _k.init_node(self, _k.K_SCALAR, _k.P_ATOM, 0)
        self.select = select


class ExistsNode(_k.Node):
    __slots__ = ("select",)

    def __init__(self, select: Node) -> None:
        _k.init_node(self, _k.K_EXISTS, _k.P_ATOM, 0)
        self.select = select


class ExcludedNode(_k.Node):
    """In an upsert's SET: the value the conflicting INSERT proposed for column ``name``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        _k.init_node(self, _k.K_EXCLUDED, _k.P_ATOM, 0)
        self.name = name


class CompoundNode(_k.Node):
    """``s1 UNION [ALL] s2 …`` (or INTERSECT, EXCEPT: ``op`` is a ``SET_*``), then ORDER BY,
    LIMIT and OFFSET of the whole; ``ctes`` are its WITH clause."""

    __slots__ = ("ctes", "is_all", "limit_value", "offset_value", "op", "order_items", "selects")

    def __init__(
        self,
        op: int,
        is_all: bool,
        selects: tuple[Node, ...],
        order_by: tuple[Node, ...] = (),
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        ctes: tuple[CTENode, ...] = (),
    ) -> None:
        flags = op | is_all << 2 | (limit is not None) << 3 | (offset is not None) << 4 | (len(ctes) > 0) << 5
        _k.init_node(self, _k.K_COMPOUND, _k.P_ATOM, flags)
        self.op = op
        self.is_all = is_all
        self.selects = selects
        self.order_items = order_by
        self.limit_value = limit
        self.offset_value = offset
        self.ctes = ctes


class CTENode(_k.FromNode):
    """A common table expression: declared in a statement's WITH, named in its FROM."""

    __slots__ = ("column_names", "name", "recursive", "select")

    def __init__(
        self, name: str, select: Node, column_names: tuple[str, ...] = (), recursive: bool = False
    ) -> None:
        _k.init_node(self, _k.K_CTE, _k.P_ATOM, recursive)
        _k.init_from(self, name)
        self.name = name
        self.select = select
        self.column_names = column_names
        self.recursive = recursive
