"""Relations on each backend: loading without hidden queries, reverse accessors, many-to-many, on_delete."""

from __future__ import annotations

import pytest

from covet.db import Database
from covet.orm import (
    Prefetch,
    ProtectedError,
    RelatedNotLoaded,
    RestrictedError,
    assert_max_queries,
    assert_num_queries,
)
from tests.orm.models import Author, Book, Country, Everything, Profile, Publisher, Review, Tag


async def _authors_with_books(authors: int, books_each: int) -> list[Author]:
    country = await Country.objects.create(name="Norway")
    people = await Author.objects.bulk_create(
        [Author(name=f"author {i:04}", country=country if i % 2 else None) for i in range(authors)]
    )
    await Book.objects.bulk_create(
        [Book(title=f"book {a.pk}-{j}", author=a, pages=j) for a in people for j in range(books_each)]
    )
    return people


async def test_unloaded_relations_raise_an_error_naming_the_fix(db: Database) -> None:
    await _authors_with_books(1, 1)
    book = await Book.objects.get(title__startswith="book")
    with pytest.raises(RelatedNotLoaded, match=r"select_related\('author'\).*fetch_related\('author'\)"):
        book.author  # noqa: B018
    author = await Author.objects.get(pk=book.author_id)
    with pytest.raises(RelatedNotLoaded, match=r"prefetch_related\('books'\)"):
        list(author.books)
    with pytest.raises(RelatedNotLoaded, match=r"prefetch_related\('profile'\)"):
        author.profile  # noqa: B018
    await book.fetch_related("author")
    assert book.author.pk == author.pk


async def test_a_null_foreign_key_reads_as_none_without_loading(db: Database) -> None:
    author = await Author.objects.create(name="Solo")
    assert author.country is None


async def test_select_related_loads_1000_books_with_authors_in_one_query(db: Database) -> None:
    await _authors_with_books(100, 10)
    with assert_num_queries(1):
        books = await Book.objects.select_related("author", "author__country").order_by("id")
        names = {book.author.name for book in books}
        countries = {book.author.country.name if book.author.country else None for book in books}
    assert len(books) == 1000 and len(names) == 100
    assert countries == {"Norway", None}  # a nullable key is a LEFT JOIN: authors without one stay


async def test_prefetch_related_loads_1000_books_with_authors_in_two_queries(db: Database) -> None:
    await _authors_with_books(100, 10)
    with assert_num_queries(2):
        books = await Book.objects.prefetch_related("author")
        assert len({book.author.pk for book in books}) == 100


async def test_prefetch_reverse_foreign_keys_one_query_per_relation(db: Database) -> None:
    await _authors_with_books(50, 10)
    with assert_num_queries(2):
        authors = await Author.objects.prefetch_related("books")
        counts = {len(list(a.books)) for a in authors}
        assert counts == {10}
        assert len(await authors[0].books.all()) == 10  # prefetched: no query
    with assert_num_queries(3):
        authors = await Author.objects.filter(country__isnull=False).prefetch_related(
            "books", Prefetch("books", queryset=Book.objects.filter(pages__gte=8), to_attr="long_books")
        )
        assert {len(a.long_books) for a in authors} == {2}


async def test_many_to_many_add_remove_set_clear_and_prefetch(db: Database) -> None:
    author = await Author.objects.create(name="M")
    one = await Book.objects.create(title="one", author=author)
    two = await Book.objects.create(title="two", author=author)
    red, blue, green = [await Tag.objects.create(name=n) for n in ("red", "blue", "green")]
    await one.tags.add(red, blue)
    await one.tags.add(red)  # already there: left alone
    await two.tags.add(blue.pk)
    assert {t.name for t in await one.tags.all()} == {"red", "blue"}
    assert {b.title for b in await blue.books.all()} == {"one", "two"}
    assert {t.name for t in await Tag.objects.filter(books__title="two")} == {"blue"}
    await one.tags.remove(red)
    assert [t.name for t in await one.tags.all()] == ["blue"]
    await one.tags.set([green, blue])
    assert {t.name for t in await one.tags.all()} == {"green", "blue"}
    with assert_num_queries(3):
        books = await Book.objects.order_by("title").prefetch_related("tags", "tags__books")
        assert [sorted(t.name for t in b.tags) for b in books] == [["blue", "green"], ["blue"]]
        blue_books = next(t for t in books[0].tags if t.name == "blue").books
        assert {b.title for b in blue_books} == {"one", "two"}
    with assert_num_queries(2):
        tags = await Tag.objects.order_by("name").prefetch_related("books")
        assert [len(list(t.books)) for t in tags] == [2, 1, 0]
    await one.tags.clear()
    assert await one.tags.count() == 0


