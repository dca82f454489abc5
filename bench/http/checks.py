"""Is the server answering what TFB asks for? Checked before a server is measured, over a raw socket.

TFB's verifier wants, for GET /plaintext, ``Hello, World!`` as text/plain and, for GET /json,
``{"message": "Hello, World!"}`` as application/json, each with Server, Date and a length, and a
Date that changes from one second to the next; the database tests' rules are in
``bench/http/tfb_checks.py``. Measuring a server that answers something else would measure
garbage, so such a server is reported as broken instead.
"""

from __future__ import annotations

import json
import socket
import time
from email.utils import parsedate_to_datetime
from typing import Optional

import httptools

from bench.http import tfb_checks
from bench.http.processes import HOST

PATHS = {
    "plaintext": "/plaintext",
    "json": "/json",
    "pipelined": "/plaintext",
    "db": "/db",
    "queries": "/queries?queries=20",
    "fortunes": "/fortunes",
    "updates": "/updates?queries=20",
}
PLAINTEXT_BODY = b"Hello, World!"
JSON_BODY = {"message": "Hello, World!"}


class Response:
    def __init__(self) -> None:
        self.status = 0
        self.headers: dict[str, list[str]] = {}
        self.body = b""
        self.complete = False

    def header(self, name: str) -> Optional[str]:
        values = self.headers.get(name)
        return values[0] if values else None


class _Collector:
    """httptools callbacks that collect whole responses."""

    def __init__(self) -> None:
        self.responses: list[Response] = []
        self.current = Response()
        self.parser = httptools.HttpResponseParser(self)

    def on_message_begin(self) -> None:
        self.current = Response()

    def on_header(self, name: bytes, value: bytes) -> None:
        self.current.headers.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))

    def on_headers_complete(self) -> None:
        self.current.status = self.parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self.current.body += body

    def on_message_complete(self) -> None:
        self.current.complete = True
        self.responses.append(self.current)


