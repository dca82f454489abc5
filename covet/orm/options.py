"""``Model._meta``: what the ``Meta`` class of a model declares, and what the ORM derives from it.

::

    class Book(Model):
        title = CharField(max_length=200)
        class Meta:
            table = "books"
            ordering = ["-published", "title"]
            indexes = [Index("title", "published")]
            unique_together = [("title", "author")]
            constraints = [CheckConstraint(Q(pages__gte=1), name="book_pages_positive")]
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Optional

from covet.db.query import Column, Table
from covet.orm.errors import FieldError, ImproperlyConfigured

if TYPE_CHECKING:
    from covet.orm.expressions import Q
    from covet.orm.fields import Field
    from covet.orm.models import Model
    from covet.orm.relations import ManyToManyField, Relation

__all__ = ["CheckConstraint", "Index", "Options", "UniqueConstraint"]

_META_KEYS = frozenset(
    {"table", "db_table", "ordering", "indexes", "unique_together", "constraints", "abstract"}
)


class Index:
    """An index over ``fields`` (names of the model's fields; ``-name`` for descending)."""

    def __init__(self, *fields: str, name: Optional[str] = None, unique: bool = False) -> None:
        if not fields:
            raise ImproperlyConfigured("Index needs at least one field")
        self.fields = tuple(fields)
        self.name = name
        self.unique = unique

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Index) and (other.fields, other.name, other.unique) == (
            self.fields,
            self.name,
            self.unique,
        )

    def __hash__(self) -> int:
        return hash((self.fields, self.name, self.unique))

    def __repr__(self) -> str:
        return f"Index({', '.join(map(repr, self.fields))}, name={self.name!r}, unique={self.unique})"


class UniqueConstraint:
    """Rows must differ in at least one of ``fields``."""

    def __init__(self, *fields: str, name: str) -> None:
        if not fields:
            raise ImproperlyConfigured("UniqueConstraint needs at least one field")
        self.fields = tuple(fields)
        self.name = name

    def __repr__(self) -> str:
        return f"UniqueConstraint({', '.join(map(repr, self.fields))}, name={self.name!r})"


class CheckConstraint:
    """Rows must satisfy ``check``, a ``Q`` over the model's own fields."""

    def __init__(self, check: Q, *, name: str) -> None:
        self.check = check
        self.name = name

    def __repr__(self) -> str:
        return f"CheckConstraint({self.check!r}, name={self.name!r})"


def default_table_name(class_name: str) -> str:
    """``BookAuthor`` → ``book_author``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", class_name).lower()


def values_getter(names: Sequence[str]) -> Callable[[Any], tuple[Any, ...]]:
    """A function giving ``(obj.a, obj.b, ...)`` in C (operator.attrgetter), a tuple even for one name."""
    getter = operator.attrgetter(*names)
    if len(names) == 1:
        return lambda obj: (getter(obj),)
    return getter


class Options:
    """A model's fields, table and rules; ``Model._meta``."""

    pk: Field

    def __init__(self, model: type[Model], meta: Optional[type], abstract: bool) -> None:
        declared: dict[str, Any] = (
            {key: value for key, value in vars(meta).items() if not key.startswith("__")}
            if meta is not None
            else {}
        )
        unknown = set(declared) - _META_KEYS
        if unknown:
            raise ImproperlyConfigured(
                f"{model.__name__}.Meta has unknown option(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(_META_KEYS))}"
            )
        self.model = model
        self.object_name = model.__name__
        self.abstract = bool(declared.get("abstract", abstract))
        self.db_table: str = (
            declared.get("table") or declared.get("db_table") or default_table_name(model.__name__)
        )
        self.ordering: tuple[str, ...] = tuple(declared.get("ordering", ()))
        self.indexes: list[Index] = list(declared.get("indexes", ()))
        self.constraints: list[Any] = list(declared.get("constraints", ()))
        for fields in declared.get("unique_together", ()):
            fields = (fields,) if isinstance(fields, str) else tuple(fields)
            self.constraints.append(
                UniqueConstraint(*fields, name=f"{self.db_table}_{'_'.join(fields)}_uniq")
            )
        self.fields: list[Field] = []  # concrete fields (columns), the primary key first
        self.many_to_many: list[ManyToManyField] = []
        self.related_objects: list[Relation] = []  # relations from other models to this one
        self.fields_map: dict[str, Any] = {}  # every name a lookup may use: fields, attnames, reverse
        self.auto_created = False  # an automatic ManyToMany through model
        self.declared_fields: dict[str, Field] = {}
        self.loaders: dict[str, Any] = {}  # InstanceLayout per backend (Model._layout)
        self._table: Optional[Table] = None

    def add_field(self, field: Field) -> None:
        if field.concrete:
            if field.primary_key:
                if any(f.primary_key for f in self.fields):
                    raise ImproperlyConfigured(f"{self.object_name} declares two primary keys")
                self.fields.insert(0, field)
                self.pk = field
            else:
                self.fields.append(field)
        else:
            self.many_to_many.append(field)  # type: ignore[arg-type]
        self.fields_map[field.name] = field
        self.fields_map[field.attname] = field

    def add_related_object(self, relation: Relation, *, hidden: bool = False) -> None:
        """Record a relation pointing here; ``hidden`` ones (``related_name="+"``) get no name."""
        self.related_objects.append(relation)
        if hidden:
            return
        name = relation.accessor_name
        if name in self.fields_map and self.fields_map[name] is not relation:
            raise ImproperlyConfigured(
                f"reverse accessor {self.object_name}.{name} (for {relation.describe()}) clashes with a "
                f"field of the same name; give the relation another related_name"
            )
        self.fields_map[name] = relation
        if relation.query_name != name:
            self.fields_map.setdefault(relation.query_name, relation)

    @property
    def table(self) -> Table:
        """The query builder's Table (built on first use: related models must be known by then)."""
        table = self._table
        if table is None:
            from covet.orm.backends import array_type

            columns = [Column(f.column, array_type(f), primary_key=f.primary_key) for f in self.fields]
            table = self._table = Table(self.db_table, *columns)
        return table

    def finish(self) -> None:
        """Called once every field is attached."""
        self.concrete_names = tuple(f.name for f in self.fields)
        self.attnames = tuple(f.attname for f in self.fields)
        self.values_getter = values_getter(self.attnames)
        self.mutable_fields = tuple(f for f in self.fields if f.mutable)

    def get_field(self, name: str) -> Any:
        """The field (or reverse relation) called ``name``; ``pk`` is the primary key."""
        if name == "pk":
            return self.pk
        try:
            return self.fields_map[name]
        except KeyError:
            raise FieldError(
                f"{self.object_name} has no field {name!r}; its fields: {', '.join(self.field_names())}"
            ) from None

    def field_names(self) -> list[str]:
        names = [f.name for f in self.fields] + [f.name for f in self.many_to_many]
        return names + [r.accessor_name for r in self.related_objects if r.accessor_name in self.fields_map]

    def __repr__(self) -> str:
        return f"<Options for {self.object_name} (table {self.db_table!r})>"
