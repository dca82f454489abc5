"""Declarative models: ``class Book(Model): title = CharField(max_length=200)``.

Instances are lean: the class gets ``__slots__`` — one per column plus three (``_row``, ``_db``,
``_extra``) — and no ``__dict__``. ``_row`` is the tuple of values as last loaded or saved; a
field whose value differs from it has changed, so ``save()`` writes only those (JSON fields, which
can change in place, are always written). ``_extra`` holds loaded relations and annotations.

Rows become instances through the compiled kernel ``covet._speedups.orm_rows``, with a layout
made once per (model, backend): which slots the row's values go to, and the converters of the few
values the driver returns in another form (see ``Field.loader``).
"""

from __future__ import annotations

import decimal
import enum
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Optional

from covet._speedups.orm_rows import InstanceLayout
from covet.db import Database
from covet.orm import registry
from covet.orm.errors import (
    FieldError,
    ImproperlyConfigured,
    MultipleObjectsReturned,
    ObjectDoesNotExist,
    ValidationError,
)
from covet.orm.fields import NOT_PROVIDED, BigAutoField, Field
from covet.orm.options import Options

if TYPE_CHECKING:
    from covet.orm.managers import Manager, ManagerDescriptor

__all__ = ["Model", "ModelBase"]


class ModelBase(type):
    """Turns the fields declared on a class body into slots and ``_meta``."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any) -> Any:
        parents: list[Any] = [b for b in bases if isinstance(b, ModelBase)]
        if not parents:  # Model itself
            return super().__new__(mcs, name, bases, namespace, **kwargs)
        meta = namespace.pop("Meta", None)
        abstract = bool(getattr(meta, "abstract", False))
        declared: dict[str, Field] = {}
        for parent in parents:
            if parent is not Model and not parent._meta.abstract:
                raise ImproperlyConfigured(
                    f"{name} subclasses the concrete model {parent.__name__}: only abstract models "
                    f"(Meta.abstract = True) can be subclassed"
                )
            if parent is not Model:
                for field_name, field in parent._meta.declared_fields.items():
                    declared[field_name] = _copy_field(field)
        own = sorted(
            ((key, value) for key, value in namespace.items() if isinstance(value, Field)),
            key=lambda item: item[1].creation_order,
        )
        for key, _ in own:
            del namespace[key]
        declared.update(own)
        cls: Any
        if abstract:
            namespace["__slots__"] = ()
            cls = super().__new__(mcs, name, bases, namespace, **kwargs)
            cls._meta = Options(cls, meta, abstract=True)
            cls._meta.declared_fields = declared
            return cls

        if not any(field.primary_key for field in declared.values()):
            if "id" in declared:
                raise ImproperlyConfigured(f"{name}.id is not a primary key: mark one field primary_key=True")
            declared = {"id": BigAutoField(), **declared}
        slots = []
        for field_name, field in declared.items():
            if field.concrete:
                slots.append(field.attname_for(field_name))
        namespace["__slots__"] = tuple(slots)
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        options = Options(cls, meta, abstract=False)
        options.declared_fields = declared
        cls._meta = options
        for field_name, field in declared.items():
            field.contribute_to_class(cls, field_name)
            options.add_field(field)
        options.finish()
        for field in declared.values():
            if field.is_relation:
                field.connect()  # type: ignore[attr-defined]
        cls.DoesNotExist = type(
            "DoesNotExist",
            (ObjectDoesNotExist,),
            {"__module__": cls.__module__, "__qualname__": f"{name}.DoesNotExist"},
        )
        cls.MultipleObjectsReturned = type(
            "MultipleObjectsReturned",
            (MultipleObjectsReturned,),
            {"__module__": cls.__module__, "__qualname__": f"{name}.MultipleObjectsReturned"},
        )
        cls.__init__ = _make_init(cls)
        if "objects" not in namespace:
            from covet.orm.managers import Manager

            manager: Manager[Any] = Manager()
            manager.__set_name__(cls, "objects")
            cls.objects = manager
        registry.register(cls)
        return cls


def _copy_field(field: Field) -> Field:
    """A fresh copy of an abstract parent's field for one concrete child."""
    clone = object.__new__(type(field))
    clone.__dict__.update(field.__dict__)
    for attribute in ("name", "attname", "column", "model"):
        clone.__dict__.pop(attribute, None)
    return clone


