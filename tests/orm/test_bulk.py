"""bulk_create (COPY / multi-row INSERT), upserts and bulk_update, on each backend."""

from __future__ import annotations

import pytest

from covet.db import Database, UniqueViolation
from covet.testing import assert_max_queries, assert_num_queries
from tests.orm.models import Author, Book, Country, Status


async def test_bulk_create_sets_primary_keys_in_few_queries(db: Database) -> None:
    author = await Author.objects.create(name="Bulk")
    books = [
        Book(title=f"t{i}", author=author, pages=i, status=Status.PUBLISHED, data={"i": i})
        for i in range(3000)
    ]
    with assert_max_queries(2) as log:
        created = await Book.objects.bulk_create(books)
    if db.backend == "postgresql":
        assert any(sql.startswith("COPY") for sql in log)
    assert created == books and all(b.pk is not None for b in books)
    assert len({b.pk for b in books}) == 3000
    again = await Book.objects.get(pk=books[1234].pk)
    assert (again.title, again.pages, again.status, again.data) == (
        "t1234",
        1234,
        Status.PUBLISHED,
        {"i": 1234},
    )
    assert books[0].changed_fields() == ["data"]  # saved: only the JSON field counts as changed


async def test_bulk_create_with_explicit_keys_and_batches(db: Database) -> None:
    countries = [Country(id=1000 + i, name=f"c{i}") for i in range(10)]
    with assert_num_queries(4 if db.backend != "postgresql" else 1):
        await Country.objects.bulk_create(countries, batch_size=3) if db.backend != "postgresql" else (
            await Country.objects.bulk_create(countries)
        )
    assert sorted(await Country.objects.values_list("id", flat=True)) == list(range(1000, 1010))


async def test_bulk_create_ignore_conflicts_and_unique_errors(db: Database) -> None:
    await Country.objects.create(name="dup")
    with pytest.raises(UniqueViolation):
        await Country.objects.bulk_create([Country(name="dup")])
    await Country.objects.bulk_create([Country(name="dup"), Country(name="new")], ignore_conflicts=True)
    assert sorted(await Country.objects.values_list("name", flat=True)) == ["dup", "new"]


async def test_upsert_updates_existing_rows(db: Database) -> None:
    await Author.objects.create(name="Old name", email="u@x.org")
    await Author.objects.upsert(
        [Author(name="New name", email="u@x.org"), Author(name="Fresh", email="f@x.org")],
        unique_fields=["email"],
        update_fields=["name"],
    )
    rows = await Author.objects.order_by("email").values_list("email", "name")
    assert rows == [("f@x.org", "Fresh"), ("u@x.org", "New name")]


async def test_bulk_update_writes_the_named_fields_in_one_query(db: Database) -> None:
    author = await Author.objects.create(name="Up")
    books = await Book.objects.bulk_create([Book(title=f"b{i}", author=author, pages=i) for i in range(50)])
    for book in books:
        book.pages += 1000
        book.rating = None if book.pages % 2 else 2.5
    with assert_num_queries(1):
        assert await Book.objects.bulk_update(books, ["pages", "rating"]) == 50
    rows = dict(await Book.objects.values_list("title", "pages"))
    assert rows["b7"] == 1007
    assert await Book.objects.filter(rating=2.5).count() == 25
    assert await Book.objects.bulk_update([], ["pages"]) == 0
