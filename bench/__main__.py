"""``python -m bench`` (what ``make bench`` runs): kernel, component and report-only comparisons,
then the HTTP comparison, then the TechEmpower suite (``--suite tfb``: the ORM and raw apps
against Starlette, FastAPI and BlackSheep on asyncpg, database tests included; it sets up the
database of ``COVET_TFB_DSN`` itself). bench/README.md describes each stage and how to run it alone.

Options go to the HTTP comparison and the TFB suite (``python -m bench --help`` lists them),
except ``--skip-speedups`` (kernels compiled vs interpreted), ``--skip-components`` (routing,
typed handlers, middleware, SQL compilation, database engine, ORM, and the report-only file
sending, Request accessor costs and bench/micro) and ``--skip-tfb``. The exit status is non-zero
when a floor in bench/floors.json is missed or cannot be judged, when a compiled kernel disagrees
with its interpreted form, when a stage that has a verdict misses it (routing, middleware, ORM)
or when any stage crashes, unless ``--no-fail`` or ``COVET_BENCH_NO_FAIL=1`` is given.
"""

import sys
import traceback
from collections.abc import Callable

from bench import (
    db_engine,
    file_sending,
    handlers,
    middleware,
    orm,
    request_accessors,
    routing,
    speedups_compare,
    sql_compile,
)
from bench.http import run
from bench.micro import run as micro

#: The component stages, in the order they run; report-only ones always exit 0 unless they crash.
COMPONENTS: dict[str, Callable[[list[str]], int]] = {
    "routing": routing.main,
    "handlers": handlers.main,
    "middleware": middleware.main,
    "sql_compile": sql_compile.main,
    "db_engine": db_engine.main,
    "orm": orm.main,
    "file_sending": file_sending.main,
    "request_accessors": request_accessors.main,
    "micro": micro.main,
}


def _stage(name: str, main: Callable[[list[str]], int]) -> int:
    """Run one comparison; a crash is reported and counted as a failure, the rest still runs."""
    try:
        status = main([])
    except SystemExit as stop:  # a stage refusing to measure (a wrong answer, a missing kernel)
        if not isinstance(stop.code, int):
            print(f"{name}: {stop.code}", file=sys.stderr)
        status = stop.code if isinstance(stop.code, int) else 1
    except Exception:  # noqa: BLE001 - the next comparisons still run; the failure is reported
        traceback.print_exc()
        print(f"{name} crashed; going on", file=sys.stderr)
        status = 1
    print(flush=True)
    return status


def main(argv: list[str]) -> int:
    if "-h" in argv or "--help" in argv:
        print(__doc__)
        return run.main(["--help"])
    failures = 0
    if "--skip-speedups" in argv:
        argv = [a for a in argv if a != "--skip-speedups"]
    else:
        failures += _stage("speedups_compare", speedups_compare.main) != 0
    if "--skip-components" in argv:
        argv = [a for a in argv if a != "--skip-components"]
    else:
        failures += sum(_stage(name, stage) != 0 for name, stage in COMPONENTS.items())
    skip_tfb = "--skip-tfb" in argv
    argv = [a for a in argv if a != "--skip-tfb"]
    status = run.main(argv)
    if not skip_tfb:
        print(flush=True)
        status = run.main(["--suite", "tfb", *argv]) or status
    if failures and not status and run.no_fail_requested(argv):
        print(f"{failures} comparison(s) missed a target or disagreed (not failing: --no-fail)")
        return 0
    return status or (1 if failures else 0)


raise SystemExit(main(sys.argv[1:]))
