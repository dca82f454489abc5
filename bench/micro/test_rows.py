"""rows: 1,000 driver rows of 5 columns decoded to Records and to tuples (covet.db.records)."""

from __future__ import annotations

from typing import Any

from bench.micro.kernels import case, kernel
from covet.db.records import KIND_TUPLE, Record, decode_rows

LAST = (999, "name-999", 999 * 1.5, False, 999 * 1_000_003)


def test_records_in_place(benchmark: Any) -> None:
    run = case("rows", "records_in_place: 1,000 fresh driver rows of 5 columns")
    count, kind, last = run()
    assert (count, kind, last) == (1000, "Record", LAST)
    assert isinstance(last, Record) and last.name == "name-999"
    benchmark(run)


def test_decode_records_copied(benchmark: Any) -> None:
    run = case("rows", "decode_records: 1,000 rows of 5 columns (copied)")
    last = run()
    assert isinstance(last, Record) and last == LAST and last.score == 999 * 1.5
    benchmark(run)


def test_decode_dicts(benchmark: Any) -> None:
    run = case("rows", "decode_dicts: 1,000 rows of 5 columns")
    assert run() == dict(zip(("id", "name", "score", "flag", "n"), LAST, strict=True))
    benchmark(run)


def test_decode_tuples(benchmark: Any) -> None:
    """Tuples are what the driver gives: ``decode_rows`` only copies a non-list into a list (no
    kernel runs); the baseline the Record rows above are measured against."""
    kernel("rows")  # the form check, as the other tests make it
    rows = tuple((i, f"name-{i}", i * 1.5, i % 2 == 0, i * 1_000_003) for i in range(1000))
    columns = ("id", "name", "score", "flag", "n")

    def run() -> Any:
        return decode_rows(columns, rows, KIND_TUPLE)

    decoded = run()
    assert (
        type(decoded) is list and len(decoded) == 1000 and decoded[-1] == LAST and type(decoded[-1]) is tuple
    )
    benchmark.extra_info["baseline"] = "no kernel runs"  # compare.py keeps it out of the mean
    benchmark(run)