class ExtraAttribute:
    """``obj.<name>`` for an annotation or a prefetch ``to_attr``: the value in the instance's
    ``_extra``, AttributeError on an instance that has none.

    PERF: a descriptor put on the model class the first time a query uses the name, rather than
    a ``__getattr__`` on Model: on a class with ``__getattr__`` every attribute read — every
    field of every instance — takes the interpreter's slow path."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Optional[Model], owner: Optional[type[Any]] = None) -> Any:
        if obj is None:
            return self
        extra = obj._extra
        if extra is not None and self.name in extra:
            return extra[self.name]
        raise AttributeError(f"{type(obj).__name__!r} object has no attribute {self.name!r}")


def expose_extra(cls: type[Model], name: str) -> None:
    """Make ``name`` read from ``_extra`` on instances of ``cls``, unless the class has it already
    (a field, a relation, a method) or it is private."""
    if not name.startswith("_") and getattr(cls, name, _MISSING) is _MISSING:
        setattr(cls, name, ExtraAttribute(name))


class Model(metaclass=ModelBase):
    """Base class of every model; see the module docstring for how instances are laid out."""

    __slots__ = ("_row", "_db", "_extra")

    _meta: ClassVar[Options]
    if TYPE_CHECKING:
        # ``Book.objects`` reads as ``Manager[Book]``; ModelBase puts the real Manager on each model.
        objects = ManagerDescriptor()
    DoesNotExist: ClassVar[type[ObjectDoesNotExist]]
    MultipleObjectsReturned: ClassVar[type[MultipleObjectsReturned]]

    _row: Optional[tuple[Any, ...]]
    _db: Optional[Database]
    _extra: Optional[dict[str, Any]]

    def __init__(self, **values: Any) -> None:
        """``Book(title="Dune", author=ann)``: fields by name (a key by its name or ``<name>_id``),
        defaults for the rest. Each concrete model gets a generated ``__init__`` (``_make_init``);
        this one is only reached by abstract models."""
        raise TypeError(f"{type(self).__name__} is abstract: instantiate a concrete subclass")

    # -- identity ---------------------------------------------------------------------------------

    @property
    def pk(self) -> Any:
        return getattr(self, self._meta.pk.attname)

    @pk.setter
    def pk(self, value: Any) -> None:
        setattr(self, self._meta.pk.attname, value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Model) or type(other) is not type(self):
            return NotImplemented
        pk = self.pk
        return self is other if pk is None else pk == other.pk

    def __hash__(self) -> int:
        pk = self.pk
        if pk is None:
            raise TypeError(f"an unsaved {type(self).__name__} has no primary key and cannot be hashed")
        return hash((type(self), pk))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} pk={self.pk!r}>"

    if TYPE_CHECKING:
        # To type checkers: the implicit ``id``, annotations and ``to_attr`` names read as Any.
        # At run time they are real attributes (``ExtraAttribute``), not a __getattr__.
        def __getattr__(self, name: str) -> Any: ...

    def _set_extra(self, name: str, value: Any) -> None:
        """Keep an annotation, a loaded relation or a prefetch ``to_attr`` beside the fields."""
        extra = self._extra
        if extra is None:
            extra = self._extra = {}
        extra[name] = value
        expose_extra(type(self), name)

    @property
    def is_saved(self) -> bool:
        """True once the instance was loaded from or saved to the database."""
        return self._row is not None

    # -- loading ----------------------------------------------------------------------------------

    @classmethod
    def _layout(cls, backend: str) -> InstanceLayout[Any]:
        """How ``covet._speedups.orm_rows`` loads this model's rows from ``backend``."""
        layout = cls._meta.loaders.get(backend)
        if layout is None:
            fields = cls._meta.fields
            converters = [f.loader(backend) for f in fields]
            layout = cls._meta.loaders[backend] = InstanceLayout(cls, [f.attname for f in fields], converters)
        return layout

    def _values(self) -> tuple[Any, ...]:
        return self._meta.values_getter(self)

    def changed_fields(self) -> list[str]:
        """Names of the fields whose values differ from what was last loaded or saved."""
        meta = self._meta
        if self._row is None:
            return list(meta.concrete_names)
        changed = []
        for field, old in zip(meta.fields, self._row, strict=True):
            current = getattr(self, field.attname)
            if field.mutable or (current is not old and current != old):
                changed.append(field.name)
        return changed

    # -- validation -------------------------------------------------------------------------------

    def full_clean(self, fields: Optional[Iterable[str]] = None) -> None:
        """Run every field's checks (all, or just ``fields``); ValidationError lists every failure."""
        meta = self._meta
        wanted = None if fields is None else set(fields)
        errors: dict[str, list[str]] = {}
        for field in meta.fields:
            if wanted is not None and field.name not in wanted:
                continue
            value = getattr(self, field.attname)
            if value is None and field.auto:
                continue
            try:
                cleaned = field.clean(value)
            except ValidationError as err:
                for messages in err.errors.values():
                    errors.setdefault(field.name, []).extend(messages)
                continue
            if cleaned is not value:
                object.__setattr__(self, field.attname, cleaned)
        if errors:
            raise ValidationError(errors)

    # -- persistence ------------------------------------------------------------------------------

    async def save(
        self,
        *,
        update_fields: Optional[Iterable[str]] = None,
        force_insert: bool = False,
        using: Optional[Database] = None,
        validate: bool = True,
    ) -> None:
        """INSERT a new instance, or UPDATE the fields that changed (or ``update_fields``).

        Runs ``full_clean()`` first (``validate=False`` skips it) and sends pre_save/post_save.
        An instance with nothing changed costs no query.
        """
        from covet.orm import persistence

        await persistence.save(self, update_fields, force_insert, using, validate)

    async def delete(self, *, using: Optional[Database] = None) -> int:
        """Delete the row, applying each relation's on_delete; the number of rows deleted."""
        from covet.orm import persistence

        return await persistence.delete_instance(self, using)

    async def refresh_from_db(self, *, using: Optional[Database] = None) -> None:
        """Load the field values again from the database (relations loaded before are dropped)."""
        meta = self._meta
        if self.pk is None:
            raise ValueError(f"an unsaved {type(self).__name__} cannot be refreshed")
        fresh = await type(self).objects.using(using or self._db).get(pk=self.pk)
        for name in meta.attnames:
            object.__setattr__(self, name, getattr(fresh, name))
        self._row = fresh._row
        self._db = fresh._db
        self._extra = None

    async def fetch_related(self, *names: str, using: Optional[Database] = None) -> None:
        """Load the relations ``names`` (as ``prefetch_related`` would) onto this instance."""
        from covet.orm.prefetch import prefetch_related_objects

        await prefetch_related_objects([self], names, using or self._db)


