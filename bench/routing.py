"""How route lookup scales: 10 routes against 1,000, CovetPy's tree against Starlette's list.

Each route set is made of "resources" of ten routes (static, int, slug, uuid, str and path
parameters, several methods); 10 routes is one resource, 1,000 is a hundred. The same 200
lookups of existing paths (the same mix of route shapes for both sizes, spread over every
resource) are timed, in one process, for:

* ``covet compiled``: ``RouteTable.lookup`` from the built ``covet._speedups.router``;
* ``covet interpreted``: the same table built with ``load_source("router")``;
* ``starlette``: ``starlette.routing.Router``'s routes matched as ``Router.app`` matches them
  (``route.matches(scope)`` in order until a full match), on prebuilt scopes.

Implementations take turns in each repeat (drift hits all alike); the table gives the median
ns per lookup and the 1,000/10 ratio (the median of each repeat's, both sizes timed back to
back), which for CovetPy must stay within 1.2×. Under callgrind the compiled lookup executes the
same number of instructions for both sizes; what is left of the ratio is caches and noise.

Run: ``python -m bench.routing [--repeat 9] [--min-time 0.05] [--no-fail]``; writes
``bench/results/routing.json``. ``router_cases`` is the kernel's entry for bench/speedups_cases.py.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import platform
import statistics
import sys
import time
import timeit
import uuid
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.harness import add_timing_options, in_turn, number_for, write_results

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "routing.json"
SIZES = (10, 1000)
LOOKUPS = 200
MAX_RATIO = 1.2
KEY = uuid.UUID("5f0c1b2a-3d4e-4f60-8a9b-0c1d2e3f4a5b")

# One resource: (template, methods, an existing path). "{r}" is the resource's name.
RESOURCE = [
    ("/api/{r}", ("GET", "POST"), "/api/{r}"),
    ("/api/{r}/search", ("GET",), "/api/{r}/search"),
    ("/api/{r}/stats/daily", ("GET",), "/api/{r}/stats/daily"),
    ("/api/{r}/{id:int}", ("GET", "PUT", "DELETE"), "/api/{r}/1234"),
    ("/api/{r}/{id:int}/history", ("GET",), "/api/{r}/77/history"),
    ("/api/{r}/{id:int}/items/{item:slug}", ("GET",), "/api/{r}/5/items/blue-widget_2"),
    ("/api/{r}/by-key/{key:uuid}", ("GET",), f"/api/{{r}}/by-key/{KEY}"),
    ("/api/{r}/{id:int}/files/{path:path}", ("GET",), "/api/{r}/9/files/docs/2026/report.pdf"),
    ("/{r}/about", ("GET",), "/{r}/about"),
    ("/{r}/tags/{tag}", ("GET",), "/{r}/tags/python"),
]


def route_set(size: int) -> list[tuple[str, tuple[str, ...], str, str]]:
    """``size`` routes as (template, methods, name, an existing path)."""
    routes = []
    for i in range(size // len(RESOURCE)):
        r = f"res{i:03d}"
        for j, (template, methods, path) in enumerate(RESOURCE):
            routes.append((template.replace("{r}", r), methods, f"{r}.{j}", path.replace("{r}", r)))
    return routes


def lookups(routes: list[tuple[str, tuple[str, ...], str, str]]) -> list[tuple[str, str, str]]:
    """``LOOKUPS`` (method, path, expected route name): every shape equally, over all resources."""
    resources = len(routes) // len(RESOURCE)
    out = []
    for k in range(LOOKUPS):
        shape = k % len(RESOURCE)
        resource = (k // len(RESOURCE) * 37 + shape * 11) % resources
        _, methods, name, path = routes[resource * len(RESOURCE) + shape]
        out.append((methods[-1], path, name))
    return out


def covet_lookup(kernel: ModuleType, size: int) -> tuple[Callable[[], Any], Callable[[], list[str]]]:
    from covet.routing import Router

    async def endpoint(request: Any) -> None:
        return None

    router = Router()
    routes = route_set(size)
    for template, methods, name, _ in routes:
        router.add_route(template, endpoint, methods, name)
    lookup = router.compile(kernel=kernel).lookup
    wanted = [(method, path) for method, path, _ in lookups(routes)]

    def run() -> None:
        for method, path in wanted:
            lookup(method, path)

    def names() -> list[str]:
        return [lookup(method, path).route.name for method, path in wanted]

    return run, names


def starlette_lookup(size: int) -> tuple[Callable[[], Any], Callable[[], list[str]]]:
    from starlette.convertors import Convertor, register_url_convertor
    from starlette.routing import Match, Route, Router

    class SlugConvertor(Convertor[str]):
        regex = "[-a-zA-Z0-9_]+"

        def convert(self, value: str) -> str:
            return value

        def to_string(self, value: str) -> str:
            return value

    register_url_convertor("slug", SlugConvertor())

    async def endpoint(request: Any) -> None:
        return None

    routes = route_set(size)
    router = Router([Route(t, endpoint, methods=list(m), name=n) for t, m, n, _ in routes])
    scopes = [
        {"type": "http", "method": method, "path": path, "root_path": ""}
        for method, path, _ in lookups(routes)
    ]

    def match(scope: dict[str, Any]) -> Any:
        partial = None  # as Router.app does: the first full match, else the first partial one
        for route in router.routes:
            found, child_scope = route.matches(scope)
            if found is Match.FULL:
                return route
            if found is Match.PARTIAL and partial is None:
                partial = route
        return partial

    def run() -> None:
        for scope in scopes:
            match(scope)

    def names() -> list[str]:
        return [match(scope).name for scope in scopes]

    return run, names


def per_lookup_ns(
    runs: dict[str, dict[int, Callable[[], Any]]], repeat: int, min_time: float
) -> dict[str, dict[int, list[float]]]:
    """ns per lookup of each implementation and size, ``repeat`` times.

    The implementations take turns going first; the two sizes of one run back to back, in
    alternating order, so each repeat's 1000/10 ratio compares like with like on a busy machine.
    """
    timers = {
        label: {size: timeit.Timer(run) for size, run in sizes.items()} for label, sizes in runs.items()
    }
    numbers = {
        label: {size: number_for(run, min_time) for size, run in sizes.items()}
        for label, sizes in runs.items()
    }
    times: dict[str, dict[int, list[float]]] = {label: {size: [] for size in SIZES} for label in runs}
    for i in range(repeat):
        for label in in_turn(list(runs), i):
            for size in SIZES if i % 2 == 0 else SIZES[::-1]:
                number = numbers[label][size]
                times[label][size].append(timers[label][size].timeit(number) / number / LOOKUPS * 1e9)
    return times


def router_cases(mod: ModuleType) -> list[Any]:
    """The router kernel's cases for bench/speedups_cases.py (``CASES["router"]``)."""
    from bench.speedups_cases import Case
    from covet.routing import Router

    async def endpoint(request: Any) -> None:
        return None

    router = Router()
    for template, methods, name, _ in route_set(1000):
        router.add_route(template, endpoint, methods, name)
    table = router.compile(kernel=mod)

    def case(method: str, path: str) -> Callable[[], Any]:
        def run() -> Any:
            result = table.lookup(method, path)
            route = getattr(result, "route", None)
            return type(result).__name__, route.name if route else None, getattr(result, "params", None)

        return run

    return [
        Case("RouteTable.lookup: static, 1000 routes", case("GET", "/api/res042/stats/daily")),
        Case("RouteTable.lookup: int + slug params", case("GET", "/api/res042/5/items/blue-widget_2")),
        Case("RouteTable.lookup: uuid param", case("GET", f"/api/res042/by-key/{KEY}")),
        Case("RouteTable.lookup: path catch-all", case("GET", "/api/res042/9/files/docs/2026/report.pdf")),
        Case("RouteTable.lookup: 405", case("PATCH", "/api/res042/1234")),
        Case("RouteTable.lookup: 404", case("GET", "/api/res042/nope/nope")),
    ]


