"""Value round trips on the three real servers, with each backend's documented quirks."""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from typing import Any

import orjson
import pytest

from covet.db import Database, Json

from .conftest import placeholders


class Color(enum.StrEnum):
    RED = "red"
    GREEN = "green"


class Size(enum.Enum):
    SMALL = 1
    LARGE = 2


class Plain(enum.Enum):
    A = "a-value"


UTC_PLUS_2 = datetime.timezone(datetime.timedelta(hours=2))
AWARE = datetime.datetime(2024, 2, 29, 23, 30, 15, 123456, tzinfo=UTC_PLUS_2)
UUID = uuid.UUID("6f1c2a3e-9d4b-4e8a-a1b2-c3d4e5f60718")

# column: (value, PostgreSQL type, MySQL type, SQLite type)
COLUMNS: dict[str, tuple[Any, str, str, str]] = {
    "i": (-2_147_483_648, "INTEGER", "INT", "INTEGER"),
    "big": (2**62 + 7, "BIGINT", "BIGINT", "INTEGER"),
    "f": (3.141592653589793, "DOUBLE PRECISION", "DOUBLE", "REAL"),
    "amount": (decimal.Decimal("12345678901234.123456"), "NUMERIC(20, 6)", "DECIMAL(20, 6)", "DECIMAL TEXT"),
    "flag": (True, "BOOLEAN", "BOOLEAN", "BOOLEAN"),
    "s": ("naïve café ☕ 𝄞 '\"\\ %s ?", "TEXT", "TEXT", "TEXT"),
    "b": (bytes(range(256)), "BYTEA", "BLOB", "BLOB"),
    "d": (datetime.date(1999, 12, 31), "DATE", "DATE", "DATE"),
    "t": (datetime.time(13, 45, 59, 120000), "TIME", "TIME(6)", "TIME"),
    "dt": (datetime.datetime(2024, 1, 2, 3, 4, 5, 678901), "TIMESTAMP", "DATETIME(6)", "DATETIME"),
    "dtz": (AWARE, "TIMESTAMPTZ", "DATETIME(6)", "TIMESTAMP"),
    "u": (UUID, "UUID", "UUID", "UUID"),
    "jd": ({"a": [1, 2, {"b": None}], "s": "é"}, "JSONB", "JSON", "JSON"),
    "jl": (Json([1, "two", {"three": 3.0}]), "JSON", "JSON", "JSON"),
    "e1": (Color.GREEN, "TEXT", "VARCHAR(20)", "TEXT"),
    "e2": (Size.LARGE, "INTEGER", "INT", "INTEGER"),
    "e3": (Plain.A, "TEXT", "VARCHAR(20)", "TEXT"),
}


def expected(column: str, backend: str) -> Any:
    """What comes back: the value itself, except for the quirks each backend documents."""
    value = COLUMNS[column][0]
    if isinstance(value, Json):
        value = value.obj
    if isinstance(value, enum.Enum):
        return value.value  # enums are stored as their value; the model layer rebuilds them
    if backend == "mysql":
        if column == "flag":
            return 1  # TINYINT(1)
        if column == "dtz":
            return AWARE.astimezone(datetime.UTC).replace(tzinfo=None)  # UTC, naive
        if column == "u":
            return str(UUID)
        if column in ("jd", "jl"):
            return orjson.dumps(value).decode()  # MariaDB: JSON is LONGTEXT (compared parsed below)
    return value


def create_table(table: str, backend: str) -> str:
    index = {"postgresql": 1, "mysql": 2, "sqlite": 3}[backend]
    columns = ", ".join(f"{name} {spec[index]}" for name, spec in COLUMNS.items())
    suffix = " CHARACTER SET utf8mb4" if backend == "mysql" else ""
    return f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, {columns}){suffix}"


