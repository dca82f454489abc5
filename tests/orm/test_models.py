"""Models: declaration, slots, change tracking, validation, save/delete and signals, on each backend."""

from __future__ import annotations

import datetime
import decimal
import sys
import tracemalloc
import uuid

import pytest

from covet._speedups.orm_rows import load_instances
from covet.db import Database, UniqueViolation
from covet.orm import (
    CharField,
    ImproperlyConfigured,
    IntegerField,
    Model,
    ValidationError,
    assert_num_queries,
    post_delete,
    post_save,
    pre_save,
)
from tests.orm.models import Author, Book, Country, Everything, Status


def test_instances_have_slots_and_no_dict() -> None:
    book = Book(title="Dune", author_id=1)
    assert not hasattr(book, "__dict__")
    assert set(Book.__slots__) == {
        "id",
        "title",
        "author_id",
        "pages",
        "rating",
        "price",
        "status",
        "published",
        "data",
    }
    with pytest.raises(AttributeError):
        book.nonsense = 1  # type: ignore[attr-defined]


def test_defaults_and_unknown_keyword_arguments() -> None:
    book = Book(title="Dune", author_id=1)
    assert book.pages == 100 and book.status is Status.DRAFT and book.pk is None
    with pytest.raises(TypeError, match="unexpected field.*titel"):
        Book(titel="x")
    with pytest.raises(TypeError, match="many-to-many field 'tags'"):
        Book(title="x", tags=[])


def test_model_declaration_errors_are_clear() -> None:
    with pytest.raises(ImproperlyConfigured, match="unknown option"):

        class Bad(Model):
            name = CharField(max_length=3)

            class Meta:
                tabel = "x"

    with pytest.raises(ImproperlyConfigured, match="positive max_length"):
        CharField(max_length=0)


def test_validation_lists_every_failing_field() -> None:
    book = Book(title="x" * 201, author_id=1, pages="many", published=datetime.datetime(2024, 1, 1))
    with pytest.raises(ValidationError) as caught:
        book.full_clean()
    errors = caught.value.errors
    assert set(errors) == {"title", "pages", "published"}
    assert "max_length=200" in errors["title"][0]
    assert "naive" in errors["published"][0]


def test_memory_per_instance_stays_under_235_bytes_beyond_values() -> None:
    class Lean(Model):
        a = IntegerField()
        b = IntegerField()
        c = IntegerField()
        d = IntegerField()

        class Meta:
            table = "lean_memory"

    layout = Lean._layout("postgresql")
    rows = [(i, i, i, i, i) for i in range(100_000)]  # the values exist before loading
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    objects = load_instances(rows, layout, None)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    per_instance = grown / len(objects)
    assert per_instance <= 235, per_instance
    assert sys.getsizeof(objects[0]) < 120


async def test_save_inserts_then_updates_only_changed_fields(db: Database) -> None:
    author = Author(name="Ann")
    with assert_num_queries(1):
        await author.save()
    assert author.pk is not None and author.is_saved
    with assert_num_queries(0):
        await author.save()  # nothing changed: no query
    author.name = "Anne"
    with assert_num_queries(1) as log:
        await author.save()
    assert "UPDATE" in log.queries[0] and "name" in log.queries[0] and "email" not in log.queries[0]
    again = await Author.objects.get(pk=author.pk)
    assert again.name == "Anne"


async def test_types_round_trip(db: Database) -> None:
    country = await Country.objects.create(name="Chile")
    uid = uuid.uuid4()
    thing = await Everything.objects.create(
        uid=uid,
        flag=True,
        day=datetime.date(2024, 2, 29),
        at=datetime.time(13, 45, 10),
        blob=b"\x00\xff",
        note="ünïcode",
        amount=decimal.Decimal("12.345"),
        fallback=country,
    )
    loaded = await Everything.objects.get(pk=thing.pk)
    assert loaded.uid == uid and isinstance(loaded.uid, uuid.UUID)
    assert loaded.flag is True
    assert loaded.day == datetime.date(2024, 2, 29)
    assert loaded.at == datetime.time(13, 45, 10)
    assert loaded.blob == b"\x00\xff"
    assert loaded.note == "ünïcode"
    assert loaded.amount == decimal.Decimal("12.345")
    assert loaded.fallback_id == country.pk
    author = await Author.objects.create(name="A")
    when = datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    book = await Book.objects.create(
        title="T",
        author=author,
        price=decimal.Decimal("9.50"),
        status=Status.PUBLISHED,
        published=when,
        data={"k": [1, 2, {"x": None}]},
        rating=4.5,
    )
    loaded_book = await Book.objects.get(pk=book.pk)
    assert loaded_book.price == decimal.Decimal("9.50")
    assert loaded_book.status is Status.PUBLISHED
    assert loaded_book.published == when and loaded_book.published.tzinfo is not None
    assert loaded_book.data == {"k": [1, 2, {"x": None}]}
    assert loaded_book.rating == 4.5
    assert loaded_book.changed_fields() == ["data"]  # JSON is always written: changes inside it are invisible


