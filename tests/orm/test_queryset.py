"""QuerySet behaviour on each backend: laziness, filters, lookups, ordering, slicing, values, writes."""

from __future__ import annotations

import asyncio
import datetime

import pytest

from covet.db import Database
from covet.orm import (
    F,
    FieldError,
    Q,
    QuerySetNotLoaded,
    assert_num_queries,
)
from tests.orm.models import Author, Book, Country, Status
from tests.waiting import wait_for

UTC = datetime.UTC


async def _library() -> dict[str, Author]:
    chile = await Country.objects.create(name="Chile")
    spain = await Country.objects.create(name="Spain")
    ann = await Author.objects.create(name="Ann", email="ann@x.org", country=chile)
    bob = await Author.objects.create(name="Bob", country=spain)
    cid = await Author.objects.create(name="Cid")
    await Book.objects.create(
        title="Alpha 100%", author=ann, pages=120, published=datetime.datetime(2021, 3, 4, 10, 0, tzinfo=UTC)
    )
    await Book.objects.create(
        title="beta_one",
        author=ann,
        pages=300,
        status=Status.PUBLISHED,
        published=datetime.datetime(2022, 7, 9, 23, 30, tzinfo=UTC),
    )
    await Book.objects.create(
        title="Gamma", author=bob, pages=50, published=datetime.datetime(2022, 12, 25, 8, 0, tzinfo=UTC)
    )
    return {"ann": ann, "bob": bob, "cid": cid}


async def test_querysets_are_lazy_and_cache_their_results(db: Database) -> None:
    await _library()
    with assert_num_queries(0):
        queryset = Book.objects.filter(pages__gt=10).order_by("title")
    with pytest.raises(QuerySetNotLoaded, match="await"):
        list(queryset)
    with assert_num_queries(1):
        books = await queryset
        again = await queryset
    assert books is again and {b.title for b in queryset} == {"Alpha 100%", "Gamma", "beta_one"}
    titles = [b.title async for b in Book.objects.order_by("pages")]
    assert titles == ["Gamma", "Alpha 100%", "beta_one"]


@pytest.mark.parametrize(
    ("lookup", "expected"),
    [
        ({"title": "Gamma"}, {"Gamma"}),
        ({"title__iexact": "gamma"}, {"Gamma"}),
        ({"title__contains": "100%"}, {"Alpha 100%"}),
        ({"title__contains": "alpha"}, set()),
        ({"title__icontains": "ALPHA"}, {"Alpha 100%"}),
        ({"title__startswith": "beta_"}, {"beta_one"}),
        ({"title__startswith": "Beta"}, set()),
        ({"title__istartswith": "BETA"}, {"beta_one"}),
        ({"title__endswith": "ma"}, {"Gamma"}),
        ({"title__iendswith": "ONE"}, {"beta_one"}),
        ({"pages__in": [50, 300]}, {"Gamma", "beta_one"}),
        ({"pages__gt": 120}, {"beta_one"}),
        ({"pages__gte": 120}, {"Alpha 100%", "beta_one"}),
        ({"pages__lt": 120}, {"Gamma"}),
        ({"pages__lte": 120}, {"Alpha 100%", "Gamma"}),
        ({"pages__range": (100, 200)}, {"Alpha 100%"}),
        ({"rating__isnull": True}, {"Alpha 100%", "beta_one", "Gamma"}),
        ({"published__year": 2022}, {"beta_one", "Gamma"}),
        ({"published__month": 12}, {"Gamma"}),
        ({"published__day__gte": 9}, {"beta_one", "Gamma"}),
        ({"published__hour": 23}, {"beta_one"}),
        ({"published__quarter": 1}, {"Alpha 100%"}),
        ({"published__week_day": 1}, {"Gamma"}),  # 2022-12-25 was a Sunday
        ({"published__date": datetime.date(2021, 3, 4)}, {"Alpha 100%"}),
        ({"status": Status.PUBLISHED}, {"beta_one"}),
        ({"author__name": "Bob"}, {"Gamma"}),
        ({"author__country__name__startswith": "Ch"}, {"Alpha 100%", "beta_one"}),
        ({"author__country__isnull": False}, {"Alpha 100%", "beta_one", "Gamma"}),
    ],
)
async def test_lookups(db: Database, lookup: dict[str, object], expected: set[str]) -> None:
    await _library()
    assert {b.title for b in await Book.objects.filter(**lookup)} == expected


