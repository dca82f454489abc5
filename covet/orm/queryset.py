"""QuerySets: lazy, chainable queries you ``await`` (or ``async for`` over).

::

    books = await Book.objects.filter(author__name="Ann").order_by("-published")[:10]
    async for book in Book.objects.select_related("author").iterator(chunk_size=500): ...
    book = await Book.objects.get(pk=1)
    n = await Book.objects.filter(pages__gt=300).count()

Nothing runs until the QuerySet is awaited (or a method such as ``get``/``count``/``update`` is).
Each refinement returns a new QuerySet. An awaited QuerySet keeps its results: iterating it
again (``for b in qs``) reuses them; iterating one that has not run raises ``QuerySetNotLoaded``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, Optional, TypeVar, Union

from covet.db import Database
from covet.orm import connection
from covet.orm.connection import DatabaseInfo, database_info, get_database, known_info
from covet.orm.errors import FieldError, QuerySetNotLoaded
from covet.orm.expressions import Aggregate, Expression, Q
from covet.orm.loading import build_instances
from covet.orm.query import QueryCompiler, QueryState, RelatedNode
from covet.orm.shapes import compile_shape, shape_of

if TYPE_CHECKING:
    from covet.orm.managers import RawQuerySet
    from covet.orm.models import Model

__all__ = ["QuerySet"]

M = TypeVar("M", bound="Model")

#: ``get()`` fetches at most this many rows to say how many matched when more than one did.
MAX_GET_RESULTS = 21


class QuerySet(Generic[M]):
    """A lazy query over ``model``'s table; see the module docstring."""

    def __init__(
        self, model: type[M], state: Optional[QueryState] = None, using: Optional[Database] = None
    ) -> None:
        self.model = model
        self._state = state if state is not None else QueryState(model)
        self._using = using
        self._result_cache: Optional[list[Any]] = None

    def _clone(self, **changes: Any) -> QuerySet[M]:
        return QuerySet(self.model, self._state.copy(**changes), self._using)

    def __repr__(self) -> str:
        state = "loaded" if self._result_cache is not None else "not run"
        return f"<QuerySet {self.model.__name__} ({state})>"

    # -- running ----------------------------------------------------------------------------------

    @property
    def db(self) -> Database:
        return get_database(self._using)

    async def _info(self) -> tuple[Database, DatabaseInfo]:
        db = get_database(self._using)
        info = known_info(db)
        if info is None:
            info = await database_info(db)
        return db, info

    def __await__(self) -> Generator[Any, None, list[M]]:
        # PERF: one coroutine per evaluation (_run keeps its results), not one around another.
        return (self._run() if self._result_cache is None else self._fetch_all()).__await__()

    async def _fetch_all(self) -> list[M]:
        return await self._run() if self._result_cache is None else self._result_cache

    def _keep(self, results: list[Any]) -> list[Any]:
        self._result_cache = results
        return results

    async def _run(self) -> list[Any]:
        """Run the query, keep its results (see ``_keep``) and return them."""
        state = self._state
        if state.empty or (state.high is not None and state.high <= state.low):
            return self._keep([])
        db = get_database(self._using)
        info = known_info(db)
        if info is None:
            info = await database_info(db)
        described = shape_of(state)
        if described is not None:
            key, values = described
            shape = info.select_shapes.get(key)
            if shape is None:
                shape = compile_shape(state, info, key, values)
            if shape:
                params = shape.params(values)
                if params is not False:
                    rows = await connection.fetch_all(db, shape.sql, params)
                    if shape.tree is None:
                        return self._keep(_shape_values(rows, state))
                    objects = build_instances(rows, shape.tree, [], info.backend, db)
                    if state.prefetch and objects:
                        await _prefetch(objects, state.prefetch, db)
                    return self._keep(objects)
        compiler = QueryCompiler(state, info)
        if state.values is not None:
            query = compiler.select(compiler.value_columns())
            rows = await _fetch(db, info, query)
            return self._keep(_shape_values(rows, state))
        columns, tree = compiler.related_columns()
        query = compiler.select(columns)
        rows = await _fetch(db, info, query)
        objects = build_instances(rows, tree, list(state.annotations), info.backend, db)
        if state.prefetch and objects:
            await _prefetch(objects, state.prefetch, db)
        return self._keep(objects)

    def __aiter__(self) -> AsyncIterator[M]:
        return self._aiter()

    async def _aiter(self) -> AsyncIterator[M]:
        for item in await self._fetch_all():
            yield item

    def __iter__(self) -> Iterator[M]:
        if self._result_cache is None:
            raise QuerySetNotLoaded(
                f"this QuerySet of {self.model.__name__} has not run: `await` it (or `async for` over it) "
                f"before iterating, or load the relation with prefetch_related()"
            )
        return iter(self._result_cache)

    def __len__(self) -> int:
        return len(list(iter(self)))

    def __bool__(self) -> bool:
        return bool(list(iter(self)))

    def __getitem__(self, key: Union[int, slice]) -> Any:
        """``qs[5:10]`` is LIMIT/OFFSET (a new QuerySet); ``await qs[3]`` one object (IndexError if none)."""
        if self._result_cache is not None:
            return self._result_cache[key]
        state = self._state
        if isinstance(key, slice):
            if (key.start is not None and key.start < 0) or (key.stop is not None and key.stop < 0):
                raise ValueError(
                    "negative indexing is not supported: order the other way with order_by('-…')"
                )
            if key.step not in (None, 1):
                raise ValueError("slicing with a step is not supported")
            low = state.low + (key.start or 0)
            high = state.high
            if key.stop is not None:
                stop = state.low + key.stop
                high = stop if high is None else min(high, stop)
            return self._clone(low=low, high=high)
        if not isinstance(key, int) or isinstance(key, bool):
            raise TypeError(f"QuerySet indices are ints or slices, not {type(key).__name__}")
        if key < 0:
            raise ValueError("negative indexing is not supported: order the other way with order_by('-…')")
        return self._one_at(state.low + key)

    async def _one_at(self, index: int) -> Any:
        rows = await self._clone(low=index, high=index + 1)
        if not rows:
            raise IndexError(f"no {self.model.__name__} at index {index}")
        return rows[0]

    # -- refining ---------------------------------------------------------------------------------

    def all(self) -> QuerySet[M]:
        """A copy of this QuerySet (its results not cached yet)."""
        return self._clone()

    def none(self) -> QuerySet[M]:
        """A QuerySet that matches nothing (and runs no query)."""
        return self._clone(empty=True)

    def using(self, db: Optional[Database]) -> QuerySet[M]:
        """Run on ``db`` instead of the default database."""
        clone = self._clone()
        clone._using = db
        return clone

    def _filtered(self, q: Q) -> QuerySet[M]:
        state = self._state
        if state.is_sliced:
            raise TypeError("cannot filter a QuerySet once it is sliced: filter first, then slice")
        if _uses_aggregates(q, state):
            return self._clone(having=(*state.having, q))
        return self._clone(where=(*state.where, q))

    def filter(self, *args: Union[Q, Expression], **kwargs: Any) -> QuerySet[M]:
        """Rows matching every condition: ``filter(title__icontains="x", pages__gt=100)``."""
        if not args and not kwargs:
            return self._clone()
        return self._filtered(Q(*args, **kwargs))

    def exclude(self, *args: Union[Q, Expression], **kwargs: Any) -> QuerySet[M]:
        """Rows not matching the conditions (``NOT (a AND b)``)."""
        return self._filtered(~Q(*args, **kwargs))

    def order_by(self, *fields: Union[str, Expression]) -> QuerySet[M]:
        """Sort by fields (``-name`` descending, ``author__name`` across relations) or expressions;
        ``order_by()`` removes the ordering, Meta.ordering included."""
        for item in fields:
            if not isinstance(item, (str, Expression)):
                raise TypeError(f"order_by() takes field names or expressions, not {item!r}")
        return self._clone(ordering=tuple(fields))

    def reverse(self) -> QuerySet[M]:
        """The same rows in the opposite order (of ``order_by``, else Meta.ordering, else pk)."""
        state = self._state
        items = state.ordering if state.ordering is not None else self.model._meta.ordering
        if not items:
            items = ("pk",)
        flipped = tuple(_flip(item) for item in items)
        return self._clone(ordering=flipped)

    def distinct(self) -> QuerySet[M]:
        """``SELECT DISTINCT``: drop duplicate rows (joins across to-many relations make them)."""
        return self._clone(distinct=True)

    def select_related(self, *paths: str) -> QuerySet[M]:
        """Load these foreign keys (``author``, ``author__country``) in the same query, by JOINs."""
        return self._clone(related=tuple(dict.fromkeys((*self._state.related, *paths))))

    def prefetch_related(self, *lookups: Any) -> QuerySet[M]:
        """Load these relations (reverse, many-to-many, nested, or ``Prefetch(...)``) with one
        more query per relation once the main query ran."""
        return self._clone(prefetch=(*self._state.prefetch, *lookups))

    def annotate(self, **annotations: Expression) -> QuerySet[M]:
        """Add computed values, readable as attributes: ``annotate(n=Count("books"))``."""
        merged = dict(self._state.annotations)
        for name, expression in annotations.items():
            if not isinstance(expression, Expression):
                raise TypeError(
                    f"annotate({name}=...) takes an expression (Count, F, Subquery …), not {expression!r}"
                )
            if name in self.model._meta.fields_map:
                raise FieldError(f"annotation {name!r} clashes with the field {self.model.__name__}.{name}")
            merged[name] = expression
        marks = {**self._state.annotation_marks, **dict.fromkeys(annotations, len(self._state.where))}
        values = self._state.values
        if values is not None:  # values(...).annotate(...): the annotations join the values, grouped by them
            return self._clone(annotations=merged, annotation_marks=marks, values=(*values, *annotations))
        return self._clone(annotations=merged, annotation_marks=marks)

    def values(self, *fields: str) -> QuerySet[Any]:
        """Dicts instead of instances: ``values("title", "author__name")`` (all columns by default)."""
        return self._clone(values=self._value_names(fields), values_mode="dict")

    def values_list(self, *fields: str, flat: bool = False) -> QuerySet[Any]:
        """Tuples instead of instances; ``flat=True`` with one field gives the values themselves."""
        if flat and len(fields) != 1:
            raise TypeError("values_list(flat=True) takes exactly one field")
        return self._clone(values=self._value_names(fields), values_mode="flat" if flat else "tuple")

    def _value_names(self, fields: Sequence[str]) -> tuple[str, ...]:
        if fields:
            return tuple(fields)
        return (*self.model._meta.attnames, *self._state.annotations)

    def select_for_update(
        self, *, nowait: bool = False, skip_locked: bool = False, of: Sequence[str] = ()
    ) -> QuerySet[M]:
        """Lock the selected rows until the transaction ends (``FOR UPDATE``); run it inside
        ``db.transaction()``. SQLite has no row locks: there a write transaction locks the database."""
        if nowait and skip_locked:
            raise ValueError("choose nowait or skip_locked, not both")
        return self._clone(lock=(nowait, skip_locked, tuple(of)))

    # -- single objects ---------------------------------------------------------------------------

    async def get(self, *args: Union[Q, Expression], **kwargs: Any) -> M:
        """The one object matching; ``Model.DoesNotExist`` or ``Model.MultipleObjectsReturned`` else."""
        queryset = self.filter(*args, **kwargs) if (args or kwargs) else self
        state = queryset._state
        limited = queryset if state.is_sliced else queryset._clone(high=MAX_GET_RESULTS, ordering=())
        rows = await limited
        if len(rows) == 1:
            return rows[0]
        model = self.model
        described = _describe_filters(args, kwargs)
        if not rows:
            raise model.DoesNotExist(f"no {model.__name__} matches {described}")
        many = "more than 20" if len(rows) == MAX_GET_RESULTS else str(len(rows))
        raise model.MultipleObjectsReturned(f"get() found {many} {model.__name__} rows matching {described}")

    async def first(self) -> Optional[M]:
        """The first object (by the ordering, else by primary key), or None."""
        queryset = self if self._has_ordering() else self.order_by("pk")
        rows = await queryset[:1]
        return rows[0] if rows else None

    async def last(self) -> Optional[M]:
        """The last object in this QuerySet's order (by pk when it has none), or None."""
        queryset = self.reverse() if self._has_ordering() else self.order_by("-pk")
        rows = await queryset[:1]
        return rows[0] if rows else None

    def _has_ordering(self) -> bool:
        state = self._state
        return bool(state.ordering if state.ordering is not None else self.model._meta.ordering)

    async def exists(self) -> bool:
        """Whether any row matches, fetching at most one (or from the cache when evaluated)."""
        if self._result_cache is not None:
            return bool(self._result_cache)
        if self._state.empty:
            return False
        db, info = await self._info()
        compiler = QueryCompiler(self._state.copy(high=self._state.low + 1), info)
        query = compiler.select([compiler.base.c[self.model._meta.pk.column]], ordered=False)
        return bool(await _fetch(db, info, query))

    async def count(self) -> int:
        """``SELECT count(*)`` of the matching rows (the cached length when evaluated)."""
        if self._result_cache is not None:
            return len(self._result_cache)
        if self._state.empty:
            return 0
        from covet.db.query import func, select

        db, info = await self._info()
        state = self._state
        compiler = QueryCompiler(state, info)
        if state.is_sliced or state.distinct or state.grouped or state.values is not None:
            columns = compiler.value_columns() if state.values is not None else None
            inner = compiler.select(columns, ordered=False, annotations=not state.distinct).subquery(
                "counted"
            )
            query = select(func.count()).select_from(inner)
        else:
            query = compiler.select([func.count()], ordered=False, annotations=False)
        rows = await _fetch(db, info, query)
        return int(rows[0][0])

    async def aggregate(self, *args: Aggregate, **aggregates: Expression) -> dict[str, Any]:
        """``{"pages__avg": …}``: aggregates over the whole (filtered) QuerySet, in one query."""
        named: dict[str, Expression] = {}
        for aggregate in args:
            named[aggregate.default_alias()] = aggregate
        named.update(aggregates)
        for name, value in named.items():
            if not getattr(value, "contains_aggregate", False):
                raise TypeError(f"aggregate({name}=...) takes Count, Sum, Avg, Min or Max, not {value!r}")
        from covet.orm.aggregation import run_aggregate

        db, info = await self._info()
        return await run_aggregate(db, info, self._state, named)

    async def in_bulk(self, ids: Optional[Iterable[Any]] = None, *, field_name: str = "pk") -> dict[Any, M]:
        """``{value: object}`` for the objects whose ``field_name`` is in ``ids`` (all when None)."""
        queryset = self if ids is None else self.filter(**{f"{field_name}__in": list(ids)})
        name = self.model._meta.pk.attname if field_name == "pk" else field_name
        return {getattr(obj, name): obj for obj in await queryset}

    async def get_or_create(self, defaults: Optional[dict[str, Any]] = None, **kwargs: Any) -> tuple[M, bool]:
        """``(object, created)``: the matching object, or a new one saved with ``kwargs`` + ``defaults``.

        A concurrent insert of the same row (a unique violation) is answered by fetching it.
        """
        from covet.db import IntegrityError

        try:
            return await self.get(**kwargs), False
        except self.model.DoesNotExist:
            pass
        values = {k: v for k, v in kwargs.items() if "__" not in k}
        values.update(defaults or {})
        obj = self.model(**values)
        db = self.db
        try:
            async with db.transaction():
                await obj.save(using=db)
        except IntegrityError:
            try:
                return await self.get(**kwargs), False
            except self.model.DoesNotExist:
                raise
        return obj, True

    async def update_or_create(
        self, defaults: Optional[dict[str, Any]] = None, **kwargs: Any
    ) -> tuple[M, bool]:
        """``(object, created)``: update the matching object with ``defaults`` (locking the row
        where the database can), or create one."""
        db = self.db
        async with db.transaction():
            try:
                obj = await self.select_for_update().get(**kwargs)
            except self.model.DoesNotExist:
                return await self.get_or_create(defaults, **kwargs)
            for name, value in (defaults or {}).items():
                setattr(obj, name, value)
            await obj.save(using=db)
        return obj, False

    async def create(self, **values: Any) -> M:
        """A new object, saved (validated first)."""
        obj = self.model(**values)
        await obj.save(using=self._using)
        return obj

    # -- writes -----------------------------------------------------------------------------------

    async def update(self, **values: Any) -> int:
        """UPDATE every matching row (values may be ``F`` expressions); the number of rows."""
        from covet.orm.persistence import update_queryset

        return await update_queryset(self, values)

    async def delete(self) -> int:
        """Delete every matching row, applying on_delete rules and signals; the rows deleted."""
        from covet.orm.persistence import delete_queryset

        return await delete_queryset(self)

    async def bulk_create(
        self,
        objs: Iterable[M],
        *,
        batch_size: Optional[int] = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        unique_fields: Sequence[str] = (),
        update_fields: Sequence[str] = (),
        validate: bool = False,
    ) -> list[M]:
        """Insert many objects in few statements (COPY on PostgreSQL, multi-row INSERT elsewhere).

        Primary keys are set on the objects where the database returns them (all three do here).
        ``ignore_conflicts`` skips rows violating a unique constraint; ``update_conflicts`` with
        ``unique_fields`` and ``update_fields`` is an upsert. No signals are sent.
        """
        from covet.orm.bulk import bulk_create

        return await bulk_create(
            self,
            list(objs),
            batch_size,
            ignore_conflicts,
            update_conflicts,
            unique_fields,
            update_fields,
            validate,
        )

    async def bulk_update(
        self, objs: Iterable[M], fields: Sequence[str], *, batch_size: Optional[int] = None
    ) -> int:
        """Write ``fields`` of every object; the number of rows matched (an object listed twice
        counts once, its first values are written). On PostgreSQL one ``UPDATE … FROM unnest(…)``
        (per ``batch_size`` objects, if given), elsewhere one ``UPDATE … CASE`` per batch."""
        from covet.orm.bulk import bulk_update

        return await bulk_update(self, list(objs), fields, batch_size)

    async def upsert(
        self, objs: Iterable[M], *, unique_fields: Sequence[str], update_fields: Sequence[str] = ()
    ) -> list[M]:
        """Insert ``objs``, updating the rows that already exist by ``unique_fields``."""
        objs = list(objs)
        fields = update_fields or [
            f.name for f in self.model._meta.fields if f.name not in unique_fields and not f.primary_key
        ]
        return await self.bulk_create(
            objs, update_conflicts=True, unique_fields=unique_fields, update_fields=fields
        )

    # -- streaming and raw SQL --------------------------------------------------------------------

    async def iterator(self, chunk_size: int = 2000) -> AsyncIterator[M]:
        """Stream the rows ``chunk_size`` at a time (a server-side cursor on PostgreSQL), with
        bounded memory; prefetch_related runs once per chunk."""
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
        state = self._state
        if state.empty:
            return
        db, info = await self._info()
        compiler = QueryCompiler(state, info)
        if state.values is not None:
            query = info.dialect.compile(compiler.select(compiler.value_columns()))
        else:
            columns, tree = compiler.related_columns()
            query = info.dialect.compile(compiler.select(columns))
        connection.record(query.sql)
        batch: list[Any] = []
        async with db.iterate(query.sql, query.params, batch_size=chunk_size, as_tuples=True) as rows:
            async for row in rows:
                batch.append(row)
                if len(batch) >= chunk_size:
                    for item in await self._decode_chunk(
                        batch, tree if state.values is None else None, info, db
                    ):
                        yield item
                    batch = []
        if batch:
            for item in await self._decode_chunk(batch, tree if state.values is None else None, info, db):
                yield item

    async def _decode_chunk(
        self, rows: list[Any], tree: Optional[RelatedNode], info: DatabaseInfo, db: Database
    ) -> list[Any]:
        state = self._state
        if tree is None:
            return _shape_values(rows, state)
        objects = build_instances(rows, tree, list(state.annotations), info.backend, db)
        if state.prefetch and objects:
            await _prefetch(objects, state.prefetch, db)
        return objects

    def raw(self, sql: str, params: Any = None) -> RawQuerySet[M]:
        """Instances from your own SQL (columns matched to fields by name; extra columns become
        attributes). Use the database's placeholders (``%s`` or ``?``)."""
        from covet.orm.managers import RawQuerySet

        return RawQuerySet(self.model, sql, params, self._using)


