"""What the Request accessors cost next to building the Request itself (what every request pays).

A browser-like head (10 headers, a cookie, a query string) is parsed once; each case builds a
``covet.Request`` from it and reads some accessors, timed with the thread's CPU clock, median of
the repeats. The plain build is the baseline: a handler that reads nothing pays only that.

Run: ``python -m bench.request_accessors [--repeat 9] [--number 100000]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from typing import Any

from covet._speedups.http11 import RequestReader
from covet.requests import Request

HEAD = (
    b"GET /items/42?page=2&sort=name&tag=a&tag=b HTTP/1.1\r\nHost: example.com\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0\r\nAccept: text/html,*/*;q=0.8\r\n"
    b"Accept-Language: en-GB,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\nConnection: keep-alive\r\n"
    b"Cookie: sid=0123456789abcdef; theme=dark; _ga=GA1.2.3.4\r\nUpgrade-Insecure-Requests: 1\r\n"
    b"Sec-Fetch-Mode: navigate\r\nCache-Control: max-age=0\r\n\r\n"
)


class Conn:
    app = None
    scheme = "http"
    client = ("127.0.0.1", 50000)
    server = ("127.0.0.1", 8000)
    root_path = ""


def cases() -> dict[str, Callable[[], Any]]:
    reader = RequestReader(8192, 32768, 100, 1 << 24)
    reader.feed(HEAD)
    head = reader.ready.pop()
    conn = Conn()

    def build() -> Any:
        return Request(head, conn, None)

    def one_header() -> Any:
        return Request(head, conn, None).headers.get("accept")

    def query_param() -> Any:
        return Request(head, conn, None).query_params.get("page")

    def cookie() -> Any:
        return Request(head, conn, None).cookies.get("sid")

    def url() -> Any:
        return Request(head, conn, None).url.path

    def all_of_them() -> Any:
        request = Request(head, conn, None)
        return (request.headers.get("accept"), request.query_params.get("page"), request.cookies.get("sid"),
                request.url.path, request.client, request.state)

    return {"build only": build, "+ headers.get": one_header, "+ query_params.get": query_param,
            "+ cookies.get": cookie, "+ url.path": url, "+ all, client, state": all_of_them}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--number", type=int, default=100_000)
    args = parser.parse_args(argv)
    results: dict[str, list[float]] = {name: [] for name in cases()}
    table = cases()
    for _ in range(args.repeat):
        for name, case in table.items():  # taking turns: drift hits every case alike
            seconds = timeit.Timer(case, timer=time.thread_time).timeit(args.number)
            results[name].append(seconds / args.number * 1e9)
    base = statistics.median(results["build only"])
    print(f"{'case':<24} {'ns':>8} {'x build':>8}")
    for name, samples in results.items():
        ns = statistics.median(samples)
        print(f"{name:<24} {ns:>8.0f} {ns / base:>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