async def test_q_objects_combine_with_or_and_not(db: Database) -> None:
    await _library()
    found = await Book.objects.filter(Q(pages__lt=60) | Q(title__startswith="Alpha"))
    assert {b.title for b in found} == {"Gamma", "Alpha 100%"}
    found = await Book.objects.filter(~Q(author__name="Ann") & Q(pages__gt=0))
    assert [b.title for b in found] == ["Gamma"]
    assert {b.title for b in await Book.objects.exclude(author__name="Ann")} == {"Gamma"}


async def test_reverse_relations_in_filters(db: Database) -> None:
    await _library()
    names = {a.name for a in await Author.objects.filter(books__pages__gt=200)}
    assert names == {"Ann"}
    assert {a.name for a in await Author.objects.filter(books__isnull=True)} == {"Cid"}


async def test_f_expressions_in_filters_and_updates(db: Database) -> None:
    await _library()
    assert await Book.objects.filter(pages__gt=F("author__id") * 0 + 100).count() == 2
    updated = await Book.objects.filter(pages__lt=200).update(pages=F("pages") + 1)
    assert updated == 2
    assert sorted(await Book.objects.values_list("pages", flat=True)) == [51, 121, 300]


async def test_invalid_lookup_and_field_names_are_clear_errors(db: Database) -> None:
    with pytest.raises(FieldError, match="Book has no field 'titel'.*title"):
        await Book.objects.filter(titel="x")
    with pytest.raises(FieldError, match="unsupported lookup 'like'.*exact, iexact"):
        await Book.objects.filter(title__like="x")
    with pytest.raises(FieldError, match="Author has no field 'nmae'"):
        await Book.objects.filter(author__nmae="x")
    with pytest.raises(FieldError, match="takes a list"):
        await Book.objects.filter(pages__in=5)


async def test_ordering_slicing_first_last(db: Database) -> None:
    await _library()
    assert [a.name for a in await Author.objects.all()] == ["Ann", "Bob", "Cid"]  # Meta.ordering
    assert [b.title for b in await Book.objects.order_by("-pages")[1:3]] == ["Alpha 100%", "Gamma"]
    assert [b.title for b in await Book.objects.order_by("author__name", "-pages")] == [
        "beta_one",
        "Alpha 100%",
        "Gamma",
    ]
    first = await Book.objects.order_by("pages").first()
    last = await Book.objects.order_by("pages").last()
    assert first is not None and last is not None and (first.title, last.title) == ("Gamma", "beta_one")
    assert (await Book.objects.order_by("pages")[2]).title == "beta_one"
    with pytest.raises(IndexError):
        await Book.objects.order_by("pages")[10]
    assert await Book.objects.filter(pages__gt=1000).first() is None
    with pytest.raises(ValueError, match="negative"):
        Book.objects.all()[-1]


async def test_count_exists_values_distinct_in_bulk(db: Database) -> None:
    people = await _library()
    assert await Book.objects.count() == 3
    assert await Book.objects.filter(pages__gt=100).exists()
    assert not await Book.objects.filter(pages__gt=1000).exists()
    rows = await Book.objects.filter(author=people["ann"]).order_by("pages").values("title", "author__name")
    assert rows == [
        {"title": "Alpha 100%", "author__name": "Ann"},
        {"title": "beta_one", "author__name": "Ann"},
    ]
    pairs = await Book.objects.order_by("pages").values_list("title", "pages")
    assert pairs[0] == ("Gamma", 50)
    names = (
        await Author.objects.filter(books__pages__gt=0)
        .distinct()
        .order_by("name")
        .values_list("name", flat=True)
    )
    assert names == ["Ann", "Bob"]
    assert await Author.objects.filter(books__pages__gt=0).distinct().count() == 2
    by_pk = await Author.objects.in_bulk([people["ann"].pk, people["bob"].pk])
    assert {a.name for a in by_pk.values()} == {"Ann", "Bob"}
    assert await Book.objects.none().count() == 0 and await Book.objects.none() == []


