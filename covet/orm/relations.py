"""Relations: ``ForeignKey``, ``OneToOneField``, ``ManyToManyField`` and their reverse accessors.

::

    class Book(Model):
        author = ForeignKey("Author", on_delete=CASCADE, related_name="books")
        tags = ManyToManyField("Tag", related_name="books")

``book.author_id`` is the column; ``book.author`` is the Author only if the query loaded it
(``select_related``/``prefetch_related``/``fetch_related``) — otherwise reading it raises
``RelatedNotLoaded`` naming the fix: the ORM never runs a query behind your back. Reverse
accessors (``author.books``, ``tag.books``) are managers whose queries you await.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal, Optional, Union, overload

from covet.orm import registry
from covet.orm.errors import ImproperlyConfigured, RelatedNotLoaded
from covet.orm.fields import NOT_PROVIDED, Field, FieldOptions, Loader, T
from covet.orm.related_managers import ManyRelatedManager, RelatedManager

if TYPE_CHECKING:
    from typing import Self, TypeVar, Unpack

    from covet.orm.models import Model

    M = TypeVar("M", bound=Model)

__all__ = [
    "CASCADE",
    "DO_NOTHING",
    "PROTECT",
    "RESTRICT",
    "SET_DEFAULT",
    "SET_NULL",
    "ForeignKey",
    "ManyToManyField",
    "OneToOneField",
    "Relation",
]

CASCADE = "CASCADE"
PROTECT = "PROTECT"
RESTRICT = "RESTRICT"
SET_NULL = "SET_NULL"
SET_DEFAULT = "SET_DEFAULT"
DO_NOTHING = "DO_NOTHING"
_ON_DELETE = (CASCADE, PROTECT, RESTRICT, SET_NULL, SET_DEFAULT, DO_NOTHING)

ModelRef = Union[str, "type[Model]"]


class ForeignKey(Field[T]):
    """A many-to-one relation; the column is ``<name>_id`` and holds the target's primary key.

    ``on_delete`` says what happens to this row when the target is deleted: CASCADE (delete it
    too), PROTECT (refuse the delete), RESTRICT (refuse, unless a cascade deletes this row
    anyway), SET_NULL (needs ``null=True``), SET_DEFAULT (needs a default) or DO_NOTHING.
    ``related_name`` names the reverse accessor on the target (default ``<model>_set``);
    ``"+"`` gives none.
    """

    internal_type = "ForeignKey"
    is_relation = True
    multiple: ClassVar[bool] = True  # many of these rows may point at one target

    related_model: type[Model]
    target_field: Field

    # ``ForeignKey(Author)`` reads as Author on an instance (Optional with null=True); a target
    # named by a string ("Author", "self") cannot be followed by a type checker: Any.
    @overload
    def __init__(
        self: ForeignKey[M],
        to: type[M],
        *,
        on_delete: str,
        related_name: Optional[str] = None,
        db_constraint: bool = True,
        null: Literal[False] = ...,
        **options: Unpack[FieldOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: ForeignKey[Optional[M]],
        to: type[M],
        *,
        on_delete: str,
        related_name: Optional[str] = None,
        db_constraint: bool = True,
        null: bool,
        **options: Unpack[FieldOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: ForeignKey[Any],
        to: str,
        *,
        on_delete: str,
        related_name: Optional[str] = None,
        db_constraint: bool = True,
        null: bool = ...,
        **options: Unpack[FieldOptions],
    ) -> None: ...
    def __init__(
        self,
        to: ModelRef,
        *,
        on_delete: str,
        related_name: Optional[str] = None,
        db_constraint: bool = True,
        **kwargs: Any,
    ) -> None:
        if on_delete not in _ON_DELETE:
            raise ImproperlyConfigured(
                f"on_delete must be one of {', '.join(_ON_DELETE)} (import them from covet.orm), "
                f"not {on_delete!r}"
            )
        super().__init__(**kwargs)
        if on_delete == SET_NULL and not self.null:
            raise ImproperlyConfigured("on_delete=SET_NULL needs null=True")
        if on_delete == SET_DEFAULT and self.default is NOT_PROVIDED:
            raise ImproperlyConfigured("on_delete=SET_DEFAULT needs a default")
        self.to = to
        self.on_delete = on_delete
        self.related_name = related_name
        self.db_constraint = db_constraint

    if TYPE_CHECKING:
        # On the model class the name is the ForwardDescriptor contribute_to_class puts there.
        @overload  # type: ignore[override]
        def __get__(self, instance: None, owner: type[Model]) -> ForwardDescriptor: ...
        @overload
        def __get__(self, instance: Model, owner: type[Model]) -> T: ...
        @overload
        def __get__(self, instance: object, owner: Any) -> Self: ...
        def __get__(self, instance: object, owner: Any) -> Any: ...

    def attname_for(self, name: str) -> str:
        return f"{name}_id"

    def contribute_to_class(self, model: type[Model], name: str) -> None:
        super().contribute_to_class(model, name)
        setattr(model, name, ForwardDescriptor(self))

    def connect(self) -> None:
        """Called once the model is complete: resolve the target now or when it is declared."""
        registry.when_ready(self.to, self.model, self._resolve)

    def _resolve(self, target: type[Model]) -> None:
        self.related_model = target
        self.target_field = target._meta.pk
        self.relation = Relation(self)
        hidden = self.related_name == "+"
        target._meta.add_related_object(self.relation, hidden=hidden)  # on_delete needs even hidden ones
        if not hidden:
            setattr(target, self.relation.accessor_name, ReverseDescriptor(self.relation))

    @property
    def resolved(self) -> bool:
        return "related_model" in self.__dict__

    def require_resolved(self) -> None:
        if not self.resolved:
            raise ImproperlyConfigured(
                f"{self.model.__name__}.{self.name} points at {self.to!r}, which has not been declared"
            )

    def to_db(self, value: Any) -> Any:
        from covet.orm.models import Model

        if isinstance(value, Model):
            value = value.pk
        if not self.resolved:
            return value
        return self.target_field.to_db(value)

    def loader(self, backend: str) -> Optional[Loader]:
        self.require_resolved()
        return self.target_field.loader(backend)

    def to_python(self, value: Any) -> Any:
        return self.target_field.to_python(value) if self.resolved else value

    def check(self, value: Any) -> None:
        if self.resolved:
            self.target_field.check(value)

    def deconstruct(self) -> tuple[str, dict[str, Any]]:
        name, kwargs = super().deconstruct()
        self.require_resolved()
        kwargs["to"] = self.related_model._meta.db_table
        kwargs["on_delete"] = self.on_delete
        kwargs["target_type"] = self.target_field.deconstruct()
        if not self.db_constraint:
            kwargs["db_constraint"] = False
        return name, kwargs


class OneToOneField(ForeignKey[T]):
    """A ForeignKey with a unique column; the reverse accessor is one object, not a manager."""

    internal_type = "OneToOneField"
    multiple = False

    @overload
    def __init__(
        self: OneToOneField[M],
        to: type[M],
        *,
        on_delete: str,
        related_name: Optional[str] = None,
        db_constraint: bool = True,
        null: Literal[False] = ...,
        **options: Unpack[FieldOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: OneToOneField[Optional[M]],
        to: type[M],
        *,
        on_delete: str,
        related_name: Optional[str] = None,
        db_constraint: bool = True,
        null: bool,
        **options: Unpack[FieldOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: OneToOneField[Any],
        to: str,
        *,
        on_delete: str,
        related_name: Optional[str] = None,
        db_constraint: bool = True,
        null: bool = ...,
        **options: Unpack[FieldOptions],
    ) -> None: ...
    def __init__(self, to: ModelRef, *, on_delete: str, **kwargs: Any) -> None:
        kwargs["unique"] = True
        super().__init__(to, on_delete=on_delete, **kwargs)  # type: ignore[arg-type]  # typed by the overloads

    def deconstruct(self) -> tuple[str, dict[str, Any]]:
        name, kwargs = super().deconstruct()
        kwargs.pop("unique", None)
        return name, kwargs


class Relation:
    """The reverse side of a relation, as seen from its target model (``Author.books``).

    For a ForeignKey, ``model`` is the target (Author) and ``related_model`` the model declaring
    the key (Book). For a ManyToManyField, the same from the target's side.
    """

    def __init__(self, field: Union[ForeignKey, ManyToManyField]) -> None:
        self.field = field
        self.model: type[Model] = field.related_model
        self.related_model: type[Model] = field.model
        lower = field.model.__name__.lower()
        self.accessor_name = field.related_name or (lower if not self.multiple else f"{lower}_set")
        self.query_name = field.related_name or lower
        self.name = self.accessor_name

    @property
    def multiple(self) -> bool:
        return isinstance(self.field, ManyToManyField) or self.field.multiple

    @property
    def many_to_many(self) -> bool:
        return isinstance(self.field, ManyToManyField)

    concrete = False
    is_relation = True

    def describe(self) -> str:
        return f"{self.field.model.__name__}.{self.field.name}"

    def __repr__(self) -> str:
        return f"<Relation {self.model.__name__}.{self.accessor_name} (reverse of {self.describe()})>"


class ManyToManyField(Field[ManyRelatedManager]):
    """A many-to-many relation through a table of pairs.

    Without ``through``, the table (``<table>_<name>``) and its model are made for you; with
    ``through=Model`` that model's two foreign keys are used, and its extra columns are yours.
    """

    internal_type = "ManyToManyField"
    concrete = False
    is_relation = True

    related_model: type[Model]
    through: type[Model]
    source_fk: ForeignKey  # through -> the model declaring the field
    target_fk: ForeignKey  # through -> the related model

    def __init__(
        self,
        to: ModelRef,
        *,
        through: Optional[ModelRef] = None,
        related_name: Optional[str] = None,
        db_table: Optional[str] = None,
    ) -> None:
        super().__init__()
        self.to = to
        self.through_ref = through
        self.related_name = related_name
        self.db_table = db_table

    if TYPE_CHECKING:
        # On the model class the name is the ManyToManyDescriptor contribute_to_class puts there.
        @overload  # type: ignore[override]
        def __get__(self, instance: None, owner: type[Model]) -> ManyToManyDescriptor: ...
        @overload
        def __get__(self, instance: Model, owner: type[Model]) -> ManyRelatedManager: ...
        @overload
        def __get__(self, instance: object, owner: Any) -> Self: ...
        def __get__(self, instance: object, owner: Any) -> Any: ...

    def contribute_to_class(self, model: type[Model], name: str) -> None:
        super().contribute_to_class(model, name)
        self.column = ""
        setattr(model, name, ManyToManyDescriptor(self, reverse=False))

    def connect(self) -> None:
        registry.when_ready(self.to, self.model, self._resolve_target)

    def _resolve_target(self, target: type[Model]) -> None:
        self.related_model = target
        if self.through_ref is None:
            self._make_through()
            self._finish()
        else:
            registry.when_ready(self.through_ref, self.model, self._resolve_through)

    def _resolve_through(self, through: type[Model]) -> None:
        def fk_to(model: type[Model], exclude: Optional[ForeignKey] = None) -> ForeignKey:
            for field in through._meta.fields:
                if (
                    isinstance(field, ForeignKey)
                    and field is not exclude
                    and field.to in (model, model.__name__, f"{model.__module__}.{model.__name__}")
                ):
                    return field
            raise ImproperlyConfigured(
                f"the through model {through.__name__} of {self.model.__name__}.{self.name} needs a "
                f"ForeignKey to {model.__name__}"
            )

        self.through = through
        self.source_fk = fk_to(self.model)
        self.target_fk = fk_to(self.related_model, exclude=self.source_fk)
        self._finish()

    def _make_through(self) -> None:
        from covet.orm.models import Model, ModelBase

        source, target = self.model, self.related_model
        source_name = source.__name__.lower()
        target_name = target.__name__.lower()
        if source_name == target_name:
            source_name, target_name = f"from_{source_name}", f"to_{target_name}"
        table = self.db_table or f"{source._meta.db_table}_{self.name}"
        meta = type("Meta", (), {"table": table, "unique_together": [(source_name, target_name)]})
        namespace = {
            "__module__": source.__module__,
            "__qualname__": f"{source.__name__}_{self.name}",
            "Meta": meta,
            source_name: ForeignKey(source, on_delete=CASCADE, related_name="+"),
            target_name: ForeignKey(target, on_delete=CASCADE, related_name="+"),
        }
        through: Any = ModelBase(f"{source.__name__}_{self.name}", (Model,), namespace)
        through._meta.auto_created = True
        self.through = through
        self.source_fk = through._meta.get_field(source_name)
        self.target_fk = through._meta.get_field(target_name)

    def _finish(self) -> None:
        self.relation = Relation(self)
        if self.related_name != "+":
            self.related_model._meta.add_related_object(self.relation)
            setattr(self.related_model, self.relation.accessor_name, ManyToManyDescriptor(self, reverse=True))

    @property
    def resolved(self) -> bool:
        return "source_fk" in self.__dict__

    def deconstruct(self) -> tuple[str, dict[str, Any]]:
        return type(self).__name__, {}


# -- descriptors ----------------------------------------------------------------------------------


class ForwardDescriptor:
    """``book.author``: the loaded Author (or None for a NULL key), never a query."""

    def __init__(self, field: ForeignKey) -> None:
        self.field = field
        self.name = field.name
        self.attname = field.attname

    def __get__(self, instance: Optional[Model], owner: type) -> Any:
        if instance is None:
            return self
        extra = instance._extra
        if extra is not None and self.name in extra:
            return extra[self.name]
        if getattr(instance, self.attname) is None:
            return None
        raise RelatedNotLoaded(type(instance).__name__, self.name, many=False)

    def __set__(self, instance: Model, value: Any) -> None:
        field = self.field
        if value is None:
            setattr(instance, self.attname, None)
        else:
            field.require_resolved()
            if not isinstance(value, field.related_model):
                raise TypeError(
                    f"{type(instance).__name__}.{self.name} takes a {field.related_model.__name__}, "
                    f"not {type(value).__name__}"
                )
            pk = value.pk
            if pk is None:
                raise ValueError(
                    f"save the {field.related_model.__name__} before assigning it to "
                    f"{type(instance).__name__}.{self.name}"
                )
            setattr(instance, self.attname, pk)
        instance._set_extra(self.name, value)


class ReverseDescriptor:
    """``author.books`` (a manager) or, for a OneToOneField, ``user.profile`` (the loaded object)."""

    def __init__(self, relation: Relation) -> None:
        self.relation = relation

    def __get__(self, instance: Optional[Model], owner: type) -> Any:
        if instance is None:
            return self
        relation = self.relation
        if relation.multiple:
            return RelatedManager(instance, relation)
        extra = instance._extra
        if extra is not None and relation.accessor_name in extra:
            return extra[relation.accessor_name]
        # select_related follows forward keys only: the reverse side is loaded by prefetching.
        raise RelatedNotLoaded(type(instance).__name__, relation.accessor_name, many=True)


class ManyToManyDescriptor:
    def __init__(self, field: ManyToManyField, *, reverse: bool) -> None:
        self.field = field
        self.reverse = reverse

    def __get__(self, instance: Optional[Model], owner: type) -> Any:
        if instance is None:
            return self
        return ManyRelatedManager(instance, self.field, reverse=self.reverse)
