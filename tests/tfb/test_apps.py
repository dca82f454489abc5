"""The TFB apps (``bench/tfb/app.py`` on the ORM, ``app_raw.py`` on covet.db) against TFB's rules.

Each test runs for both apps on CovetPy's server, against the real PostgreSQL; statements are
counted where the database receives them (``tests/tfb/pgwire.py``).
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import psycopg
import pytest

from bench.http.checks import database_test_problems, fetch, response_problems
from bench.http.tfb_checks import EXPECTED_FORTUNES, fortunes_problems
from bench.tfb.spec import FORTUNES
from tests.tfb.conftest import Served

ROUTES = ["/plaintext", "/json", "/db", "/queries?queries=3", "/fortunes", "/updates?queries=3"]


def table_numbers(dsn: str, ids: list[int]) -> dict[int, int]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return dict(conn.execute("SELECT id, randomnumber FROM world WHERE id = ANY(%s::int[])", (ids,)))


def numbers_in(response_json: object) -> dict[int, int]:
    items = response_json if isinstance(response_json, list) else [response_json]
    return {item["id"]: item["randomNumber"] for item in items}


@pytest.mark.parametrize("path", ROUTES)
def test_every_response_has_server_date_and_length(served: Served, path: str) -> None:
    response = served.client.get(path)
    assert response.status_code == 200
    assert response.headers["server"]
    assert abs(parsedate_to_datetime(response.headers["date"]).timestamp() - time.time()) < 5
    assert int(response.headers["content-length"]) == len(response.content)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/plaintext", "text/plain; charset=utf-8"),
        ("/json", "application/json"),
        ("/db", "application/json"),
        ("/queries?queries=2", "application/json"),
        ("/updates?queries=2", "application/json"),
        ("/fortunes", "text/html; charset=utf-8"),
    ],
)
def test_content_types_are_the_ones_tfb_accepts(served: Served, path: str, content_type: str) -> None:
    assert served.client.get(path).headers["content-type"] == content_type


def test_date_header_changes_from_one_second_to_the_next(served: Served) -> None:
    first = served.client.get("/db").headers["date"]
    time.sleep(1.1)
    assert served.client.get("/db").headers["date"] != first


def test_plaintext_and_json_bodies(served: Served) -> None:
    assert served.client.get("/plaintext").content == b"Hello, World!"
    assert served.client.get("/json").json() == {"message": "Hello, World!"}


def test_db_answers_one_world_row_as_the_table_holds_it(served: Served) -> None:
    world = served.client.get("/db").json()
    assert set(world) == {"id", "randomNumber"}
    assert 1 <= world["id"] <= 10_000
    assert table_numbers(served.dsn, [world["id"]]) == {world["id"]: world["randomNumber"]}


def test_db_picks_rows_at_random(served: Served) -> None:
    ids = {served.client.get("/db").json()["id"] for _ in range(8)}
    assert len(ids) > 1


def test_db_runs_one_select(served: Served) -> None:
    mark = served.statements.mark()
    served.client.get("/db")
    (statement,) = served.statements.since(mark, "world")
    assert statement.lstrip().upper().startswith("SELECT")


@pytest.mark.parametrize(
    ("query", "rows"),
    [("", 1), ("?queries=", 1), ("?queries=foo", 1), ("?queries=0", 1), ("?queries=-3", 1),
     ("?queries=1", 1), ("?queries=7", 7), ("?queries=500", 500), ("?queries=501", 500)],
)
@pytest.mark.parametrize("test", ["queries", "updates"])
def test_queries_parameter_is_clamped_to_1_through_500(
    served: Served, test: str, query: str, rows: int
) -> None:
    worlds = served.client.get(f"/{test}{query}").json()
    assert isinstance(worlds, list)
    assert len(worlds) == rows
    assert all(set(world) == {"id", "randomNumber"} for world in worlds)


def test_queries_answers_distinct_rows_as_the_table_holds_them(served: Served) -> None:
    answered = numbers_in(served.client.get("/queries?queries=20").json())
    assert len(answered) == 20
    assert table_numbers(served.dsn, list(answered)) == answered


@pytest.mark.parametrize("count", [1, 20])
def test_queries_runs_one_select_per_row(served: Served, count: int) -> None:
    mark = served.statements.mark()
    served.client.get(f"/queries?queries={count}")
    statements = served.statements.since(mark, "world")
    assert len(statements) == count
    for sql in statements:
        upper = sql.upper()
        assert upper.lstrip().startswith("SELECT")
        assert " IN " not in upper and "ANY(" not in upper.replace(" ", "")  # no batching


def test_fortunes_page_is_the_table_plus_one_sorted_and_escaped(served: Served) -> None:
    response = served.client.get("/fortunes")
    page = response.content.decode("utf-8")
    assert fortunes_problems(response.content) == []
    assert "<script>" not in page
    assert "&lt;script&gt;alert(" in page
    assert "<td>フレームワークのベンチマーク</td>" in page
    assert "<td>0</td><td>Additional fortune added at request time.</td>" in page
    positions = [page.index(f"<td>{id_}</td>") for id_, _ in EXPECTED_FORTUNES]
    assert positions == sorted(positions)
    assert len(EXPECTED_FORTUNES) == len(FORTUNES) + 1


def test_fortunes_reads_the_fortune_table_once(served: Served) -> None:
    mark = served.statements.mark()
    served.client.get("/fortunes")
    assert len(served.statements.since(mark, "fortune")) == 1


def test_updates_write_the_numbers_they_answer(served: Served) -> None:
    answered = numbers_in(served.client.get("/updates?queries=20").json())
    assert len(answered) == 20
    assert table_numbers(served.dsn, list(answered)) == answered


def test_updates_change_the_table(served: Served) -> None:
    before = table_numbers(served.dsn, list(range(1, 10_001)))
    served.client.get("/updates?queries=500")
    after = table_numbers(served.dsn, list(range(1, 10_001)))
    changed = sum(before[id_] != after[id_] for id_ in before)
    assert changed >= 450  # 500 rows rewritten; a new number may equal the old one (1 in 10,000)


@pytest.mark.parametrize("count", [1, 20])
def test_updates_run_one_select_per_row_and_one_update(served: Served, count: int) -> None:
    mark = served.statements.mark()
    served.client.get(f"/updates?queries={count}")
    statements = served.statements.since(mark, "world")
    selects = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]
    updates = [sql for sql in statements if sql.lstrip().upper().startswith("UPDATE")]
    assert (len(selects), len(updates), len(statements)) == (count, 1, count + 1)


@pytest.mark.parametrize("test", ["db", "queries", "fortunes", "updates"])
def test_the_benchmark_harness_finds_the_answers_tfb_correct(served: Served, test: str) -> None:
    assert database_test_problems(served.port, test, served.dsn) == []


def test_the_harness_reports_an_unescaped_fortune() -> None:
    page = "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
    page += "<tr><th>id</th><th>message</th></tr>"
    page += "".join(f"<tr><td>{id_}</td><td>{message}</td></tr>" for id_, message in EXPECTED_FORTUNES)
    problems = fortunes_problems((page + "</table></body></html>").encode())
    assert any("not escaped" in problem for problem in problems)


def test_the_harness_reports_a_wrong_content_type(served: Served) -> None:
    (response,) = fetch(served.port, "/plaintext")
    assert any("content-type" in problem for problem in response_problems("db", response, "/plaintext"))