_IMMUTABLE = (type(None), bool, int, float, str, bytes, decimal.Decimal, enum.Enum, tuple, frozenset)


def _init_extra(obj: Model, values: dict[str, Any]) -> None:
    """Keyword arguments of ``Model(...)`` that are not field names: ``pk``, or mistakes."""
    meta = obj._meta
    if "pk" in values:
        setattr(obj, meta.pk.attname, values.pop("pk"))
    if not values:
        return
    many = [name for name in values if name in {f.name for f in meta.many_to_many}]
    if many:
        raise TypeError(
            f"{type(obj).__name__}() cannot set the many-to-many field {many[0]!r}: save the "
            f"instance, then `await obj.{many[0]}.set([...])`"
        )
    raise TypeError(
        f"{type(obj).__name__}() got unexpected field(s) {', '.join(sorted(values))}; "
        f"its fields: {', '.join(meta.concrete_names)}"
    )


def _make_init(model: type[Model]) -> Callable[..., None]:
    """Generate ``__init__(self, *, field=..., ...)`` for a concrete model.

    PERF: keyword-only parameters with a sentinel default and one assignment per slot cost a
    fraction of a loop over the fields with dict lookups; bulk_create builds thousands of these.
    The generated function's own names start with ``__``: a class body mangles such names, so no
    field can be called that and shadow them.
    """
    meta = model._meta
    missing, obj = "__covet_missing", "__covet_obj"
    namespace: dict[str, Any] = {missing: _MISSING, "__covet_init_extra": _init_extra}
    params: list[str] = []
    body = [f"{obj}._row = None", f"{obj}._db = None", f"{obj}._extra = None"]
    for i, field in enumerate(meta.fields):
        default = field.default
        if default is NOT_PROVIDED:
            fallback = "None"
        elif not callable(default) and isinstance(default, _IMMUTABLE):
            namespace[f"__covet_d{i}"] = default
            fallback = f"__covet_d{i}"
        else:
            namespace[f"__covet_d{i}"] = field.get_default
            fallback = f"__covet_d{i}()"
        name, attname = field.name, field.attname
        if field.is_relation and name != attname:
            params += [f"{name}={missing}", f"{attname}={missing}"]
            body += [
                f"if {name} is not {missing}:",
                f"    {obj}.{name} = {name}",  # the descriptor sets the key and the cache
                "else:",
                f"    {obj}.{attname} = {fallback} if {attname} is {missing} else {attname}",
            ]
        else:
            params.append(f"{name}={missing}")
            body.append(f"{obj}.{attname} = {fallback} if {name} is {missing} else {name}")
    body += ["if __covet_unknown:", f"    __covet_init_extra({obj}, __covet_unknown)"]
    source = f"def __init__({obj}, /, *, {', '.join(params)}, **__covet_unknown):\n"
    source += "".join(f"    {line}\n" for line in body)
    exec(compile(source, f"<covet.orm __init__ of {model.__name__}>", "exec"), namespace)  # noqa: S102 - field names  # nosec B102
    init: Callable[..., None] = namespace["__init__"]
    init.__doc__ = f"{model.__name__}({', '.join(f.name for f in meta.fields)})"
    init.__qualname__ = f"{model.__qualname__}.__init__"
    return init


_MISSING: Any = object()


def check_field_names(model: type[Model], names: Iterable[str]) -> list[Field]:
    """The concrete fields called ``names`` (FieldError for anything else)."""
    fields = []
    for name in names:
        field = model._meta.get_field(name)
        if not isinstance(field, Field) or not field.concrete:
            raise FieldError(f"{model.__name__}.{name} is not a column of {model._meta.db_table!r}")
        fields.append(field)
    return fields
