"""``prefetch_related``: load relations of many objects with one query per relation.

``prefetch_related("books")`` runs the main query, then ``SELECT … FROM book WHERE author_id IN
(…)`` and hands each author its books. It works for forward keys, reverse keys, one-to-one and
many-to-many relations (one query: the link table is joined), nested paths (``books__tags``:
one more query per level) and ``Prefetch("books", queryset=Book.objects.filter(...),
to_attr="long_books")``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Optional, Union

from covet.db import Database
from covet.orm.errors import FieldError
from covet.orm.expressions import F
from covet.orm.relations import ForeignKey, ManyToManyField, Relation

if TYPE_CHECKING:
    from covet.orm.models import Model
    from covet.orm.queryset import QuerySet

__all__ = ["Prefetch", "prefetch_related_objects"]

_SOURCE = "_covet_prefetch_source"


class Prefetch:
    """A relation to prefetch, with the QuerySet to load it from and where to put the result.

    ``to_attr`` stores a list on each object under that name instead of filling the relation.
    """

    def __init__(
        self, lookup: str, queryset: Optional[QuerySet[Any]] = None, to_attr: Optional[str] = None
    ) -> None:
        self.lookup = lookup
        self.queryset = queryset
        self.to_attr = to_attr

    def __repr__(self) -> str:
        return f"Prefetch({self.lookup!r}, to_attr={self.to_attr!r})"


async def prefetch_related_objects(
    instances: Sequence[Model], lookups: Iterable[Union[str, Prefetch]], db: Optional[Database]
) -> None:
    """Load ``lookups`` onto ``instances`` (all of one model), one query per relation and level."""
    done: dict[str, list[Any]] = {}
    for lookup in lookups:
        prefetch = lookup if isinstance(lookup, Prefetch) else Prefetch(lookup)
        parts = prefetch.lookup.split("__")
        level: list[Any] = list(instances)
        for i, name in enumerate(parts):
            path = "__".join(parts[: i + 1])
            last = i == len(parts) - 1
            if path in done and not last:
                level = done[path]
                continue
            if not level:
                break
            queryset = prefetch.queryset if last else None
            to_attr = prefetch.to_attr if last else None
            level = await _prefetch_one(level, name, queryset, to_attr, db)
            if not (last and to_attr):
                done[path] = level


def _loaded(instances: list[Any], name: str) -> Optional[list[Any]]:
    """The related objects if every instance has ``name`` loaded already (select_related), else None."""
    found: list[Any] = []
    for obj in instances:
        extra = obj._extra
        if extra is None or name not in extra:
            return None
        value = extra[name]
        if isinstance(value, list):
            found.extend(value)
        elif value is not None:
            found.append(value)
    return found


async def _prefetch_one(
    instances: list[Any],
    name: str,
    queryset: Optional[QuerySet[Any]],
    to_attr: Optional[str],
    db: Optional[Database],
) -> list[Any]:
    model = type(instances[0])
    try:
        field = model._meta.get_field(name)
    except FieldError:
        raise FieldError(
            f"cannot prefetch {name!r}: {model.__name__} has no relation of that name; its relations: "
            f"{', '.join(_relation_names(model))}"
        ) from None
    if queryset is None and to_attr is None:
        already = _loaded(instances, name)
        if already is not None:
            return already
    if isinstance(field, ForeignKey):
        return await _forward(instances, field, queryset, to_attr, db)
    if isinstance(field, Relation) and not field.many_to_many:
        return await _reverse(instances, field, queryset, to_attr, db)
    if isinstance(field, (ManyToManyField, Relation)):
        return await _many_to_many(instances, field, queryset, to_attr, db)
    raise FieldError(f"cannot prefetch {model.__name__}.{name}: it is not a relation")


def _relation_names(model: type[Model]) -> list[str]:
    meta = model._meta
    names = [f.name for f in meta.fields if isinstance(f, ForeignKey)]
    return names + [f.name for f in meta.many_to_many] + [r.accessor_name for r in meta.related_objects]


def _base(queryset: Optional[QuerySet[Any]], model: type[Model], db: Optional[Database]) -> QuerySet[Any]:
    if queryset is None:
        return model.objects.using(db)
    if queryset.model is not model:
        raise FieldError(f"the Prefetch queryset must be of {model.__name__}, not {queryset.model.__name__}")
    return queryset if queryset._using is not None else queryset.using(db)


async def _forward(
    instances: list[Any],
    field: ForeignKey,
    queryset: Optional[QuerySet[Any]],
    to_attr: Optional[str],
    db: Optional[Database],
) -> list[Any]:
    ids = list({getattr(obj, field.attname) for obj in instances} - {None})
    targets = await _base(queryset, field.related_model, db).filter(pk__in=ids) if ids else []
    by_pk = {obj.pk: obj for obj in targets}
    for obj in instances:
        obj._set_extra(to_attr or field.name, by_pk.get(getattr(obj, field.attname)))
    return list(targets)


async def _reverse(
    instances: list[Any],
    relation: Relation,
    queryset: Optional[QuerySet[Any]],
    to_attr: Optional[str],
    db: Optional[Database],
) -> list[Any]:
    fk: ForeignKey = relation.field  # type: ignore[assignment]
    pks = [obj.pk for obj in instances]
    children = await _base(queryset, relation.related_model, db).filter(**{f"{fk.attname}__in": pks})
    groups: dict[Any, list[Any]] = {pk: [] for pk in pks}
    parents = {obj.pk: obj for obj in instances}
    for child in children:
        key = getattr(child, fk.attname)
        groups.setdefault(key, []).append(child)
        child._set_extra(fk.name, parents.get(key))
    name = to_attr or relation.accessor_name
    for obj in instances:
        group = groups[obj.pk]
        if relation.multiple or to_attr:
            obj._set_extra(name, group)
        else:
            obj._set_extra(name, group[0] if group else None)
    return list(children)


async def _many_to_many(
    instances: list[Any],
    field: Union[ManyToManyField, Relation],
    queryset: Optional[QuerySet[Any]],
    to_attr: Optional[str],
    db: Optional[Database],
) -> list[Any]:
    if isinstance(field, ManyToManyField):
        other, name = field.related_model, field.name
        back = field.relation.query_name  # from the other model back to this one
        if field.related_name == "+":
            raise FieldError(
                f"cannot prefetch {field.model.__name__}.{name}: its reverse has related_name='+'"
            )
    else:
        other, name, back = field.related_model, field.accessor_name, field.field.name
    pks = [obj.pk for obj in instances]
    query = _base(queryset, other, db).filter(**{f"{back}__in": pks}).annotate(**{_SOURCE: F(back)})
    related = await query
    groups: dict[Any, list[Any]] = {pk: [] for pk in pks}
    for obj in related:
        source = obj._extra.pop(_SOURCE)
        groups.setdefault(source, []).append(obj)
    for obj in instances:
        obj._set_extra(to_attr or name, groups[obj.pk])
    return list(related)