async def test_values_round_trip(db: Database, table: str, backend: str) -> None:
    await db.execute(create_table(table, backend))
    names = list(COLUMNS)
    insert = f"INSERT INTO {table} (id, {', '.join(names)}) VALUES ({placeholders(backend, len(names) + 1)})"
    await db.execute(insert, (1, *(COLUMNS[n][0] for n in names)))
    await db.execute(insert, (2, *([None] * len(names))))
    row = await db.fetch_one(f"SELECT {', '.join(names)} FROM {table} WHERE id = 1")
    for name in names:
        got, want = row[name], expected(name, backend)
        if backend == "mysql" and name in ("jd", "jl") and isinstance(got, str):
            assert orjson.loads(got) == orjson.loads(want), name
            continue
        assert got == want, f"{name}: {got!r} != {want!r}"
        assert type(got) is type(want), f"{name}: {type(got).__name__} is not {type(want).__name__}"
        if name == "dtz" and backend != "mysql":
            assert got.utcoffset() is not None  # aware stays aware
    nulls = await db.fetch_one(f"SELECT {', '.join(names)} FROM {table} WHERE id = 2", as_tuples=True)
    assert nulls == (None,) * len(names)


async def test_values_round_trip_through_execute_many_and_named_params(
    db: Database, table: str, backend: str
) -> None:
    await db.execute(create_table(table, backend))
    names = ["d", "dt", "u", "amount", "e1", "jd"]
    marker = ":{}" if backend == "sqlite" else "%({})s"
    values = ", ".join(marker.format(n) for n in ["id", *names])
    insert = f"INSERT INTO {table} (id, {', '.join(names)}) VALUES ({values})"
    await db.execute(insert, {"id": 1, **{n: COLUMNS[n][0] for n in names}})
    await db.execute_many(
        f"INSERT INTO {table} (id, {', '.join(names)}) VALUES ({placeholders(backend, len(names) + 1)})",
        [(i, *(COLUMNS[n][0] for n in names)) for i in (2, 3)],
    )
    rows = await db.fetch_all(f"SELECT {', '.join(names)} FROM {table} ORDER BY id")
    assert len(rows) == 3
    for row in rows:
        for name in names:
            got, want = row[name], expected(name, backend)
            if backend == "mysql" and name == "jd":
                got, want = orjson.loads(got), orjson.loads(want)
            assert got == want, name


async def test_values_filter_as_bound_parameters(db: Database, table: str, backend: str) -> None:
    await db.execute(create_table(table, backend))
    ph = placeholders(backend, 1)
    await db.execute(f"INSERT INTO {table} (id, d, u, e2, amount) VALUES ({placeholders(backend, 5)})",
                     (1, COLUMNS["d"][0], UUID, Size.LARGE, COLUMNS["amount"][0]))
    assert await db.fetch_val(f"SELECT id FROM {table} WHERE d = {ph}", (datetime.date(1999, 12, 31),)) == 1
    assert await db.fetch_val(f"SELECT id FROM {table} WHERE u = {ph}", (UUID,)) == 1
    assert await db.fetch_val(f"SELECT id FROM {table} WHERE e2 = {ph}", (Size.LARGE,)) == 1
    assert await db.fetch_val(f"SELECT id FROM {table} WHERE amount = {ph}", (COLUMNS["amount"][0],)) == 1


def test_sqlite_converters_are_lenient_and_mysql_time_is_a_time_of_day() -> None:
    from covet.db.types import SQLITE_CONVERTERS, parse_mysql_time

    assert SQLITE_CONVERTERS["DATE"](b"2024-01-02") == datetime.date(2024, 1, 2)
    assert SQLITE_CONVERTERS["DATE"](b"2024-01-02 10:00:00") == datetime.date(2024, 1, 2)
    assert SQLITE_CONVERTERS["DATE"](b"not a date") == "not a date"
    assert SQLITE_CONVERTERS["BOOLEAN"](b"1") is True and SQLITE_CONVERTERS["BOOL"](b"0") is False
    assert parse_mysql_time("13:45:59.12") == datetime.time(13, 45, 59, 120000)
    assert parse_mysql_time("25:00:00") == datetime.timedelta(hours=25)
    assert parse_mysql_time("-01:30:00") == -datetime.timedelta(hours=1, minutes=30)
    assert parse_mysql_time("garbage") is None


@pytest.mark.parametrize("value", [Json({"k": 1}), Json([1, 2])])
def test_json_wrapper_equality(value: Json) -> None:
    assert value == Json(value.obj) and hash(value) == hash(Json(value.obj))
    assert repr(value).startswith("Json(")
