"""``python -m bench`` (what ``make bench`` runs): kernel, routing, SQL and database comparisons,
then the HTTP comparison, then the TechEmpower suite (``--suite tfb``: the ORM and raw apps
against Starlette, FastAPI and BlackSheep on asyncpg, database tests included; it sets up the
database of ``COVET_TFB_DSN`` itself).

Options go to the HTTP comparison and the TFB suite (``python -m bench --help`` lists them),
except ``--skip-speedups`` (kernels compiled vs interpreted), ``--skip-components`` (routing,
typed handlers vs plain ones, SQL compilation, database engine vs raw drivers, ORM vs SQLAlchemy
and Tortoise) and ``--skip-tfb``. The exit status is non-zero when a floor in bench/floors.json
is missed or cannot be judged, when a compiled kernel disagrees with its interpreted form, or
when a component misses its target, unless ``--no-fail`` or ``COVET_BENCH_NO_FAIL=1`` is given.
"""

import sys
import traceback
from collections.abc import Callable

from bench import db_engine, handlers, orm, routing, speedups_compare, sql_compile
from bench.http import run


def _stage(name: str, main: Callable[[list[str]], int]) -> int:
    """Run one comparison; a crash is reported and counted as a failure, the rest still runs."""
    try:
        status = main([])
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
        failures += _stage("routing", routing.main) != 0
        failures += _stage("handlers", handlers.main) != 0
        failures += _stage("sql_compile", sql_compile.main) != 0
        failures += _stage("db_engine", db_engine.main) != 0
        failures += _stage("orm", orm.main) != 0
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
