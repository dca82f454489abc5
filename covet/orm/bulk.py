"""Bulk writes: ``bulk_create`` (COPY on PostgreSQL, multi-row INSERT elsewhere), ``bulk_update``, upserts.

On PostgreSQL a plain ``bulk_create`` reserves the primary keys it needs with one ``nextval``
query, then streams the rows with ``COPY … FROM STDIN``: two round trips for any number of rows.
Elsewhere, and for upserts, rows go in multi-row INSERTs sized to the database's parameter limit,
with ``RETURNING`` giving the keys where the database has it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from types import NoneType
from typing import TYPE_CHECKING, Any, NamedTuple, Optional

import psycopg

from covet.db import Database
from covet.db.errors import map_postgresql_error
from covet.db.query import case, cast, excluded, update
from covet.db.query.expressions import Param
from covet.db.query.insert import Insert
from covet.orm import connection
from covet.orm.backends import unnest_type
from covet.orm.connection import DatabaseInfo, database_info, get_database, known_info
from covet.orm.errors import FieldError
from covet.orm.fields import Field
from covet.orm.models import check_field_names
from covet.orm.options import values_getter

if TYPE_CHECKING:
    from covet.orm.models import Model
    from covet.orm.queryset import QuerySet

__all__ = ["bulk_create", "bulk_update"]


async def bulk_create(
    queryset: QuerySet[Any],
    objs: list[Any],
    batch_size: Optional[int],
    ignore_conflicts: bool,
    update_conflicts: bool,
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
    validate: bool,
) -> list[Any]:
    model = queryset.model
    if not objs:
        return objs
    for obj in objs:
        if not isinstance(obj, model):
            raise TypeError(f"bulk_create() on {model.__name__} got a {type(obj).__name__}")
    if ignore_conflicts and update_conflicts:
        raise ValueError("choose ignore_conflicts or update_conflicts, not both")
    if update_conflicts and (not unique_fields or not update_fields):
        raise ValueError("update_conflicts needs unique_fields (the conflict target) and update_fields")
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if validate:
        for obj in objs:
            obj.full_clean()
    db = get_database(queryset._using)
    info = await database_info(db)
    meta = model._meta
    pk = meta.pk
    with_pk = [o for o in objs if getattr(o, pk.attname) is not None]
    without_pk = [o for o in objs if getattr(o, pk.attname) is None]
    conflicts = (check_field_names(model, unique_fields), check_field_names(model, update_fields))
    for group, include_pk in ((with_pk, True), (without_pk, not pk.auto)):
        if not group:
            continue
        fields = [f for f in meta.fields if include_pk or not f.primary_key]
        plain = not ignore_conflicts and not update_conflicts
        if plain and info.backend == "postgresql":
            await _copy(db, info, model, group, fields, needs_pk=not include_pk)
        else:
            await _insert_rows(
                db,
                info,
                model,
                group,
                fields,
                not include_pk,
                batch_size,
                ignore_conflicts,
                update_conflicts,
                conflicts,
            )
    for obj in objs:
        obj._row = obj._values()
        obj._db = db
    return objs


def db_rows(objs: list[Any], fields: list[Field]) -> list[tuple[Any, ...]]:
    """The values of ``fields`` of each object as the driver takes them.

    PERF: attrgetter reads a row in C; only fields with their own ``to_db`` (JSON, enums, keys)
    are converted one by one.
    """
    getter = values_getter([f.attname for f in fields])
    converted = [(i, f.to_db) for i, f in enumerate(fields) if type(f).to_db is not Field.to_db]
    if not converted:
        return [getter(obj) for obj in objs]
    rows = []
    for obj in objs:
        row = list(getter(obj))
        for i, to_db in converted:
            row[i] = to_db(row[i])
        rows.append(tuple(row))
    return rows


async def _copy(
    db: Database, info: DatabaseInfo, model: type[Model], objs: list[Any], fields: list[Field], needs_pk: bool
) -> None:
    meta = model._meta
    ident = info.dialect.compiler.ident
    async with db.connection() as conn:
        if needs_pk:
            fields = [meta.pk, *fields]
            # The sequence is looked up once (not per row: that is five times slower).
            sql = (
                "WITH seq AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, %s)::regclass AS name) "
                "SELECT nextval(seq.name) FROM seq, generate_series(1, %s)"
            )
            rows = await connection.fetch_all(db, sql, (ident(meta.db_table), meta.pk.column, len(objs)))
            for obj, row in zip(objs, rows, strict=True):
                setattr(obj, meta.pk.attname, row[0])
        columns = ", ".join(ident(f.column) for f in fields)
        copy_sql = f"COPY {ident(meta.db_table)} ({columns}) FROM STDIN"
        connection.record(copy_sql)
        try:
            async with conn.raw.cursor().copy(copy_sql) as copy:
                for row in db_rows(objs, fields):
                    await copy.write_row(row)
        except psycopg.Error as exc:
            raise map_postgresql_error(exc, copy_sql, None) from exc


async def _insert_rows(
    db: Database,
    info: DatabaseInfo,
    model: type[Model],
    objs: list[Any],
    fields: list[Field],
    needs_pk: bool,
    batch_size: Optional[int],
    ignore_conflicts: bool,
    update_conflicts: bool,
    conflicts: tuple[list[Field], list[Field]],
) -> None:
    meta = model._meta
    table = meta.table
    names = tuple(f.column for f in fields)
    per_batch = max(1, (info.ops.max_params - 1) // max(1, len(fields)))
    if batch_size is not None:
        per_batch = min(per_batch, batch_size)
    dialect = info.dialect
    returning = (
        needs_pk
        and dialect.insert_returning
        and not ignore_conflicts
        and (not update_conflicts or dialect.upsert_style == "on_conflict")
    )
    unique, updates = conflicts
    for start in range(0, len(objs), per_batch):
        batch = objs[start : start + per_batch]
        rows = tuple(db_rows(batch, fields))
        statement = Insert(table, names, rows, True)
        if ignore_conflicts:
            statement = statement.on_conflict_do_nothing(*[f.column for f in unique])
        elif update_conflicts:
            statement = statement.on_conflict_do_update(
                [f.column for f in unique], {f.column: excluded(f.column) for f in updates}
            )
        if returning:
            statement = statement.returning(table.c[meta.pk.column])
        query = dialect.compile(statement)
        if returning:
            keys = await connection.fetch_all(db, query.sql, query.params)
            if len(keys) == len(batch):
                for obj, key in zip(batch, keys, strict=True):
                    setattr(obj, meta.pk.attname, key[0])
        else:
            await connection.execute(db, query.sql, query.params)


async def bulk_update(
    queryset: QuerySet[Any], objs: list[Any], field_names: Sequence[str], batch_size: Optional[int]
) -> int:
    model = queryset.model
    if not field_names:
        raise ValueError("bulk_update() needs the names of the fields to write")
    fields = check_field_names(model, dict.fromkeys(field_names))
    if any(f.primary_key for f in fields):
        raise FieldError("bulk_update() cannot change primary keys")
    if not objs:
        return 0
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    db = get_database(queryset._using)
    info = known_info(db)
    if info is None:
        info = await database_info(db)
    statement = _array_update(info, model, fields) if info.ops.update_from_arrays else None
    columns = None if statement is None else statement.columns(objs)
    if statement is not None and columns is not None:
        total = await _update_from_arrays(db, statement.sql, columns, batch_size)
    else:
        total = await _update_with_case(db, info, model, objs, fields, batch_size)
    values = model._meta.values_getter
    for obj in objs:
        obj._row = values(obj)  # what is in the database now (changed_fields() compares with it)
    return total


class ArrayUpdate(NamedTuple):
    """A PostgreSQL ``bulk_update`` of some fields: its SQL and how it reads the objects' values."""

    sql: str
    model: type[Model]
    #: Per column (the pk's first, then the fields'): its attribute and its ``to_db`` (None
    #: when the field sends values as they are), and whether its values may carry a time zone.
    readers: tuple[tuple[Callable[[Any], Any], Optional[Callable[[Any], Any]], bool], ...]

    def columns(self, objs: list[Any]) -> Optional[list[list[Any]]]:
        """The arrays to send, the primary keys first (one row per key: the first object's, as
        CASE would); None when a column cannot go as one array (then CASE types each value).

        PERF: a column is read by ``map`` over an attrgetter (in C), not row by row.
        """
        columns = []
        for read, to_db, zoned in self.readers:
            column = list(map(read, objs))
            if to_db is not None:
                column = list(map(to_db, column))
            kinds = set(map(type, column))
            kinds.discard(NoneType)
            if len(kinds) > 1:
                return None  # psycopg dumps a list of one type: 1 and 2.5 in a float column, say
            if zoned and len({value.tzinfo is None for value in column if value is not None}) > 1:
                return None  # naive and aware: psycopg would read them all as the first one is
            columns.append(column)
        keys = columns[0]
        unique = set(keys)
        if None in unique:
            raise ValueError(f"bulk_update() needs saved objects; a {self.model.__name__} has no primary key")
        if len(unique) < len(keys):
            first = list({key: i for i, key in reversed(list(enumerate(keys)))}.values())
            columns = [[column[i] for i in first] for column in columns]
        return columns


