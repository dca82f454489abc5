"""The servers measured: how each is started, which tests it runs, and in which suite.

Every server gets one worker, binds 127.0.0.1 and logs warnings only. ``covet``, ``covet-asgi``
and ``covet-raw`` are CovetPy; the rest are the peers it is compared with. The ``http`` suite
compares servers on plaintext and JSON; the ``tfb`` suite compares whole TechEmpower apps, the
database tests included (``python -m bench.http --suite tfb``).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable

from bench.http.processes import HOST

PY = sys.executable
TESTS = ("plaintext", "json", "pipelined")
NO_PIPELINING = ("plaintext", "json")
#: TFB's database tests, which read and write the PostgreSQL of ``COVET_TFB_DSN``.
DB_TESTS = ("db", "queries", "fortunes", "updates")
#: TFB's six test types; its plaintext test is pipelined 16 deep. Updates run last: they leave
#: dead rows behind, so each server starts on a vacuumed table.
TFB_TESTS = ("pipelined", "json", "db", "queries", "fortunes", "updates")
ALL_TESTS = TESTS + DB_TESTS
SUITES = {"http": TESTS, "tfb": TFB_TESTS}

#: How CovetPy is started: "cli" runs ``python -m covet serve``; "inline" calls covet.server.run
#: from ``python -c`` (for trees without the CLI). Override per run with ``--covet-launcher``.
COVET_LAUNCHER = "cli"

_INLINE = (
    "import importlib, sys; sys.path.insert(0, '.'); "
    "from covet.server import ServerConfig, run; "
    "app = getattr(importlib.import_module({module!r}), {attr!r}); "
    "sys.exit(run(app, ServerConfig(host={host!r}, port={port}, log_level='warning')))"
)


def covet(app: str, launcher: str, port: int) -> list[str]:
    if launcher == "cli":
        return [
            PY,
            "-m",
            "covet",
            "serve",
            app,
            "--host",
            HOST,
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]
    module, attr = app.split(":")
    return [PY, "-c", _INLINE.format(module=module, attr=attr, host=HOST, port=port)]


def uvicorn(app: str, port: int) -> list[str]:
    return [
        PY,
        "-m",
        "uvicorn",
        app,
        "--host",
        HOST,
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]


def granian(app: str, port: int) -> list[str]:
    return [
        PY,
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--http",
        "1",
        "--workers",
        "1",
        "--runtime-threads",
        "1",
        "--loop",
        "uvloop",
        "--no-access-log",
        "--log-level",
        "warning",
        "--host",
        HOST,
        "--port",
        str(port),
        app,
    ]


@dataclasses.dataclass(frozen=True)
class Target:
    name: str
    description: str
    command: Callable[[str, int], list[str]]  # (covet launcher, port) -> argv
    tests: tuple[str, ...]
    is_covet: bool = False
    default: bool = True
    suites: tuple[str, ...] = ("http",)


TARGETS = {
    t.name: t
    for t in (
        Target(
            "bare-protocol",
            "bare uvloop + httptools protocol, canned responses (the ceiling)",
            lambda _, port: [PY, "-m", "bench.peers.bare_protocol", "--host", HOST, "--port", str(port)],
            TESTS,
        ),
        Target(
            "covet",
            "CovetPy app (bench.tfb.app, database through the ORM) on CovetPy's server",
            lambda launcher, port: covet("bench.tfb.app:app", launcher, port),
            ALL_TESTS,
            is_covet=True,
            suites=("http", "tfb"),
        ),
        Target(
            "covet-raw",
            "the same CovetPy app with SQL on covet.db, no ORM (bench.tfb.app_raw)",
            lambda launcher, port: covet("bench.tfb.app_raw:app", launcher, port),
            TFB_TESTS,
            is_covet=True,
            suites=("tfb",),
        ),
        Target(
            "covet-asgi",
            "bare ASGI callable on CovetPy's server",
            lambda launcher, port: covet("bench.peers.bare_asgi:app", launcher, port),
            TESTS,
            is_covet=True,
        ),
        Target(
            "uvicorn-asgi",
            "bare ASGI callable on uvicorn (uvloop, httptools)",
            lambda _, port: uvicorn("bench.peers.bare_asgi:app", port),
            TESTS,
        ),
        Target(
            "starlette",
            "Starlette on uvicorn",
            lambda _, port: uvicorn("bench.peers.starlette_app:app", port),
            NO_PIPELINING,
        ),
        Target(
            "blacksheep",
            "BlackSheep on uvicorn",
            lambda _, port: uvicorn("bench.peers.blacksheep_app:app", port),
            NO_PIPELINING,
        ),
        Target(
            "starlette-asyncpg",
            "Starlette + asyncpg on uvicorn, as TFB's starlette entry",
            lambda _, port: uvicorn("bench.peers.tfb_starlette:app", port),
            TFB_TESTS,
            suites=("tfb",),
        ),
        Target(
            "fastapi-asyncpg",
            "FastAPI + asyncpg on uvicorn, as TFB's fastapi entry",
            lambda _, port: uvicorn("bench.peers.tfb_fastapi:app", port),
            TFB_TESTS,
            suites=("tfb",),
        ),
        Target(
            "blacksheep-asyncpg",
            "BlackSheep + asyncpg on uvicorn, as TFB's blacksheep entry",
            lambda _, port: uvicorn("bench.peers.tfb_blacksheep:app", port),
            TFB_TESTS,
            suites=("tfb",),
        ),
        Target(
            "granian-asgi",
            "bare ASGI callable on granian (not run unless named in --only)",
            lambda _, port: granian("bench.peers.bare_asgi:app", port),
            NO_PIPELINING,
            default=False,
        ),
    )
}

#: The CovetPy target each table's "CovetPy ÷ target" column divides by.
RATIO_BASE = "covet"
