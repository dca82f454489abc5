"""Fields: what clean() accepts and refuses, defaults, and what migrations record of them."""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid

import pytest

from covet.orm import (
    BigIntegerField,
    BinaryField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    EnumField,
    FloatField,
    ImproperlyConfigured,
    IntegerField,
    JSONField,
    SmallIntegerField,
    TextField,
    TimeField,
    UUIDField,
    ValidationError,
)


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


def named(field, name: str = "f"):  # type: ignore[no-untyped-def]
    field.name = name
    return field


@pytest.mark.parametrize(
    ("field", "value", "cleaned"),
    [
        (IntegerField(), "12", 12),
        (IntegerField(), 3.0, 3),
        (FloatField(), "1.5", 1.5),
        (DecimalField(max_digits=5, decimal_places=2), "12.34", decimal.Decimal("12.34")),
        (DecimalField(max_digits=5, decimal_places=2), 1.5, decimal.Decimal("1.5")),
        (BooleanField(), 1, True),
        (CharField(max_length=3), "abc", "abc"),
        (TextField(), "long" * 100, "long" * 100),
        (BinaryField(), bytearray(b"ab"), b"ab"),
        (DateField(), "2024-02-29", datetime.date(2024, 2, 29)),
        (TimeField(), "10:30", datetime.time(10, 30)),
        (DateTimeField(), "2024-01-01T00:00:00+00:00", datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)),
        (
            UUIDField(),
            "12345678-1234-5678-1234-567812345678",
            uuid.UUID("12345678-1234-5678-1234-567812345678"),
        ),
        (JSONField(), {"a": [1]}, {"a": [1]}),
        (EnumField(Colour), "red", Colour.RED),
        (EnumField(Level), 2, Level.HIGH),
    ],
)
def test_clean_coerces_valid_values(field, value, cleaned) -> None:  # type: ignore[no-untyped-def]
    assert named(field).clean(value) == cleaned


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (IntegerField(), "x", "expected an integer"),
        (IntegerField(), 2.5, "expected an integer"),
        (SmallIntegerField(), 40000, "out of range"),
        (BigIntegerField(), 2**64, "out of range"),
        (FloatField(), "x", "expected a number"),
        (DecimalField(max_digits=5, decimal_places=2), "1.234", "more than 2 decimal places"),
        (DecimalField(max_digits=5, decimal_places=2), "1234", "more than 3 digits before the point"),
        (DecimalField(max_digits=5, decimal_places=2), "nan", "not a finite number"),
        (DecimalField(max_digits=5, decimal_places=2), "abc", "expected a decimal"),
        (BooleanField(), "yes", "expected True or False"),
        (CharField(max_length=3), "abcd", "max_length=3"),
        (CharField(max_length=3), 5, "expected a str"),
        (BinaryField(), "text", "expected bytes"),
        (DateField(), datetime.datetime(2024, 1, 1), "got the datetime"),
        (DateField(), "soon", "expected a date"),
        (TimeField(), "noon", "expected a time"),
        (DateTimeField(), datetime.datetime(2024, 1, 1), "naive"),
        (DateTimeField(), 5, "expected a datetime"),
        (UUIDField(), "nope", "expected a UUID"),
        (JSONField(), {1, 2}, "not JSON-serialisable"),
        (EnumField(Colour), "green", "not a Colour"),
        (CharField(max_length=10, choices=[("a", "A"), ("b", "B")]), "c", "not one of the choices"),
        (IntegerField(), None, "cannot be null"),
    ],
)
def test_clean_refuses_invalid_values_with_the_reason(field, value, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match=message) as caught:
        named(field).clean(value)
    assert list(caught.value.errors) == ["f"]


def test_nullable_fields_accept_none_and_defaults_may_be_callables() -> None:
    assert named(IntegerField(null=True)).clean(None) is None
    field = named(UUIDField(default=uuid.uuid4))
    assert field.get_default() != field.get_default()
    assert named(IntegerField(default=3)).get_default() == 3


def test_declaration_errors() -> None:
    with pytest.raises(ImproperlyConfigured, match="decimal_places <= max_digits"):
        DecimalField(max_digits=2, decimal_places=3)
    with pytest.raises(ImproperlyConfigured, match="Enum class"):
        EnumField(int)  # type: ignore[type-var]

    class Mixed(enum.Enum):
        A = 1
        B = "b"

    with pytest.raises(ImproperlyConfigured, match="str or of int"):
        EnumField(Mixed)


def test_deconstruct_records_what_shapes_the_column() -> None:
    assert named(CharField(max_length=20, null=True, unique=True, index=True)).deconstruct() == (
        "CharField",
        {"max_length": 20, "null": True, "unique": True, "index": True},
    )
    assert named(EnumField(Colour, default=Colour.RED)).deconstruct() == (
        "CharField",
        {"max_length": 4, "default": "red"},
    )
    assert named(EnumField(Level)).deconstruct() == ("IntegerField", {})
    assert named(DecimalField(max_digits=6, decimal_places=1)).deconstruct()[1] == {
        "max_digits": 6,
        "decimal_places": 1,
    }
