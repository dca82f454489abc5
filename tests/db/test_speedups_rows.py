"""covet._speedups.rows, compiled and interpreted: rows to records, dicts and objects, alike."""

from __future__ import annotations

import abc
import decimal
import gc
import sys
from types import ModuleType
from typing import Any

import pytest

from covet.db.records import Record, record_class
from tests import kernels

ROWS: list[tuple[Any, ...]] = [
    (1, "ada", decimal.Decimal("1.50"), None),
    (2, "bob", decimal.Decimal("0"), b"\x00\xff"),
    (3, "", decimal.Decimal("-7.25"), {"k": [1, 2]}),
]
NAMES = ("id", "name", "price", "extra")


@pytest.fixture(params=["compiled", "interpreted"])
def rows(request: pytest.FixtureRequest) -> ModuleType:
    return kernels.form("rows", request.param)


class Slotted:
    __slots__ = ("extra", "id", "name", "price")

    def __init__(self) -> None:
        raise AssertionError("loading must not call __init__")


class Plain:
    def __init__(self) -> None:
        raise AssertionError("loading must not call __init__")


class Tracked:
    """Records every __setattr__: loading must bypass it (change tracking must not see loads)."""

    changes: list[str] = []

    def __setattr__(self, name: str, value: Any) -> None:
        self.changes.append(name)
        object.__setattr__(self, name, value)


class WithProperty:
    __slots__ = ("_name", "id")

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = value.upper()


def test_records_are_the_shape_class_with_every_value(rows: ModuleType) -> None:
    cls = record_class(NAMES)
    records = rows.decode_records(ROWS, cls)
    assert [type(r) for r in records] == [cls] * 3
    assert records == ROWS  # equal as tuples
    assert records[0].name == "ada" and records[1]["extra"] == b"\x00\xff" and dict(records[2])["id"] == 3


def test_records_hold_their_values_alive_after_the_rows_are_gone(rows: ModuleType) -> None:
    values = [("x" * 40 + str(i), [i]) for i in range(100)]
    cls = record_class(("text", "items"))
    records = rows.decode_records([tuple(v) for v in values], cls)
    expected = [(text, items) for text, items in values]
    del values
    gc.collect()
    assert records == expected
    assert sys.getrefcount(records[0][1]) >= 2


def test_records_accept_rows_that_are_not_tuples(rows: ModuleType) -> None:
    cls = record_class(("a", "b"))
    records = rows.decode_records([[1, 2], (3, 4)], cls)
    assert records == [(1, 2), (3, 4)] and all(type(r) is cls for r in records)


def test_records_of_a_tuple_subclass_with_its_own_constructor_use_it(rows: ModuleType) -> None:
    class Doubled(Record):
        __slots__ = ()

        def __new__(cls, row: Any) -> Doubled:
            return super().__new__(cls, [v * 2 for v in row])

    assert rows.decode_records([(1, 2)], Doubled) == [(2, 4)]


def test_records_need_a_tuple_subclass(rows: ModuleType) -> None:
    with pytest.raises(TypeError, match="not a tuple subclass"):
        rows.decode_records(ROWS, dict)


def test_records_in_place_turn_the_rows_list_into_records(rows: ModuleType) -> None:
    cls = record_class(NAMES)
    fetched = [tuple(row) for row in ROWS]
    result = rows.records_in_place(fetched, cls)
    assert result is fetched
    assert [type(r) for r in result] == [cls] * 3 and result == ROWS
    assert result[2].price == decimal.Decimal("-7.25")


def test_records_in_place_copy_rows_that_someone_else_holds(rows: ModuleType) -> None:
    cls = record_class(("a",))
    shared = (1,)
    fetched = [shared, (), [3]]
    result = rows.records_in_place(fetched, cls)
    assert type(shared) is tuple  # still a plain tuple for whoever else has it
    assert [type(r) for r in result] == [cls] * 3 and result == [(1,), (), (3,)]
    assert type(()) is tuple  # the shared empty tuple was not retyped


