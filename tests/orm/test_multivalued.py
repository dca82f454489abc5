"""Lookups across multi-valued relations (reverse keys, many-to-many) on each backend, as Django
defines them: exclude() is the complement of filter(), NULLs included; each filter() call has its
own join; counts and aggregates are not inflated by the rows a join repeats."""

from __future__ import annotations

from dataclasses import dataclass

from covet.db import Database
from covet.orm import Count, F, Max, Q, Sum
from tests.orm.models import Author, Book, Country, Course, Enrolment, Student, Tag


@dataclass
class Library:
    ann: Author  # Chile; books "x" (100 pages) and "y" (300 pages)
    bob: Author  # Spain; book "y" (50 pages)
    cid: Author  # no country, no email, no books
    dee: Author  # Chile; book "z" (200 pages, no rating)
    red: Tag
    blue: Tag


async def _library() -> Library:
    chile = await Country.objects.create(name="Chile")
    spain = await Country.objects.create(name="Spain")
    ann = await Author.objects.create(name="Ann", email="ann@x.org", country=chile)
    bob = await Author.objects.create(name="Bob", email="bob@x.org", country=spain)
    cid = await Author.objects.create(name="Cid")
    dee = await Author.objects.create(name="Dee", email="dee@x.org", country=chile)
    x = await Book.objects.create(title="x", author=ann, pages=100, rating=4.0)
    y = await Book.objects.create(title="y", author=ann, pages=300, rating=3.0)
    await Book.objects.create(title="y", author=bob, pages=50, rating=5.0)
    await Book.objects.create(title="z", author=dee, pages=200)
    red = await Tag.objects.create(name="red")
    blue = await Tag.objects.create(name="blue")
    await x.tags.add(red, blue)
    await y.tags.add(blue)
    return Library(ann, bob, cid, dee, red, blue)


def _names(objects: list[Author]) -> list[str]:
    return sorted(o.name for o in objects)


async def test_exclude_across_a_reverse_key_drops_every_author_with_a_matching_book(db: Database) -> None:
    await _library()
    found = await Author.objects.exclude(books__title="x")
    assert _names(found) == ["Bob", "Cid", "Dee"]  # once each; Cid has no books at all
    assert await Author.objects.exclude(books__title="x").count() == 3
    assert _names(await Author.objects.exclude(books__pages__gt=150)) == ["Bob", "Cid"]


async def test_exclude_is_the_complement_of_filter_for_null_lookups(db: Database) -> None:
    await _library()
    assert _names(await Author.objects.filter(books__isnull=True)) == ["Cid"]
    assert _names(await Author.objects.exclude(books__isnull=True)) == ["Ann", "Bob", "Dee"]
    assert _names(await Author.objects.exclude(books__isnull=False)) == ["Cid"]
    # a book without a rating, or no book at all (the LEFT join's NULL), matches rating=None
    assert _names(await Author.objects.filter(books__rating=None).distinct()) == ["Cid", "Dee"]
    assert _names(await Author.objects.exclude(books__rating=None)) == ["Ann", "Bob"]


async def test_exclude_across_many_to_many_both_ways(db: Database) -> None:
    await _library()
    titles = sorted((b.title, b.pages) for b in await Book.objects.exclude(tags__name="red"))
    assert titles == [("y", 50), ("y", 300), ("z", 200)]
    assert sorted(b.pages for b in await Book.objects.exclude(tags__name__in=["red", "blue"])) == [50, 200]
    assert [t.name for t in await Tag.objects.exclude(books__pages=300)] == ["red"]


async def test_exclude_across_an_explicit_through_model(db: Database) -> None:
    math = await Course.objects.create(title="math")
    art = await Course.objects.create(title="art")
    ada = await Student.objects.create(name="ada")
    ben = await Student.objects.create(name="ben")
    await Student.objects.create(name="cy")
    await Enrolment.objects.create(student=ada, course=math, grade=5)
    await Enrolment.objects.create(student=ada, course=art, grade=3)
    await Enrolment.objects.create(student=ben, course=art, grade=4)
    assert sorted(s.name for s in await Student.objects.exclude(courses__title="math")) == ["ben", "cy"]
    assert sorted(s.name for s in await Student.objects.exclude(enrolments__grade__lt=4)) == ["ben", "cy"]
    assert sorted(c.title for c in await Course.objects.exclude(students__name="ben")) == ["math"]


