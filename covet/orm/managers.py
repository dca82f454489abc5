"""``Model.objects`` (the ``Manager``) and ``raw()`` SQL results.

A Manager starts QuerySets and offers every QuerySet method itself. Its ``get()`` by primary key
takes a fast path — SQL built once per model and database, one fetch, one loader call — since it
is the query a web app runs most (the TFB ``/db`` test is nothing else).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Generic, Optional, TypeVar, Union

from covet._speedups.orm_rows import load_instance
from covet.db import Database
from covet.orm import connection
from covet.orm.connection import database_info, get_database, known_info
from covet.orm.errors import FieldError
from covet.orm.expressions import Expression, Q
from covet.orm.query import QueryCompiler, QueryState
from covet.orm.queryset import QuerySet

if TYPE_CHECKING:
    from covet.orm.models import Model

__all__ = ["Manager", "RawQuerySet"]

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
        self._pk_names = frozenset({"pk", "pk__exact"})

    def get_queryset(self) -> QuerySet[M]:
        return QuerySet(self.model)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "model":
            raise AttributeError(name)
        return getattr(self.get_queryset(), name)

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

    async def get(self, *args: Union[Q, Expression], **kwargs: Any) -> M:
        if not args and len(kwargs) == 1:
            ((key, value),) = kwargs.items()
            meta = self.model._meta
            if key in self._pk_names or key == meta.pk.name or key == meta.pk.attname:
                return await self._get_by_pk(value)
        return await self.get_queryset().get(*args, **kwargs)

    async def _get_by_pk(self, value: Any) -> M:
        """PERF: the TFB hot path — SQL made once per (model, database), one fetch, one loader call."""
        model = self.model
        db = get_database(None)
        info = known_info(db)
        if info is None:
            info = await database_info(db)
        key = (model, "get_pk")
        cached = info.sql_cache.get(key)
        if cached is None:
            from covet.db.query.expressions import Param

            meta = model._meta
            compiler = QueryCompiler(QueryState(model), info)
            pk_column = compiler.base.c[meta.pk.column]
            query = info.dialect.compile(compiler.select(ordered=False).where(pk_column == Param(0)))
            cached = info.sql_cache[key] = (query.sql, meta.pk.to_db, model._layout(info.backend))
        sql, to_db, layout = cached
        row = await connection.fetch_one(db, sql, (to_db(value),))
        if row is None:
            raise model.DoesNotExist(f"no {model.__name__} matches pk={value!r}")
        return load_instance(row, layout, db)  # type: ignore[no-any-return]