def test_records_in_place_keep_the_class_alive_exactly_as_long_as_the_records(rows: ModuleType) -> None:
    cls = record_class(("x", "y"))
    before = sys.getrefcount(cls)
    fetched = rows.records_in_place([(i, str(i)) for i in range(1000)], cls)
    assert sys.getrefcount(cls) >= before + 1000  # each record holds its class
    del fetched
    gc.collect()
    assert sys.getrefcount(cls) == before


def test_dicts_map_names_to_values(rows: ModuleType) -> None:
    assert rows.decode_dicts(ROWS[:1], NAMES) == [
        {"id": 1, "name": "ada", "price": decimal.Decimal("1.50"), "extra": None}
    ]
    assert rows.decode_dicts([(1, 2)], ["a", "a"]) == [{"a": 2}]  # a repeated name keeps the last
    assert rows.decode_dicts([], NAMES) == []


@pytest.mark.parametrize("cls", [Slotted, Plain])
def test_objects_get_an_attribute_per_name_without_init(rows: ModuleType, cls: type) -> None:
    objects = rows.decode_objects(ROWS, cls, NAMES)
    assert [type(o) for o in objects] == [cls] * 3
    assert [(o.id, o.name, o.price, o.extra) for o in objects] == ROWS


class Abstract(abc.ABC):  # a class whose metaclass is not ``type`` itself
    @abc.abstractmethod
    def name_upper(self) -> str: ...


class Concrete(Abstract):
    def name_upper(self) -> str:
        return str(self.name).upper()  # type: ignore[attr-defined]


def test_objects_of_a_class_with_a_metaclass(rows: ModuleType) -> None:
    (obj,) = rows.decode_objects([(7, "x")], Concrete, ("id", "name"))
    assert type(obj) is Concrete and (obj.id, obj.name_upper()) == (7, "X")


def test_objects_bypass_the_class_setattr_but_honour_properties(rows: ModuleType) -> None:
    Tracked.changes.clear()
    (tracked,) = rows.decode_objects([(1, "a")], Tracked, ("id", "name"))
    assert (tracked.id, tracked.name) == (1, "a") and Tracked.changes == []
    (prop,) = rows.decode_objects([(1, "ada")], WithProperty, ("id", "name"))
    assert prop.name == "ADA"


def test_objects_ignore_extra_values_and_refuse_short_rows(rows: ModuleType) -> None:
    (obj,) = rows.decode_objects([(1, "a", "ignored")], Plain, ("id", "name"))
    assert vars(obj) == {"id": 1, "name": "a"}
    with pytest.raises(ValueError, match="a row has fewer values than the 2 names given: id, name"):
        rows.decode_objects([(1, "a"), (2,)], Plain, ("id", "name"))


def test_objects_refuse_names_that_are_not_strings(rows: ModuleType) -> None:
    with pytest.raises(TypeError, match="attribute names must be str, got int 0"):
        rows.decode_objects([(1,)], Plain, (0,))


def test_objects_with_a_slot_that_does_not_exist_fail_like_setattr(rows: ModuleType) -> None:
    with pytest.raises(AttributeError):
        rows.decode_objects([(1,)], Slotted, ("missing",))


def test_both_forms_agree_on_many_shapes() -> None:
    compiled, interpreted = kernels.compiled("rows"), kernels.interpreted("rows")
    data = [tuple(range(i, i + 5)) for i in range(500)]
    names = ("a", "b", "c", "d", "e")
    cls = record_class(names)
    assert compiled.decode_records(data, cls) == interpreted.decode_records(data, cls) == data
    assert compiled.decode_dicts(data, names) == interpreted.decode_dicts(data, names)
    a = [vars(o) for o in compiled.decode_objects(data, Plain, names)]
    b = [vars(o) for o in interpreted.decode_objects(data, Plain, names)]
    assert a == b and a[7] == dict(zip(names, data[7], strict=True))
