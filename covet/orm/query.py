"""From a QuerySet's state to a SELECT of the query builder: paths become joins, lookups conditions.

``QueryState`` is what a QuerySet accumulates (filters, ordering, slicing, loaded relations …);
``QueryCompiler`` turns one into a ``Select`` for one database. Every ``a__b__c`` path is walked
through the models: a foreign key or a reverse relation on the way is a join, the last part may
be followed by date transforms and a lookup. Joins made for filters and ordering are LEFT joins
(a condition on the joined table still filters rows, and OR across relations stays right);
``select_related`` joins non-null keys with INNER joins.

Joins are shared the way Django shares them ("spanning multi-valued relationships"): a join
along single-valued keys is made once per query; one across a reverse foreign key or a
many-to-many relation is shared by the conditions of one ``filter()`` call, while each further
``filter()`` call gets its own (``filter(tags__name="a").filter(tags__name="b")``: tagged both);
annotations, ordering and values reuse the latest such join (an annotation made before a filter
keeps its own). Inside a negation such a lookup is an EXISTS subquery instead (see
``covet.orm.multivalued``), so ``exclude()`` is the complement of ``filter()``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Optional, Union

from covet.db.query import Table, select
from covet.db.query.expressions import Label, Node, Operators, Param, and_
from covet.db.query.select import Select
from covet.orm.backends import DATE_PARTS
from covet.orm.errors import FieldError
from covet.orm.expressions import Expression, F, OrderBy, Q
from covet.orm.fields import DateField, Field
from covet.orm.lookups import LOOKUPS, MANY_VALUE_LOOKUPS, RAW_VALUE_LOOKUPS, build_lookup
from covet.orm.multivalued import exists_lookup, is_multivalued, multivalued_step
from covet.orm.relations import ForeignKey, ManyToManyField, Relation

if TYPE_CHECKING:
    from covet.orm.connection import DatabaseInfo
    from covet.orm.models import Model
    from covet.orm.queryset import QuerySet

__all__ = ["PathInfo", "QueryCompiler", "QueryState", "RelatedNode"]

_DATE_FIELD = DateField()
_DATE_FIELD.name = "date"


@dataclasses.dataclass
class QueryState:
    """Everything a QuerySet says about its query; copied (shallowly) on each refinement."""

    model: type[Model]
    where: tuple[Q, ...] = ()
    having: tuple[Q, ...] = ()
    ordering: Optional[tuple[Union[str, Expression], ...]] = None  # None: the model's Meta.ordering
    low: int = 0
    high: Optional[int] = None
    distinct: bool = False
    related: tuple[str, ...] = ()
    prefetch: tuple[Any, ...] = ()
    annotations: dict[str, Expression] = dataclasses.field(default_factory=dict)
    # How many filter() calls came before each annotation (its joins are not theirs); none: after all.
    annotation_marks: dict[str, int] = dataclasses.field(default_factory=dict)
    values: Optional[tuple[str, ...]] = None
    values_mode: Optional[str] = None  # "dict", "tuple" or "flat"
    lock: Optional[tuple[bool, bool, tuple[str, ...]]] = None
    empty: bool = False

    def copy(self, **changes: Any) -> QueryState:
        state = dataclasses.replace(self, **changes)
        if "annotations" not in changes:
            state.annotations = dict(self.annotations)
        if "annotation_marks" not in changes:
            state.annotation_marks = dict(self.annotation_marks)
        return state

    @property
    def is_sliced(self) -> bool:
        return self.low != 0 or self.high is not None

    @property
    def grouped(self) -> bool:
        return any(expr.contains_aggregate for expr in self.annotations.values())


class PathInfo(NamedTuple):
    """Where a field path ends: its table and field, the parts left (transforms, lookup), and
    whether the column can be NULL for a row (a nullable column, or a join that may find nothing)."""

    table: Table
    field: Field
    rest: list[str]
    nullable: bool


@dataclasses.dataclass
class RelatedNode:
    """One model in a select_related row: where its columns are and which relations hang below."""

    model: type[Model]
    start: int
    stop: int
    name: str = ""  # the relation's name on the parent
    children: list[RelatedNode] = dataclasses.field(default_factory=list)
    layout: Any = None  # the model's InstanceLayout, once loading starts


class QueryCompiler:
    """Compiles one QueryState for one database; ``outer`` is the query around a subquery."""

    def __init__(
        self,
        state: QueryState,
        info: DatabaseInfo,
        outer: Optional[QueryCompiler] = None,
        *,
        alias_base: bool = False,
    ) -> None:
        self.state = state
        self.model = state.model
        self.info = info
        self.ops = info.ops
        self.outer = outer
        self.root: QueryCompiler = outer.root if outer is not None else self
        self.depth: int = 0 if outer is None else outer.depth + 1
        if alias_base and outer is None:
            self.depth = 1  # a subquery of an UPDATE/DELETE: its tables must not be the target's names
        meta = self.model._meta
        self.base: Table = meta.table if self.depth == 0 else meta.table.alias(f"u{self.depth}")
        # (filter() call or None, path) -> table; single-valued paths always under None
        self.joins: dict[tuple[Optional[int], tuple[str, ...]], Table] = {}
        self.latest: dict[tuple[str, ...], Table] = {}  # the last join made for each path
        self.join_list: list[tuple[Table, Node, str]] = []
        self.resolved_annotations: dict[str, Node] = {}
        self.scope: Optional[int] = None  # the filter() call being compiled
        self.negations = 0  # how many ~Q the lookup being compiled is inside
        if outer is None:
            self.alias_count = 0
            self.correlated = False  # a subquery refers to the rows (UPDATE/DELETE must wrap)

    # -- joins ------------------------------------------------------------------------------------

    def _alias(self, model: type[Model]) -> Table:
        root = self.root
        root.alias_count += 1
        prefix = f"u{self.depth}" if self.depth else ""
        return model._meta.table.alias(f"{prefix}t{root.alias_count}")

    def _join(
        self,
        path: tuple[str, ...],
        model: type[Model],
        on: Any,
        kind: str,
        multi: bool = False,
    ) -> Table:
        """The join for ``path``: made once per query, or per filter() call when ``multi`` (the
        path crosses a multi-valued relation); outside filters, the latest one is reused."""
        scope = self.scope if multi else None
        if multi and scope is None:
            found = self.latest.get(path)
            if found is not None:
                return found
        found = self.joins.get((scope, path))
        if found is not None:
            return found
        table = self._alias(model)
        self.joins[(scope, path)] = self.latest[path] = table
        self.join_list.append((table, on(table), kind))
        return table

    def _step(
        self,
        table: Table,
        model: type[Model],
        path: tuple[str, ...],
        field: Any,
        kind: str = "left",
        multi: bool = False,
    ) -> tuple[Table, type[Model]]:
        """Join across ``field`` (a foreign key, a reverse relation or a many-to-many field);
        ``multi``: a multi-valued relation is on the path (this one or one before)."""
        if isinstance(field, ForeignKey):
            field.require_resolved()
            target = field.related_model
            column = table.c[field.column]
            joined = self._join(path, target, lambda t: t.c[target._meta.pk.column] == column, kind, multi)
            return joined, target
        pk_column = table.c[model._meta.pk.column]
        if isinstance(field, Relation) and not field.many_to_many:
            fk: ForeignKey = field.field  # type: ignore[assignment]
            child = field.related_model
            joined = self._join(path, child, lambda t: t.c[fk.column] == pk_column, "left", multi)
            return joined, child
        through, other_fk = self._link(table, model, path, field)
        other = other_fk.related_model
        joined = self._join(
            path, other, lambda t: t.c[other._meta.pk.column] == through.c[other_fk.column], "left", True
        )
        return joined, other

    def _link(
        self, table: Table, model: type[Model], path: tuple[str, ...], field: Any
    ) -> tuple[Table, ForeignKey]:
        """Join a many-to-many relation's link table: (its table, its key to the other side)."""
        m2m: ManyToManyField = field if isinstance(field, ManyToManyField) else field.field
        forward = isinstance(field, ManyToManyField)
        own_fk, other_fk = (m2m.source_fk, m2m.target_fk) if forward else (m2m.target_fk, m2m.source_fk)
        pk_column = table.c[model._meta.pk.column]
        through = self._join(
            (*path, "+through"), m2m.through, lambda t: t.c[own_fk.column] == pk_column, "left", True
        )
        return through, other_fk

    def follow(self, names: Sequence[str]) -> tuple[Table, type[Model]]:
        """Join along ``names`` (relations only) from the base model: the last table and its model."""
        table, model = self.base, self.model
        path: tuple[str, ...] = ()
        multi = False
        for name in names:
            field = model._meta.get_field(name)
            path = (*path, name)
            multi = multi or is_multivalued(field)
            table, model = self._step(table, model, path, field, multi=multi)
        return table, model

    def walk(self, parts: Sequence[str], what: str = "filter") -> PathInfo:
        """Follow ``parts`` from the base model to a column; see ``PathInfo``."""
        table, model = self.base, self.model
        path: tuple[str, ...] = ()
        multi = nullable = False
        for i, name in enumerate(parts):
            meta = model._meta
            try:
                field = meta.get_field(name)
            except FieldError:
                if i and (name in LOOKUPS or name in DATE_PARTS):
                    break
                raise FieldError(
                    f"cannot resolve {'__'.join(parts)!r} in {what}(): {model.__name__} has no field "
                    f"{name!r}; its fields: {', '.join(meta.field_names())}"
                ) from None
            rest = list(parts[i + 1 :])
            if isinstance(field, ForeignKey):
                field.require_resolved()
                target_pk = field.related_model._meta.pk
                at_end = not rest or rest[0] in LOOKUPS or rest[0] in DATE_PARTS
                if at_end:
                    return PathInfo(table, field, rest, nullable or field.null)
                if rest[0] in ("pk", target_pk.name) and (len(rest) == 1 or rest[1] in LOOKUPS):
                    # the key column already holds the target's pk
                    return PathInfo(table, field, rest[1:], nullable or field.null)
            elif isinstance(field, Field) and field.concrete:
                return PathInfo(table, field, rest, nullable or field.null)
            path = (*path, name)
            many_to_many = isinstance(field, ManyToManyField) or (
                isinstance(field, Relation) and field.many_to_many
            )
            if many_to_many and (not rest or rest[0] in LOOKUPS):
                through, other_fk = self._link(table, model, path, field)
                return PathInfo(through, other_fk, rest, True)  # the link table's key is the other pk
            multi = multi or is_multivalued(field)
            nullable = nullable or not isinstance(field, ForeignKey) or field.null
            table, model = self._step(table, model, path, field, multi=multi)
            if not rest or rest[0] in LOOKUPS:
                return PathInfo(table, model._meta.pk, rest, nullable)
        return PathInfo(table, model._meta.pk, [], nullable)

    def column(self, name: str, what: str = "filter") -> tuple[Operators, Field]:
        table, field, rest, _ = self.walk(name.split("__"), what)
        if rest:
            raise FieldError(f"{name!r} does not name a field in {what}(): {'__'.join(rest)!r} is left over")
        return table.c[field.column], field

    def annotation_or_column(self, name: str) -> Node:
        if name in self.state.annotations:
            return self.annotation(name)
        return self.column(name, "F")[0]

    def outer_column(self, name: str) -> Node:
        if self.outer is None:
            raise FieldError(f"OuterRef({name!r}) is only meaningful inside a Subquery or Exists")
        return self.outer.annotation_or_column(name)

    def annotation(self, name: str) -> Node:
        node = self.resolved_annotations.get(name)
        if node is None:
            node = self.resolved_annotations[name] = self.state.annotations[name].resolve(self)
        return node

    def aggregate_argument(self, expression: Expression) -> Node:
        if isinstance(expression, F) and expression.name == "*":
            from covet.db.query.expressions import STAR

            return STAR
        if isinstance(expression, F) and expression.name not in self.state.annotations:
            found = self.walk(expression.name.split("__"), "aggregate")
            return found.table.c[found.field.column]
        return expression.resolve(self)

    # -- conditions -------------------------------------------------------------------------------

    def condition(self, q: Q, aggregate: bool = False) -> Node:
        return q.resolve(self, aggregate)

    def lookup(self, key: str, value: Any, aggregate: bool = False) -> Node:
        parts = key.split("__")
        field: Optional[Field]
        column: Optional[Node] = None
        if parts[0] in self.state.annotations:
            lhs: Any = self.annotation(parts[0])
            field, rest = None, parts[1:]
            where = f"annotation {parts[0]!r}"
        else:
            if self.negations and not aggregate:  # an aggregate's filter= tests each joined row
                index = multivalued_step(self.model, parts)
                if index is not None:
                    self.root.correlated = True
                    return exists_lookup(self, parts, index, value)
            found = self.walk(parts)
            field, rest = found.field, found.rest
            lhs = found.table.c[found.field.column]
            column = lhs if found.nullable else None
            where = f"{type(field).__name__} {field.model.__name__}.{field.name}"
        while rest and rest[0] in DATE_PARTS and rest[0] not in LOOKUPS:
            part = rest.pop(0)
            if field is not None and field.internal_type not in ("DateField", "DateTimeField"):
                raise FieldError(f"the {part!r} transform needs a date or datetime field, not {where}")
            lhs = self.ops.date_part(part, lhs)
            field = _DATE_FIELD if part == "date" else None
        if len(rest) > 1:
            raise FieldError(f"cannot resolve {key!r}: {'__'.join(rest)!r} is not a lookup")
        name = rest[0] if rest else "exact"
        condition = build_lookup(name, lhs, self.prepare(value, field, name), self.ops, where)
        if self.negations % 2 and column is not None and name != "isnull" and value is not None:
            # Django's exclude(): NOT (col = v AND col IS NOT NULL), so rows whose column is
            # NULL are kept (NOT of a comparison with NULL would drop them).
            return and_(condition, column.is_not_null())  # type: ignore[attr-defined]
        return condition

    def prepare(self, value: Any, field: Optional[Field], lookup: str) -> Any:
        """A lookup's value as the query builder takes it: resolved expressions, db values."""
        from covet.orm.queryset import QuerySet

        if isinstance(value, Expression):
            return value.resolve(self)
        if isinstance(value, QuerySet):
            return self.subquery(value, for_in=True)
        if field is None or lookup in RAW_VALUE_LOOKUPS:
            return value
        to_db = field.to_db
        if lookup in MANY_VALUE_LOOKUPS:
            if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
                return value  # build_lookup explains the mistake
            return [v.resolve(self) if isinstance(v, Expression) else to_db(v) for v in value]
        return to_db(value)

    def subquery(self, queryset: QuerySet[Any], *, for_exists: bool = False, for_in: bool = False) -> Select:
        self.root.correlated = True
        inner = QueryCompiler(queryset._state, self.info, outer=self)
        state = queryset._state
        if for_exists:
            return inner.select(columns=[inner.base.c[inner.model._meta.pk.column]], ordered=False)
        if state.values is None:
            if not for_in:
                raise FieldError("a Subquery must select one column: add .values('field') to its queryset")
            return inner.select(columns=[inner.base.c[inner.model._meta.pk.column]], ordered=False)
        columns = inner.value_columns()
        if len(columns) != 1:
            raise FieldError(f"a subquery must select one column, this one selects {len(columns)}")
        return inner.select(columns=columns)

    # -- the statement ----------------------------------------------------------------------------

    def model_columns(self, table: Table, model: type[Model]) -> list[Node]:
        return [table.c[f.column] for f in model._meta.fields]

    def related_columns(self) -> tuple[list[Node], RelatedNode]:
        """Columns of the base model and of every select_related model, and where each one is."""
        columns = self.model_columns(self.base, self.model)
        root = RelatedNode(self.model, 0, len(columns))
        nodes: dict[tuple[str, ...], RelatedNode] = {(): root}
        for path_text in self.state.related:
            table, model = self.base, self.model
            nullable = False
            path: tuple[str, ...] = ()
            for name in path_text.split("__"):
                field = model._meta.get_field(name) if name in model._meta.fields_map else None
                if not isinstance(field, ForeignKey):
                    raise FieldError(
                        f"select_related({path_text!r}): {model.__name__}.{name} is not a foreign key "
                        f"or one-to-one field; use prefetch_related({path_text!r}) for reverse and "
                        f"many-to-many relations"
                    )
                parent = nodes[path]
                path = (*path, name)
                nullable = nullable or field.null
                table, model = self._step(table, model, path, field, "left" if nullable else "inner")
                if path not in nodes:
                    more = self.model_columns(table, model)
                    node = RelatedNode(model, len(columns), len(columns) + len(more), name)
                    columns.extend(more)
                    nodes[path] = node
                    parent.children.append(node)
        return columns, root

    def value_columns(self) -> list[Node]:
        columns: list[Node] = []
        for name in self.state.values or ():
            if name in self.state.annotations:
                columns.append(self.annotation(name))
            else:
                columns.append(self.column(name, "values")[0])
        return columns

    def ordering(self) -> list[Node]:
        state = self.state
        items = state.ordering if state.ordering is not None else self.model._meta.ordering
        nodes: list[Node] = []
        for item in items:
            if isinstance(item, OrderBy):
                nodes.append(item.resolve(self))
                continue
            if isinstance(item, Expression):
                nodes.append(item.resolve(self).asc())  # type: ignore[attr-defined]
                continue
            descending = item.startswith("-")
            name = item.lstrip("-")
            if name in state.annotations:
                node: Any = self.annotation(name)
            else:
                node = self.column(name, "order_by")[0]
            nodes.append(node.desc() if descending else node.asc())
        return nodes

    def where(self) -> Optional[Node]:
        state = self.state
        if state.empty:
            return Param(1) == Param(0)
        parts = []
        marks = state.annotation_marks
        for index, q in enumerate(state.where):
            for name in state.annotations:
                if marks.get(name, index + 1) <= index:
                    self.annotation(name)  # made before this filter(): its joins come first
            self.scope = index
            try:
                parts.append(self.condition(q))
            finally:
                self.scope = None
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else and_(*parts)

    def select(
        self,
        columns: Optional[list[Node]] = None,
        *,
        ordered: bool = True,
        sliced: bool = True,
        annotations: bool = True,
    ) -> Select:
        """The SELECT: ``columns`` (default: the base model's), with joins, WHERE, GROUP BY, ORDER BY."""
        state = self.state
        if columns is None:
            columns = self.model_columns(self.base, self.model)
        where = self.where()
        having = [self.condition(q, aggregate=True) for q in state.having]
        order = self.ordering() if ordered else []
        labelled: list[Node] = []
        if annotations and state.values is None:
            for name in state.annotations:
                labelled.append(self.annotation(name).label(name))  # type: ignore[attr-defined]
        query = select(*columns, *labelled).select_from(self.base)
        for table, on, kind in self.join_list:
            query = query.join(table, on, kind=kind)
        if where is not None:
            query = query.where(where)
        if state.grouped:
            group = [c for c in columns if not _is_aggregate(c, self)]
            query = query.group_by(*group)
        if having:
            query = query.having(*having)
        if order:
            query = query.order_by(*order)
        if state.distinct:
            query = query.distinct()
        if sliced and state.is_sliced:
            query = query.offset(state.low or None)
            if state.high is not None:
                query = query.limit(state.high - state.low)
        if state.lock is not None and self.info.dialect.supports_for_update:
            nowait, skip_locked, of = state.lock
            tables = [
                self.base if name == "self" else self.joins[(None, tuple(name.split("__")))] for name in of
            ]
            query = query.for_update(nowait=nowait, skip_locked=skip_locked, of=tables)
        return query


def _is_aggregate(column: Node, compiler: QueryCompiler) -> bool:
    if isinstance(column, Label):
        column = column.element
    return any(
        column is compiler.resolved_annotations.get(name)
        for name, expr in compiler.state.annotations.items()
        if expr.contains_aggregate
    )