def main(argv: list[str] | None = None) -> int:
    from covet import _speedups

    parser = argparse.ArgumentParser(prog="python -m bench.routing", description=__doc__.splitlines()[0])
    add_timing_options(parser, repeat=9, min_time=0.05)
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help="JSON results (bench/results/routing.json)"
    )
    parser.add_argument("--no-fail", action="store_true", help="exit 0 even when a ratio is above 1.2")
    args = parser.parse_args(argv)

    compiled = importlib.import_module("covet._speedups.router")
    kernels = {"covet interpreted": _speedups.load_source("router")}
    if _speedups.is_compiled(compiled):
        kernels = {"covet compiled": compiled, **kernels}
    else:
        print("covet._speedups.router is not compiled: run `python setup.py build_ext --inplace`")

    runs: dict[str, dict[int, Callable[[], Any]]] = {}
    for size in SIZES:
        expected = [name for _, _, name in lookups(route_set(size))]
        built = {label: covet_lookup(kernel, size) for label, kernel in kernels.items()}
        built["starlette"] = starlette_lookup(size)
        for label, (run, names) in built.items():
            if names() != expected:  # a fast wrong answer measures nothing
                raise SystemExit(f"{label} with {size} routes finds other routes than expected")
            runs.setdefault(label, {})[size] = run
    gc.collect()
    started = time.monotonic()
    times = per_lookup_ns(runs, args.repeat, args.min_time)

    small, large = SIZES
    median = {
        label: {size: statistics.median(values) for size, values in t.items()} for label, t in times.items()
    }
    rows = []
    for label, t in times.items():
        rows.append(
            {
                "implementation": label,
                "ns_per_lookup": {str(size): round(median[label][size], 1) for size in SIZES},
                "min_ns_per_lookup": {str(size): round(min(t[size]), 1) for size in SIZES},
                # the median of each repeat's ratio: both sizes ran back to back in a repeat
                "ratio_1000_to_10": round(
                    statistics.median([b / a for a, b in zip(t[small], t[large], strict=True)]), 3
                ),
            }
        )
    lines = [
        f"route lookup: median ns per lookup over {args.repeat} repeats of {LOOKUPS} (lower is better)",
        f"  {'implementation':<18} {'10 routes':>10} {'1000 routes':>12} {'1000/10':>8}"
        f" {'starlette/this @10':>19} {'@1000':>8}",
    ]
    failed = []
    for row in rows:
        ns, ratio = row["ns_per_lookup"], row["ratio_1000_to_10"]
        line = f"  {row['implementation']:<18} {ns['10']:>10.0f} {ns['1000']:>12.0f} {ratio:>7.2f}×"
        if row["implementation"] != "starlette":
            vs_small = median["starlette"][small] / ns["10"]
            vs_large = median["starlette"][large] / ns["1000"]
            line += f" {vs_small:>18.1f}× {vs_large:>7.0f}×"
            if ratio > MAX_RATIO:
                failed.append(row["implementation"])
                line += f"  ABOVE {MAX_RATIO}×"
        lines.append(line)
    if "covet compiled" in median:
        speedup = median["covet interpreted"][large] / median["covet compiled"][large]
        lines.append(f"  compiled kernel vs interpreted @1000 routes: {speedup:.2f}× faster")
    print("\n".join(lines), flush=True)

    data = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "starlette": importlib.import_module("starlette").__version__,
        "repeat": args.repeat,
        "min_time": args.min_time,
        "lookups_per_repeat": LOOKUPS,
        "max_ratio": MAX_RATIO,
        "elapsed_s": round(time.monotonic() - started, 1),
        "results": rows,
    }
    write_results(args.output, data)
    return 1 if failed and not args.no_fail else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
