"""orm_rows: 1,000 rows of 5 columns loaded into ORM model instances (what a QuerySet does per row)."""

from __future__ import annotations

from typing import Any

from bench.micro.kernels import case


def test_load_1000_instances(benchmark: Any) -> None:
    run = case("orm_rows", "load_instances: 1,000 rows of 5 columns into model instances")
    count, kind, values, row = run()
    assert (count, kind) == (1000, "Item")
    assert values == [999, "item-999", 999 * 1.5, False, 999 * 7]
    assert row == tuple(values)
    benchmark(run)
