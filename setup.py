"""Build the Cython kernels in covet/_speedups/ (COVET_NO_EXTENSIONS=1 builds none)."""

import os

from setuptools import setup

# Keep in step with covet._speedups.COMPILED_MODULES.
COMPILED_MODULES = ["http11", "messages", "connection", "router", "sqlnodes", "sqlcompile", "rows"]


def extensions():
    if os.environ.get("COVET_NO_EXTENSIONS", "").strip().lower() not in ("", "0", "false", "no"):
        return []
    from Cython.Build import cythonize
    from setuptools import Extension

    modules = [
        Extension(f"covet._speedups.{name}", [f"covet/_speedups/{name}.py"], extra_compile_args=["-O2"])
        for name in COMPILED_MODULES
    ]
    return cythonize(
        modules,
        language_level=3,
        compiler_directives={"cdivision": True},
        quiet=True,
    )


setup(ext_modules=extensions())