def fetch(port: int, path: str, count: int = 1, timeout: float = 5.0) -> list[Response]:
    """Send ``count`` GETs for ``path`` in one write (pipelined when > 1); the responses read back."""
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: */*\r\n\r\n".encode("ascii")
    collector = _Collector()
    deadline = time.monotonic() + timeout
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(request * count)
        while len(collector.responses) < count:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = sock.recv(65536)
            except TimeoutError:
                break
            if not data:
                break
            try:
                collector.parser.feed_data(data)
            except httptools.HttpParserError as exc:
                raise ValueError(f"unparseable response to GET {path}: {exc}") from None
    return collector.responses


def response_problems(test: str, response: Response, path: Optional[str] = None) -> list[str]:
    """What is wrong with ``response`` as an answer to TFB's ``test``; empty when nothing is.

    A database test's body is checked by ``database_test_problems``; here only its status,
    content type and headers."""
    path = path or PATHS[test]
    problems = []
    if response.status != 200:
        problems.append(f"GET {path} answered status {response.status}, not 200")
    content_type = response.header("content-type") or ""
    if test in tfb_checks.CONTENT_CHECKED:
        problem = tfb_checks.content_type_problem(test, content_type)
        if problem:
            problems.append(f"GET {path} {problem}")
        return problems + _header_problems(path, response)
    if test == "json":
        try:
            if json.loads(response.body) != JSON_BODY:
                problems.append(f"GET {path} body {response.body[:80]!r} is not {JSON_BODY}")
        except ValueError:
            problems.append(f"GET {path} body {response.body[:80]!r} is not JSON")
        expected_type = "application/json"
    else:
        if response.body != PLAINTEXT_BODY:
            problems.append(f"GET {path} body {response.body[:80]!r} is not {PLAINTEXT_BODY!r}")
        expected_type = "text/plain"
    if not content_type.lower().startswith(expected_type):
        problems.append(f"GET {path} content-type is {content_type!r}, not {expected_type}")
    return problems + _header_problems(path, response)


def _header_problems(path: str, response: Response) -> list[str]:
    problems = []
    if not response.header("server"):
        problems.append(f"GET {path} has no Server header")
    if response.header("content-length") is None and response.header("transfer-encoding") is None:
        problems.append(f"GET {path} has neither Content-Length nor Transfer-Encoding")
    date = response.header("date")
    if not date:
        problems.append(f"GET {path} has no Date header")
    else:
        try:
            skew = abs(parsedate_to_datetime(date).timestamp() - time.time())
        except (TypeError, ValueError):
            problems.append(f"GET {path} Date {date!r} is not an HTTP date")
        else:
            if skew > 5:
                problems.append(f"GET {path} Date {date!r} is {skew:.0f} s away from the clock")
    return problems


def database_test_problems(port: int, test: str, dsn: str) -> list[str]:
    """A database test's answers checked as TFB's verifier does, and against the table itself.

    ``queries`` and ``updates`` are also asked with each of the verifier's ``queries`` values."""
    path = PATHS[test]
    cases = [(path, 20 if test in tfb_checks.CLAMPED else 1)]
    if test in tfb_checks.CLAMPED:
        name = path.split("=", 1)[0]  # /queries?queries
        cases += [(f"{name}={raw}", rows) for raw, rows in tfb_checks.CLAMPING.items()]
        cases.append((name.split("?", 1)[0], 1))  # no parameter at all
    problems = []
    for case, rows in cases:
        try:
            responses = fetch(port, case)
        except (OSError, ValueError) as exc:
            problems.append(f"GET {case}: {exc}")
            continue
        if not responses:
            problems.append(f"GET {case}: no complete response")
            continue
        response = responses[0]
        problems += response_problems(test, response, case)
        if test == "fortunes":
            found = tfb_checks.fortunes_problems(response.body)
        else:
            worlds, found = tfb_checks.worlds_in(test, response.body, rows)
            if worlds and case == path:
                found += tfb_checks.database_problems(dsn, worlds)
        problems += [f"GET {case}: {problem}" for problem in found]
    return problems


def check_server(
    port: int, tests: list[str], depth: int, dsn: Optional[str] = None
) -> tuple[list[str], Optional[str]]:
    """Problems with the server's answers to ``tests``, and the Date it sent (for ``check_date_moves``).

    The database tests need ``dsn``, the database the server uses: answers are checked against it."""
    problems: list[str] = []
    date = None
    for test in tests:
        if test in tfb_checks.CONTENT_CHECKED:
            if dsn is None:
                raise ValueError(f"checking the {test} test needs the server's database (dsn)")
            problems += [f"{test}: {problem}" for problem in database_test_problems(port, test, dsn)]
            continue
        count = depth if test == "pipelined" else 1
        try:
            responses = fetch(port, PATHS[test], count)
        except (OSError, ValueError) as exc:
            problems.append(f"{test}: {exc}")
            continue
        if len(responses) != count:
            problems.append(
                f"{test}: sent {count} requests in one write, got {len(responses)} complete responses"
            )
        for index, response in enumerate(responses):
            found = response_problems(test, response)
            if found:
                where = f"{test} (response {index + 1} of {count})" if count > 1 else test
                problems.extend(f"{where}: {problem}" for problem in found)
                break
        if responses and date is None:
            date = responses[0].header("date")
    return problems, date


def check_date_moves(port: int, first_date: Optional[str], first_seen: float) -> Optional[str]:
    """A problem when the Date header has not changed though more than 2 s have passed."""
    if first_date is None or time.monotonic() - first_seen < 2.0:
        return None
    try:
        responses = fetch(port, PATHS["plaintext"])
    except (OSError, ValueError) as exc:
        return f"after the measurement, GET /plaintext failed: {exc}"
    if not responses:
        return "after the measurement, GET /plaintext got no response"
    if responses[0].header("date") == first_date:
        waited = time.monotonic() - first_seen
        return f"the Date header is still {first_date!r} after {waited:.0f} s (TFB wants it refreshed)"
    return None
