"""What the TechEmpower rules fix, shared by the CovetPy apps, the peers, the setup and the tests.

The database (``COVET_TFB_DSN``), the pool every app opens (``COVET_TFB_POOL_SIZE``), the
``queries`` parameter's clamping, the random ids, the fortune rows and the fortunes page.
"""

from __future__ import annotations

import os
import random
from html import escape
from typing import Optional

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/hello_world"
WORLD_ROWS = 10_000

#: One worker's pool, the same for every app measured (the peers' asyncpg pools included). TFB's
#: Python entries divide a server's connection budget by the worker count; here one worker
#: shares a PostgreSQL that allows 100 connections with other work.
DEFAULT_POOL_SIZE = 16

#: The 12 rows of TFB's ``fortune`` table (toolset/databases/postgres/create-postgres.sql).
FORTUNES: tuple[tuple[int, str], ...] = (
    (1, "fortune: No such file or directory"),
    (2, "A computer scientist is someone who fixes things that aren't broken."),
    (3, "After enough decimal places, nobody gives a damn."),
    (4, "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1"),
    (5, "A computer program does what you tell it to do, not what you want it to do."),
    (6, "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen"),
    (7, "Any program that runs right is obsolete."),
    (8, "A list is only as strong as its weakest link. — Donald Knuth"),
    (9, "Feature: A bug with seniority."),
    (10, "Computers make very fast, very accurate mistakes."),
    (11, '<script>alert("This should not be displayed in a browser alert box.");</script>'),
    (12, "フレームワークのベンチマーク"),
)
ADDITIONAL_FORTUNE = (0, "Additional fortune added at request time.")

_PAGE_HEAD = (
    "<!DOCTYPE html><html><head><title>Fortunes</title></head>"
    "<body><table><tr><th>id</th><th>message</th></tr>"
)
_PAGE_TAIL = "</table></body></html>"


def dsn() -> str:
    """The PostgreSQL the TFB apps use: ``COVET_TFB_DSN``, or the local server's ``hello_world``."""
    return os.environ.get("COVET_TFB_DSN") or DEFAULT_DSN


def pool_size() -> int:
    """Connections per app: ``COVET_TFB_POOL_SIZE`` or 16."""
    raw = os.environ.get("COVET_TFB_POOL_SIZE") or str(DEFAULT_POOL_SIZE)
    try:
        size = int(raw)
    except ValueError:
        raise ValueError(f"COVET_TFB_POOL_SIZE={raw!r} is not a number of connections") from None
    if size < 1:
        raise ValueError(f"COVET_TFB_POOL_SIZE must be at least 1, got {size}")
    return size


def query_count(raw: Optional[str]) -> int:
    """The ``queries`` parameter as TFB wants it read: 1 when missing or not an integer, else 1..500."""
    if raw is None:
        return 1
    try:
        count = int(raw)
    except ValueError:
        return 1
    return 1 if count < 1 else 500 if count > 500 else count


def random_ids(count: int) -> list[int]:
    """``count`` distinct random ``world`` ids, sorted (updates then lock rows in one order)."""
    return sorted(random.sample(range(1, WORLD_ROWS + 1), count))


def random_number() -> int:
    return random.randint(1, WORLD_ROWS)


def render_fortunes(fortunes: list[tuple[int, str]]) -> str:
    """The fortunes page for the table's ``(id, message)`` rows: with the fortune added at
    request time, sorted by message, every message HTML-escaped (``fortunes`` is extended)."""
    fortunes.append(ADDITIONAL_FORTUNE)
    fortunes.sort(key=_message)
    rows = "".join([f"<tr><td>{id_}</td><td>{escape(message)}</td></tr>" for id_, message in fortunes])
    return _PAGE_HEAD + rows + _PAGE_TAIL


def _message(fortune: tuple[int, str]) -> str:
    return fortune[1]