def _array_update(info: DatabaseInfo, model: type[Model], fields: list[Field]) -> Optional[ArrayUpdate]:
    """PostgreSQL: ``UPDATE t SET c = v.c … FROM unnest(%s::pk_type[], %s::c_type[] …) AS v(…)
    WHERE t.pk = v.pk``, one text for any number of rows (so it stays prepared), made once per
    (model, fields); None when a field's values cannot go as an array (then CASE)."""
    key = (model, "bulk_update", tuple(f.name for f in fields))
    cached = info.sql_cache.get(key)
    if cached is not None:
        return cached or None
    meta = model._meta
    types = [unnest_type(f) for f in (meta.pk, *fields)]
    if None in types:
        info.sql_cache[key] = False
        return None
    quote = info.dialect.quote_identifier

    def ident(name: str) -> str:
        return quote(name).replace("%", "%%")  # the SQL goes with parameters in the format style

    table = ident(meta.db_table)
    names = [f"c{i}" for i in range(len(fields))]  # the rows' columns: no clash with real names
    alias = "covet_rows" if meta.db_table != "covet_rows" else "covet_rows_"
    assignments = ", ".join(f"{ident(f.column)} = {alias}.{n}" for f, n in zip(fields, names, strict=True))
    arrays = ", ".join(f"%s::{t}[]" for t in types)
    source = f"unnest({arrays}) AS {alias}(pk, {', '.join(names)})"
    condition = f"{table}.{ident(meta.pk.column)} = {alias}.pk"
    sql = f"UPDATE {table} SET {assignments} FROM {source} WHERE {condition}"  # noqa: S608 - quoted identifiers  # nosec B608
    readers = tuple(
        (
            operator.attrgetter(f.attname),
            None if type(f).to_db is Field.to_db else f.to_db,
            t in ("timestamptz", "time"),
        )
        for f, t in zip((meta.pk, *fields), types, strict=True)
    )
    statement = info.sql_cache[key] = ArrayUpdate(sql, model, readers)
    return statement


