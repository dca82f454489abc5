"""What the in-process comparisons in bench/ share: how many calls make a repeat, cases taking
turns (so drift on a shared machine hits all of them alike), their ``--repeat``/``--min-time``
options, and the JSON results file."""

from __future__ import annotations

import argparse
import json
import os
import time
import timeit
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Optional, TypeVar

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")
Clock = Callable[[], float]


def number_for(run: Callable[[], Any], min_time: float, clock: Clock = time.perf_counter) -> int:
    """How many calls make one repeat last at least ``min_time`` seconds on ``clock``."""
    number = 1
    while True:
        elapsed = timeit.Timer(run, timer=clock).timeit(number)
        if elapsed >= min_time:
            return number
        number = max(number * 2, int(number * min_time / max(elapsed, 1e-9) * 1.2))


def in_turn(items: Sequence[T], repeat_index: int) -> list[T]:
    """``items`` rotated so that repeat ``repeat_index`` starts with the next one."""
    shift = repeat_index % len(items)
    return [*items[shift:], *items[:shift]]


def time_in_turns(
    runs: Mapping[str, Callable[[], Any]],
    repeat: int,
    min_time: float,
    *,
    operations_per_call: Optional[Mapping[str, int]] = None,
    clock: Clock = time.perf_counter,
) -> dict[str, list[float]]:
    """Seconds per operation of each run, ``repeat`` times, the runs taking turns to go first.

    Each run's call count is calibrated to ``min_time`` once; a run that performs several
    operations per call (a batch) says how many in ``operations_per_call``. ``clock`` may be
    ``time.thread_time`` to count only this thread's CPU time (not the time others take).
    """
    per_call = operations_per_call or {}
    timers = {label: timeit.Timer(run, timer=clock) for label, run in runs.items()}
    numbers = {label: number_for(run, min_time, clock) for label, run in runs.items()}
    times: dict[str, list[float]] = {label: [] for label in runs}
    for i in range(repeat):
        for label in in_turn(list(runs), i):
            number = numbers[label]
            times[label].append(timers[label].timeit(number) / (number * per_call.get(label, 1)))
    return times


def add_timing_options(parser: argparse.ArgumentParser, *, repeat: int, min_time: float) -> None:
    """``--repeat`` and ``--min-time``, with the defaults a comparison needs."""
    parser.add_argument("--repeat", type=int, default=repeat, help=f"timed repeats per case ({repeat})")
    parser.add_argument(
        "--min-time", type=float, default=min_time, help=f"seconds per repeat of each case ({min_time})"
    )


def write_results(path: Path, data: Mapping[str, Any]) -> None:
    """Write ``data`` as JSON through a .tmp file (a reader never sees half a file) and say where."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    shown = path.resolve().relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path
    print(f"wrote {shown}")
