"""How long does turning a query-builder statement into SQL + parameters take? CovetPy vs SQLAlchemy.

Statements (the same for both libraries, compiled for PostgreSQL/psycopg):

* simple: one table, one predicate — ``SELECT users.id, users.name FROM users WHERE users.id = ?``
* complex: 3 joins, 5 predicates, GROUP BY, ORDER BY

Rows: the prebuilt statement compiled without a cache (a full render), compiled when its shape is
cached (CovetPy: the shape walk that collects parameters plus a lookup; SQLAlchemy: its cache key
and ``compiled_cache``, as ``Connection.execute`` does), and built + compiled from the cache (what
a request pays). CovetPy runs compiled and, in a child process with ``COVET_NO_EXTENSIONS=1``,
interpreted; SQLAlchemy Core runs in this process. Each figure is the median of ``--repeat``
timings, the libraries alternating so drift hits all alike.

Run: ``python -m bench.sql_compile [--repeat 9] [--min-time 0.05] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, Optional

from bench.harness import add_timing_options, time_in_turns, write_results

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGETS_US = {"simple uncached": 10.0, "simple cached": 1.0, "complex uncached": 100.0}


# -- the statements ------------------------------------------------------------------------------


def covet_statements() -> dict[str, Callable[[int], Any]]:
    """Builders of CovetPy's statements; the argument varies the values, not the shape."""
    from covet.db.query import Column, Table, func, select

    users = Table("users", Column("id", "integer"), Column("name"), Column("age", "integer"), Column("email"))
    orders = Table(
        "orders", Column("id", "integer"), Column("user_id", "integer"), Column("total", "numeric")
    )
    items = Table(
        "items", Column("order_id", "integer"), Column("product_id", "integer"), Column("qty", "integer")
    )
    products = Table("products", Column("id", "integer"), Column("sku"))
    u, o, i, p = users.c, orders.c, items.c, products.c

    def simple(n: int) -> Any:
        return select(u.id, u.name).where(u.id == n)

    def complex_(n: int) -> Any:
        return (
            select(u.name, func.count(o.id).label("n"), func.sum(i.qty).label("qty"))
            .join(orders, u.id == o.user_id)
            .join(items, o.id == i.order_id)
            .join(products, i.product_id == p.id)
            .where(u.age >= n, u.name != "x", o.total > 10, p.sku.like("A%"), u.email.is_not_null())
            .group_by(u.name)
            .order_by(u.name.desc())
        )

    return {"simple": simple, "complex": complex_}


def sqlalchemy_statements() -> dict[str, Callable[[int], Any]]:
    from sqlalchemy import Column, Integer, MetaData, Numeric, String, Table, func, select

    meta = MetaData()
    users = Table(
        "users",
        meta,
        Column("id", Integer),
        Column("name", String),
        Column("age", Integer),
        Column("email", String),
    )
    orders = Table(
        "orders", meta, Column("id", Integer), Column("user_id", Integer), Column("total", Numeric)
    )
    items = Table(
        "items", meta, Column("order_id", Integer), Column("product_id", Integer), Column("qty", Integer)
    )
    products = Table("products", meta, Column("id", Integer), Column("sku", String))
    u, o, i, p = users.c, orders.c, items.c, products.c

    def simple(n: int) -> Any:
        return select(u.id, u.name).where(u.id == n)

    def complex_(n: int) -> Any:
        return (
            select(u.name, func.count(o.id).label("n"), func.sum(i.qty).label("qty"))
            .join(orders, u.id == o.user_id)
            .join(items, o.id == i.order_id)
            .join(products, i.product_id == p.id)
            .where(u.age >= n, u.name != "x", o.total > 10, p.sku.like("A%"), u.email.is_not(None))
            .group_by(u.name)
            .order_by(u.name.desc())
        )

    return {"simple": simple, "complex": complex_}


# -- what is timed -------------------------------------------------------------------------------


def covet_cases() -> dict[str, Callable[[], Any]]:
    from covet.db.dialects import PostgreSQLDialect

    build = covet_statements()
    fresh = PostgreSQLDialect(cache_size=0).compiler
    cached = PostgreSQLDialect().compiler
    cases: dict[str, Callable[[], Any]] = {}
    for shape, make in build.items():
        statement = make(18)
        cached.compile(make(17))  # the shape is in the cache; the statement itself never was
        # Bound methods in default arguments: the lambda adds one call, no lookups (as below).
        cases[f"{shape} uncached"] = lambda s=statement, f=fresh.compile: f(s)
        cases[f"{shape} cached"] = lambda s=statement, f=cached.compile: f(s)
        cases[f"{shape} build + cached"] = lambda m=make, f=cached.compile: f(m(18))
    return cases