async def _update_from_arrays(
    db: Database, sql: str, columns: list[list[Any]], batch_size: Optional[int]
) -> int:
    count = len(columns[0])
    if batch_size is None or batch_size >= count:
        return await connection.execute(db, sql, columns)
    total = 0
    for start in range(0, count, batch_size):
        total += await connection.execute(db, sql, [c[start : start + batch_size] for c in columns])
    return total


async def _update_with_case(
    db: Database,
    info: DatabaseInfo,
    model: type[Model],
    objs: list[Any],
    fields: list[Field],
    batch_size: Optional[int],
) -> int:
    """One ``UPDATE … SET c = CASE WHEN pk = … THEN … END … WHERE pk IN (…)`` per batch."""
    meta = model._meta
    for obj in objs:
        if obj.pk is None:
            raise ValueError(f"bulk_update() needs saved objects; a {model.__name__} has no primary key")
    table = meta.table
    pk_column = table.c[meta.pk.column]
    pk_to_db = meta.pk.to_db
    per_batch = max(1, (info.ops.max_params - 1) // (2 * len(fields) + 1))
    if batch_size is not None:
        per_batch = min(per_batch, batch_size)
    total = 0
    for start in range(0, len(objs), per_batch):
        batch = objs[start : start + per_batch]
        keys = [pk_to_db(obj.pk) for obj in batch]
        values: dict[Any, Any] = {}
        for field in fields:
            branches = [
                (pk_column == Param(key), Param(field.to_db(getattr(obj, field.attname))))
                for key, obj in zip(keys, batch, strict=True)
            ]
            expression: Any = case(*branches)
            if info.ops.cast_case_values:
                expression = cast(expression, info.ops.column_type(field))
            values[field.column] = expression
        statement = update(table).values(values).where(pk_column.in_(keys))
        query = info.dialect.compile(statement)
        total += await connection.execute(db, query.sql, query.params)
    return total
