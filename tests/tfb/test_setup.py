"""``bench.tfb.setup``: creates the TFB database and tables, idempotently, on the real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from bench.tfb.setup import main, prepare_database
from bench.tfb.spec import FORTUNES
from tests.db.conftest import POSTGRESQL_URL, require_server
from tests.tfb.conftest import with_location


@pytest.fixture
def fresh_url() -> Iterator[str]:
    """A database name nobody uses yet; dropped after the test."""
    require_server("postgresql")
    name = f"tfb_setup_{uuid.uuid4().hex[:10]}"
    yield with_location(POSTGRESQL_URL, database=name)
    with psycopg.connect(with_location(POSTGRESQL_URL, database="postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql).fetchall()


def test_creates_the_database_and_both_tables(fresh_url: str) -> None:
    done = asyncio.run(prepare_database(fresh_url))
    assert done == ["database created", "world: 10,000 rows written", "fortune: 12 rows written"]
    assert query(
        fresh_url,
        "SELECT count(*), min(id), max(id), min(randomnumber) >= 1, max(randomnumber) <= 10000 FROM world",
    ) == [(10_000, 1, 10_000, True, True)]
    assert query(fresh_url, "SELECT id, message FROM fortune ORDER BY id") == list(FORTUNES)


def test_a_second_run_changes_nothing(fresh_url: str) -> None:
    asyncio.run(prepare_database(fresh_url))
    numbers = query(fresh_url, "SELECT id, randomnumber FROM world ORDER BY id")
    assert asyncio.run(prepare_database(fresh_url)) == []
    assert query(fresh_url, "SELECT id, randomnumber FROM world ORDER BY id") == numbers


def test_rewrites_tables_that_are_not_what_tfb_specifies(fresh_url: str) -> None:
    asyncio.run(prepare_database(fresh_url))
    query(fresh_url, "DELETE FROM world WHERE id > 9000 RETURNING id")
    query(fresh_url, "UPDATE fortune SET message = 'changed' WHERE id = 12 RETURNING id")
    done = asyncio.run(prepare_database(fresh_url))
    assert done == ["world: 10,000 rows written", "fortune: 12 rows written"]
    assert query(fresh_url, "SELECT count(*) FROM world") == [(10_000,)]
    assert query(fresh_url, "SELECT message FROM fortune WHERE id = 12") == [
        ("フレームワークのベンチマーク",)
    ]


def test_command_line_reports_what_it_did(fresh_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--dsn", fresh_url]) == 0
    assert "database created" in capsys.readouterr().out
    assert main(["--dsn", fresh_url]) == 0
    assert "already in place; vacuumed" in capsys.readouterr().out


def test_command_line_refuses_a_database_that_is_not_postgresql(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--dsn", "mysql://root@127.0.0.1/hello_world"]) == 1
    assert "the TFB database is PostgreSQL" in capsys.readouterr().err
