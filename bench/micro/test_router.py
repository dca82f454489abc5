"""router: lookups in a table of 1,000 routes (bench/routing.py's hundred resources of ten)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from bench.micro.kernels import case

LOOKUPS = [
    ("RouteTable.lookup: static, 1000 routes", ("Match", "res042.2", {})),
    ("RouteTable.lookup: int + slug params", ("Match", "res042.5", {"id": 5, "item": "blue-widget_2"})),
    (
        "RouteTable.lookup: uuid param",
        ("Match", "res042.6", {"key": uuid.UUID("5f0c1b2a-3d4e-4f60-8a9b-0c1d2e3f4a5b")}),
    ),
    ("RouteTable.lookup: path catch-all", ("Match", "res042.7", {"id": 9, "path": "docs/2026/report.pdf"})),
    ("RouteTable.lookup: 405", ("MethodNotAllowed", None, None)),
    ("RouteTable.lookup: 404", ("NotFound", None, None)),
]


@pytest.mark.parametrize(
    ("name", "expected"), LOOKUPS, ids=["static", "int-slug", "uuid", "path", "405", "404"]
)
def test_lookup_in_1000_routes(benchmark: Any, name: str, expected: tuple[Any, ...]) -> None:
    run = case("router", name)
    assert run() == expected
    benchmark(run)
