"""Query counting and N+1 detection."""

from __future__ import annotations

import logging

import pytest

from covet.db import Database
from covet.orm import (
    assert_max_queries,
    assert_num_queries,
    detect_repeated_queries,
    enable_n_plus_one_detection,
)
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
