"""The managers behind reverse and many-to-many accessors: ``author.books``, ``book.tags``.

Their queries are explicit (you await them); when the relation was prefetched, ``all()`` and
iteration answer from the loaded objects without a query.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from covet.orm.errors import ImproperlyConfigured, RelatedNotLoaded

if TYPE_CHECKING:
    from covet.orm.models import Model
    from covet.orm.queryset import QuerySet
    from covet.orm.relations import ForeignKey, ManyToManyField, Relation

__all__ = ["ManyRelatedManager", "RelatedManager"]


class _RelatedManagerBase(abc.ABC):
    """What both related managers share: a filtered queryset, prefetched results when loaded."""

    instance: Model
    model: type[Model]
    cache_name: str

    @abc.abstractmethod
    def _filters(self) -> dict[str, Any]:
        """The filter that selects the related objects."""

    def _require_saved(self) -> Any:
        pk = self.instance.pk
        if pk is None:
            raise ValueError(
                f"save the {type(self.instance).__name__} before using its related objects "
                f"({self.cache_name})"
            )
        return pk

    def get_queryset(self) -> QuerySet[Any]:
        self._require_saved()
        return self.model.objects.using(self.instance._db).filter(**self._filters())

    @property
    def loaded(self) -> bool:
        extra = self.instance._extra
        return extra is not None and self.cache_name in extra

    def all(self) -> QuerySet[Any]:
        """The related objects: prefetched ones when they were loaded, else a query to await."""
        queryset = self.get_queryset()
        extra = self.instance._extra
        if extra is not None and self.cache_name in extra:
            queryset._result_cache = list(extra[self.cache_name])
        return queryset

    def __iter__(self) -> Any:
        extra = self.instance._extra
        if extra is not None and self.cache_name in extra:
            return iter(extra[self.cache_name])
        raise RelatedNotLoaded(type(self.instance).__name__, self.cache_name, many=True)

    def __len__(self) -> int:
        return len(list(iter(self)))

    def filter(self, *args: Any, **kwargs: Any) -> QuerySet[Any]:
        return self.get_queryset().filter(*args, **kwargs)

    def exclude(self, *args: Any, **kwargs: Any) -> QuerySet[Any]:
        return self.get_queryset().exclude(*args, **kwargs)

    def order_by(self, *names: str) -> QuerySet[Any]:
        return self.get_queryset().order_by(*names)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        return await self.get_queryset().get(*args, **kwargs)

    async def count(self) -> int:
        return await self.get_queryset().count()

    async def exists(self) -> bool:
        return await self.get_queryset().exists()

    def _forget(self) -> None:
        extra = self.instance._extra
        if extra is not None:
            extra.pop(self.cache_name, None)


class RelatedManager(_RelatedManagerBase):
    """``author.books``: the rows whose foreign key points at this instance."""

    def __init__(self, instance: Model, relation: Relation) -> None:
        self.instance = instance
        self.relation = relation
        self.field: ForeignKey = relation.field  # type: ignore[assignment]
        self.model = relation.related_model
        self.cache_name = relation.accessor_name

    def _filters(self) -> dict[str, Any]:
        return {self.field.attname: self.instance.pk}

    async def create(self, **values: Any) -> Any:
        self._require_saved()
        values[self.field.name] = self.instance
        obj = self.model(**values)
        await obj.save(using=self.instance._db)
        self._forget()
        return obj

    async def add(self, *objs: Model) -> None:
        """Point ``objs`` (saved instances) at this instance, in one UPDATE."""
        pk = self._require_saved()
        for obj in objs:
            if not isinstance(obj, self.model):
                raise TypeError(f"{self.cache_name}.add() takes {self.model.__name__} instances, not {obj!r}")
            if obj.pk is None:
                raise ValueError(f"save the {self.model.__name__} before adding it to {self.cache_name}")
        await (
            self.model.objects.using(self.instance._db)
            .filter(pk__in=[o.pk for o in objs])
            .update(**{self.field.attname: pk})
        )
        for obj in objs:
            setattr(obj, self.field.attname, pk)
            obj._set_extra(self.field.name, self.instance)
        self._forget()

    async def remove(self, *objs: Model) -> None:
        """Unlink ``objs`` (their key becomes NULL: the field needs ``null=True``)."""
        self._needs_null("remove")
        pk = self._require_saved()
        await (
            self.model.objects.using(self.instance._db)
            .filter(pk__in=[o.pk for o in objs], **{self.field.attname: pk})
            .update(**{self.field.attname: None})
        )
        for obj in objs:
            setattr(obj, self.field.attname, None)
        self._forget()

    async def clear(self) -> None:
        self._needs_null("clear")
        await self.get_queryset().update(**{self.field.attname: None})
        self._forget()

    async def set(self, objs: Iterable[Model]) -> None:
        """Make ``objs`` exactly the related objects (the others' keys become NULL)."""
        self._needs_null("set")
        wanted = list(objs)
        keep = [o.pk for o in wanted]
        await self.get_queryset().exclude(pk__in=keep).update(**{self.field.attname: None})
        if wanted:
            await self.add(*wanted)
        self._forget()

    def _needs_null(self, method: str) -> None:
        if not self.field.null:
            raise TypeError(
                f"{self.cache_name}.{method}() would set {self.model.__name__}.{self.field.name} to NULL, "
                f"which is not null=True; delete the objects or point them elsewhere instead"
            )


class ManyRelatedManager(_RelatedManagerBase):
    """``book.tags`` / ``tag.books``: both ends of a ManyToManyField, with add/remove/set/clear."""

    def __init__(self, instance: Model, field: ManyToManyField, *, reverse: bool) -> None:
        if not field.resolved:
            raise ImproperlyConfigured(
                f"{field.model.__name__}.{field.name} points at {field.to!r}, which has not been declared"
            )
        self.instance = instance
        self.field = field
        self.reverse = reverse
        if reverse:
            self.model = field.model
            self.cache_name = field.relation.accessor_name
            self.own_fk, self.other_fk = field.target_fk, field.source_fk
            self.query_name = field.name
        else:
            self.model = field.related_model
            self.cache_name = field.name
            self.own_fk, self.other_fk = field.source_fk, field.target_fk
            self.query_name = field.relation.query_name

    def _filters(self) -> dict[str, Any]:
        return {self.query_name: self.instance.pk}

    def _through(self) -> Any:
        return self.field.through.objects.using(self.instance._db)

    def _pks(self, objs: Sequence[Any]) -> list[Any]:
        pks = []
        for obj in objs:
            if isinstance(obj, self.model):
                if obj.pk is None:
                    raise ValueError(f"save the {self.model.__name__} before adding it to {self.cache_name}")
                pks.append(obj.pk)
            else:
                pks.append(obj)
        return pks

    async def add(self, *objs: Any) -> None:
        """Link ``objs`` (instances or primary keys); pairs that already exist are left alone."""
        pk = self._require_saved()
        pks = list(dict.fromkeys(self._pks(objs)))
        if not pks:
            return
        existing = set(
            await self._through()
            .filter(**{self.own_fk.attname: pk, f"{self.other_fk.attname}__in": pks})
            .values_list(self.other_fk.attname, flat=True)
        )
        rows = [
            self.field.through(**{self.own_fk.attname: pk, self.other_fk.attname: other})
            for other in pks
            if other not in existing
        ]
        if rows:
            await self.field.through.objects.using(self.instance._db).bulk_create(rows)
        self._forget()

    async def create(self, **values: Any) -> Any:
        self._require_saved()
        obj = self.model(**values)
        await obj.save(using=self.instance._db)
        await self.add(obj)
        return obj

    async def remove(self, *objs: Any) -> None:
        pk = self._require_saved()
        pks = self._pks(objs)
        if pks:
            await (
                self._through()
                .filter(**{self.own_fk.attname: pk, f"{self.other_fk.attname}__in": pks})
                .delete()
            )
        self._forget()

    async def clear(self) -> None:
        pk = self._require_saved()
        await self._through().filter(**{self.own_fk.attname: pk}).delete()
        self._forget()

    async def set(self, objs: Iterable[Any]) -> None:
        """Make ``objs`` exactly the linked objects: unlink the others, link the new ones."""
        pk = self._require_saved()
        wanted = list(dict.fromkeys(self._pks(list(objs))))
        await (
            self._through()
            .filter(**{self.own_fk.attname: pk})
            .exclude(**{f"{self.other_fk.attname}__in": wanted})
            .delete()
        )
        await self.add(*wanted)