async def test_get_or_create_and_update_or_create(db: Database) -> None:
    country, created = await Country.objects.get_or_create(name="Peru")
    assert created and country.pk is not None
    again, created = await Country.objects.get_or_create(name="Peru")
    assert not created and again.pk == country.pk
    author, created = await Author.objects.update_or_create(email="z@x.org", defaults={"name": "Zed"})
    assert created and author.name == "Zed"
    author, created = await Author.objects.update_or_create(email="z@x.org", defaults={"name": "Zoe"})
    assert not created and (await Author.objects.get(email="z@x.org")).name == "Zoe"


async def test_queryset_delete_and_update(db: Database) -> None:
    await _library()
    assert await Book.objects.filter(author__name="Ann").update(rating=4.0) == 2
    assert await Book.objects.filter(rating=4.0).count() == 2
    assert await Book.objects.filter(author__name="Ann").delete() == 2
    assert [b.title for b in await Book.objects.all()] == ["Gamma"]


async def test_iterator_streams_in_chunks(db: Database) -> None:
    people = await _library()
    await Book.objects.bulk_create([Book(title=f"b{i}", author=people["cid"], pages=i) for i in range(25)])
    seen = [
        b.pages
        async for b in Book.objects.filter(author=people["cid"]).order_by("pages").iterator(chunk_size=10)
    ]
    assert seen == list(range(25))
    values = [
        v async for v in Book.objects.filter(author=people["cid"]).values_list("pages", flat=True).iterator(7)
    ]
    assert sorted(values) == list(range(25))


async def test_raw_sql_returns_instances(db: Database) -> None:
    people = await _library()
    table = Author._meta.db_table
    placeholder = "?" if db.backend == "sqlite" else "%s"
    authors = await Author.objects.raw(
        f"SELECT a.*, 1 AS one FROM {table} a WHERE a.name = {placeholder}", ("Bob",)
    )
    assert [(a.pk, a.name, a.one) for a in authors] == [(people["bob"].pk, "Bob", 1)]


async def test_select_for_update_locks_inside_a_transaction(db: Database) -> None:
    await _library()
    async with db.transaction():
        locked = await Book.objects.filter(pages__gt=100).select_for_update(
            skip_locked=db.backend != "sqlite"
        )
        assert len(locked) == 2


# SQLite has no row locks (a write transaction locks the whole database): its own test follows.
@pytest.mark.parametrize("orm_backend", ["postgresql", "mysql"], indirect=True)
async def test_select_for_update_nowait_fails_fast_on_a_locked_row(db: Database) -> None:
    from covet.db import LockNotAvailable

    people = await _library()
    holder_ready, release = asyncio.Event(), asyncio.Event()

    async def hold_lock() -> None:
        async with db.transaction():
            await Author.objects.filter(pk=people["ann"].pk).select_for_update()
            holder_ready.set()
            await release.wait()

    holder = asyncio.create_task(hold_lock())
    await holder_ready.wait()
    try:
        async with db.transaction():
            with pytest.raises(LockNotAvailable):
                await Author.objects.filter(pk=people["ann"].pk).select_for_update(nowait=True)
    finally:
        release.set()
        await holder
    async with db.transaction():
        skipped = await Author.objects.select_for_update(skip_locked=True).order_by("name")
    assert [a.name for a in skipped] == ["Ann", "Bob", "Cid"]


@pytest.mark.parametrize("orm_backend", ["sqlite"], indirect=True)
async def test_on_sqlite_select_for_update_waits_for_the_writing_transaction(db: Database) -> None:
    """No row locks, no NOWAIT: a second transaction waits for the first to commit, then sees its writes."""
    people = await _library()
    holder_ready, release = asyncio.Event(), asyncio.Event()

    async def hold_lock() -> None:
        async with db.transaction():
            await Author.objects.filter(pk=people["ann"].pk).select_for_update()
            await Author.objects.filter(pk=people["ann"].pk).update(name="Ann (held)")
            holder_ready.set()
            await release.wait()

    async def lock_again() -> list[str]:
        async with db.transaction():
            locked = Author.objects.filter(pk=people["ann"].pk).select_for_update(nowait=True)
            return [a.name async for a in locked]

    holder = asyncio.create_task(hold_lock())
    await holder_ready.wait()
    second = asyncio.create_task(lock_again())
    await wait_for(lambda: db._backend._write_lock.waiting == 1)  # queued for the database
    release.set()
    await holder
    assert await second == ["Ann (held)"]  # it ran after the commit, not beside it
