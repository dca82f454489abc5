"""bench/speedups_cases.py: every kernel's comparison cases run, in both forms, and agree."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.speedups_compare import broken_cases, compare_module
from covet import _speedups
from covet._speedups import pk_get
from covet.orm.connection import get_database
from covet.orm.instrumentation import WATCH
from tests import kernels


@pytest.fixture(autouse=True)
def _orm_bound_back() -> Iterator[None]:
    """The pk_get cases bind the kernel to a stand-in database, as their own process may: bind it
    back to the ORM's, as covet.orm.managers does, so the tests after these see the real one."""
    yield
    pk_get.bind(get_database, WATCH)


@pytest.mark.parametrize("name", _speedups.COMPILED_MODULES)
def test_each_case_runs_in_both_forms_and_agrees(name: str) -> None:
    kernels.compiled(name)  # skips, saying how to build it, where the kernel is not compiled
    timings = compare_module(name, 1, 0.001)
    assert timings and all(t.interpreted_us is not None for t in timings), [t.note for t in timings]
    assert broken_cases(timings) == []
