"""Model fields: what a column holds, how values go to the database and come back, and checks.

A field is declared on a model class (``title = CharField(max_length=200)``) and becomes a slot
of the instances; the field object itself stays on ``Model._meta``. Each field knows:

- ``to_db(value)``: the value as the driver takes it (JSON wrapped, enums as their value);
- ``loader(backend)``: a function turning what that backend's driver returns into the Python
  value, or None when the driver's value is already right (the common case, and the fast one);
- ``clean(value)``: the checks ``save()`` runs (null, max_length, choices, validators);
- ``deconstruct()``: the call that recreates it, written into migration files.

The SQL column types per database live in ``covet.orm.backends``.

Typing: ``Field[T]`` is generic in what the instance attribute holds, so ``book.title`` reads as
``str`` and ``Optional[str]`` for ``CharField(max_length=200, null=True)`` (constructor overloads
on ``null``); ``Book.title`` is the slot's member descriptor, as at run time. The ``__get__`` and
``__set__`` that say so exist for type checkers only: a field is no attribute of its model's
class at run time, so instance attribute access stays a plain slot read.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import itertools
import uuid
from collections.abc import Callable, Iterable, Sequence
from types import MemberDescriptorType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, Optional, TypedDict, overload

import orjson

from covet.db.types import Json
from covet.orm.errors import ImproperlyConfigured, ValidationError

if TYPE_CHECKING:
    from typing import Self, Unpack

    from typing_extensions import TypeVar  # a TypeVar default (PEP 696) needs Python 3.13's typing

    from covet.orm.models import Model

    #: What the instance attribute holds; a bare ``Field`` is ``Field[Any]``.
    T = TypeVar("T", default=Any)
    E = TypeVar("E", bound=enum.Enum)
else:
    from typing import TypeVar

    T = TypeVar("T")

__all__ = [
    "NOT_PROVIDED",
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BinaryField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "EnumField",
    "Field",
    "FloatField",
    "IntegerField",
    "JSONField",
    "SmallIntegerField",
    "TextField",
    "TimeField",
    "UUIDField",
]

Loader = Callable[[Any], Any]
Validator = Callable[[Any], None]


class _NotProvided:
    def __repr__(self) -> str:
        return "NOT_PROVIDED"


#: The default of ``default``: the field has no default value.
NOT_PROVIDED: Any = _NotProvided()

_creation_order = itertools.count()


class FieldOptions(TypedDict, total=False):
    """Typing only: the keyword arguments every field takes, besides ``null``."""

    default: Any
    unique: bool
    index: bool
    primary_key: bool
    choices: Optional[Iterable[Any]]
    validators: Sequence[Validator]
    db_column: Optional[str]


class Field(Generic[T]):
    """Base class of every field.

    ``null`` allows NULL; ``default`` is a value or a callable (called per new instance);
    ``unique`` and ``index`` add a unique constraint or an index; ``choices`` is a sequence of
    values or ``(value, label)`` pairs; ``validators`` are callables raising ``ValidationError``
    (or ``ValueError``); ``db_column`` names the column when it is not the field's name.
    """

    #: The key ``covet.orm.backends`` maps to an SQL type.
    internal_type: ClassVar[str] = ""
    #: True when in-place changes cannot be seen (a JSON dict): save() always writes the field.
    mutable: ClassVar[bool] = False
    #: True for auto-incremented primary keys: the database picks the value on INSERT.
    auto: ClassVar[bool] = False
    #: True for fields that are a column of the model's own table (not ManyToManyField).
    concrete: ClassVar[bool] = True
    is_relation: ClassVar[bool] = False

    name: str
    attname: str
    column: str
    model: type[Model]

    def __init__(
        self,
        *,
        null: bool = False,
        default: Any = NOT_PROVIDED,
        unique: bool = False,
        index: bool = False,
        primary_key: bool = False,
        choices: Optional[Iterable[Any]] = None,
        validators: Sequence[Validator] = (),
        db_column: Optional[str] = None,
    ) -> None:
        self.null = null
        self.default = default
        self.primary_key = primary_key
        self.unique = unique or primary_key
        self.index = index
        self.choices = _normalise_choices(choices)
        self.validators = tuple(validators)
        self.db_column = db_column
        self.creation_order = next(_creation_order)

    if TYPE_CHECKING:
        # On a model class the name is the slot ModelBase made (or a relation's descriptor); on
        # an instance, the value. Anywhere else (``Options.pk: Field``) the field is itself.
        @overload
        def __get__(self, instance: None, owner: type[Model]) -> MemberDescriptorType: ...
        @overload
        def __get__(self, instance: Model, owner: type[Model]) -> T: ...
        @overload
        def __get__(self, instance: object, owner: Any) -> Self: ...
        def __get__(self, instance: object, owner: Any) -> Any: ...
        @overload
        def __set__(self, instance: Model, value: T) -> None: ...
        @overload
        def __set__(self, instance: object, value: Self) -> None: ...
        def __set__(self, instance: object, value: Any) -> None: ...

    # -- attachment ------------------------------------------------------------------------------

    def contribute_to_class(self, model: type[Model], name: str) -> None:
        """Called by the model's metaclass: the field now belongs to ``model`` as ``name``."""
        self.name = name
        self.attname = self.get_attname()
        self.column = self.db_column or self.attname
        self.model = model

    def get_attname(self) -> str:
        return self.attname_for(self.name)

    def attname_for(self, name: str) -> str:
        """The instance attribute (and default column) for a field declared as ``name``."""
        return name

    def __repr__(self) -> str:
        owner = getattr(self, "model", None)
        where = f"{owner.__name__}.{self.name}" if owner is not None else "unattached"
        return f"<{type(self).__name__} {where}>"

    # -- values ----------------------------------------------------------------------------------

    @property
    def has_default(self) -> bool:
        return self.default is not NOT_PROVIDED

    def get_default(self) -> Any:
        default = self.default
        if default is NOT_PROVIDED:
            return None
        return default() if callable(default) else default

    def to_db(self, value: Any) -> Any:
        """``value`` as the driver takes it (used for INSERT/UPDATE values and filter parameters)."""
        return value

    def loader(self, backend: str) -> Optional[Loader]:
        """What turns this backend's driver value into the Python value; None when nothing must."""
        return None

    def to_python(self, value: Any) -> Any:
        """``value`` coerced to the field's Python type, or ValidationError (used by clean)."""
        return value

    def clean(self, value: Any) -> Any:
        """Checks ``save()`` runs: the value coerced, then null, choices, type rules and validators."""
        if value is None:
            if not self.null and not self.auto:
                raise ValidationError({self.name: "this field cannot be null"})
            return None
        value = self.to_python(value)
        if self.choices is not None and value not in self.choices:
            allowed = ", ".join(repr(choice) for choice in self.choices)
            raise ValidationError({self.name: f"{value!r} is not one of the choices ({allowed})"})
        self.check(value)
        for validator in self.validators:
            try:
                validator(value)
            except ValidationError as err:
                raise ValidationError({self.name: [m for ms in err.errors.values() for m in ms]}) from err
            except ValueError as err:
                raise ValidationError({self.name: str(err)}) from err
        return value

    def check(self, value: Any) -> None:
        """Type-specific rules beyond the coercion (length, digits …); raise ValidationError."""

    def fail(self, message: str) -> ValidationError:
        return ValidationError({self.name: message})

    # -- migrations ------------------------------------------------------------------------------

    def deconstruct(self) -> tuple[str, dict[str, Any]]:
        """``(class name, keyword arguments)`` that recreate this field in a migration file."""
        kwargs: dict[str, Any] = {}
        if self.null:
            kwargs["null"] = True
        if self.default is not NOT_PROVIDED and not callable(self.default):
            kwargs["default"] = self.default
        if self.primary_key:
            kwargs["primary_key"] = True
        elif self.unique:
            kwargs["unique"] = True
        if self.index:
            kwargs["index"] = True
        if self.db_column is not None:
            kwargs["db_column"] = self.db_column
        return type(self).__name__, kwargs


