"""What a type checker sees of models: checked by ``test_typing.py`` with mypy, never run.

Every ``assert_type`` below is a promise to users of the ORM; mypy must find this file clean.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from types import MemberDescriptorType
from typing import Any, Optional, assert_type

from covet.orm import (
    CASCADE,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    EnumField,
    FloatField,
    ForeignKey,
    IntegerField,
    JSONField,
    Manager,
    Model,
    QuerySet,
    TextField,
    UUIDField,
)
from covet.orm.relations import ForwardDescriptor


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Author(Model):
    name = CharField(max_length=50)
    nickname = CharField(max_length=50, null=True)
    bio = TextField()
    age = IntegerField()
    height = FloatField(null=True)
    balance = DecimalField(max_digits=8, decimal_places=2)
    active = BooleanField(default=True)
    joined = DateTimeField()
    born = DateField(null=True)
    key = UUIDField(unique=True)
    data = JSONField(default=dict)
    color = EnumField(Color)


class Book(Model):
    title = CharField(max_length=200)
    author = ForeignKey(Author, on_delete=CASCADE, related_name="books")
    editor = ForeignKey(Author, on_delete=CASCADE, null=True, related_name="edited")
    series = ForeignKey("Series", on_delete=CASCADE, null=True)


class BookManager(Manager["Novel"]):
    def long_ones(self) -> QuerySet[Novel]:
        return self.filter(pages__gt=500)


class Novel(Model):
    pages = IntegerField()
    objects = BookManager()


def instance_attributes(author: Author, book: Book) -> None:
    assert_type(author.name, str)
    assert_type(author.nickname, Optional[str])
    assert_type(author.bio, str)
    assert_type(author.age, int)
    assert_type(author.height, Optional[float])
    assert_type(author.balance, decimal.Decimal)
    assert_type(author.active, bool)
    assert_type(author.joined, datetime.datetime)
    assert_type(author.born, Optional[datetime.date])
    assert_type(author.key, uuid.UUID)
    assert_type(author.data, Any)
    assert_type(author.color, Color)
    # The ``id`` ModelBase adds (and ``pk``) are not declared: a model may name its own key.
    assert_type(author.id, Any)
    assert_type(book.author, Author)
    assert_type(book.editor, Optional[Author])
    assert_type(book.series, Any)
    author.name = "Ann"
    author.nickname = None
    book.editor = None
    book.author = author


def class_attributes() -> None:
    # A field is no attribute of its class at run time: the class holds the instances' slot.
    assert_type(Author.name, MemberDescriptorType)
    assert_type(Book.author, ForwardDescriptor)


async def queries() -> None:
    assert_type(Author.objects, Manager[Author])
    assert_type(await Author.objects.get(pk=1), Author)
    assert_type(await Author.objects.filter(name="Ann").first(), Optional[Author])
    assert_type(await Author.objects.first(), Optional[Author])
    assert_type(await Author.objects.all(), list[Author])
    assert_type(await Author.objects.filter(age__gt=3).order_by("-age"), list[Author])
    assert_type(await Author.objects.create(name="Ann"), Author)
    assert_type(await Author.objects.get_or_create(name="Ann"), tuple[Author, bool])
    assert_type(await Book.objects.bulk_create([Book(title="Dune")]), list[Book])
    assert_type(await Book.objects.select_related("author").get(pk=1), Book)
    assert_type(await Author.objects.count(), int)
    async for author in Author.objects.filter(active=True):
        assert_type(author, Author)
    async for book in Book.objects.all().iterator(chunk_size=100):
        assert_type(book, Book)
    assert_type(await Author.objects.values("name"), list[Any])
    assert_type(Novel.objects, BookManager)
    assert_type(await Novel.objects.long_ones(), list[Novel])


async def in_a_method(author: Author) -> None:
    fresh = await type(author).objects.get(pk=author.pk)
    assert_type(fresh, Author)
