"""bench/speedups_cases.py: every kernel's comparison cases run, in both forms, and agree."""

from __future__ import annotations

import pytest

from bench.speedups_compare import broken_cases, compare_module
from covet import _speedups


@pytest.mark.parametrize("name", _speedups.COMPILED_MODULES)
def test_each_case_runs_in_both_forms_and_agrees(name: str) -> None:
    if not _speedups.speedups_enabled():
        pytest.skip("the kernels are not compiled here")
    timings = compare_module(name, 1, 0.001)
    assert timings and all(t.interpreted_us is not None for t in timings), [t.note for t in timings]
    assert broken_cases(timings) == []
