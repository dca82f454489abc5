"""``python -m bench.micro`` (``make bench-micro``; a stage of ``python -m bench``): bench/micro on
the compiled kernels, again with ``COVET_NO_EXTENSIONS=1``, each writing its ``--benchmark-json``
to bench/results/, then the table of the two (``bench/micro/compare.py``). Report only: the exit
status is non-zero when a benchmark answers wrongly or a run fails, never for a speed.

Options: ``--max-time S`` (seconds per benchmark, default 0.25; pytest-benchmark's
``--benchmark-max-time``); anything after ``--`` goes to both pytest runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from bench.micro.compare import COMPILED, INTERPRETED
from bench.micro.compare import main as compare

ROOT = Path(__file__).resolve().parents[2]


def run(form: str, output: Path, max_time: float, extra: list[str]) -> int:
    env = dict(os.environ)
    env.pop("COVET_NO_EXTENSIONS", None)
    if form == "interpreted":
        env["COVET_NO_EXTENSIONS"] = "1"
    command = [
        sys.executable, "-m", "pytest", "bench/micro", "-q", "-p", "no:cacheprovider",
        f"--benchmark-max-time={max_time}", "--benchmark-warmup=on", "--benchmark-warmup-iterations=1000",
        "--benchmark-columns=median,iqr,rounds",
        "--benchmark-sort=fullname", f"--benchmark-json={output}", *extra,
    ]  # fmt: skip
    print(f"bench/micro, {form} kernels:", " ".join(command[1:]), flush=True)
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def main(argv: list[str]) -> int:
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    own = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(prog="python -m bench.micro", description=__doc__.splitlines()[0])
    parser.add_argument("--max-time", type=float, default=0.25, help="seconds per benchmark (0.25)")
    args = parser.parse_args(own)
    COMPILED.parent.mkdir(parents=True, exist_ok=True)
    failed = [
        form
        for form, output in (("compiled", COMPILED), ("interpreted", INTERPRETED))
        if run(form, output, args.max_time, extra) != 0
    ]
    if failed:
        print(f"bench/micro: the {' and '.join(failed)} run failed; no table", file=sys.stderr)
        return 1
    print(flush=True)
    return compare([])
