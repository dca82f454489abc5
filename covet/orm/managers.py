"""``Model.objects`` (the ``Manager``) and ``raw()`` SQL results.

A Manager starts QuerySets and offers every QuerySet method itself. Its ``get()`` by primary key
takes a fast path — SQL built once per model and database, one fetch, one loader call — since it
is the query a web app runs most (the TFB ``/db`` test is nothing else).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Generator
from typing import TYPE_CHECKING, Any, Generic, Optional, TypeVar, Union, overload

from covet._speedups.orm_rows import load_instance
from covet._speedups.pk_get import PkGet, bind, manager_get
from covet.db import Database
from covet.orm import connection
from covet.orm.connection import database_info, get_database, known_info
from covet.orm.errors import FieldError
from covet.orm.expressions import Aggregate, Expression, Q
from covet.orm.fields import Field
from covet.orm.instrumentation import WATCH
from covet.orm.query import QueryCompiler, QueryState
from covet.orm.queryset import QuerySet

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Sequence
    from typing import Self

    from covet.orm.models import Model

__all__ = ["Manager", "ManagerDescriptor", "RawQuerySet"]

M = TypeVar("M", bound="Model")


class RawQuerySet(Generic[M]):
    """``await Model.objects.raw(sql, params)``: a list of instances."""

    def __init__(self, model: type[M], sql: str, params: Any, using: Optional[Database]) -> None:
        self.model = model
        self.sql = sql
        self.params = params
        self._using = using

    def __await__(self) -> Generator[Any, None, list[M]]:
        return self._run().__await__()

    async def _run(self) -> list[M]:
        db = get_database(self._using)
        info = known_info(db) or await database_info(db)
        connection.record(self.sql)
        records = await db.fetch_all(self.sql, self.params)
        if not records:
            return []
        meta = self.model._meta
        columns = records[0].keys()
        by_column = {f.column: f for f in meta.fields}
        missing = [f.column for f in meta.fields if f.column not in columns]
        if meta.pk.column in missing:
            raise FieldError(
                f"raw() query for {self.model.__name__} must select the primary key {meta.pk.column!r}"
            )
        if missing:
            raise FieldError(
                f"raw() query for {self.model.__name__} must select every column; "
                f"missing: {', '.join(missing)}"
            )
        layout = self.model._layout(info.backend)
        extra = [c for c in columns if c not in by_column]
        objects = []
        for record in records:
            obj = load_instance(tuple(record[f.column] for f in meta.fields), layout, db)
            for name in extra:
                obj._set_extra(name, record[name])
            objects.append(obj)
        return objects


class Manager(Generic[M]):
    """``Model.objects``: where QuerySets start. Every QuerySet method is available on it.

    ``get()`` by primary key alone takes a fast path: its SQL is built once per model and
    database, so a lookup costs the query and one instance.
    """

    model: type[M]

    def __set_name__(self, owner: type[M], name: str) -> None:
        self.model = owner
        self.name = name
        self._pk_keys: frozenset[str] = frozenset()  # the names get() takes for the pk (once _meta is made)
        self._by_pk: Optional[PkGet] = None

    def get_queryset(self) -> QuerySet[M]:
        return QuerySet(self.model)

    if TYPE_CHECKING:
        # The QuerySet methods a Manager hands on, spelled out for type checkers: at run time
        # ``_hand_on_queryset_methods`` below puts them on the class.
        def __get__(self, instance: object, owner: type[Any]) -> Self: ...
        def none(self) -> QuerySet[M]: ...
        def reverse(self) -> QuerySet[M]: ...
        def distinct(self) -> QuerySet[M]: ...
        def select_related(self, *paths: str) -> QuerySet[M]: ...
        def prefetch_related(self, *lookups: Any) -> QuerySet[M]: ...
        def annotate(self, **annotations: Expression) -> QuerySet[M]: ...
        def values(self, *fields: str) -> QuerySet[Any]: ...
        def values_list(self, *fields: str, flat: bool = False) -> QuerySet[Any]: ...
        def select_for_update(
            self, *, nowait: bool = False, skip_locked: bool = False, of: Sequence[str] = ()
        ) -> QuerySet[M]: ...
        async def first(self) -> Optional[M]: ...
        async def last(self) -> Optional[M]: ...
        async def exists(self) -> bool: ...
        async def aggregate(self, *args: Aggregate, **aggregates: Expression) -> dict[str, Any]: ...
        async def in_bulk(
            self, ids: Optional[Iterable[Any]] = None, *, field_name: str = "pk"
        ) -> dict[Any, M]: ...
        async def get_or_create(
            self, defaults: Optional[dict[str, Any]] = None, **kwargs: Any
        ) -> tuple[M, bool]: ...
        async def update_or_create(
            self, defaults: Optional[dict[str, Any]] = None, **kwargs: Any
        ) -> tuple[M, bool]: ...
        async def update(self, **values: Any) -> int: ...
        async def delete(self) -> int: ...
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
        ) -> list[M]: ...
        async def bulk_update(
            self, objs: Iterable[M], fields: Sequence[str], *, batch_size: Optional[int] = None
        ) -> int: ...
        async def upsert(
            self, objs: Iterable[M], *, unique_fields: Sequence[str], update_fields: Sequence[str] = ()
        ) -> list[M]: ...
        def iterator(self, chunk_size: int = 2000) -> AsyncIterator[M]: ...
        def raw(self, sql: str, params: Any = None) -> RawQuerySet[M]: ...

    def all(self) -> QuerySet[M]:
        return self.get_queryset()

    def filter(self, *args: Union[Q, Expression], **kwargs: Any) -> QuerySet[M]:
        return self.get_queryset().filter(*args, **kwargs)

    def exclude(self, *args: Union[Q, Expression], **kwargs: Any) -> QuerySet[M]:
        return self.get_queryset().exclude(*args, **kwargs)

    def using(self, db: Optional[Database]) -> QuerySet[M]:
        return QuerySet(self.model, using=db)

    def order_by(self, *fields: Union[str, Expression]) -> QuerySet[M]:
        return self.get_queryset().order_by(*fields)

    async def create(self, **values: Any) -> M:
        return await self.get_queryset().create(**values)

    async def count(self) -> int:
        return await self.get_queryset().count()

    if TYPE_CHECKING:

        def get(self, *args: Union[Q, Expression], **kwargs: Any) -> Coroutine[Any, Any, M]:
            """The one object matching (see ``QuerySet.get``); by primary key alone, the fast
            path of ``covet._speedups.pk_get``."""
    else:
        get = manager_get

    def _find_pk_keys(self) -> frozenset[str]:
        pk = self.model._meta.pk
        self._pk_keys = frozenset({"pk", "pk__exact", pk.name, pk.attname})
        return self._pk_keys

    async def _get_by_pk_first(self, db: Database, value: Any) -> M:
        """The first get by pk on ``db``: build the statement (once per model and database), then run it."""
        info = known_info(db) or await database_info(db)
        model = self.model
        key = (model, "get_pk")
        statement = info.sql_cache.get(key)
        if statement is None:
            from covet.db.query.expressions import Param

            pk = model._meta.pk
            compiler = QueryCompiler(QueryState(model), info)
            pk_column = compiler.base.c[pk.column]
            query = info.dialect.compile(compiler.select(ordered=False).where(pk_column == Param(0)))
            to_db = None if type(pk).to_db is Field.to_db else pk.to_db
            statement = info.sql_cache[key] = (query.sql, to_db, model._layout(info.backend))
        sql, to_db, layout = statement
        self._by_pk = PkGet(db, sql, to_db, layout, model)
        return await self._by_pk.fetch(db, value)  # type: ignore[no-any-return]


def _hand_on_queryset_methods() -> None:
    """Give Manager each public QuerySet method and property it does not define itself, run on
    a fresh ``get_queryset()``.

    PERF: real class attributes rather than a ``__getattr__``: on a class with ``__getattr__``
    every attribute read takes the interpreter's slow path, and ``get()`` by pk makes three."""
    for name, attr in vars(QuerySet).items():
        if name.startswith("_") or name in vars(Manager):
            continue
        if isinstance(attr, property):
            setattr(Manager, name, property(_queryset_getter(name), doc=attr.__doc__))
        elif callable(attr):
            setattr(Manager, name, _queryset_method(name, attr))


def _queryset_getter(name: str) -> Callable[[Manager[Any]], Any]:
    def get(self: Manager[Any]) -> Any:
        return getattr(self.get_queryset(), name)

    return get


def _queryset_method(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def handed_on(self: Manager[Any], *args: Any, **kwargs: Any) -> Any:
        return getattr(self.get_queryset(), name)(*args, **kwargs)

    handed_on.__qualname__ = f"Manager.{name}"
    return handed_on


if not TYPE_CHECKING:
    _hand_on_queryset_methods()
    bind(get_database, WATCH)


class ManagerDescriptor:
    """Typing only: what ``Model.objects`` is to a type checker, so ``Book.objects`` reads as
    ``Manager[Book]`` on every model without the model saying so. At run time ``ModelBase`` puts a
    plain ``Manager`` on each concrete model; nothing of this class is ever made."""

    if TYPE_CHECKING:

        @overload
        def __get__(self, instance: None, owner: type[M]) -> Manager[M]: ...
        @overload
        def __get__(self, instance: M, owner: type[M]) -> Manager[M]: ...
        def __get__(self, instance: Optional[M], owner: type[M]) -> Manager[M]: ...