async def test_negated_q_mixing_single_and_multi_valued_lookups(db: Database) -> None:
    await _library()
    found = await Author.objects.filter(~Q(country__name="Chile", books__title="x"))
    assert _names(found) == ["Bob", "Cid", "Dee"]  # Cid has no country: NULL is not "Chile"
    found = await Author.objects.filter(~Q(books__title="y") | Q(name="Ann"))
    assert _names(found) == ["Ann", "Cid", "Dee"]
    # each negated lookup is its own subquery: not the same book (Django's exclude() rule)
    found = await Author.objects.exclude(books__title="y", books__pages__lt=200)
    assert _names(found) == ["Cid", "Dee"]  # Ann has a "y" and a short book, though not one short "y"
    found = await Author.objects.exclude(books__in=Book.objects.filter(title="y", pages__lt=200))
    assert _names(found) == ["Ann", "Cid", "Dee"]
    # a double negation is a plain positive lookup
    assert _names(await Author.objects.filter(~~Q(books__title="x"))) == ["Ann"]


async def test_exclude_keeps_rows_whose_column_is_null(db: Database) -> None:
    await _library()
    assert _names(await Author.objects.exclude(email="ann@x.org")) == ["Bob", "Cid", "Dee"]
    assert _names(await Author.objects.exclude(country__name="Chile")) == ["Bob", "Cid"]
    assert _names(await Author.objects.filter(~Q(email__startswith="b"))) == ["Ann", "Cid", "Dee"]
    # None means IS NULL: no extra test
    assert _names(await Author.objects.exclude(email=None)) == ["Ann", "Bob", "Dee"]


async def test_exclude_with_f_refers_to_the_outer_row(db: Database) -> None:
    await _library()
    longest = await Book.objects.exclude(author__books__pages__gt=F("pages")).order_by("pages")
    assert [(b.title, b.pages) for b in longest] == [("y", 50), ("z", 200), ("y", 300)]


async def test_chained_filters_each_get_their_own_join(db: Database) -> None:
    await _library()
    both = await Book.objects.filter(tags__name="red").filter(tags__name="blue")
    assert [b.title for b in both] == ["x"]
    assert await Book.objects.filter(Q(tags__name="red") & Q(tags__name="blue")) == []
    chained = await Author.objects.filter(books__title="x").filter(books__pages__gt=200)
    assert _names(chained) == ["Ann"]  # a book titled x, and a (different) book over 200 pages
    assert await Author.objects.filter(books__title="x", books__pages__gt=200) == []
    either = await Author.objects.filter(Q(books__title="x") | Q(books__pages__lt=60)).distinct()
    assert _names(either) == ["Ann", "Bob"]


async def test_filter_before_annotate_limits_it_and_after_does_not(db: Database) -> None:
    await _library()
    before = await Author.objects.filter(books__pages__gt=200).annotate(n=Count("books"))
    assert [(a.name, a.n) for a in before] == [("Ann", 1)]
    after = await Author.objects.annotate(n=Count("books", distinct=True)).filter(books__pages__gt=200)
    assert [(a.name, a.n) for a in after] == [("Ann", 2)]
    # an aggregate's filter= is a condition on each joined row, negated or not
    others = await Author.objects.annotate(n=Count("books", filter=~Q(books__title="x")))
    assert [(a.name, a.n) for a in others] == [("Ann", 1), ("Bob", 1), ("Cid", 0), ("Dee", 1)]


async def test_counts_and_aggregates_over_a_fan_out_join(db: Database) -> None:
    await _library()
    joined = Author.objects.filter(books__pages__gt=0)
    assert await joined.count() == len(await joined) == 4  # one row per matching book, as in Django
    assert await joined.distinct().count() == 3
    assert await joined.distinct().aggregate(n=Count("id")) == {"n": 3}
    tagged = Book.objects.filter(tags__name__in=["red", "blue"])
    assert (await tagged.aggregate(total=Sum("pages")))["total"] == 500  # x twice, y once
    assert (await tagged.distinct().aggregate(total=Sum("pages")))["total"] == 400
    assert await Author.objects.annotate(n=Count("books")).aggregate(most=Max("n")) == {"most": 2}
    cheap = Book.objects.order_by("pages")[:2]
    assert (await cheap.aggregate(total=Sum("pages"), long=Count("*", filter=Q(pages__gte=100)))) == {
        "total": 150,
        "long": 1,
    }
    assert await Author.objects.filter(books__title="y").exists()
    assert not await Author.objects.exclude(books__isnull=True).filter(books__isnull=True).exists()


async def test_update_and_delete_through_an_exclude_across_a_relation(db: Database) -> None:
    lib = await _library()
    assert await Author.objects.exclude(books__title="y").update(name="gone") == 2
    assert [a.pk for a in await Author.objects.filter(name="gone").order_by("pk")] == [lib.cid.pk, lib.dee.pk]
    assert await Author.objects.exclude(books__isnull=False).delete() == 1
    assert not await Author.objects.filter(pk=lib.cid.pk).exists()
