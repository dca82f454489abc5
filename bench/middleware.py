"""What the middleware stack costs per request on CovetPy's native path, in one process.

Each case runs one GET /plaintext the way CovetPy's server does (``Request(head, conn,
source)``, ``handler.dispatch(request)``, the coroutine stepped once, ``convert`` when needed),
with ``handler`` what ``app.__covet_handler__()`` returned:

* ``baseline``: a bare ``Dispatcher`` (the compiled router kernel's), built by hand — the
  floor the plain app must stay on;
* ``no middleware``: a plain app, through what its ``__covet_handler__`` returns;
* ``async exception handler``: no middleware, but an ``async def`` exception handler (the app
  then hands the server ``Covet.handle``: two coroutines more);
* ``1 native`` / ``3 native``: pass-through ``BaseHTTPMiddleware`` layers;
* the built-ins one by one, then five of them stacked (a request without ``Origin`` and a body
  too small to compress, as most API requests are);
* ``ASGI layer``: a pass-through pure ASGI middleware inside a native one (the request then
  crosses ASGI and back through ``covet.asgi_bridge``, a Task included).

Cases take turns in each repeat; the table gives the median µs per request and its ratio to
the baseline. ``no middleware`` must stay within 1.05× of it (exit status 1 otherwise).

Run: ``python -m bench.middleware [--repeat 9] [--min-time 0.1] [--no-fail]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.harness import add_timing_options, time_in_turns

ROOT = Path(__file__).resolve().parents[1]
MAX_PLAIN_RATIO = 1.05
ASGI_BATCH = 100


def build_cases() -> dict[str, Callable[[], Any]]:
    from bench.native import Connection, native_call
    from covet import Covet, PlainTextResponse
    from covet._speedups.http11 import RequestHead
    from covet._speedups.router import Dispatcher
    from covet.middleware import BaseHTTPMiddleware, Middleware
    from covet.middleware.cors import CORSMiddleware
    from covet.middleware.gzip import GZipMiddleware
    from covet.middleware.requestid import RequestIDMiddleware
    from covet.middleware.securityheaders import SecurityHeadersMiddleware
    from covet.middleware.timing import TimingMiddleware
    from covet.requests import Request

    class PassThrough(BaseHTTPMiddleware):
        async def dispatch(self, request: Any, call_next: Any) -> Any:
            return await call_next(request)

    class AsgiPassThrough:
        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await self.app(scope, receive, send)

    def make_app(*middleware: Middleware) -> Covet:
        app = Covet(middleware=list(middleware))

        @app.get("/plaintext")
        async def plaintext(request: Any) -> Any:
            return PlainTextResponse(b"Hello, World!")

        return app

    class Source:
        async def read_body(self) -> bytes:
            return b""

        async def stream(self) -> Any:
            if False:
                yield b""

        async def wait_disconnect(self) -> None:
            await asyncio.get_running_loop().create_future()

    head = RequestHead(
        "GET", b"/plaintext", "/plaintext", b"/plaintext", b"",
        [(b"host", b"localhost"), (b"accept", b"text/plain")], "1.1", True, -1, False, False, None,
    )
    conn, source = Connection(), Source()

    def native(handler: Any) -> Callable[[], Any]:
        return native_call(handler, lambda: Request(head, conn, source))

    plain = make_app()

    with_async_handler = make_app()

    async def on_value_error(request: Any, exc: Any) -> Any:
        return PlainTextResponse("bad value", status_code=400)

    with_async_handler.add_exception_handler(ValueError, on_value_error)
    cases = {
        "baseline": native(Dispatcher(plain.router.compile(), plain)),
        "no middleware": native(plain.__covet_handler__()),
        "async exception handler": native(with_async_handler.__covet_handler__()),
        "1 native": native(make_app(Middleware(PassThrough)).__covet_handler__()),
        "3 native": native(make_app(*[Middleware(PassThrough)] * 3).__covet_handler__()),
        "security headers": native(make_app(Middleware(SecurityHeadersMiddleware)).__covet_handler__()),
        "request id": native(make_app(Middleware(RequestIDMiddleware)).__covet_handler__()),
        "timing": native(make_app(Middleware(TimingMiddleware)).__covet_handler__()),
        "CORS + GZip, no Origin": native(
            make_app(
                Middleware(CORSMiddleware, allow_origins=["https://a.example"]), Middleware(GZipMiddleware)
            ).__covet_handler__()
        ),
        "those five": native(
            make_app(
                Middleware(SecurityHeadersMiddleware),
                Middleware(RequestIDMiddleware),
                Middleware(TimingMiddleware),
                Middleware(CORSMiddleware, allow_origins=["https://a.example"]),
                Middleware(GZipMiddleware),
            ).__covet_handler__()
        ),
    }
    asgi_below = make_app(Middleware(PassThrough), Middleware(AsgiPassThrough)).__covet_handler__()
    loop = asyncio.new_event_loop()

    async def batch() -> Any:
        for _ in range(ASGI_BATCH):
            response = await asgi_below.dispatch(Request(head, conn, source))
        return response

    def through_asgi() -> Any:
        # A Task per request: timed in batches inside one loop run, reported per request.
        return loop.run_until_complete(batch())

    cases["ASGI layer"] = through_asgi
    for label, run in cases.items():
        response = run()
        if response.status_code != 200 or response.body != b"Hello, World!":
            raise SystemExit(f"{label}: wrong response {response.status_code} {response.body!r}")
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.middleware", description=__doc__.splitlines()[0])
    add_timing_options(parser, repeat=9, min_time=0.1)
    parser.add_argument("--no-fail", action="store_true", help="exit 0 even when the plain app is slower")
    args = parser.parse_args(argv)

    from covet import speedups_enabled

    batches = {"ASGI layer": ASGI_BATCH}
    times = time_in_turns(build_cases(), args.repeat, args.min_time, operations_per_call=batches)
    base = times["baseline"]
    print(f"middleware stack, GET /plaintext natively (speedups {'on' if speedups_enabled() else 'off'}):")
    print(f"  {'case':<26} {'µs/request':>10} {'× baseline':>11}")
    ratios = {}
    for label, values in times.items():
        # The median of each repeat's ratio: a case and the baseline ran moments apart.
        ratios[label] = statistics.median([v / b for v, b in zip(values, base, strict=True)])
        print(f"  {label:<26} {statistics.median(values) * 1e6:>10.3f} {ratios[label]:>10.2f}×")
    if ratios["no middleware"] > MAX_PLAIN_RATIO:
        print(f"  the plain app is above {MAX_PLAIN_RATIO}× the baseline")
        return 0 if args.no_fail else 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
