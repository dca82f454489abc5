"""Which form of the kernels this run measures, and the cases of bench/speedups_cases.py in it."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from bench.speedups_cases import CASES, Case
from covet import _speedups


def kernels_form() -> str:
    """``"interpreted"`` under ``COVET_NO_EXTENSIONS=1``, else ``"compiled"``."""
    return "interpreted" if _speedups._extensions_disabled() else "compiled"


def kernel(name: str) -> ModuleType:
    """``covet._speedups.<name>`` in the form this run measures (COVET_NO_EXTENSIONS decides)."""
    module = importlib.import_module(f"covet._speedups.{name}")
    if _speedups.is_compiled(module) != (kernels_form() == "compiled"):
        raise RuntimeError(
            f"covet._speedups.{name} is not {kernels_form()}: the results would be mislabelled"
        )
    return module


def case(module: str, name: str) -> Callable[[], Any]:
    """The ``run`` of the case called ``name`` among ``module``'s in bench/speedups_cases.py."""
    cases: list[Case] = CASES[module](kernel(module))
    for found in cases:
        if found.name == name:
            return found.run
    raise LookupError(f"bench/speedups_cases.py has no {module} case {name!r}: {[c.name for c in cases]}")
