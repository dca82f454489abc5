"""``python -m bench`` (what ``make bench`` runs): the kernel comparison, then the HTTP comparison.

Options go to the HTTP comparison (``python -m bench --help`` lists them), except
``--skip-speedups``. The exit status is non-zero when a floor in bench/floors.json is missed or
cannot be judged, or when a compiled kernel disagrees with its interpreted form, unless
``--no-fail`` or ``COVET_BENCH_NO_FAIL=1`` is given.
"""

import sys
import traceback

from bench import speedups_compare
from bench.http import run


def main(argv: list[str]) -> int:
    if "-h" in argv or "--help" in argv:
        print(__doc__)
        return run.main(["--help"])
    speedups_status = 0
    if "--skip-speedups" in argv:
        argv = [a for a in argv if a != "--skip-speedups"]
    else:
        try:
            speedups_status = speedups_compare.main([])
        except Exception:  # noqa: BLE001 - the HTTP comparison still runs; the failure is reported
            traceback.print_exc()
            print("speedups_compare crashed; going on with the HTTP comparison", file=sys.stderr)
            speedups_status = 1
        print(flush=True)
    status = run.main(argv)
    if speedups_status and not status and run.no_fail_requested(argv):
        print("a compiled kernel disagrees with its interpreted form (not failing: --no-fail)")
        return 0
    return status or speedups_status


raise SystemExit(main(sys.argv[1:]))
