"""Query counting and N+1 detection: in a block, and per request in debug mode and under test clients."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

import httpx
import pytest

from covet import Covet
from covet.db import Database
from covet.orm import (
    assert_max_queries,
    assert_num_queries,
    detect_repeated_queries,
    enable_n_plus_one_detection,
)
from covet.orm.instrumentation import WATCH
from covet.testing import AsyncTestClient, live_server
from tests.orm.models import Author, Book


async def test_assert_num_queries_fails_listing_the_queries(db: Database) -> None:
    await Author.objects.create(name="Q")
    listing = r"expected 2 queries, 1 ran:\n  1\. SELECT"
    with pytest.raises(AssertionError, match=listing), assert_num_queries(2):
        await Author.objects.all()
    with pytest.raises(AssertionError, match="at most 0"):
        async with assert_max_queries(0):
            await Author.objects.count()


async def test_repeated_query_shapes_in_a_block_are_reported_with_the_call_site(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    author = await Author.objects.create(name="N")
    for i in range(3):
        await Book.objects.create(title=f"n{i}", author=author)
    books = await Book.objects.all()
    with caplog.at_level(logging.WARNING, logger="covet.orm"), detect_repeated_queries():
        for book in books:
            await Author.objects.filter(pk=book.author_id).first()  # the N+1 pattern
    warnings = [r for r in caplog.records if "N+1" in r.getMessage()]
    assert len(warnings) == 1
    assert "test_instrumentation.py" in warnings[0].getMessage()
    assert "select_related" in warnings[0].getMessage()


async def test_automatic_detection_watches_each_context(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    enable_n_plus_one_detection(threshold=3)
    try:
        with caplog.at_level(logging.WARNING, logger="covet.orm"):
            for _ in range(2):
                await Author.objects.filter(name="x").count()
            assert not [r for r in caplog.records if "N+1" in r.getMessage()]
            await Author.objects.filter(name="x").count()
            assert [r for r in caplog.records if "N+1" in r.getMessage()]
    finally:
        enable_n_plus_one_detection(False)
    with pytest.raises(ValueError, match="at least 2"):
        enable_n_plus_one_detection(threshold=1)


# -- one block per request ----------------------------------------------------------------------

REPEAT_MARK = "# repeated per book"
REPEAT_LINE = next(
    n for n, line in enumerate(Path(__file__).read_text().splitlines(), 1) if line.endswith(REPEAT_MARK)
)


def shelf_app(*, debug: bool, database: Optional[Database] = None) -> Covet:
    """Handlers that load books' authors one by one, joined, and one author alone."""
    app = Covet(debug=debug)

    @app.get("/authors-one-by-one")
    async def authors_one_by_one() -> list[str]:
        names = []
        for book in await Book.objects.using(database).order_by("title"):
            author = await Author.objects.using(database).get(pk=book.author_id)  # repeated per book
            names.append(author.name)
        return names

    @app.get("/authors-joined")
    async def authors_joined() -> list[str]:
        books = await Book.objects.using(database).select_related("author").order_by("title")
        return [book.author.name for book in books]

    @app.get("/authors/{name}")
    async def author(name: str) -> str:
        return (await Author.objects.using(database).get(name=name)).name

    return app


@pytest.fixture
async def shelf(db: Database) -> None:
    ada = await Author.objects.create(name="Ada")
    bob = await Author.objects.create(name="Bob")
    for title, author in (("a", ada), ("b", bob), ("c", ada)):
        await Book.objects.create(title=title, author=author)


def n_plus_one_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "covet.orm" and "N+1" in r.getMessage()]


# Both ways a request is watched: the app is in debug mode, or a test client sends it.
WATCHED = pytest.mark.parametrize(
    ("debug", "client_detects"), [(True, False), (False, True)], ids=["debug-app", "test-client"]
)


@WATCHED
async def test_a_request_repeating_a_query_warns_once_naming_the_handler_line(
    shelf: None, caplog: pytest.LogCaptureFixture, debug: bool, client_detects: bool
) -> None:
    app = shelf_app(debug=debug)
    with caplog.at_level(logging.WARNING, logger="covet.orm"):
        async with AsyncTestClient(app, detect_n_plus_one=client_detects) as client:
            response = await client.get("/authors-one-by-one")
    assert response.json() == ["Ada", "Bob", "Ada"]
    (warning,) = n_plus_one_warnings(caplog)  # three gets by primary key: one warning
    assert f"test_instrumentation.py:{REPEAT_LINE} in authors_one_by_one" in warning
    assert "ran 2 times" in warning  # reported at the first repeat
    assert "select_related()/prefetch_related()" in warning


@WATCHED
async def test_a_request_using_select_related_does_not_warn(
    shelf: None, caplog: pytest.LogCaptureFixture, debug: bool, client_detects: bool
) -> None:
    app = shelf_app(debug=debug)
    with caplog.at_level(logging.WARNING, logger="covet.orm"):
        async with AsyncTestClient(app, detect_n_plus_one=client_detects) as client:
            with assert_num_queries(1):
                response = await client.get("/authors-joined")
    assert response.json() == ["Ada", "Bob", "Ada"]
    assert n_plus_one_warnings(caplog) == []


@WATCHED
async def test_requests_are_separate_blocks(
    shelf: None, caplog: pytest.LogCaptureFixture, debug: bool, client_detects: bool
) -> None:
    app = shelf_app(debug=debug)
    with caplog.at_level(logging.WARNING, logger="covet.orm"):
        async with AsyncTestClient(app, detect_n_plus_one=client_detects) as client:
            # The same query shape once in each request: under the threshold in each block.
            assert (await client.get("/authors/Ada")).text == "Ada"
            assert (await client.get("/authors/Bob")).text == "Bob"
    assert n_plus_one_warnings(caplog) == []


async def test_without_debug_mode_or_a_test_client_queries_are_not_watched(
    shelf: None, caplog: pytest.LogCaptureFixture
) -> None:
    app = shelf_app(debug=False)
    seen: list[bool] = []

    @app.get("/watched")
    async def watched() -> str:
        await Author.objects.count()
        seen.append(WATCH.active)  # what every ORM query checks
        return "ok"

    with caplog.at_level(logging.WARNING, logger="covet.orm"):
        async with AsyncTestClient(app, detect_n_plus_one=False) as client:
            assert (await client.get("/authors-one-by-one")).status_code == 200
            assert (await client.get("/watched")).text == "ok"
    assert n_plus_one_warnings(caplog) == []
    assert seen == [False]


async def test_debug_mode_watches_each_request_on_covets_server(
    shelf: None, orm_tables: dict[str, str], orm_backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    # The server runs in a thread with its own event loop: the app opens its own pool there.
    own = Database(orm_tables[orm_backend], pool_min_size=1, pool_max_size=2)
    app = shelf_app(debug=True, database=own)
    app.on_startup.append(own.connect)
    app.on_shutdown.append(own.disconnect)
    with caplog.at_level(logging.WARNING, logger="covet.orm"), live_server(app) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            assert (await client.get("/authors/Ada")).text == "Ada"
            assert (await client.get("/authors/Bob")).text == "Bob"
            assert (await client.get("/authors-joined")).status_code == 200
            assert n_plus_one_warnings(caplog) == []
            assert (await client.get("/authors-one-by-one")).json() == ["Ada", "Bob", "Ada"]
    (warning,) = n_plus_one_warnings(caplog)
    assert f"test_instrumentation.py:{REPEAT_LINE} in authors_one_by_one" in warning