# -- helpers --------------------------------------------------------------------------------------


async def _prefetch(objects: list[Any], lookups: tuple[Any, ...], db: Database) -> None:
    from covet.orm.prefetch import prefetch_related_objects

    await prefetch_related_objects(objects, lookups, db)


async def _fetch(db: Database, info: DatabaseInfo, statement: Any) -> list[Any]:
    query = info.dialect.compile(statement)
    return await connection.fetch_all(db, query.sql, query.params)


def _shape_values(rows: list[Any], state: QueryState) -> list[Any]:
    if state.values_mode == "flat":
        return [row[0] for row in rows]
    if state.values_mode == "tuple":
        return rows
    names = state.values or ()
    return [dict(zip(names, row, strict=True)) for row in rows]


def _uses_aggregates(q: Q, state: QueryState) -> bool:
    for child in q.children:
        if isinstance(child, Q):
            if _uses_aggregates(child, state):
                return True
        elif isinstance(child, tuple):
            expression = state.annotations.get(child[0].split("__", 1)[0])
            if expression is not None and expression.contains_aggregate:
                return True
        elif getattr(child, "contains_aggregate", False):
            return True
    return False


def _flip(item: Union[str, Expression]) -> Union[str, Expression]:
    from covet.orm.expressions import OrderBy

    if isinstance(item, str):
        return item[1:] if item.startswith("-") else f"-{item}"
    if isinstance(item, OrderBy):
        return OrderBy(item.expression, descending=not item.descending)
    return OrderBy(item, descending=True)


def _describe_filters(args: Sequence[Any], kwargs: dict[str, Any]) -> str:
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return ", ".join(parts) if parts else "the query"