def _normalise_choices(choices: Optional[Iterable[Any]]) -> Optional[tuple[Any, ...]]:
    if choices is None:
        return None
    values = []
    for choice in choices:
        values.append(choice[0] if isinstance(choice, tuple) and len(choice) == 2 else choice)
    return tuple(values)


# -- numbers ---------------------------------------------------------------------------------------


class IntegerField(Field[T]):
    if TYPE_CHECKING:

        @overload
        def __init__(
            self: IntegerField[int], *, null: Literal[False] = ..., **options: Unpack[FieldOptions]
        ) -> None: ...
        @overload
        def __init__(
            self: IntegerField[Optional[int]], *, null: bool, **options: Unpack[FieldOptions]
        ) -> None: ...
        def __init__(self, *, null: bool = False, **options: Unpack[FieldOptions]) -> None: ...

    internal_type = "IntegerField"
    #: The range the column type holds; values outside it are refused before the database does.
    range: ClassVar[tuple[int, int]] = (-(2**31), 2**31 - 1)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            try:
                if isinstance(value, (bool, float)) and value != int(value):
                    raise ValueError
                return int(value)
            except (TypeError, ValueError):
                raise self.fail(f"expected an integer, got {value!r}") from None
        return value

    def check(self, value: Any) -> None:
        low, high = self.range
        if not low <= value <= high:
            raise self.fail(f"{value} is out of range for {type(self).__name__} ({low} to {high})")


