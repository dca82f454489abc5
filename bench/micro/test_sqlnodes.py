"""sqlnodes: building the nodes of a statement, what every query-builder call does."""

from __future__ import annotations

from typing import Any

from bench.micro.kernels import case, kernel


def test_build_select_nodes(benchmark: Any) -> None:
    run = case("sqlnodes", "SELECT with WHERE, ORDER BY, LIMIT (4 nodes)")
    kind, _shape_code, columns = run()
    assert (kind, columns) == (kernel("sqlnodes").K_SELECT, 3)
    benchmark(run)
