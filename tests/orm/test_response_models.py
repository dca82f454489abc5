"""Handlers returning ORM objects through a response model: loaded relations are read, never queried."""

from __future__ import annotations

from typing import Optional

import msgspec
import pytest

from covet import Covet
from covet.db import Database
from covet.orm import RelatedNotLoaded, assert_num_queries
from covet.testing import AsyncTestClient
from tests.orm.models import Author, Book


class BookOut(msgspec.Struct):
    title: str
    pages: int


class AuthorOut(msgspec.Struct):
    name: str
    books: list[BookOut]


class BookWithAuthor(msgspec.Struct):
    title: str
    author: AuthorName


class AuthorName(msgspec.Struct):
    name: str
    email: Optional[str]


app = Covet()


@app.get("/authors", response_model=list[AuthorOut])
async def authors() -> list[Author]:
    return await Author.objects.prefetch_related("books").order_by("name")


@app.get("/authors-unloaded", response_model=list[AuthorOut])
async def authors_unloaded() -> list[Author]:
    return await Author.objects.order_by("name")


@app.get("/books/{title}", response_model=BookWithAuthor)
async def book(title: str) -> Book:
    return await Book.objects.select_related("author").get(title=title)


@pytest.fixture
async def shelf(db: Database) -> None:
    ada = await Author.objects.create(name="Ada", email="ada@example.org")
    bob = await Author.objects.create(name="Bob")
    await Book.objects.create(title="Notes", author=ada, pages=12)
    await Book.objects.create(title="Engines", author=ada, pages=300)
    del bob  # no books: an empty list


async def test_prefetched_related_objects_become_nested_lists_with_no_extra_query(shelf: None) -> None:
    async with AsyncTestClient(app) as client:
        with assert_num_queries(2):  # the authors, then their books; none while shaping
            response = await client.get("/authors")
    assert response.status_code == 200
    body = response.json()
    assert [a["name"] for a in body] == ["Ada", "Bob"]
    assert sorted(b["title"] for b in body[0]["books"]) == ["Engines", "Notes"]
    assert body[1]["books"] == []
    assert set(body[0]) == {"name", "books"}  # only what the model declares


async def test_a_select_related_object_is_nested(shelf: None) -> None:
    async with AsyncTestClient(app) as client:
        response = await client.get("/books/Notes")
    assert response.json() == {"title": "Notes", "author": {"name": "Ada", "email": "ada@example.org"}}


async def test_a_relation_that_was_not_loaded_fails_naming_the_fix_and_runs_no_query(shelf: None) -> None:
    async with AsyncTestClient(app) as client:
        with assert_num_queries(1), pytest.raises(RelatedNotLoaded, match=r"prefetch_related\('books'\)"):
            await client.get("/authors-unloaded")
