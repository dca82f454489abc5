"""What a typed handler costs next to a plain one: dispatch + call + convert, in one process.

Every case answers ``GET /items/42?q=hello`` and is run the way CovetPy's server runs a native
handler: a fresh ``Request``, the ``dispatch`` of what ``app.__covet_handler__()`` returns, the
coroutine driven to its end without an event loop (none of them suspends), then ``convert`` when
it returned no Response.

* ``plain``: ``async def h(request)`` reading the path and query parameters by hand;
* ``plain -> JSONResponse``: the same building its response itself (no ``app.convert``);
* ``typed``: ``async def h(id: int, q: str = "x") -> dict`` (the brief's case);
* ``typed -> Struct``: the same returning a msgspec Struct it is annotated with;
* ``typed + dependency``: ``id`` plus an async dependency reading a header.

The cases take turns in each repeat (drift on a shared machine hits all alike); the table gives
the median µs per request and the ratio to ``plain``. It also checks that the TechEmpower app's
plain handlers are still their own endpoints (no wrapper on that path).

Run: ``python -m bench.handlers [--repeat 9] [--min-time 0.1]``.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import msgspec

from bench.harness import add_timing_options, time_in_turns
from bench.native import native_call
from covet import Covet, JSONResponse, Request
from covet.asgi import request_from_scope
from covet.dependencies import Depends
from covet.params import Header

ROOT = Path(__file__).resolve().parents[1]
SCOPE: dict[str, Any] = {
    "type": "http", "method": "GET", "path": "/items/42", "raw_path": b"/items/42",
    "query_string": b"q=hello", "headers": [(b"host", b"bench"), (b"x-user", b"ada")],
}


class Item(msgspec.Struct):
    id: int
    q: str


async def current_user(x_user: Annotated[str, Header()]) -> str:
    return x_user


def build_apps() -> dict[str, Covet]:
    plain_app, response_app, typed_app, struct_app, dep_app = Covet(), Covet(), Covet(), Covet(), Covet()

    @plain_app.get("/items/{id:int}")
    async def plain(request: Request) -> dict:
        return {"id": request.path_params["id"], "q": request.query_params.get("q", "x")}

    @response_app.get("/items/{id:int}")
    async def plain_response(request: Request) -> JSONResponse:
        return JSONResponse({"id": request.path_params["id"], "q": request.query_params.get("q", "x")})

    @typed_app.get("/items/{id:int}")
    async def typed(id: int, q: str = "x") -> dict:
        return {"id": id, "q": q}

    @struct_app.get("/items/{id:int}")
    async def typed_struct(id: int, q: str = "x") -> Item:
        return Item(id, q)

    @dep_app.get("/items/{id:int}")
    async def typed_dependency(id: int, user: Annotated[str, Depends(current_user)]) -> dict:
        return {"id": id, "q": user}

    return {
        "plain": plain_app, "plain -> JSONResponse": response_app, "typed": typed_app,
        "typed -> Struct": struct_app, "typed + dependency": dep_app,
    }


def request_for(app: Covet) -> Callable[[], Any]:
    """One request through ``app`` as CovetPy's server runs it; returns the response."""
    return native_call(app.__covet_handler__(), lambda: request_from_scope(app, SCOPE, None))


def check_tfb_handlers_are_plain() -> None:
    from bench.tfb.app import app as tfb
    from covet.routing import Route

    for route in tfb.router.routes:
        if isinstance(route, Route) and route.endpoint is not route.handler:
            raise SystemExit(f"bench/tfb/app.py: {route.path} is wrapped; plain handlers must not be")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.handlers", description=__doc__.splitlines()[0])
    add_timing_options(parser, repeat=9, min_time=0.1)
    args = parser.parse_args(argv)

    check_tfb_handlers_are_plain()
    runs = {label: request_for(app) for label, app in build_apps().items()}
    bodies = {label: run().body for label, run in runs.items()}
    expected = {"plain": b'{"id":42,"q":"hello"}', "typed + dependency": b'{"id":42,"q":"ada"}'}
    for label, body in bodies.items():
        if body != expected.get(label, expected["plain"]):  # a fast wrong answer measures nothing
            raise SystemExit(f"{label} answered {body!r}")
    gc.collect()
    times = time_in_turns(runs, args.repeat, args.min_time)
    median = {label: statistics.median(values) * 1e6 for label, values in times.items()}
    print(f"handlers: median µs per request (dispatch + call + convert) over {args.repeat} repeats")
    print(f"  {'case':<22} {'µs':>8} {'vs plain':>9}")
    for label in runs:
        print(f"  {label:<22} {median[label]:>8.2f} {median[label] / median['plain']:>8.2f}×")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
