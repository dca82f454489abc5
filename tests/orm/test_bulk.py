"""bulk_create (COPY / multi-row INSERT), upserts and bulk_update, on each backend."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

import pytest

from covet.db import Database, DataError, UniqueViolation
from covet.orm import FieldError
from covet.testing import assert_max_queries, assert_num_queries
from tests.orm.models import Author, Book, Country, Everything, Status


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


async def test_bulk_update_writes_every_kind_of_field_and_nulls(db: Database) -> None:
    chile = await Country.objects.create(name="Chile")
    things = await Everything.objects.bulk_create([Everything() for _ in range(4)])
    values: list[dict[str, Any]] = [
        {
            "uid": uuid.UUID(int=i + 1),
            "flag": i % 2 == 0,
            "day": None if i == 1 else datetime.date(2024, 2, 29 - i),
            "at": None if i == 2 else datetime.time(23, 59, i, 250000),
            "blob": None if i == 3 else bytes([i, 0, 255]) * 3,
            "note": None if i == 0 else f"it's {i} % 'quoted' \\ {'é' * i}",
            "amount": None if i == 1 else Decimal(f"{i}1234.567"),
            "fallback": None if i % 2 else chile,
        }
        for i in range(4)
    ]
    for thing, fields in zip(things, values, strict=True):
        for name, value in fields.items():
            setattr(thing, name, value)
    with assert_num_queries(1):
        assert await Everything.objects.bulk_update(things, list(values[0])) == 4
    assert [thing.changed_fields() for thing in things] == [[]] * 4
    loaded = {thing.pk: thing for thing in await Everything.objects.all()}
    for thing, fields in zip(things, values, strict=True):
        row = loaded[thing.pk]
        for name, value in fields.items():
            if name == "fallback":
                assert row.fallback_id == (value.pk if value else None)
            else:
                assert getattr(row, name) == value, name


async def test_bulk_update_of_several_fields_with_casts(db: Database) -> None:
    author = await Author.objects.create(name="Up")
    other = await Author.objects.create(name="Other")
    books = await Book.objects.bulk_create([Book(title=f"b{i}", author=author) for i in range(6)])
    moment = datetime.datetime(2023, 5, 6, 7, 8, 9, 123456, tzinfo=datetime.UTC)
    for i, book in enumerate(books):
        book.title = f"Title {i} — 'x'"
        book.author = other if i % 2 else author
        book.status = Status.PUBLISHED if i % 3 else Status.DRAFT
        book.published = None if i == 2 else moment + datetime.timedelta(days=i)
        book.price = None if i == 4 else Decimal(f"{i}.25")
        book.data = None if i == 5 else {"i": i, "tags": ["a", None], "nested": {"ok": True}}
    names = ["title", "author", "status", "published", "price", "data"]
    assert await Book.objects.bulk_update(books, names) == 6
    rows = {b.pk: b for b in await Book.objects.all()}
    for i, book in enumerate(books):
        row = rows[book.pk]
        assert row.title == f"Title {i} — 'x'" and row.author_id == book.author_id
        assert row.status is book.status and row.published == book.published
        assert row.price == book.price and row.data == book.data


async def test_bulk_update_counts_the_rows_matched_once_each(db: Database) -> None:
    author = await Author.objects.create(name="Up")
    books = await Book.objects.bulk_create([Book(title=f"b{i}", author=author, pages=i) for i in range(3)])
    gone = await Book.objects.create(title="gone", author=author)
    await Book.objects.filter(pk=gone.pk).delete()
    books[0].pages = 500
    twin = await Book.objects.get(pk=books[0].pk)
    twin.pages = 999  # the same row twice: the first object's value is written
    assert await Book.objects.bulk_update([*books, twin, gone], ["pages"]) == 3
    assert await Book.objects.order_by("title").values_list("pages", flat=True) == [500, 1, 2]


async def test_bulk_update_in_batches_and_its_errors(db: Database) -> None:
    author = await Author.objects.create(name="Up")
    books = await Book.objects.bulk_create([Book(title=f"b{i}", author=author, pages=i) for i in range(7)])
    for book in books:
        book.pages += 10
    with assert_num_queries(3):
        assert await Book.objects.bulk_update(books, ["pages"], batch_size=3) == 7
    assert await Book.objects.filter(pages__gte=10).count() == 7
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        await Book.objects.bulk_update(books, ["pages"], batch_size=0)
    with pytest.raises(ValueError, match="needs saved objects"):
        await Book.objects.bulk_update([books[0], Book(title="new", author=author)], ["pages"])
    with pytest.raises(FieldError, match="cannot change primary keys"):
        await Book.objects.bulk_update(books, ["id"])
    assert await Book.objects.filter(pages__gte=10).count() == 7


@pytest.mark.parametrize("orm_backend", ["postgresql"], indirect=True)
async def test_on_postgresql_bulk_update_is_one_statement_for_any_number_of_rows(db: Database) -> None:
    author = await Author.objects.create(name="Up")
    books = await Book.objects.bulk_create([Book(title=f"b{i}", author=author, pages=i) for i in range(40)])
    sent = []
    for count in (1, 3, 40):
        with assert_num_queries(1) as log:
            assert await Book.objects.bulk_update(books[:count], ["pages", "rating"]) == count
        sent.extend(log)
    assert len(set(sent)) == 1 and "unnest(" in sent[0] and "CASE" not in sent[0]


@pytest.mark.parametrize("orm_backend", ["postgresql"], indirect=True)
async def test_on_postgresql_bulk_update_refuses_a_value_too_long_for_its_column(db: Database) -> None:
    author = await Author.objects.create(name="Up")
    book = await Book.objects.create(title="short", author=author)
    book.title = "x" * 201  # CharField(max_length=200): an error, not a silently cut title
    with pytest.raises(DataError):
        await Book.objects.bulk_update([book], ["title"])
    assert (await Book.objects.get(pk=book.pk)).title == "short"


@pytest.mark.parametrize("orm_backend", ["postgresql"], indirect=True)
async def test_bulk_update_of_naive_and_aware_datetimes_together(db: Database) -> None:
    author = await Author.objects.create(name="Up")
    books = await Book.objects.bulk_create([Book(title=f"b{i}", author=author) for i in range(2)])
    naive = datetime.datetime(2023, 1, 1, 12, 0)  # noqa: DTZ001 - the point of the test
    aware = datetime.datetime(2023, 1, 1, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=5)))
    zone = (await db.fetch_one("SELECT current_setting('TimeZone')", as_tuples=True))[0]
    assert zone in ("UTC", "Etc/UTC")
    for first, second in ((naive, aware), (aware, naive)):
        books[0].published, books[1].published = first, second
        await Book.objects.bulk_update(books, ["published"])
        stored = [(await Book.objects.get(pk=b.pk)).published for b in books]
        assert stored == [v if v.tzinfo else v.replace(tzinfo=datetime.UTC) for v in (first, second)]


async def test_bulk_update_of_values_of_mixed_python_types(db: Database) -> None:
    author = await Author.objects.create(name="Up")
    books = await Book.objects.bulk_create([Book(title=f"b{i}", author=author) for i in range(3)])
    for book, rating, price in zip(books, (3, 2.5, None), (Decimal("1.25"), 7, None), strict=True):
        book.rating, book.price = rating, price  # an int in a float field, in a decimal field
    assert await Book.objects.bulk_update(books, ["rating", "price"]) == 3
    rows = await Book.objects.order_by("title").values_list("rating", "price")
    assert rows == [(3.0, Decimal("1.25")), (2.5, Decimal("7.00")), (None, None)]