async def test_reverse_foreign_key_manager_create_add_and_counts(db: Database) -> None:
    author = await Author.objects.create(name="Writer")
    other = await Author.objects.create(name="Other")
    book = await author.books.create(title="first")
    assert book.author_id == author.pk
    moved = await other.books.create(title="moved")
    await author.books.add(moved)
    assert await author.books.count() == 2
    assert {b.title for b in await author.books.filter(title__startswith="m")} == {"moved"}
    country = await Country.objects.create(name="Italy")
    await country.authors.add(author, other)
    assert await country.authors.count() == 2
    await country.authors.remove(other)
    assert [a.name for a in await country.authors.all()] == ["Writer"]
    with pytest.raises(TypeError, match="not null=True"):
        await author.books.clear()


async def test_one_to_one_reverse_accessor(db: Database) -> None:
    author = await Author.objects.create(name="P")
    await Profile.objects.create(author=author, bio="hi")
    loaded = await Author.objects.prefetch_related("profile").get(pk=author.pk)
    assert loaded.profile.bio == "hi"
    profile = await Profile.objects.select_related("author").get(author__name="P")
    assert profile.author.name == "P"


async def test_on_delete_cascade_set_null_protect_restrict_set_default(db: Database) -> None:
    country = await Country.objects.create(name="Gone")
    publisher = await Publisher.objects.create(name="Pub")
    author = await Author.objects.create(name="A", country=country, publisher=publisher)
    book = await Book.objects.create(title="B", author=author)
    tag = await Tag.objects.create(name="t")
    await book.tags.add(tag)
    await Profile.objects.create(author=author)
    thing = await Everything.objects.create(fallback=country)
    await country.delete()  # SET_NULL on Author.country, SET_DEFAULT on Everything.fallback
    assert (await Author.objects.get(pk=author.pk)).country_id is None
    assert (await Everything.objects.get(pk=thing.pk)).fallback_id is None
    with pytest.raises(ProtectedError, match="PROTECT"):
        await publisher.delete()
    review = await Review.objects.create(book=book, stars=5)
    with pytest.raises(RestrictedError, match="RESTRICT"):
        await book.delete()
    await review.delete()
    await author.delete()  # cascades to the book, its tag links and the profile
    assert await Book.objects.count() == 0
    assert await Profile.objects.count() == 0
    assert await Book.tags.field.through.objects.count() == 0
    assert await Tag.objects.count() == 1
    await Author.objects.filter(name="nobody").delete()


async def test_restrict_allows_a_delete_that_cascades_to_the_restricting_rows(db: Database) -> None:
    author = await Author.objects.create(name="R")
    book = await Book.objects.create(title="B", author=author)
    await Review.objects.create(book=book, stars=3)
    with pytest.raises(RestrictedError):
        await author.delete()  # the review restricts the book, and the review is not deleted


async def test_assigning_relations_sets_the_key(db: Database) -> None:
    author = await Author.objects.create(name="K")
    book = Book(title="x")
    book.author = author
    assert book.author_id == author.pk and book.author is author
    with pytest.raises(TypeError, match="takes a Author"):
        book.author = Country(name="no")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="save the Author"):
        book.author = Author(name="unsaved")


async def test_a_loop_over_relations_stays_within_its_query_budget(db: Database) -> None:
    await _authors_with_books(20, 3)
    with assert_max_queries(2):
        for author in await Author.objects.prefetch_related("books"):
            assert len(list(author.books)) == 3


async def test_explicit_through_model_links_with_extra_columns(db: Database) -> None:
    from tests.orm.models import Course, Enrolment, Student

    ann = await Student.objects.create(name="Ann")
    maths = await Course.objects.create(title="Maths")
    await Enrolment.objects.create(student=ann, course=maths, grade=5)
    assert [c.title for c in await ann.courses.all()] == ["Maths"]
    assert [s.name for s in await maths.students.all()] == ["Ann"]
    with assert_num_queries(2):
        students = await Student.objects.prefetch_related("courses")
        assert [c.title for c in students[0].courses] == ["Maths"]
    await ann.delete()  # the enrolment goes with it (CASCADE)
    assert await Enrolment.objects.count() == 0
