"""SELECT statements: ``select(users.c.id, users.c.name).where(users.c.active == True)``.

A ``Select`` is immutable: each method returns a new one, so a base query can be shared and
refined. FROM is inferred from the selected columns (in order of first use) unless
``select_from`` names it; ``join`` chains onto the first FROM item. A select becomes a FROM
item as a subquery (``.subquery(name)``) or a common table expression (``.cte(name)``, declared
with ``.with_(cte)``), and combines with others by ``union``/``intersect``/``except_``
(``covet.db.query.compound``).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Optional, Union, cast

from covet._speedups import sqlnodes as _k
from covet.db.dialects import check_identifier, quoted
from covet.db.query.expressions import Compilable, Exists, Node, ScalarSelect, _conditions, and_, coerce
from covet.db.query.nodes import CTENode
from covet.db.query.tables import Column, ColumnCollection, Table

if TYPE_CHECKING:
    from covet.db.query.compound import Compound

__all__ = ["CTE", "Join", "Select", "Subquery", "select"]

_JOIN_KINDS = {
    "inner": _k.JOIN_INNER,
    "left": _k.JOIN_LEFT,
    "right": _k.JOIN_RIGHT,
    "full": _k.JOIN_FULL,
    "cross": _k.JOIN_CROSS,
}
_KEEP: object = object()

# Where the builder looks for columns when inferring FROM (subqueries keep their own FROM).
_CHILDREN: dict[int, tuple[str, ...]] = {
    _k.K_BINARY: ("left", "right"),
    _k.K_BOOL: ("items",),
    _k.K_UNARY: ("operand",),
    _k.K_NULL_TEST: ("operand",),
    _k.K_IN_LIST: ("operand",),
    _k.K_IN_SELECT: ("operand",),
    _k.K_BETWEEN: ("operand", "low", "high"),
    _k.K_LIKE: ("operand", "pattern"),
    _k.K_FUNC: ("args", "filter_clause"),
    _k.K_WINDOW: ("func", "partition_by", "order_by"),
    _k.K_CASE: ("whens", "else_"),
    _k.K_CAST: ("operand",),
    _k.K_LABEL: ("element",),
    _k.K_ORDER: ("element",),
}


def _collect_froms(node: Node, found: list[Node]) -> None:
    kind = node.kind
    if kind == _k.K_COLUMN:
        table = node.table  # type: ignore[attr-defined]
        if table is not None and table not in found:  # nodes compare by identity
            found.append(table)
        return
    for name in _CHILDREN.get(kind, ()):
        child = getattr(node, name)
        if type(child) is tuple:
            for item in child:
                _collect_froms(item, found)
        elif child is not None:
            _collect_froms(child, found)


class Join(_k.JoinNode):
    """``left JOIN right ON condition`` as a FROM item."""

    __slots__ = ()


def _from_item(item: object) -> Node:
    if isinstance(item, (_k.FromNode, _k.JoinNode)):
        return item
    raise TypeError(f"{item!r} cannot be used in FROM: expected a Table, an alias, a subquery or a join")


def _count(value: object, what: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an int, not a bool")
    number = operator.index(value)  # type: ignore[arg-type]
    if number < 0:
        raise ValueError(f"{what} must be 0 or more, not {number}")
    return number


class Select(Compilable, _k.SelectNode):
    """A SELECT statement; compile it with ``.compile(dialect)`` or pass it to the database."""

    __slots__ = ()

    def _with(
        self,
        *,
        columns: Optional[tuple[Node, ...]] = None,
        froms: Optional[tuple[Node, ...]] = None,
        where: object = _KEEP,
        group_by: Optional[tuple[Node, ...]] = None,
        having: object = _KEEP,
        order_by: Optional[tuple[Node, ...]] = None,
        limit: object = _KEEP,
        offset: object = _KEEP,
        distinct: Optional[bool] = None,
        lock: Optional[_Lock] = None,
        ctes: Optional[tuple[CTE, ...]] = None,
    ) -> Select:
        if lock is None:
            lock = (self.lock, self.lock_wait, self.lock_of)
        lock_mode, lock_wait, lock_of = lock
        return Select(
            self.columns if columns is None else columns,
            self.froms if froms is None else froms,
            self.where_clause if where is _KEEP else where,  # type: ignore[arg-type]
            self.group_items if group_by is None else group_by,
            self.having_clause if having is _KEEP else having,  # type: ignore[arg-type]
            self.order_items if order_by is None else order_by,
            self.limit_value if limit is _KEEP else limit,  # type: ignore[arg-type]
            self.offset_value if offset is _KEEP else offset,  # type: ignore[arg-type]
            self.is_distinct if distinct is None else distinct,
            lock_mode,
            lock_wait,
            lock_of,
            self.ctes if ctes is None else ctes,
        )

    def where(self, *conditions: object) -> Select:
        """Add conditions, ANDed with each other and with those already there."""
        return self._with(where=_and_more(self.where_clause, conditions))

    def select_from(self, *froms: object) -> Select:
        """Name the FROM items (tables, aliases, subqueries) instead of inferring them."""
        return self._with(froms=tuple(_from_item(item) for item in froms))

    def join(self, target: object, on: object = None, *, kind: str = "inner") -> Select:
        """``JOIN target ON on`` onto the first FROM item (``kind``: inner, left, right, full, cross).

        RIGHT and FULL joins raise ``UnsupportedFeatureError`` when compiled for a dialect
        without them (SQLite before 3.39; MySQL has no FULL JOIN).
        """
        join_type = _JOIN_KINDS.get(kind)
        if join_type is None:
            raise ValueError(f"unknown join kind {kind!r}: expected one of {', '.join(_JOIN_KINDS)}")
        right = _from_item(target)
        if on is None and join_type != _k.JOIN_CROSS:
            raise ValueError(f"a {kind} join needs an ON condition: join({target!r}, on=...)")
        if on is not None and join_type == _k.JOIN_CROSS:
            raise ValueError("a cross join takes no ON condition")
        froms = [item for item in self.froms if item is not right]
        if not froms:
            raise ValueError(
                "join() needs something to join to: select a table's columns or call select_from()"
            )
        joined = Join(froms[0], right, None if on is None else coerce(on), join_type)
        return self._with(froms=(joined, *froms[1:]))

    def left_join(self, target: object, on: object) -> Select:
        return self.join(target, on, kind="left")

    def right_join(self, target: object, on: object) -> Select:
        return self.join(target, on, kind="right")

    def full_join(self, target: object, on: object) -> Select:
        return self.join(target, on, kind="full")

    def cross_join(self, target: object) -> Select:
        return self.join(target, kind="cross")

    def group_by(self, *expressions: object) -> Select:
        return self._with(group_by=self.group_items + tuple(coerce(e) for e in expressions))

    def having(self, *conditions: object) -> Select:
        return self._with(having=_and_more(self.having_clause, conditions))

    def order_by(self, *expressions: object) -> Select:
        """Add sort keys: expressions (ascending) or ``col.desc()``, ``col.asc(nulls="last")``."""
        return self._with(order_by=self.order_items + tuple(coerce(e) for e in expressions))

    def limit(self, count: Optional[int]) -> Select:
        """At most ``count`` rows (sent as a parameter); ``None`` removes the limit."""
        return self._with(limit=None if count is None else _count(count, "limit"))

    def offset(self, count: Optional[int]) -> Select:
        return self._with(offset=None if count is None else _count(count, "offset"))

    def distinct(self, distinct: bool = True) -> Select:
        return self._with(distinct=distinct)

    def for_update(
        self, *, nowait: bool = False, skip_locked: bool = False, of: Iterable[Table] = ()
    ) -> Select:
        """``FOR UPDATE [OF t] [NOWAIT | SKIP LOCKED]``: lock the selected rows until commit."""
        return self._with(lock=_lock(_k.LOCK_UPDATE, nowait, skip_locked, of))

    def for_share(
        self, *, nowait: bool = False, skip_locked: bool = False, of: Iterable[Table] = ()
    ) -> Select:
        """A shared row lock (``FOR SHARE``; ``LOCK IN SHARE MODE`` on MariaDB)."""
        return self._with(lock=_lock(_k.LOCK_SHARE, nowait, skip_locked, of))

    def subquery(self, name: str) -> Subquery:
        """This select as a FROM item named ``name``; its columns are ``sub.c.<name>``."""
        return Subquery(self, name)

    def cte(self, name: str, *, recursive: bool = False, columns: Optional[Sequence[str]] = None) -> CTE:
        """This select as a common table expression ``name``, to declare with ``.with_(cte)``
        and select from as a table (its columns are ``cte.c.<name>``, or named by ``columns``).

        A recursive one is its anchor, then ``cte.union_all(step)`` where ``step`` selects from
        the CTE itself."""
        return CTE(self, name, columns, recursive)

    def with_(self, *ctes: CTE) -> Select:
        """Declare common table expressions: ``WITH name AS (...) SELECT ...`` (in order)."""
        return self._with(ctes=cast(tuple[CTE, ...], self.ctes) + _checked_ctes(ctes))

    def union(self, *others: Union[Select, Compound]) -> Compound:
        """``self UNION others`` (duplicates removed); ``union_all`` keeps them."""
        return _compound(_k.SET_UNION, False, (self, *others))

    def union_all(self, *others: Union[Select, Compound]) -> Compound:
        return _compound(_k.SET_UNION, True, (self, *others))

    def intersect(self, *others: Union[Select, Compound]) -> Compound:
        return _compound(_k.SET_INTERSECT, False, (self, *others))

    def intersect_all(self, *others: Union[Select, Compound]) -> Compound:
        return _compound(_k.SET_INTERSECT, True, (self, *others))

    def except_(self, *others: Union[Select, Compound]) -> Compound:
        """``self EXCEPT others``: the rows of this select that none of the others has."""
        return _compound(_k.SET_EXCEPT, False, (self, *others))

    def except_all(self, *others: Union[Select, Compound]) -> Compound:
        return _compound(_k.SET_EXCEPT, True, (self, *others))

    def scalar_subquery(self) -> ScalarSelect:
        """This select as a value, ``(SELECT …)`` (also what comparing with a select does)."""
        return ScalarSelect(self)

    def exists(self) -> Exists:
        return Exists(self)


def _and_more(current: Optional[Node], conditions: tuple[object, ...]) -> Optional[Node]:
    if current is None:
        return _conditions(conditions)
    if not conditions:
        return current
    return and_(current, *conditions)


_Lock = tuple[int, int, tuple[_k.TableNode, ...]]


def _lock(mode: int, nowait: bool, skip_locked: bool, of: Iterable[Table]) -> _Lock:
    if nowait and skip_locked:
        raise ValueError("choose NOWAIT or SKIP LOCKED, not both")
    wait = _k.WAIT_NOWAIT if nowait else _k.WAIT_SKIP_LOCKED if skip_locked else _k.WAIT_DEFAULT
    tables = tuple(of)
    for table in tables:
        if not isinstance(table, _k.TableNode):
            raise TypeError(f"FOR UPDATE OF takes tables, not {table!r}")
    return mode, wait, tables


def _compound(op: int, is_all: bool, selects: tuple[Union[Select, Compound], ...]) -> Compound:
    from covet.db.query.compound import combine

    return combine(op, is_all, selects)


def _checked_ctes(ctes: tuple[object, ...]) -> tuple[CTE, ...]:
    for cte in ctes:
        if not isinstance(cte, CTE):
            raise TypeError(f"with_() declares CTEs made by select(...).cte(name), not {cte!r}")
    return ctes  # type: ignore[return-value]


def output_columns(
    select: Union[Select, Compound], owner: _k.FromNode, what: str, names: Optional[Sequence[str]] = None
) -> tuple[Column, ...]:
    """Columns for what ``select`` returns, qualified by ``owner`` (a subquery or CTE): named by
    ``names`` when given, else after the selected columns and labels."""
    selected = select.columns
    if names is not None:
        if isinstance(names, str) or len(names) != len(selected):
            raise ValueError(f"{what} names {len(selected)} columns: give as many names, got {names!r}")
        columns = [Column(name) for name in names]
    else:
        columns = []
        for item in selected:
            if isinstance(item, _k.ColumnNode):
                columns.append(Column(quoted(item.name), item.sql_type))  # the name was checked already
            elif isinstance(item, _k.LabelNode):
                columns.append(Column(quoted(item.name)))
            else:
                raise ValueError(f"{what} selects an unnamed expression ({item!r}): name it with .label()")
    for column in columns:
        column._attach(owner)
    return tuple(columns)


class Subquery(_k.SubqueryNode):
    """A select aliased as a FROM item: ``sub = select(...).subquery("s")``; columns ``sub.c.x``."""

    __slots__ = ("c", "columns")

    def __init__(self, select: Union[Select, Compound], name: str) -> None:
        check_identifier(name, "subquery name")
        super().__init__(select, str(name))
        self.columns: tuple[Column, ...] = output_columns(select, self, f"subquery {name!r}")
        self.c = ColumnCollection(f"subquery {name!r}", self.columns)


class CTE(CTENode):
    """A common table expression: ``WITH name AS (select)``; select from it like a table.

    ``select(...).cte("name")`` makes one; declare it on the statement that uses it with
    ``.with_(cte)``. For a recursive one, ``cte.union_all(step)`` adds the step that selects
    from the CTE itself; ``recursive=True`` writes ``WITH RECURSIVE``.
    """

    __slots__ = ("c", "columns")

    def __init__(
        self,
        select: Union[Select, Compound],
        name: str,
        names: Optional[Sequence[str]] = None,
        recursive: bool = False,
    ) -> None:
        check_identifier(name, "CTE name")
        what = f"CTE {name!r}"
        column_names = () if names is None else tuple(str(check_identifier(n, "column name")) for n in names)
        super().__init__(str(name), select, column_names, recursive)
        self.columns: tuple[Column, ...] = output_columns(select, self, what, names)
        self.c = ColumnCollection(what, self.columns)

    def union(self, *others: Union[Select, Compound]) -> CTE:
        """This CTE with its query UNIONed with ``others`` (the recursive step, typically)."""
        return self._extended(_k.SET_UNION, False, others)

    def union_all(self, *others: Union[Select, Compound]) -> CTE:
        return self._extended(_k.SET_UNION, True, others)

    def _extended(self, op: int, is_all: bool, others: tuple[Union[Select, Compound], ...]) -> CTE:
        body = cast(Union[Select, "Compound"], self.select)
        names = self.column_names or None
        return CTE(_compound(op, is_all, (body, *others)), self.name, names, self.recursive)

    def __repr__(self) -> str:
        return f"<CTE {self.name}>"


def select(*columns: object) -> Select:
    """``SELECT columns``; a Table or subquery stands for all its columns, values become parameters.

    FROM is every table the columns belong to, in order of first use, until ``select_from`` or
    ``join`` says otherwise.
    """
    if not columns:
        raise ValueError("select() needs at least one column, expression or table")
    items: list[Node] = []
    for column in columns:
        if isinstance(column, (Table, Subquery)):
            items.extend(column.columns)
        else:
            items.append(coerce(column))
    found: list[Node] = []
    for item in items:
        _collect_froms(item, found)
    return Select(tuple(items), tuple(found))
