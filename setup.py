"""Build the Cython kernels in covet/_speedups/ (COVET_NO_EXTENSIONS=1 builds none)."""

import os

from setuptools import setup

# Keep in step with covet._speedups.COMPILED_MODULES.
COMPILED_MODULES = ["http11", "messages", "router", "connection", "sqlnodes", "sqlcompile", "rows", "orm_rows", "pk_get"]
# C libraries linked into a kernel: http11 calls llhttp (vendored, see vendor/llhttp/README.md).
C_SOURCES = {"http11": [f"vendor/llhttp/src/{name}.c" for name in ("api", "http", "llhttp")]}
# Every kernel that cimports http11 sees llhttp's types through its .pxd, so all get the header.
INCLUDE_DIRS = ["vendor/llhttp/include"]


def extensions():
    if os.environ.get("COVET_NO_EXTENSIONS", "").strip().lower() not in ("", "0", "false", "no"):
        return []
    from Cython.Build import cythonize
    from setuptools import Extension

    modules = [
        Extension(
            f"covet._speedups.{name}",
            [f"covet/_speedups/{name}.py", *C_SOURCES.get(name, ())],
            include_dirs=INCLUDE_DIRS,
            extra_compile_args=["-O2"],
        )
        for name in COMPILED_MODULES
    ]
    return cythonize(
        modules,
        language_level=3,
        compiler_directives={"cdivision": True},
        quiet=True,
    )


setup(ext_modules=extensions())
