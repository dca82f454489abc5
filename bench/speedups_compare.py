"""Does compiling each kernel in covet/_speedups pay? Time its compiled and interpreted forms.

Both forms run in this one process: the compiled one by a normal import, the interpreted one
from its ``.py`` source via ``covet._speedups.load_source``. For every case in
``bench/speedups_cases.py`` the two are timed in alternating repeats (so drift hits both alike);
the table shows the median µs per operation of each and the speed-up. A kernel whose compiled
form is not clearly faster is not worth compiling.

Run: ``python -m bench.speedups_compare [--modules http11] [--repeat 7] [--min-time 0.05]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import importlib
import logging
import math
import os
import platform
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

from bench.harness import add_timing_options, number_for, write_results

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "speedups.json"
PAYS = 1.10  # below this speed-up the compiled form is reported as not paying its way


@dataclasses.dataclass
class Timing:
    module: str
    case: str
    interpreted_us: Optional[float] = None
    compiled_us: Optional[float] = None
    interpreted_min_us: Optional[float] = None
    compiled_min_us: Optional[float] = None
    number: int = 0
    note: str = ""

    @property
    def speedup(self) -> Optional[float]:
        if self.interpreted_us and self.compiled_us:
            return self.interpreted_us / self.compiled_us
        return None


def time_pair(
    interpreted: Callable[[], Any], compiled: Callable[[], Any], repeat: int, min_time: float
) -> tuple[list[float], list[float], int]:
    """Seconds per call of each, ``repeat`` times, alternating which goes first."""
    number = number_for(compiled, min_time)  # the faster form sets the count; the slower runs longer
    a_times, b_times = [], []
    a_timer, b_timer = timeit.Timer(interpreted), timeit.Timer(compiled)
    a_timer.timeit(max(1, number // 10))  # warm both up
    b_timer.timeit(max(1, number // 10))
    for i in range(repeat):
        order = (
            ((a_timer, a_times), (b_timer, b_times))
            if i % 2 == 0
            else ((b_timer, b_times), (a_timer, a_times))
        )
        for timer, times in order:
            times.append(timer.timeit(number) / number)
    return a_times, b_times, number


def compare_module(name: str, repeat: int, min_time: float) -> list[Timing]:
    from bench.speedups_cases import CASES
    from covet import _speedups

    factory = CASES.get(name)
    if factory is None:
        return [Timing(name, "-", note="no cases: add a function to CASES in bench/speedups_cases.py")]
    compiled_mod = importlib.import_module(f"covet._speedups.{name}")
    if not _speedups.is_compiled(compiled_mod):
        why = (
            "COVET_NO_EXTENSIONS is set"
            if _speedups._extensions_disabled()
            else "not compiled: run `python setup.py build_ext --inplace`"
        )
        return [Timing(name, "-", note=why)]
    source_mod = _speedups.load_source(name)
    try:
        pairs = list(zip(factory(source_mod), factory(compiled_mod), strict=True))
    except Exception as exc:  # noqa: BLE001 - a stale case must not stop the other kernels
        return [Timing(name, "-", note=f"cases failed to build: {type(exc).__name__}: {exc}")]
    timings = []
    for source_case, compiled_case in pairs:
        timing = Timing(name, source_case.name)
        timings.append(timing)
        try:
            with _ErrorLog() as errors:
                expected, got = source_case.run(), compiled_case.run()
        except Exception as exc:  # noqa: BLE001 - reported in the table
            timing.note = f"case failed: {type(exc).__name__}: {exc}"
            continue
        # Not timed when broken: a case answering 500 (and logging it) measures the error path.
        if expected != got:
            timing.note = f"MISMATCH: interpreted returned {expected!r:.80}, compiled {got!r:.80}"
        if errors.messages:
            timing.note = (timing.note + "; " if timing.note else "") + f"logged: {errors.messages[0]:.120}"
        if timing.note:
            continue
        logging.disable(logging.CRITICAL)
        try:
            a, b, timing.number = time_pair(source_case.run, compiled_case.run, repeat, min_time)
        except Exception as exc:  # noqa: BLE001 - reported in the table
            timing.note = f"case failed: {type(exc).__name__}: {exc}"
            continue
        finally:
            logging.disable(logging.NOTSET)
        timing.interpreted_us, timing.compiled_us = statistics.median(a) * 1e6, statistics.median(b) * 1e6
        timing.interpreted_min_us, timing.compiled_min_us = min(a) * 1e6, min(b) * 1e6
    return timings


class _ErrorLog(logging.Handler):
    """Collects what is logged at WARNING or above inside the block, instead of printing it."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()}")

    def __enter__(self) -> _ErrorLog:
        root = logging.getLogger()
        self.saved = root.handlers[:], root.level
        root.handlers[:] = [self]
        root.setLevel(logging.WARNING)
        return self

    def __exit__(self, *exc: object) -> None:
        root = logging.getLogger()
        root.handlers[:], level = self.saved
        root.setLevel(level)


