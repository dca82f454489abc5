"""Annotations, aggregates with filter=, Subquery/Exists/OuterRef and F arithmetic, on each backend."""

from __future__ import annotations

import pytest

from covet.db import Database
from covet.orm import Avg, Count, Exists, F, FieldError, Max, Min, OuterRef, Q, Subquery, Sum
from tests.orm.models import Author, Book


async def _data() -> None:
    ann = await Author.objects.create(name="Ann")
    bob = await Author.objects.create(name="Bob")
    await Author.objects.create(name="Cid")
    for title, author, pages in (("a1", ann, 100), ("a2", ann, 300), ("a3", ann, 500), ("b1", bob, 200)):
        await Book.objects.create(title=title, author=author, pages=pages)


async def test_aggregate_over_the_queryset(db: Database) -> None:
    await _data()
    result = await Book.objects.aggregate(Sum("pages"), Max("pages"), low=Min("pages"), mean=Avg("pages"))
    assert result["pages__sum"] == 1100 and result["pages__max"] == 500 and result["low"] == 100
    assert float(result["mean"]) == 275.0
    assert (await Book.objects.filter(pages__gt=1000).aggregate(n=Count("id"), top=Max("pages"))) == {
        "n": 0,
        "top": None,
    }


async def test_annotate_counts_related_rows_with_and_without_filter(db: Database) -> None:
    await _data()
    authors = await Author.objects.annotate(
        n=Count("books"), long=Count("books", filter=Q(books__pages__gte=300))
    ).order_by("name")
    assert [(a.name, a.n, a.long) for a in authors] == [("Ann", 3, 2), ("Bob", 1, 0), ("Cid", 0, 0)]
    busy = await Author.objects.annotate(n=Count("books")).filter(n__gte=1).order_by("-n")
    assert [a.name for a in busy] == ["Ann", "Bob"]
    ordered = await (
        Author.objects.exclude(name="Cid").annotate(total=Sum("books__pages")).order_by("-total")
    ).values_list("name", "total")
    assert ordered[0] == ("Ann", 900)


async def test_an_annotation_is_an_attribute_only_of_the_instances_that_carry_it(db: Database) -> None:
    await _data()
    [ann] = await Author.objects.annotate(n_written=Count("books")).filter(name="Ann")
    assert ann.n_written == 3 and getattr(ann, "n_written", None) == 3
    plain = await Author.objects.get(pk=ann.pk)
    with pytest.raises(AttributeError, match="'Author' object has no attribute 'n_written'"):
        plain.n_written  # noqa: B018 - the read is the test
    assert getattr(plain, "n_written", "absent") == "absent"
    with pytest.raises(AttributeError, match="has no attribute 'never_annotated'"):
        ann.never_annotated  # noqa: B018


async def test_values_with_annotation_groups_by_the_values(db: Database) -> None:
    await _data()
    rows = await Book.objects.values("author__name").annotate(n=Count("id")).order_by("author__name")
    assert rows == [{"author__name": "Ann", "n": 3}, {"author__name": "Bob", "n": 1}]


async def test_exists_and_subquery_with_outer_ref(db: Database) -> None:
    await _data()
    long_books = Book.objects.filter(author=OuterRef("pk"), pages__gte=400)
    assert [a.name for a in await Author.objects.filter(Exists(long_books))] == ["Ann"]
    assert [a.name for a in await Author.objects.filter(~Exists(long_books))] == ["Bob", "Cid"]
    newest = Book.objects.filter(author=OuterRef("pk")).order_by("-pages").values("title")[:1]
    rows = await Author.objects.annotate(top=Subquery(newest)).order_by("name").values_list("name", "top")
    assert rows == [("Ann", "a3"), ("Bob", "b1"), ("Cid", None)]
    authors_of_long = Author.objects.filter(books__pages__gte=300).values("id")
    assert await Book.objects.filter(author__in=authors_of_long).count() == 3


async def test_f_arithmetic_and_annotation_of_expressions(db: Database) -> None:
    await _data()
    books = await Book.objects.annotate(double=F("pages") * 2).filter(double__gt=500).order_by("pages")
    assert [(b.title, b.double) for b in books] == [("a2", 600), ("a3", 1000)]


def test_a_subquery_without_values_is_refused() -> None:
    with pytest.raises(FieldError, match="values"):
        from covet.db.query import get_dialect
        from covet.orm.backends import operations_for
        from covet.orm.connection import DatabaseInfo
        from covet.orm.query import QueryCompiler, QueryState

        compiler = QueryCompiler(
            QueryState(Author), DatabaseInfo(get_dialect("sqlite"), operations_for("sqlite"))
        )
        Subquery(Book.objects.all()).resolve(compiler)
