"""QuerySet shapes compiled once: the same SQL and rows as compiling per call, never another's."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest

import covet.orm.queryset
from covet.db import Database
from covet.orm import Q, QuerySet, assert_num_queries
from covet.orm.connection import database_info
from covet.orm.shapes import MAX_SHAPES, shape_of
from tests.orm.models import Author, Book, Country, Status

UTC = datetime.UTC


async def _library() -> None:
    chile = await Country.objects.create(name="Chile")
    ann = await Author.objects.create(name="Ann", email="ann@x.org", country=chile)
    bob = await Author.objects.create(name="Bob")
    day = datetime.datetime(2022, 7, 9, 23, 30, tzinfo=UTC)
    await Book.objects.create(title="Alpha", author=ann, pages=120, rating=4.5, published=day)
    await Book.objects.create(title="Beta", author=ann, pages=300, status=Status.PUBLISHED)
    await Book.objects.create(title="Gamma", author=bob, pages=50, rating=2.0)


# Each differs from the others in one thing that changes the SQL, often only slightly.
QUERYSETS: list[Callable[[], QuerySet[Any]]] = [
    lambda: Book.objects.all(),
    lambda: Book.objects.order_by("title"),
    lambda: Book.objects.order_by("-title"),
    lambda: Book.objects.order_by(),
    lambda: Book.objects.order_by("author__name", "title"),
    lambda: Book.objects.filter(pages=120),
    lambda: Book.objects.filter(pages__gt=100),
    lambda: Book.objects.filter(pages__gte=120),
    lambda: Book.objects.filter(pages__lt=120),
    lambda: Book.objects.filter(pages__lte=120),
    lambda: Book.objects.filter(title="Alpha"),
    lambda: Book.objects.filter(title__exact="Alpha"),
    lambda: Book.objects.filter(title__iexact="alpha"),
    lambda: Book.objects.filter(title__startswith="Al"),
    lambda: Book.objects.filter(rating=4.5),
    lambda: Book.objects.filter(rating=None),
    lambda: Book.objects.filter(rating__isnull=True),
    lambda: Book.objects.filter(rating__isnull=False),
    lambda: Book.objects.exclude(rating=4.5),
    lambda: Book.objects.exclude(pages=120),
    lambda: Book.objects.filter(pages=120, title="Alpha"),
    lambda: Book.objects.filter(Q(pages=120) | Q(title="Gamma")),
    lambda: Book.objects.filter(Q(pages=120) & Q(title="Gamma")),
    lambda: Book.objects.filter(~Q(pages=120) | Q(title="Gamma")),
    lambda: Book.objects.filter(pages__gt=60).filter(pages__lt=200),
    lambda: Book.objects.filter(pages__gt=60, pages__lt=200),
    lambda: Book.objects.filter(author__name="Ann"),
    lambda: Book.objects.filter(author__country__name="Chile"),
    lambda: Book.objects.filter(author_id=1),
    lambda: Book.objects.filter(pk=1),
    lambda: Book.objects.filter(published__year=2022),
    lambda: Book.objects.filter(status=Status.PUBLISHED),
    lambda: Book.objects.filter(pages__in=[50, 120]),
    lambda: Author.objects.all(),
    lambda: Author.objects.filter(books__pages__gt=100),
    lambda: Author.objects.filter(books__pages__gt=100).distinct(),
    lambda: Author.objects.exclude(books__pages__gt=100),
    lambda: Author.objects.filter(books__title="Alpha").filter(books__title="Beta"),
    lambda: Author.objects.filter(books__title="Alpha", books__pages=300),
    lambda: Book.objects.order_by("pk")[:1],
    lambda: Book.objects.order_by("pk")[:2],
    lambda: Book.objects.order_by("pk")[1:],
    lambda: Book.objects.order_by("pk")[1:2],
    lambda: Book.objects.select_related("author"),
    lambda: Book.objects.select_related("author__country"),
    lambda: Book.objects.values("title"),
    lambda: Book.objects.values("title", "pages"),
    lambda: Book.objects.values_list("title"),
    lambda: Book.objects.values_list("title", flat=True),
    lambda: Book.objects.values("author__name").distinct(),
]
# The SQL of one of those above: other values, or a prefetch (its queries run after the SELECT).
SAME_SQL: list[Callable[[], QuerySet[Any]]] = [
    lambda: Book.objects.prefetch_related("tags"),
    lambda: Book.objects.filter(pages=300),
    lambda: Book.objects.filter(pages__gt=1000),
    lambda: Book.objects.filter(title="Gamma"),
    lambda: Book.objects.filter(Q(pages=50) | Q(title="Beta")),
    lambda: Book.objects.filter(author__name="Bob"),
    lambda: Author.objects.filter(books__title="Gamma").filter(books__title="Beta"),
]


def _plain(result: list[Any]) -> list[Any]:
    """What a result holds, comparable: field values (and loaded relations) of instances."""
    out = []
    for item in result:
        if hasattr(item, "_meta"):
            related = {n: _plain([v])[0] for n, v in (item._extra or {}).items() if hasattr(v, "_meta")}
            out.append((type(item).__name__, item._values(), sorted(related.items())))
        else:
            out.append(item)
    return out


async def _sent(make: Callable[[], QuerySet[Any]]) -> tuple[list[str], list[Any]]:
    with assert_num_queries(len(make()._state.prefetch) + 1) as log:
        result = await make()
    return list(log), _plain(result)


async def test_every_queryset_sends_the_sql_and_gets_the_rows_of_compiling_per_call(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _library()
    with monkeypatch.context() as per_call:
        per_call.setattr(covet.orm.queryset, "shape_of", lambda state: None)
        expected = [await _sent(make) for make in QUERYSETS + SAME_SQL]
    info = await database_info(db)
    info.select_shapes.clear()
    cases = list(zip(QUERYSETS + SAME_SQL, expected, strict=True))
    for _ in range(2):  # compiled (and remembered), then from the shapes: both times the same
        for make, (sql, rows) in cases:
            assert await _sent(make) == (sql, rows)
        for make, (sql, rows) in reversed(cases):
            assert await _sent(make) == (sql, rows)
    assert sum(1 for shape in info.select_shapes.values() if shape) > 30  # most of them are cacheable


def _key(queryset: QuerySet[Any]) -> Any:
    described = shape_of(queryset._state)
    return None if described is None else described[0]


def test_querysets_of_different_sql_never_share_a_shape() -> None:
    keys = [key for key in map(_key, (make() for make in QUERYSETS)) if key is not None]
    assert len(keys) == len(set(keys)) and len(keys) > 30
    assert {_key(make()) for make in SAME_SQL} <= set(keys)


async def test_a_shape_compiles_once_and_takes_each_calls_values(db: Database) -> None:
    await _library()
    info = await database_info(db)
    info.select_shapes.clear()
    assert [b.title for b in await Book.objects.filter(pages__gt=100).order_by("pages")] == ["Alpha", "Beta"]
    assert [b.title for b in await Book.objects.filter(pages__gt=200).order_by("pages")] == ["Beta"]
    assert [b.title for b in await Book.objects.filter(pages__gt=1000).order_by("pages")] == []
    assert len(info.select_shapes) == 1
    assert (await Book.objects.get(title="Gamma")).pages == 50
    assert (await Book.objects.get(title="Beta")).pages == 300
    with pytest.raises(Book.DoesNotExist):
        await Book.objects.get(title="Omega")
    assert len(info.select_shapes) == 2


async def test_a_value_of_another_kind_is_another_shape(db: Database) -> None:
    await _library()
    assert len(await Book.objects.filter(rating=4.5)) == 1
    assert len(await Book.objects.filter(rating=None)) == 1  # IS NULL, not "= NULL"
    assert len(await Book.objects.filter(rating__isnull=False)) == 2
    assert len(await Book.objects.filter(rating__isnull=True)) == 1
    assert len(await Book.objects.filter(author_id=(await Author.objects.get(name="Bob")).pk)) == 1


async def test_past_the_bound_querysets_still_run(db: Database) -> None:
    await _library()
    info = await database_info(db)
    info.select_shapes.clear()
    info.select_shapes.update({("filler", i): False for i in range(MAX_SHAPES)})
    try:
        assert [b.title for b in await Book.objects.order_by("title")] == ["Alpha", "Beta", "Gamma"]
        assert len(info.select_shapes) == MAX_SHAPES
    finally:
        info.select_shapes.clear()