class SmallIntegerField(IntegerField[T]):
    if TYPE_CHECKING:

        @overload
        def __init__(
            self: SmallIntegerField[int], *, null: Literal[False] = ..., **options: Unpack[FieldOptions]
        ) -> None: ...
        @overload
        def __init__(
            self: SmallIntegerField[Optional[int]], *, null: bool, **options: Unpack[FieldOptions]
        ) -> None: ...
        def __init__(self, *, null: bool = False, **options: Unpack[FieldOptions]) -> None: ...

    internal_type = "SmallIntegerField"
    range = (-(2**15), 2**15 - 1)


class BigIntegerField(IntegerField[T]):
    if TYPE_CHECKING:

        @overload
        def __init__(
            self: BigIntegerField[int], *, null: Literal[False] = ..., **options: Unpack[FieldOptions]
        ) -> None: ...
        @overload
        def __init__(
            self: BigIntegerField[Optional[int]], *, null: bool, **options: Unpack[FieldOptions]
        ) -> None: ...
        def __init__(self, *, null: bool = False, **options: Unpack[FieldOptions]) -> None: ...

    internal_type = "BigIntegerField"
    range = (-(2**63), 2**63 - 1)


class AutoField(IntegerField[T]):
    """An auto-incremented integer primary key (the default ``id`` of a model).

    Typed ``int``: it is None on an instance not saved yet, which the type does not say."""

    internal_type = "AutoField"
    auto = True

    @overload
    def __init__(
        self: AutoField[int], *, null: Literal[False] = ..., **options: Unpack[FieldOptions]
    ) -> None: ...
    @overload
    def __init__(self: AutoField[Optional[int]], *, null: bool, **options: Unpack[FieldOptions]) -> None: ...
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("primary_key", True)
        super().__init__(**kwargs)  # type: ignore[misc]  # IntegerField's overloads name their self types

    def deconstruct(self) -> tuple[str, dict[str, Any]]:
        name, kwargs = super().deconstruct()
        kwargs.pop("primary_key", None)
        return name, kwargs


class BigAutoField(AutoField[T]):
    internal_type = "BigAutoField"

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: BigAutoField[int], *, null: Literal[False] = ..., **options: Unpack[FieldOptions]
        ) -> None: ...
        @overload
        def __init__(
            self: BigAutoField[Optional[int]], *, null: bool, **options: Unpack[FieldOptions]
        ) -> None: ...
        def __init__(self, *, null: bool = False, **options: Unpack[FieldOptions]) -> None: ...

    range = BigIntegerField.range


class FloatField(Field[T]):
    if TYPE_CHECKING:

        @overload
        def __init__(
            self: FloatField[float], *, null: Literal[False] = ..., **options: Unpack[FieldOptions]
        ) -> None: ...
        @overload
        def __init__(
            self: FloatField[Optional[float]], *, null: bool, **options: Unpack[FieldOptions]
        ) -> None: ...
        def __init__(self, *, null: bool = False, **options: Unpack[FieldOptions]) -> None: ...

    internal_type = "FloatField"

    def to_python(self, value: Any) -> Any:
        if isinstance(value, float):
            return value
        try:
            return float(value)
        except (TypeError, ValueError):
            raise self.fail(f"expected a number, got {value!r}") from None


def _decimal(value: Any) -> decimal.Decimal:
    return value if isinstance(value, decimal.Decimal) else decimal.Decimal(str(value))


