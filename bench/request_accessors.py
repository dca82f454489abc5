"""What the Request accessors cost next to building the Request itself (what every request pays).

A browser-like head (10 headers, a cookie, a query string) is parsed once; each case builds a
``covet.Request`` from it and reads some accessors, timed with the thread's CPU clock, median of
the repeats, the cases taking turns. The plain build is the baseline: a handler that reads
nothing pays only that. Report only: no target.

Run: ``python -m bench.request_accessors [--repeat 9] [--min-time 0.05]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.harness import add_timing_options, time_in_turns
from bench.native import Connection
from covet._speedups.http11 import RequestReader
from covet.requests import Request

HEAD = (
    b"GET /items/42?page=2&sort=name&tag=a&tag=b HTTP/1.1\r\nHost: example.com\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0\r\nAccept: text/html,*/*;q=0.8\r\n"
    b"Accept-Language: en-GB,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\nConnection: keep-alive\r\n"
    b"Cookie: sid=0123456789abcdef; theme=dark; _ga=GA1.2.3.4\r\nUpgrade-Insecure-Requests: 1\r\n"
    b"Sec-Fetch-Mode: navigate\r\nCache-Control: max-age=0\r\n\r\n"
)


def cases() -> dict[str, Callable[[], Any]]:
    reader = RequestReader(8192, 32768, 100, 1 << 24)
    reader.feed(HEAD)
    head = reader.ready.pop()
    conn = Connection()

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
        prog="python -m bench.request_accessors", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_timing_options(parser, repeat=9, min_time=0.05)
    args = parser.parse_args(argv)
    results = time_in_turns(cases(), args.repeat, args.min_time, clock=time.thread_time)
    base = statistics.median(results["build only"])
    print(f"Request accessors: median ns per request over {args.repeat} repeats (thread CPU time)")
    print(f"  {'case':<24} {'ns':>8} {'x build':>8}")
    for name, samples in results.items():
        seconds = statistics.median(samples)
        print(f"  {name:<24} {seconds * 1e9:>8.0f} {seconds / base:>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
