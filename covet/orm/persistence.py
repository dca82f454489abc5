"""Writing rows: ``save()`` of one instance, QuerySet ``update()``, and deletes with on_delete rules.

Deleting follows each foreign key's ``on_delete`` the way Django does, in the ORM (so every
backend behaves the same and signals fire for cascaded rows): the ``Collector`` finds the rows
pointing at what is deleted, cascades, refuses (PROTECT, RESTRICT) or nulls their keys, then
deletes children before parents, all in one transaction. A model nothing points at and nobody
listens to is deleted with a single statement.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Optional

from covet.db import Database
from covet.db.query import delete, insert, select, update
from covet.db.query.expressions import Node, Param
from covet.orm import connection, signals
from covet.orm.connection import DatabaseInfo, database_info, get_database
from covet.orm.errors import FieldError, ProtectedError, RestrictedError
from covet.orm.expressions import Expression
from covet.orm.fields import Field
from covet.orm.models import check_field_names
from covet.orm.query import QueryCompiler
from covet.orm.relations import CASCADE, DO_NOTHING, PROTECT, RESTRICT, SET_DEFAULT, SET_NULL, ForeignKey

if TYPE_CHECKING:
    from covet.orm.models import Model
    from covet.orm.queryset import QuerySet

__all__ = ["Collector", "delete_instance", "delete_queryset", "save", "update_queryset"]

_ID_BATCH = 5000  # primary keys per ``IN (...)`` when deleting or nulling collected rows


async def save(
    obj: Model,
    update_fields: Optional[Iterable[str]],
    force_insert: bool,
    using: Optional[Database],
    validate: bool,
) -> None:
    model = type(obj)
    db = get_database(using or obj._db)
    info = await database_info(db)
    adding = force_insert or obj._row is None
    names = None if update_fields is None else list(update_fields)
    if signals.pre_save.has_receivers(model):
        await signals.pre_save.send(model, instance=obj, update_fields=names)
    if adding:
        if validate:
            obj.full_clean()
        await _insert(obj, db, info)
    else:
        changed = obj.changed_fields() if names is None else names
        fields = [f for f in check_field_names(model, changed) if not f.primary_key]
        if validate and fields:
            obj.full_clean(f.name for f in fields)
        if fields:
            await _update(obj, fields, db, info)
    obj._row = obj._values()
    obj._db = db
    if signals.post_save.has_receivers(model):
        await signals.post_save.send(model, instance=obj, created=adding, update_fields=names)


async def _insert(obj: Model, db: Database, info: DatabaseInfo) -> None:
    model = type(obj)
    meta = model._meta
    pk = meta.pk
    fields = [f for f in meta.fields if not (f.auto and getattr(obj, f.attname) is None)]
    needs_pk = len(fields) != len(meta.fields)
    key = ("insert", model, tuple(f.attname for f in fields))
    sql = info.sql_cache.get(key)
    if sql is None:
        statement = insert(meta.table)
        if fields:
            statement = statement.values({f.column: None for f in fields})
        if needs_pk and info.dialect.insert_returning:
            statement = statement.returning(meta.table.c[pk.column])
        sql = info.sql_cache[key] = info.dialect.compile(statement).sql
    params = tuple([f.to_db(getattr(obj, f.attname)) for f in fields])
    if not needs_pk:
        await connection.execute(db, sql, params)
    elif info.dialect.insert_returning:
        row = await connection.fetch_one(db, sql, params)
        setattr(obj, pk.attname, row[0])
    else:
        async with db.connection():  # LAST_INSERT_ID() belongs to the connection that inserted
            await connection.execute(db, sql, params)
            setattr(obj, pk.attname, await db.fetch_val("SELECT LAST_INSERT_ID()"))


async def _update(obj: Model, fields: list[Field], db: Database, info: DatabaseInfo) -> None:
    model = type(obj)
    meta = model._meta
    key = ("update", model, tuple(f.attname for f in fields))
    sql = info.sql_cache.get(key)
    if sql is None:
        table = meta.table
        statement = (
            update(table)
            .values({f.column: None for f in fields})
            .where(table.c[meta.pk.column] == Param(None))
        )
        sql = info.sql_cache[key] = info.dialect.compile(statement).sql
    params = tuple([f.to_db(getattr(obj, f.attname)) for f in fields]) + (meta.pk.to_db(obj.pk),)
    await connection.execute(db, sql, params)


# -- QuerySet.update ------------------------------------------------------------------------------


async def update_queryset(queryset: QuerySet[Any], values: dict[str, Any]) -> int:
    if not values:
        raise ValueError("update() needs at least one field=value")
    model = queryset.model
    meta = model._meta
    state = queryset._state
    if state.empty:
        return 0
    db = get_database(queryset._using)
    info = await database_info(db)
    compiler = QueryCompiler(state.copy(ordering=()), info)
    assignments: dict[Any, Node] = {}
    for name, value in values.items():
        field = meta.get_field(name)
        if not isinstance(field, Field) or not field.concrete:
            raise FieldError(f"update() can only set columns of {model.__name__}; {name!r} is not one")
        if isinstance(value, Expression):
            if value.contains_aggregate:
                raise FieldError(f"update({name}=...) cannot use an aggregate")
            assignments[field.column] = value.resolve(compiler)
        else:
            assignments[field.column] = Param(None if value is None else field.to_db(value))
    if compiler.join_list:
        raise FieldError("update() values can only refer to the model's own fields, not related ones")
    statement = update(meta.table).values(assignments)
    condition = _rows_condition(queryset, compiler, info)
    if condition is not None:
        statement = statement.where(condition)
    query = info.dialect.compile(statement)
    return await connection.execute(db, query.sql, query.params)


def _rows_condition(queryset: QuerySet[Any], compiler: QueryCompiler, info: DatabaseInfo) -> Optional[Node]:
    """The WHERE of an UPDATE/DELETE for the queryset: direct, or ``pk IN (SELECT …)`` when the
    filters join other tables or the queryset is sliced (UPDATE and DELETE take neither), or a
    subquery refers to the rows (MySQL cannot read the table it changes in one)."""
    state = queryset._state
    meta = queryset.model._meta
    where = compiler.where()
    if not compiler.join_list and not state.is_sliced and not state.grouped and not compiler.correlated:
        return where
    inner = QueryCompiler(state, info, alias_base=True)
    pk_select = inner.select([inner.base.c[meta.pk.column]], ordered=state.is_sliced, annotations=False)
    wrapped = pk_select.subquery("matched")  # MySQL cannot select from the table it changes
    condition: Node = meta.table.c[meta.pk.column].in_(select(wrapped.c[meta.pk.column]))
    return condition


# -- deleting -------------------------------------------------------------------------------------


async def delete_instance(obj: Model, using: Optional[Database]) -> int:
    model = type(obj)
    if obj.pk is None:
        raise ValueError(f"an unsaved {model.__name__} cannot be deleted")
    db = get_database(using or obj._db)
    info = await database_info(db)
    collector = Collector(db, info)
    async with db.transaction():
        await collector.collect(model, [obj.pk], {obj.pk: obj})
        count = await collector.delete()
    obj._row = None
    return count


async def delete_queryset(queryset: QuerySet[Any]) -> int:
    model = queryset.model
    state = queryset._state
    if state.empty:
        return 0
    db = get_database(queryset._using)
    info = await database_info(db)
    if not _has_dependents(model):
        compiler = QueryCompiler(state.copy(ordering=()), info)
        statement = delete(model._meta.table)
        condition = _rows_condition(queryset, compiler, info)
        if condition is not None:
            statement = statement.where(condition)
        query = info.dialect.compile(statement)
        return await connection.execute(db, query.sql, query.params)
    collector = Collector(db, info)
    async with db.transaction():
        listening = signals.pre_delete.has_receivers(model) or signals.post_delete.has_receivers(model)
        if listening:
            objects = await queryset.using(db).order_by()
            await collector.collect(model, [o.pk for o in objects], {o.pk: o for o in objects})
        else:
            pks = await queryset.using(db).order_by().values_list("pk", flat=True)
            await collector.collect(model, list(pks))
        return await collector.delete()


def _has_dependents(model: type[Model]) -> bool:
    meta = model._meta
    if signals.pre_delete.has_receivers(model) or signals.post_delete.has_receivers(model):
        return True
    if meta.many_to_many:
        return True
    for relation in meta.related_objects:
        if relation.many_to_many or relation.field.on_delete != DO_NOTHING:  # type: ignore[union-attr]
            return True  # an automatic link table counts too: its rows must go first
    return False


class Collector:
    """The rows one delete touches, model by model, and the keys it must set to NULL/default."""

    def __init__(self, db: Database, info: DatabaseInfo) -> None:
        self.db = db
        self.info = info
        self.rows: dict[type[Model], dict[Any, Optional[Model]]] = {}
        self.key_updates: list[tuple[type[Model], ForeignKey, Any, list[Any]]] = []
        self.restricted: list[tuple[type[Model], ForeignKey, list[Any]]] = []
        self.link_deletes: list[tuple[type[Model], ForeignKey, list[Any]]] = []

    async def collect(
        self, model: type[Model], pks: list[Any], objects: Optional[dict[Any, Model]] = None
    ) -> None:
        known = self.rows.setdefault(model, {})
        new = [pk for pk in pks if pk not in known]
        for pk in new:
            known[pk] = objects.get(pk) if objects else None
        if not new:
            return
        meta = model._meta
        for field in meta.many_to_many:
            if field.resolved:
                self.link_deletes.append((field.through, field.source_fk, new))
        for relation in meta.related_objects:
            if relation.many_to_many:
                field_m2m: Any = relation.field
                self.link_deletes.append((field_m2m.through, field_m2m.target_fk, new))
                continue
            fk: ForeignKey = relation.field  # type: ignore[assignment]
            if fk.on_delete == DO_NOTHING or relation.related_model._meta.auto_created:
                continue  # automatic link tables are emptied by link_deletes above
            child = relation.related_model
            found = (
                await child.objects.using(self.db)
                .filter(**{f"{fk.attname}__in": new})
                .order_by()
                .values_list("pk", flat=True)
            )
            if not found:
                continue
            if fk.on_delete == CASCADE:
                await self.collect(child, list(found))
            elif fk.on_delete == PROTECT:
                raise ProtectedError(
                    f"cannot delete {model.__name__} {_short(new)}: {len(found)} {child.__name__} row(s) "
                    f"point at it through {child.__name__}.{fk.name} (on_delete=PROTECT); delete or "
                    f"re-point them first",
                    found,
                )
            elif fk.on_delete == RESTRICT:
                self.restricted.append((child, fk, list(found)))
            elif fk.on_delete == SET_NULL:
                self.key_updates.append((child, fk, None, list(found)))
            elif fk.on_delete == SET_DEFAULT:
                self.key_updates.append((child, fk, fk.to_db(fk.get_default()), list(found)))

    def _check_restricted(self) -> None:
        for child, fk, pks in self.restricted:
            deleted = self.rows.get(child, {})
            left = [pk for pk in pks if pk not in deleted]
            if left:
                raise RestrictedError(
                    f"cannot delete: {len(left)} {child.__name__} row(s) point at it through "
                    f"{child.__name__}.{fk.name} (on_delete=RESTRICT) and are not deleted with it",
                    left,
                )

    async def delete(self) -> int:
        """Run the collected changes (inside the caller's transaction); rows deleted in all."""
        self._check_restricted()
        db = self.db
        for model, objects in self.rows.items():
            if signals.pre_delete.has_receivers(model):
                for obj in await self._instances(model, objects):
                    await signals.pre_delete.send(model, instance=obj)
        for through, fk, pks in self.link_deletes:
            for batch in _batches(pks):
                await through.objects.using(db).filter(**{f"{fk.attname}__in": batch}).delete()
        for model, fk, value, pks in self.key_updates:
            for batch in _batches(pks):
                await model.objects.using(db).filter(pk__in=batch).update(**{fk.attname: value})
        total = 0
        for model in reversed(list(self.rows)):  # collected parents first: delete children first
            meta = model._meta
            pks = list(self.rows[model])
            for batch in _batches(pks):
                statement = delete(meta.table).where(meta.table.c[meta.pk.column].in_(batch))
                query = self.info.dialect.compile(statement)
                total += await connection.execute(db, query.sql, query.params)
        for model, objects in self.rows.items():
            if signals.post_delete.has_receivers(model):
                for obj in await self._instances(model, objects):
                    await signals.post_delete.send(model, instance=obj)
        return total

    async def _instances(self, model: type[Model], objects: dict[Any, Optional[Model]]) -> list[Model]:
        missing = [pk for pk, obj in objects.items() if obj is None]
        if missing:
            for obj in await model.objects.using(self.db).filter(pk__in=missing):
                objects[obj.pk] = obj
        return [obj for obj in objects.values() if obj is not None]


def _batches(items: list[Any]) -> list[list[Any]]:
    return [items[i : i + _ID_BATCH] for i in range(0, len(items), _ID_BATCH)]


def _short(pks: list[Any]) -> str:
    shown = ", ".join(map(repr, pks[:5]))
    return f"pk {shown}" if len(pks) == 1 else f"pks {shown}{' …' if len(pks) > 5 else ''}"
