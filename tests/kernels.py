"""The two forms of a compiled kernel, for tests that must hold in both."""

from __future__ import annotations

import glob
import importlib
import importlib.machinery
import os
from types import ModuleType

import pytest

import covet._speedups as speedups


def compiled(name: str) -> ModuleType:
    """``covet._speedups.<name>`` as built by setup.py; skips the test when it is not built."""
    here = os.path.dirname(speedups.__file__)
    built = any(
        glob.glob(os.path.join(here, f"{name}{suffix}")) for suffix in importlib.machinery.EXTENSION_SUFFIXES
    )
    if not built or speedups._extensions_disabled():
        pytest.skip(f"covet._speedups.{name} is not compiled here (python setup.py build_ext --inplace)")
    module = importlib.import_module(f"covet._speedups.{name}")
    assert speedups.is_compiled(module), f"a compiled {name} exists but the interpreted one was imported"
    return module


def interpreted(name: str) -> ModuleType:
    """``covet._speedups.<name>`` loaded from its .py source, whatever is compiled."""
    module = speedups.load_source(name)
    assert not speedups.is_compiled(module)
    return module


def form(name: str, which: str) -> ModuleType:
    """``which`` is "compiled" or "interpreted" (the params of a kernel fixture)."""
    return compiled(name) if which == "compiled" else interpreted(name)