class DecimalField(Field[T]):
    """A fixed-point number: ``max_digits`` in all, ``decimal_places`` of them after the point."""

    internal_type = "DecimalField"

    @overload
    def __init__(
        self: DecimalField[decimal.Decimal],
        *,
        max_digits: int,
        decimal_places: int,
        null: Literal[False] = ...,
        **options: Unpack[FieldOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: DecimalField[Optional[decimal.Decimal]],
        *,
        max_digits: int,
        decimal_places: int,
        null: bool,
        **options: Unpack[FieldOptions],
    ) -> None: ...
    def __init__(self, *, max_digits: int, decimal_places: int, **kwargs: Any) -> None:
        if max_digits < 1 or not 0 <= decimal_places <= max_digits:
            raise ImproperlyConfigured(
                f"DecimalField needs 0 <= decimal_places <= max_digits and max_digits >= 1 "
                f"(got max_digits={max_digits}, decimal_places={decimal_places})"
            )
        super().__init__(**kwargs)
        self.max_digits = max_digits
        self.decimal_places = decimal_places
        self._quantum = decimal.Decimal(1).scaleb(-decimal_places)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, float):
            value = repr(value)
        try:
            return _decimal(value)
        except decimal.InvalidOperation:
            raise self.fail(f"expected a decimal number, got {value!r}") from None

    def check(self, value: Any) -> None:
        if not value.is_finite():
            raise self.fail(f"{value} is not a finite number")
        sign, digits, exponent = value.as_tuple()
        assert isinstance(exponent, int)
        places = max(0, -exponent)
        whole = len(digits) + exponent if exponent < 0 else len(digits) + exponent
        if places > self.decimal_places:
            raise self.fail(f"{value} has more than {self.decimal_places} decimal places")
        if max(whole, 0) > self.max_digits - self.decimal_places:
            raise self.fail(
                f"{value} has more than {self.max_digits - self.decimal_places} digits before the point"
            )

    def loader(self, backend: str) -> Optional[Loader]:
        quantum = self._quantum

        def load(value: Any) -> Any:
            if value is None:
                return None
            return _decimal(value).quantize(quantum)

        return load

    def deconstruct(self) -> tuple[str, dict[str, Any]]:
        name, kwargs = super().deconstruct()
        kwargs["max_digits"] = self.max_digits
        kwargs["decimal_places"] = self.decimal_places
        return name, kwargs


class BooleanField(Field[T]):
    if TYPE_CHECKING:

        @overload
        def __init__(
            self: BooleanField[bool], *, null: Literal[False] = ..., **options: Unpack[FieldOptions]
        ) -> None: ...
        @overload
        def __init__(
            self: BooleanField[Optional[bool]], *, null: bool, **options: Unpack[FieldOptions]
        ) -> None: ...
        def __init__(self, *, null: bool = False, **options: Unpack[FieldOptions]) -> None: ...

    internal_type = "BooleanField"

    def to_python(self, value: Any) -> Any:
        if value is True or value is False:
            return value
        if value in (0, 1):
            return bool(value)
        raise self.fail(f"expected True or False, got {value!r}")

    def loader(self, backend: str) -> Optional[Loader]:
        if backend == "mysql":  # TINYINT(1) comes back as 0/1
            return _to_bool
        return None


def _to_bool(value: Any) -> Any:
    return None if value is None else bool(value)


# -- text and bytes --------------------------------------------------------------------------------


