"""covet._speedups.orm_rows, compiled and interpreted: rows become model instances, alike."""

from __future__ import annotations

import decimal
import gc
import sys
from types import ModuleType
from typing import Any

import pytest

from tests import kernels
from tests.orm.models import Book, Status


@pytest.fixture(params=["compiled", "interpreted"])
def orm_rows(request: pytest.FixtureRequest) -> ModuleType:
    return kernels.form("orm_rows", request.param)


class Slotted:
    __slots__ = ("_db", "_extra", "_row", "id", "name", "price")

    def __init__(self) -> None:
        raise AssertionError("loading must not call __init__")


NAMES = ("id", "name", "price")


def _layout(orm_rows: ModuleType, converters: Any = (None, None, None)) -> Any:
    return orm_rows.InstanceLayout(Slotted, NAMES, converters)


def test_each_row_fills_the_slots_and_is_kept_as_the_loaded_row(orm_rows: ModuleType) -> None:
    rows = [(1, "ada", decimal.Decimal("1.5")), (2, "bob", None)]
    db = object()
    objects = orm_rows.load_instances(rows, _layout(orm_rows), db)
    assert [(o.id, o.name, o.price) for o in objects] == rows
    assert all(o._row is row for o, row in zip(objects, rows, strict=True))  # no copy
    assert all(o._db is db and o._extra is None for o in objects)
    assert all(type(o) is Slotted for o in objects)


def test_converters_apply_to_their_columns_and_to_the_kept_row(orm_rows: ModuleType) -> None:
    layout = _layout(orm_rows, (None, str.upper, None))
    obj = orm_rows.load_instance((7, "cy", None), layout, None)
    assert (obj.id, obj.name, obj.price) == (7, "CY", None)
    assert obj._row == (7, "CY", None) and type(obj._row) is tuple


def test_wider_rows_keep_their_first_values_and_lists_become_tuples(orm_rows: ModuleType) -> None:
    layout = _layout(orm_rows)
    wide = orm_rows.load_instances([(1, "a", None, "extra", 9)], layout, None)[0]
    assert wide._row == (1, "a", None) and wide.name == "a"
    listed = orm_rows.load_instance([2, "b", None], layout, None)
    assert listed._row == (2, "b", None) and type(listed._row) is tuple


def test_a_short_row_is_a_clear_error(orm_rows: ModuleType) -> None:
    with pytest.raises(ValueError, match=r"a row for Slotted has 2 values; 3 are needed \(id, name, price\)"):
        orm_rows.load_instances([(1, "a", None), (2, "b")], _layout(orm_rows), None)


def test_loading_keeps_reference_counts_right(orm_rows: ModuleType) -> None:
    row = (10_001, "unique name", None)
    db = object()
    before = sys.getrefcount(row), sys.getrefcount(db)
    objects = orm_rows.load_instances([row] * 5, _layout(orm_rows), db)
    assert gc.is_tracked(objects[0])  # instances take part in cycle collection
    del objects
    assert (sys.getrefcount(row), sys.getrefcount(db)) == before
    objects = orm_rows.load_instances([row], _layout(orm_rows, (None, str.title, None)), db)
    del objects
    assert (sys.getrefcount(row), sys.getrefcount(db)) == before


def test_an_empty_result_is_an_empty_list(orm_rows: ModuleType) -> None:
    assert orm_rows.load_instances([], _layout(orm_rows), None) == []


def test_model_instances_load_with_their_field_converters(orm_rows: ModuleType) -> None:
    fields = Book._meta.fields
    layout = orm_rows.InstanceLayout(
        Book, [f.attname for f in fields], [f.loader("postgresql") for f in fields]
    )
    values = {f.attname: None for f in fields}
    values.update(id=3, title="t", author_id=1, pages=10, status="published")
    book = orm_rows.load_instance(tuple(values[f.attname] for f in fields), layout, None)
    assert book.status is Status.PUBLISHED and book.title == "t"
    assert book.changed_fields() == ["data"]  # JSON is always written; the rest compares with _row
    book.pages = 11
    assert set(book.changed_fields()) == {"pages", "data"}


class OwnNew:
    __slots__ = ("_db", "_extra", "_row", "id")

    def __new__(cls) -> OwnNew:
        return super().__new__(cls)


class WithProperty:
    __slots__ = ("_db", "_extra", "_row", "_id")

    @property
    def id(self) -> int:
        return 1


@pytest.mark.parametrize(
    ("cls", "names", "converters", "error", "message"),
    [
        (Slotted, ["id", "nope"], [None, None], TypeError, r"Slotted\.nope is not a slot"),
        (WithProperty, ["id"], [None], TypeError, r"WithProperty\.id is not a slot"),
        (OwnNew, ["id"], [None], TypeError, r"OwnNew has its own __new__"),
        (Slotted, [1], [None], TypeError, r"slot names are str, not int 1"),
        (Slotted, ["id"], [None, None], ValueError, r"1 names but 2 converters"),
        (Slotted, ["id"], ["upper"], TypeError, r"a converter must be callable or None, not 'upper'"),
        (dict, ["id"], [None], TypeError, r"dict has its own __new__"),
    ],
)
def test_a_layout_only_accepts_plain_slots_of_a_plain_class(
    orm_rows: ModuleType, cls: type, names: list[Any], converters: list[Any], error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        orm_rows.InstanceLayout(cls, names, converters)