def geometric_mean(values: list[float]) -> Optional[float]:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def format_table(timings: list[Timing], repeat: int) -> str:
    lines = [
        f"covet._speedups: compiled vs interpreted, median of {repeat} repeats"
        " (µs per operation, lower is better)",
        f"  {'module':<11} {'case':<58} {'interpreted':>11} {'compiled':>9} {'speed-up':>9}",
    ]
    modules = list(dict.fromkeys(t.module for t in timings))
    for module in modules:
        rows = [t for t in timings if t.module == module]
        for t in rows:
            if t.speedup is None:
                lines.append(f"  {module:<11} {t.case:<58} {t.note}")
                continue
            flag = "  (does not pay)" if t.speedup < PAYS else ""
            note = f"  {t.note}" if t.note else ""
            lines.append(
                f"  {module:<11} {t.case:<58} {t.interpreted_us:>11.3f} {t.compiled_us:>9.3f}"
                f" {t.speedup:>8.2f}×{flag}{note}"
            )
        mean = geometric_mean([t.speedup for t in rows if t.speedup is not None])
        if mean is not None:
            verdict = "pays" if mean >= PAYS else "does NOT pay"
            lines.append(f"  {module:<11} {'geometric mean':<58} {'':>11} {'':>9} {mean:>8.2f}×  {verdict}")
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    from covet._speedups import COMPILED_MODULES

    parser = argparse.ArgumentParser(
        prog="python -m bench.speedups_compare", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--modules", help=f"comma-separated kernels (default: all of {', '.join(COMPILED_MODULES)})"
    )
    add_timing_options(parser, repeat=7, min_time=0.05)
    parser.add_argument("--cpu", type=int, help="pin this process to one core")
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help="JSON results (bench/results/speedups.json)"
    )
    args = parser.parse_args(argv)
    modules = [m.strip() for m in args.modules.split(",")] if args.modules else list(COMPILED_MODULES)
    unknown = [m for m in modules if m not in COMPILED_MODULES]
    if unknown:
        parser.error(f"not in covet._speedups.COMPILED_MODULES: {', '.join(unknown)}")
    if args.repeat < 1 or args.min_time <= 0:
        parser.error("--repeat must be at least 1 and --min-time above 0")
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    started = time.monotonic()
    gc.collect()
    timings = [t for module in modules for t in compare_module(module, args.repeat, args.min_time)]
    print(format_table(timings, args.repeat), flush=True)
    data = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "repeat": args.repeat,
        "min_time": args.min_time,
        "elapsed_s": round(time.monotonic() - started, 1),
        "timings": [{**dataclasses.asdict(t), "speedup": t.speedup} for t in timings],
    }
    write_results(args.output, data)
    return 1 if broken_cases(timings) else 0


def broken_cases(timings: list[Timing]) -> list[Timing]:
    """The cases that prove nothing: the two forms disagree, the case failed, or it logged an
    error (it timed the error path). Each fails the run."""
    return [t for t in timings if "MISMATCH" in t.note or "failed" in t.note or "logged:" in t.note]


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
