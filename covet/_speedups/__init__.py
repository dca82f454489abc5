"""Compiled kernels (Cython pure-Python mode: each ``.py`` here is also its own fallback).

Each module is one source that runs interpreted or, built with ``setup.py``, compiled with the
types declared in the ``.pxd`` beside it. ``COVET_NO_EXTENSIONS=1`` makes the interpreter load the
``.py`` sources even when compiled modules are present, so both modes can be tested and measured.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import sys
from types import ModuleType

#: The modules that setup.py compiles; keep in step with ``setup.py``. A module comes after the
#: kernels it imports, so that interpreted it imports their interpreted forms.
COMPILED_MODULES: tuple[str, ...] = (
    "http11", "messages", "router", "connection", "sqlnodes", "sqlcompile", "rows", "orm_rows", "pk_get",
)


def _extensions_disabled() -> bool:
    return os.environ.get("COVET_NO_EXTENSIONS", "").strip().lower() not in ("", "0", "false", "no")


def load_source(name: str) -> ModuleType:
    """Import the interpreted form of ``covet._speedups.<name>``, whatever is compiled."""
    path = os.path.join(os.path.dirname(__file__), f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"{__name__}.{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def is_compiled(module: ModuleType) -> bool:
    return isinstance(getattr(module, "__loader__", None), importlib.machinery.ExtensionFileLoader)


def speedups_enabled() -> bool:
    """True when every kernel in ``COMPILED_MODULES`` runs as a compiled extension."""
    return all(is_compiled(importlib.import_module(f"{__name__}.{name}")) for name in COMPILED_MODULES)


if _extensions_disabled():
    for _name in COMPILED_MODULES:
        _module = sys.modules[f"{__name__}.{_name}"] = load_source(_name)
        globals()[_name] = _module  # what ``from covet._speedups import <name>`` finds first