def sqlalchemy_cases() -> dict[str, Callable[[], Any]]:
    from sqlalchemy.dialects.postgresql import psycopg

    dialect = psycopg.dialect()
    cache: dict[Any, Any] = {}

    def from_cache(statement: Any) -> Any:
        compiled, binds, params, _stats = statement._compile_w_cache(
            dialect, compiled_cache=cache, column_keys=[]
        )
        return compiled.construct_params(extracted_parameters=binds)

    cases: dict[str, Callable[[], Any]] = {}
    for shape, make in sqlalchemy_statements().items():
        statement = make(18)
        from_cache(make(17))
        cases[f"{shape} uncached"] = lambda s=statement, d=dialect: _string_and_params(s.compile(dialect=d))
        cases[f"{shape} cached"] = lambda s=statement, f=from_cache: f(s)
        cases[f"{shape} build + cached"] = lambda m=make, f=from_cache: f(m(18))
    return cases


def _string_and_params(compiled: Any) -> Any:
    return compiled.string, compiled.params




def measure(
    libraries: dict[str, dict[str, Callable[[], Any]]], repeat: int, min_time: float
) -> dict[str, dict[str, float]]:
    """Median µs per call, per library and case; the libraries take turns within each case."""
    results: dict[str, dict[str, float]] = {name: {} for name in libraries}
    case_names = list(next(iter(libraries.values())))
    for case in case_names:
        runs = {name: cases[case] for name, cases in libraries.items()}
        gc.collect()
        for name, samples in time_in_turns(runs, repeat, min_time).items():
            results[name][case] = statistics.median(samples) * 1e6
    return results


def _interpreted(repeat: int, min_time: float) -> Optional[dict[str, float]]:
    """CovetPy with COVET_NO_EXTENSIONS=1, measured by this script in a child process."""
    env = dict(os.environ, COVET_NO_EXTENSIONS="1")
    command = [
        sys.executable,
        "-m",
        "bench.sql_compile",
        "--only-covet",
        "--repeat",
        str(repeat),
        "--min-time",
        str(min_time),
    ]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"interpreted run failed:\n{done.stderr}", file=sys.stderr)
        return None
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def sqlcompile_cases(module: ModuleType) -> list[Any]:
    """Cases for ``bench/speedups_cases.py``'s CASES (``"sqlcompile": sqlcompile_cases``)."""
    from bench.speedups_cases import Case
    from covet.db.dialects import PostgreSQLDialect

    dialect = PostgreSQLDialect()
    cases = []
    for shape, make in covet_statements().items():
        statement = make(18)
        fresh = module.Compiler(dialect, 0)
        cached = module.Compiler(dialect, 16)
        cached.compile(make(17))
        cases.append(
            Case(f"compile {shape} select, uncached", lambda c=fresh, s=statement: tuple(c.compile(s)))
        )
        cases.append(
            Case(f"compile {shape} select, cached", lambda c=cached, s=statement: tuple(c.compile(s)))
        )
    return cases


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sql_compile", description=__doc__.splitlines()[0])
    add_timing_options(parser, repeat=9, min_time=0.05)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--only-covet", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    import covet._speedups as speedups
    from covet._speedups import sqlcompile

    if args.only_covet:
        print(json.dumps(measure({"covet": covet_cases()}, args.repeat, args.min_time)["covet"]))
        return 0
    if not speedups.is_compiled(sqlcompile):
        print(
            "covet._speedups.sqlcompile is not compiled: run `python setup.py build_ext --inplace`",
            file=sys.stderr,
        )
        return 1
    for name, make in covet_statements().items():  # both libraries must mean the same statement
        print(f"{name}: {make(18).compile('postgresql').sql}")
    results = measure({"covet": covet_cases(), "sqlalchemy": sqlalchemy_cases()}, args.repeat, args.min_time)
    interpreted = _interpreted(args.repeat, args.min_time)
    import sqlalchemy

    print(
        f"\nµs per statement, median of {args.repeat} "
        f"(PostgreSQL dialect; SQLAlchemy {sqlalchemy.__version__})"
    )
    header = (
        f"{'case':<26} {'covet compiled':>14} {'covet interp.':>13} {'SQLAlchemy':>10} "
        f"{'vs SQLA':>8} {'compiled pays':>13} {'target':>7}"
    )
    print(header)
    for case, compiled_us in results["covet"].items():
        sqla = results["sqlalchemy"][case]
        interp = interpreted.get(case) if interpreted else None
        target = TARGETS_US.get(case)
        verdict = "" if target is None else ("ok" if compiled_us < target else "MISSED")
        print(
            f"{case:<26} {compiled_us:>14.2f} {interp if interp is not None else float('nan'):>13.2f} "
            f"{sqla:>10.2f} {sqla / compiled_us:>7.1f}× "
            f"{(interp / compiled_us) if interp else float('nan'):>12.1f}× "
            f"{'' if target is None else f'<{target:g}':>7} {verdict}"
        )
    if args.json:
        data = {"covet_compiled": results["covet"], "covet_interpreted": interpreted}
        write_results(Path(args.json), {**data, "sqlalchemy": results["sqlalchemy"]})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
