"""Is the server answering what TFB asks for? Checked before a server is measured, over a raw socket.

TFB's verifier wants, for GET /plaintext, ``Hello, World!`` as text/plain and, for GET /json,
``{"message": "Hello, World!"}`` as application/json, each with Server, Date and a length, and a
Date that changes from one second to the next. Measuring a server that answers something else
would measure garbage, so such a server is reported as broken instead.
"""

from __future__ import annotations

import json
import socket
import time
from email.utils import parsedate_to_datetime
from typing import Optional

import httptools

from bench.http.processes import HOST

PATHS = {"plaintext": "/plaintext", "json": "/json", "pipelined": "/plaintext"}
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


def response_problems(test: str, response: Response) -> list[str]:
    """What is wrong with ``response`` as an answer to TFB's ``test``; empty when nothing is."""
    path = PATHS[test]
    problems = []
    if response.status != 200:
        problems.append(f"GET {path} answered status {response.status}, not 200")
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
    content_type = response.header("content-type") or ""
    if not content_type.lower().startswith(expected_type):
        problems.append(f"GET {path} content-type is {content_type!r}, not {expected_type}")
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


def check_server(port: int, tests: list[str], depth: int) -> tuple[list[str], Optional[str]]:
    """Problems with the server's answers to ``tests``, and the Date it sent (for ``check_date_moves``)."""
    problems: list[str] = []
    date = None
    for test in tests:
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