class CharField(Field[T]):
    """Text of at most ``max_length`` characters (``varchar``)."""

    internal_type = "CharField"

    @overload
    def __init__(
        self: CharField[str], *, max_length: int, null: Literal[False] = ..., **options: Unpack[FieldOptions]
    ) -> None: ...
    @overload
    def __init__(
        self: CharField[Optional[str]], *, max_length: int, null: bool, **options: Unpack[FieldOptions]
    ) -> None: ...
    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        if not isinstance(max_length, int) or max_length < 1:
            raise ImproperlyConfigured(f"CharField needs a positive max_length, got {max_length!r}")
        super().__init__(**kwargs)
        self.max_length = max_length

    def to_python(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise self.fail(f"expected a str, got {type(value).__name__}")
        return value

    def check(self, value: Any) -> None:
        if len(value) > self.max_length:
            raise self.fail(f"{len(value)} characters is more than max_length={self.max_length}")

    def deconstruct(self) -> tuple[str, dict[str, Any]]:
        name, kwargs = super().deconstruct()
        kwargs["max_length"] = self.max_length
        return name, kwargs


class TextField(Field[T]):
    if TYPE_CHECKING:

        @overload
        def __init__(
            self: TextField[str], *, null: Literal[False] = ..., **options: Unpack[FieldOptions]
        ) -> None: ...
        @overload
        def __init__(
            self: TextField[Optional[str]], *, null: bool, **options: Unpack[FieldOptions]
        ) -> None: ...
        def __init__(self, *, null: bool = False, **options: Unpack[FieldOptions]) -> None: ...

    internal_type = "TextField"

    def to_python(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise self.fail(f"expected a str, got {type(value).__name__}")
        return value


class BinaryField(Field[T]):
    if TYPE_CHECKING:

        @overload
        def __init__(
            self: BinaryField[bytes], *, null: Literal[False] = ..., **options: Unpack[FieldOptions]
        ) -> None: ...
        @overload
        def __init__(
            self: BinaryField[Optional[bytes]], *, null: bool, **options: Unpack[FieldOptions]
        ) -> None: ...
        def __init__(self, *, null: bool = False, **options: Unpack[FieldOptions]) -> None: ...

    internal_type = "BinaryField"

    def to_python(self, value: Any) -> Any:
        if isinstance(value, (bytearray, memoryview)):
            return bytes(value)
        if not isinstance(value, bytes):
            raise self.fail(f"expected bytes, got {type(value).__name__}")
        return value

    def loader(self, backend: str) -> Optional[Loader]:
        return _to_bytes if backend == "postgresql" else None


def _to_bytes(value: Any) -> Any:
    return value if value is None or type(value) is bytes else bytes(value)


# -- dates and times -------------------------------------------------------------------------------


class DateField(Field[T]):
    if TYPE_CHECKING:

        @overload
        def __init__(
            self: DateField[datetime.date], *, null: Literal[False] = ..., **options: Unpack[FieldOptions]
        ) -> None: ...
        @overload
        def __init__(
            self: DateField[Optional[datetime.date]], *, null: bool, **options: Unpack[FieldOptions]
        ) -> None: ...
        def __init__(self, *, null: bool = False, **options: Unpack[FieldOptions]) -> None: ...

    internal_type = "DateField"

    def to_python(self, value: Any) -> Any:
        if isinstance(value, datetime.datetime):
            raise self.fail(f"expected a date, got the datetime {value!r}")
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str):
            try:
                return datetime.date.fromisoformat(value)
            except ValueError:
                pass
        raise self.fail(f"expected a date, got {value!r}")


class TimeField(Field[T]):
    if TYPE_CHECKING:

        @overload
        def __init__(
            self: TimeField[datetime.time], *, null: Literal[False] = ..., **options: Unpack[FieldOptions]
        ) -> None: ...
        @overload
        def __init__(
            self: TimeField[Optional[datetime.time]], *, null: bool, **options: Unpack[FieldOptions]
        ) -> None: ...
        def __init__(self, *, null: bool = False, **options: Unpack[FieldOptions]) -> None: ...

    internal_type = "TimeField"

    def to_python(self, value: Any) -> Any:
        if isinstance(value, datetime.time):
            return value
        if isinstance(value, str):
            try:
                return datetime.time.fromisoformat(value)
            except ValueError:
                pass
        raise self.fail(f"expected a time, got {value!r}")


class DateTimeField(Field[T]):
    if TYPE_CHECKING:

        @overload
        def __init__(
            self: DateTimeField[datetime.datetime],
            *,
            null: Literal[False] = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: DateTimeField[Optional[datetime.datetime]], *, null: bool, **options: Unpack[FieldOptions]
        ) -> None: ...
        def __init__(self, *, null: bool = False, **options: Unpack[FieldOptions]) -> None: ...

    """A time-zone-aware instant (``timestamptz`` on PostgreSQL; stored as UTC elsewhere).

    Naive datetimes are refused: which instant they mean depends on a time zone nobody said.
    """

    internal_type = "DateTimeField"

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = datetime.datetime.fromisoformat(value)
            except ValueError:
                raise self.fail(f"expected a datetime, got {value!r}") from None
        if not isinstance(value, datetime.datetime):
            raise self.fail(f"expected a datetime, got {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise self.fail(
                f"{value!r} is naive: give a timezone-aware datetime, e.g. datetime.now(timezone.utc)"
            )
        return value

    def loader(self, backend: str) -> Optional[Loader]:
        return _aware_utc if backend == "mysql" else None


def _aware_utc(value: Any) -> Any:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=datetime.UTC)


