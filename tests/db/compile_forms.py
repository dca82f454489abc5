"""Compile a statement with every form of the sqlcompile kernel; the forms must agree."""

from __future__ import annotations

from types import ModuleType
from typing import Any, Union

import pytest

import covet._speedups as speedups
from covet._speedups import sqlcompile
from covet.db.dialects import Dialect, get_dialect

DialectArg = Union[str, Dialect]


def _kernels() -> list[ModuleType]:
    kernels = [speedups.load_source("sqlcompile")]
    if speedups.is_compiled(sqlcompile):
        kernels.insert(0, sqlcompile)
    return kernels


KERNELS = _kernels()


def compile_all(statement: Any, dialect: DialectArg = "postgresql") -> tuple[str, tuple[Any, ...]]:
    """(sql, params) from every kernel form, uncached, cache miss and cache hit: all must agree."""
    results = []
    for kernel in KERNELS:
        for cache_size in (0, 8):
            compiler = kernel.Compiler(get_dialect(dialect), cache_size)
            for _ in range(2 if cache_size else 1):
                query = compiler.compile(statement)
                results.append((query.sql, query.params))
    assert all(result == results[0] for result in results), results
    return results[0]


def raises_all(error: type[Exception], statement: Any, dialect: DialectArg, match: str) -> None:
    for kernel in KERNELS:
        with pytest.raises(error, match=match):
            kernel.Compiler(get_dialect(dialect), 8).compile(statement)
