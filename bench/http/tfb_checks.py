"""TFB's rules for the database tests' answers, checked before a server is measured.

What TFB's verifier checks, in our words: ``/db`` is one ``{"id", "randomNumber"}`` object,
``/queries`` and ``/updates`` a list of them whose length is the ``queries`` parameter clamped
to 1..500 (1 when missing or not a number), ``/fortunes`` the fortune table plus the one added at
request time, sorted by message, every message escaped and the UTF-8 row intact, as
``text/html; charset=utf-8``. Beyond the verifier, the rows answered must be the database's own
(an update must have reached the table).
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any, Optional

import psycopg

from bench.tfb.spec import ADDITIONAL_FORTUNE, FORTUNES, WORLD_ROWS

JSON_TYPES = ("application/json", "application/json; charset=utf-8", "application/json;charset=utf-8")
HTML_TYPES = ("text/html; charset=utf-8", "text/html;charset=utf-8")
EXPECTED_FORTUNES = sorted([*FORTUNES, ADDITIONAL_FORTUNE], key=lambda row: row[1])

#: The tests whose answers this module checks (the database tests).
CONTENT_CHECKED = ("db", "queries", "fortunes", "updates")
#: The tests taking a ``queries`` parameter, and the values TFB's verifier tries with the
#: number of rows each must give.
CLAMPED = ("queries", "updates")
CLAMPING = {"2": 2, "0": 1, "foo": 1, "501": 500, "": 1}


def content_type_problem(test: str, content_type: str) -> Optional[str]:
    allowed = HTML_TYPES if test == "fortunes" else JSON_TYPES
    if content_type.lower() not in allowed:
        return f"content-type is {content_type!r}, not {allowed[0]}"
    return None


def world_problems(item: Any) -> list[str]:
    if not isinstance(item, dict) or set(item) != {"id", "randomNumber"}:
        return [f"{str(item)[:60]} is not an object with exactly the keys id and randomNumber"]
    problems = []
    for key in ("id", "randomNumber"):
        value = item[key]
        if type(value) is not int or not 1 <= value <= WORLD_ROWS:
            problems.append(f"{key} {value!r} is not an integer in 1..{WORLD_ROWS}")
    return problems


def worlds_in(test: str, body: bytes, expected_rows: int) -> tuple[list[dict[str, int]], list[str]]:
    """The world objects of a db/queries/updates body, and what is wrong with it."""
    try:
        data = json.loads(body)
    except ValueError:
        return [], [f"body {body[:80]!r} is not JSON"]
    if test == "db":
        items = [data]
    elif not isinstance(data, list):
        return [], [f"body {body[:80]!r} is not a JSON array"]
    else:
        items = data
    problems = []
    if len(items) != expected_rows:
        problems.append(f"{len(items)} rows, not {expected_rows}")
    for item in items[:5]:
        problems.extend(world_problems(item))
    if not problems and len({item["id"] for item in items}) != len(items) and test == "updates":
        problems.append("the same id twice in one update: the answer cannot match the table")
    return ([] if problems else items), problems


def database_problems(dsn: str, worlds: list[dict[str, int]]) -> list[str]:
    """Rows answered whose randomNumber is not the table's (read after the answer)."""
    ids = [world["id"] for world in worlds]
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = dict(conn.execute("SELECT id, randomnumber FROM world WHERE id = ANY(%s::int[])", (ids,)))
    wrong = [w for w in worlds if rows.get(w["id"]) != w["randomNumber"]]
    if not wrong:
        return []
    first = wrong[0]
    return [
        f"{len(wrong)} of {len(worlds)} rows differ from the table, e.g. id {first['id']}: answered "
        f"{first['randomNumber']}, the table holds {rows.get(first['id'])}"
    ]


class _FortunePage(HTMLParser):
    """The fortunes page read back: its title, table rows (cell texts, unescaped) and stray tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.doctype = ""
        self.title = ""
        self.rows: list[list[str]] = []
        self.unexpected: list[str] = []
        self._cell: Optional[list[str]] = None
        self._in_title = False

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl.lower()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "title":
            self._in_title = True
        elif tag not in ("html", "head", "body", "table", "meta", "thead", "tbody"):
            self.unexpected.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append("".join(self._cell))
            self._cell = None
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif self._in_title:
            self.title += data


def fortunes_problems(body: bytes) -> list[str]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [f"the page is not UTF-8: {exc}"]
    page = _FortunePage()
    page.feed(text)
    page.close()
    problems = []
    if page.doctype != "doctype html":
        problems.append("no <!DOCTYPE html>")
    if page.title.strip() != "Fortunes":
        problems.append(f"title {page.title!r} is not 'Fortunes'")
    if page.unexpected:
        problems.append(f"tags {sorted(set(page.unexpected))} in the page: a message was not escaped")
    rows = page.rows
    if rows[:1] != [["id", "message"]]:
        problems.append(f"the table starts with {rows[:1]}, not the header row id, message")
    expected = [[str(id_), message] for id_, message in EXPECTED_FORTUNES]
    for number, (row, wanted) in enumerate(zip(rows[1:], expected, strict=False), 1):
        if row != wanted:
            problems.append(f"row {number} is {row}, not {wanted} (sorted by message, escaped, UTF-8 intact)")
            break
    else:
        if len(rows) - 1 != len(expected):
            problems.append(f"{len(rows) - 1} fortunes, not {len(expected)}")
    return problems