# -- structured values -----------------------------------------------------------------------------


class UUIDField(Field[T]):
    if TYPE_CHECKING:

        @overload
        def __init__(
            self: UUIDField[uuid.UUID], *, null: Literal[False] = ..., **options: Unpack[FieldOptions]
        ) -> None: ...
        @overload
        def __init__(
            self: UUIDField[Optional[uuid.UUID]], *, null: bool, **options: Unpack[FieldOptions]
        ) -> None: ...
        def __init__(self, *, null: bool = False, **options: Unpack[FieldOptions]) -> None: ...

    internal_type = "UUIDField"

    def to_python(self, value: Any) -> Any:
        if isinstance(value, uuid.UUID):
            return value
        try:
            return uuid.UUID(str(value))
        except ValueError:
            raise self.fail(f"expected a UUID, got {value!r}") from None

    def to_db(self, value: Any) -> Any:
        if value is None or isinstance(value, uuid.UUID):
            return value
        return uuid.UUID(str(value))

    def loader(self, backend: str) -> Optional[Loader]:
        return _to_uuid if backend == "mysql" else None


def _to_uuid(value: Any) -> Any:
    return value if value is None or isinstance(value, uuid.UUID) else uuid.UUID(value)


class JSONField(Field[Any]):
    """Any JSON value (dict, list, str, number, bool). ``save()`` always writes it: changes made
    inside the value cannot be seen."""

    internal_type = "JSONField"
    mutable = True

    def to_python(self, value: Any) -> Any:
        try:
            orjson.dumps(value)
        except TypeError as err:
            raise self.fail(f"not JSON-serialisable: {err}") from None
        return value

    def to_db(self, value: Any) -> Any:
        return None if value is None else Json(value)

    def loader(self, backend: str) -> Optional[Loader]:
        return _from_json_text if backend == "mysql" else None  # MariaDB sends JSON as text


def _from_json_text(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, (str, bytes)) else value


class EnumField(Field[T]):
    """Members of ``enum_type``, stored as their values (text for str values, integer for int ones)."""

    internal_type = "EnumField"

    @overload
    def __init__(
        self: EnumField[E],
        enum_type: type[E],
        *,
        max_length: Optional[int] = None,
        null: Literal[False] = ...,
        **options: Unpack[FieldOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: EnumField[Optional[E]],
        enum_type: type[E],
        *,
        max_length: Optional[int] = None,
        null: bool,
        **options: Unpack[FieldOptions],
    ) -> None: ...
    def __init__(
        self, enum_type: type[enum.Enum], *, max_length: Optional[int] = None, **kwargs: Any
    ) -> None:
        if not (isinstance(enum_type, type) and issubclass(enum_type, enum.Enum)):
            raise ImproperlyConfigured(f"EnumField needs an Enum class, got {enum_type!r}")
        values = [member.value for member in enum_type]
        self.integer = bool(values) and all(isinstance(v, int) and not isinstance(v, bool) for v in values)
        if not self.integer and not all(isinstance(v, str) for v in values):
            raise ImproperlyConfigured(
                f"EnumField needs an Enum of str or of int values: {enum_type.__name__}"
            )
        super().__init__(**kwargs)
        self.enum_type = enum_type
        self.max_length = max_length or max([len(str(v)) for v in values] or [1])

    def to_python(self, value: Any) -> Any:
        try:
            return self.enum_type(value)
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in self.enum_type)
            raise self.fail(f"{value!r} is not a {self.enum_type.__name__} ({allowed})") from None

    def to_db(self, value: Any) -> Any:
        return value.value if isinstance(value, enum.Enum) else value

    def loader(self, backend: str) -> Optional[Loader]:
        enum_type = self.enum_type

        def load(value: Any) -> Any:
            return None if value is None else enum_type(value)

        return load

    def deconstruct(self) -> tuple[str, dict[str, Any]]:
        # A migration records the column, not the Enum class: an integer or a varchar column.
        _, kwargs = super().deconstruct()
        if "default" in kwargs:
            kwargs["default"] = self.to_db(kwargs["default"])
        if self.integer:
            return "IntegerField", kwargs
        kwargs["max_length"] = self.max_length
        return "CharField", kwargs
