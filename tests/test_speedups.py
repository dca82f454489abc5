"""covet._speedups: which form of the kernels runs, and that COVET_NO_EXTENSIONS=1 means all of them."""

import os
import subprocess
import sys

import covet
import covet._speedups as speedups

_PROBE = """
import covet._speedups as s, covet.app, covet.routing, covet._speedups.connection as c
import importlib
names = s.COMPILED_MODULES
kernels = [importlib.import_module("covet._speedups." + n) for n in names]
# Kernels reach each other both through sys.modules and through the package's attributes.
seen = kernels + [getattr(s, n) for n in names] + [covet.routing._kernel]
print(sorted({s.is_compiled(k) for k in seen}), c.Dispatcher is covet.routing._kernel.Dispatcher)
"""


def test_no_extensions_makes_every_kernel_and_every_import_of_it_interpreted():
    env = dict(os.environ, COVET_NO_EXTENSIONS="1")
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[False]", "True"]


def test_speedups_enabled_says_whether_every_kernel_is_compiled():
    expected = all(
        speedups.is_compiled(__import__(f"covet._speedups.{name}", fromlist=["_"]))
        for name in speedups.COMPILED_MODULES
    )
    assert covet.speedups_enabled() is expected
