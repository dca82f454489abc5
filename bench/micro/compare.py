"""Print the compiled-vs-interpreted table from the two pytest-benchmark JSON files.

Run: ``python -m bench.micro.compare [--compiled PATH] [--interpreted PATH]`` (the defaults are what
``python -m bench.micro`` writes: bench/results/micro-compiled.json and micro-interpreted.json).
Medians in µs; the speed-up is interpreted ÷ compiled, with its geometric mean per kernel.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[1] / "results"
COMPILED = RESULTS / "micro-compiled.json"
INTERPRETED = RESULTS / "micro-interpreted.json"


def medians(path: Path, form: str) -> dict[str, float]:
    """µs per call of each benchmark in ``path``, keyed "kernel  test"; the file must be ``form``'s.
    A baseline (``extra_info["baseline"]``: no kernel runs) is keyed "(baseline)  test"."""
    data: dict[str, Any] = json.loads(path.read_text())
    found = data.get("machine_info", {}).get("covet_kernels")
    if found != form:
        raise SystemExit(f"{path} holds a run of the {found} kernels, not the {form} ones")
    out = {}
    for bench in data["benchmarks"]:
        kernel = bench["fullname"].split("::")[0].rsplit("/", 1)[-1].removeprefix("test_").removesuffix(".py")
        if bench.get("extra_info", {}).get("baseline"):
            kernel = "(baseline)"
        out[f"{kernel:<10}  {bench['name'].removeprefix('test_')}"] = bench["stats"]["median"] * 1e6
    return out


def table(compiled: dict[str, float], interpreted: dict[str, float]) -> list[str]:
    width = max(map(len, compiled | interpreted), default=10)
    lines = [f"{'kernel  case':<{width}}  {'interpreted':>11}  {'compiled':>9}  speed-up"]
    by_kernel: dict[str, list[float]] = {}
    for name in sorted(compiled | interpreted):
        c, i = compiled.get(name), interpreted.get(name)
        if c is None or i is None:
            lines.append(f"{name:<{width}}  only in the {'compiled' if i is None else 'interpreted'} run")
            continue
        if not name.startswith("("):
            by_kernel.setdefault(name.split()[0], []).append(i / c)
        lines.append(f"{name:<{width}}  {i:>11.3f}  {c:>9.3f}  {i / c:>7.2f}×")
    lines.append("geometric mean of the speed-ups per kernel:")
    for kernel, ratios in by_kernel.items():
        mean = math.exp(sum(map(math.log, ratios)) / len(ratios))
        lines.append(f"  {kernel:<10}  {mean:.2f}×  ({len(ratios)} case{'s' if len(ratios) > 1 else ''})")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.micro.compare", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--compiled", type=Path, default=COMPILED)
    parser.add_argument("--interpreted", type=Path, default=INTERPRETED)
    args = parser.parse_args(argv)
    compiled = medians(args.compiled, "compiled")
    interpreted = medians(args.interpreted, "interpreted")
    print("bench/micro: µs per call, median (pytest-benchmark), interpreted ÷ compiled")
    print("\n".join(table(compiled, interpreted)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
