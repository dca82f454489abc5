"""Query counting and N+1 detection for the ORM's queries.

``assert_num_queries(n)`` / ``assert_max_queries(n)`` count the queries the ORM runs inside the
block (in this task and the tasks it starts), and fail listing them::

    with assert_num_queries(1):
        books = await Book.objects.select_related("author")

N+1 detection: ``detect_repeated_queries()`` around a block (a request, a test) logs a warning on
the ``covet.orm`` logger the first time one SELECT shape runs again, with the line of code that
ran it. Each request is such a block in debug mode (``Covet(debug=True)``, or the settings' debug,
``COVET_DEBUG=1``) and in tests (``covet.testing``'s clients, unless ``detect_n_plus_one=False``).
``enable_n_plus_one_detection()`` gives every asyncio context a block by itself, outside any app
too. Only queries run through the ORM are seen; with no block open, each costs one flag check.
"""

from __future__ import annotations

import abc
import contextvars
import logging
import os
import sys
from collections.abc import Iterator
from types import TracebackType
from typing import Optional

__all__ = [
    "QueryLog",
    "assert_max_queries",
    "assert_num_queries",
    "detect_repeated_queries",
    "enable_n_plus_one_detection",
]

logger = logging.getLogger("covet.orm")

_ORM_DIR = os.path.dirname(os.path.abspath(__file__))
_PACKAGE_DIR = os.path.dirname(_ORM_DIR)


class QueryLog:
    """The queries seen by one block: their SQL, in order."""

    __slots__ = ("queries",)

    def __init__(self) -> None:
        self.queries: list[str] = []

    def __len__(self) -> int:
        return len(self.queries)

    def __iter__(self) -> Iterator[str]:
        return iter(self.queries)


class _RepeatDetector:
    __slots__ = ("seen", "threshold", "warned")

    def __init__(self, threshold: int) -> None:
        self.seen: dict[str, int] = {}
        self.warned: set[str] = set()
        self.threshold = threshold

    def record(self, sql: str) -> None:
        if not sql.startswith("SELECT"):
            return
        count = self.seen.get(sql, 0) + 1
        self.seen[sql] = count
        if count >= self.threshold and sql not in self.warned:
            self.warned.add(sql)
            logger.warning(
                "covet.orm: the same query ran %d times in one block (N+1?) — first repeat at %s\n"
                "  SQL: %s\n  load the relation with select_related()/prefetch_related() instead",
                count,
                call_site(),
                sql,
            )


def call_site() -> str:
    """``file:line in function`` of the innermost frame outside covet (and asyncio)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_PACKAGE_DIR) and f"{os.sep}asyncio{os.sep}" not in filename:
            return f"{filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        frame = frame.f_back  # type: ignore[assignment]
    return "(unknown)"


class _Watch:
    """What is listening; ``active`` is checked on every ORM query, so it is a plain attribute."""

    __slots__ = ("active", "auto_detect", "logs", "repeats", "threshold", "users")

    def __init__(self) -> None:
        self.logs: contextvars.ContextVar[tuple[QueryLog, ...]] = contextvars.ContextVar(
            "covet.orm.query_logs", default=()
        )
        self.repeats: contextvars.ContextVar[Optional[_RepeatDetector]] = contextvars.ContextVar(
            "covet.orm.repeats", default=None
        )
        self.users = 0
        self.auto_detect = False
        self.threshold = 2
        self.active = False

    def update(self) -> None:
        self.active = self.users > 0 or self.auto_detect

    def record(self, sql: str) -> None:
        for log in self.logs.get():
            log.queries.append(sql)
        detector = self.repeats.get()
        if detector is None and self.auto_detect:
            detector = _RepeatDetector(self.threshold)
            self.repeats.set(detector)
        if detector is not None:
            detector.record(sql)


WATCH = _Watch()


def enable_n_plus_one_detection(enabled: bool = True, *, threshold: int = 2) -> None:
    """Watch every context for repeated SELECT shapes (what ``COVET_DEBUG=1`` turns on)."""
    if threshold < 2:
        raise ValueError(f"threshold counts executions of one query shape: at least 2, not {threshold}")
    WATCH.auto_detect = enabled
    WATCH.threshold = threshold
    WATCH.update()


if os.environ.get("COVET_DEBUG", "").strip().lower() in ("1", "true", "yes"):
    enable_n_plus_one_detection()


class _Block(abc.ABC):
    """The shared machinery of the context managers below (sync and async ``with``)."""

    def _start(self) -> None:
        WATCH.users += 1
        WATCH.update()

    def _stop(self) -> None:
        WATCH.users -= 1
        WATCH.update()

    async def __aenter__(self) -> object:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    @abc.abstractmethod
    def __enter__(self) -> object: ...

    @abc.abstractmethod
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None: ...


class detect_repeated_queries(_Block):  # noqa: N801 - used like a function
    """``with detect_repeated_queries():`` — warn when one SELECT shape runs ``threshold`` times."""

    def __init__(self, threshold: int = 2) -> None:
        self.detector = _RepeatDetector(threshold)
        self._token: Optional[contextvars.Token[Optional[_RepeatDetector]]] = None

    def __enter__(self) -> detect_repeated_queries:
        self._token = WATCH.repeats.set(self.detector)
        self._start()
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self._stop()
        if self._token is not None:
            WATCH.repeats.reset(self._token)


class _CountQueries(_Block):
    def __init__(self, expected: int, exact: bool) -> None:
        if expected < 0:
            raise ValueError(f"a number of queries is 0 or more, not {expected}")
        self.expected = expected
        self.exact = exact
        self.log = QueryLog()
        self._token: Optional[contextvars.Token[tuple[QueryLog, ...]]] = None

    def __enter__(self) -> QueryLog:
        self._token = WATCH.logs.set((*WATCH.logs.get(), self.log))
        self._start()
        return self.log

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self._stop()
        if self._token is not None:
            WATCH.logs.reset(self._token)
        if exc_type is not None:
            return
        count = len(self.log)
        if count == self.expected or (not self.exact and count <= self.expected):
            return
        wanted = f"{self.expected}" if self.exact else f"at most {self.expected}"
        listing = "\n".join(f"  {n}. {sql}" for n, sql in enumerate(self.log, 1)) or "  (none)"
        raise AssertionError(f"expected {wanted} queries, {count} ran:\n{listing}")


def assert_num_queries(expected: int) -> _CountQueries:
    """Fail unless exactly ``expected`` ORM queries run in the block; ``as log`` gives their SQL."""
    return _CountQueries(expected, exact=True)


def assert_max_queries(expected: int) -> _CountQueries:
    """Fail if more than ``expected`` ORM queries run in the block."""
    return _CountQueries(expected, exact=False)