async def test_unique_violation_is_an_integrity_error(db: Database) -> None:
    await Author.objects.create(name="A", email="a@x.org")
    with pytest.raises(UniqueViolation):
        await Author.objects.create(name="B", email="a@x.org")


async def test_save_refuses_invalid_values_before_any_query(db: Database) -> None:
    author = Author(name="x" * 101)
    with assert_num_queries(0), pytest.raises(ValidationError, match="name"):
        await author.save()


async def test_signals_fire_around_save_and_delete(db: Database) -> None:
    events: list[tuple[str, object]] = []

    async def after_save(sender: type, instance: Author, created: bool, **kwargs: object) -> None:
        events.append(("saved", created))

    def before_save(sender: type, instance: Author, **kwargs: object) -> None:
        events.append(("saving", instance.name))

    def after_delete(sender: type, instance: Author, **kwargs: object) -> None:
        events.append(("deleted", instance.pk))

    pre_save.connect(before_save, sender=Author)
    post_save.connect(after_save, sender=Author)
    post_delete.connect(after_delete, sender=Author)
    try:
        author = await Author.objects.create(name="Sig")
        author.name = "Sig2"
        await author.save()
        pk = author.pk
        await author.delete()
    finally:
        pre_save.disconnect(before_save, sender=Author)
        post_save.disconnect(after_save, sender=Author)
        post_delete.disconnect(after_delete, sender=Author)
    assert events == [
        ("saving", "Sig"),
        ("saved", True),
        ("saving", "Sig2"),
        ("saved", False),
        ("deleted", pk),
    ]


async def test_refresh_from_db_reloads_values(db: Database) -> None:
    author = await Author.objects.create(name="Old")
    await Author.objects.filter(pk=author.pk).update(name="New")
    await author.refresh_from_db()
    assert author.name == "New" and author.changed_fields() == []


async def test_get_raises_does_not_exist_and_multiple(db: Database) -> None:
    await Author.objects.create(name="Same")
    await Author.objects.create(name="Same")
    with pytest.raises(Author.DoesNotExist, match="pk=123456"):
        await Author.objects.get(pk=123456)
    with pytest.raises(Author.MultipleObjectsReturned, match="2 Author rows"):
        await Author.objects.get(name="Same")


async def test_abstract_models_share_fields_and_validators_run_on_save(db: Database) -> None:
    from tests.orm.models import Note, Stamped

    assert [f.name for f in Note._meta.fields] == ["id", "label", "body"]
    with pytest.raises(TypeError, match="abstract"):
        Stamped()
    with pytest.raises(ValidationError, match="body: must not be blank"):
        await Note.objects.create(body="   ")
    note = await Note.objects.create(body="text", label="a")
    assert (await Note.objects.get(pk=note.pk)).label == "a"


async def test_choices_are_enforced(db: Database) -> None:
    from tests.orm.models import Review

    author = await Author.objects.create(name="C")
    book = await Book.objects.create(title="B", author=author)
    with pytest.raises(ValidationError, match="not one of the choices"):
        await Review.objects.create(book=book, stars=9)


async def test_using_picks_another_database(db: Database) -> None:
    other = Database(db.config)
    async with other:
        await Country.objects.using(other).create(name="Elsewhere")
        assert await Country.objects.using(other).filter(name="Elsewhere").exists()
        country = await Country.objects.using(other).get(name="Elsewhere")
        country.name = "Moved"
        await country.save()  # saved back to the database it came from
    assert await Country.objects.filter(name="Moved").count() == 1


async def test_a_model_without_setup_says_how_to_configure_it() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"covet.orm.setup\(Database\(url\)\)"):
        await Country.objects.count()
