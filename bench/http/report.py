"""The run as a table for people and as JSON for tools."""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
from pathlib import Path
from typing import Any, Optional

from bench.http.floors import Verdict
from bench.http.results import Outcome, Summary

TEST_TITLES = {
    "plaintext": "GET /plaintext",
    "json": "GET /json",
    "pipelined": "GET /plaintext, pipelined",
    "db": "GET /db",
    "queries": "GET /queries?queries=20",
    "fortunes": "GET /fortunes",
    "updates": "GET /updates?queries=20",
}


WRK_SATURATED = 0.95
NOISY = 0.10


def _k(value: float) -> str:
    return f"{value / 1000:.0f}k" if value >= 10_000 else f"{value:.0f}"


def _ms(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _row(name: str, summary: Summary, ratio: Optional[str]) -> str:
    spread = f"({_k(summary.rps_min)}–{_k(summary.rps_max)})"
    flag = f"  ! {summary.errors} errors" if summary.errors else ""
    wrk = f"{summary.wrk_cpu:.0%}" + ("*" if summary.wrk_cpu >= WRK_SATURATED else " ")
    return (
        f"  {name:<18} {summary.rps:>11,.0f} {spread:<15} {_ms(summary.p50_ms):>8} {_ms(summary.p99_ms):>8}"
        f" {wrk:>8} {summary.server_cpu:>7.0%} {summary.others_cpu:>7.0%} {ratio or '':>11}{flag}"
    )


def format_tables(
    outcome: Outcome, targets: list[str], tests: list[str], base: str, settings: dict[str, Any]
) -> str:
    lines = []
    for test in tests:
        names = [t for t in targets if test in outcome.planned.get(t, ())]
        if not names:
            continue
        depth = f", {settings['depth']} requests per write" if test == "pipelined" else ""
        lines.append(
            f"\n{TEST_TITLES[test]}{depth} — wrk -t1 -c{settings['connections']}, "
            f"{settings['rounds']} rounds × {settings['duration']} s, medians"
        )
        lines.append(
            f"  {'target':<18} {'req/s':>11} {'(min–max)':<15} {'p50 ms':>8} {'p99 ms':>8}"
            f" {'wrk cpu':>8} {'srv cpu':>7} {'others':>7} {base + ' ÷ row':>11}"
        )
        for name in names:
            summary = outcome.summary(name, test)
            if name in outcome.broken:
                lines.append(f"  {name:<18} BROKEN: {outcome.broken[name].splitlines()[0][:160]}")
            elif summary is None:
                failures = outcome.failures(name, test)
                lines.append(
                    f"  {name:<18} no result: {failures[0].splitlines()[0] if failures else 'not run'}"
                )
            else:
                ratio = outcome.ratio(base, name, test) if name != base else None
                lines.append(_row(name, summary, f"{ratio:.2f}×" if ratio is not None else None))
        asgi = outcome.ratio("covet-asgi", "uvicorn-asgi", test)
        if asgi is not None:
            lines.append(f"  CovetPy's server ÷ uvicorn, same bare ASGI callable: {asgi:.2f}×")
    others = [m.others_cpu for m in outcome.measurements if m.result is not None]
    if others and statistics.median(others) > NOISY:
        lines.append(
            f"\n  warning: other processes took a median {statistics.median(others):.0%} of a core on the"
            " pinned cores while measuring:\n  absolute numbers are unreliable, same-round ratios less so."
        )
    lines.append(
        "\n  req/s and latency are medians over rounds; ratios are medians of same-round ratios."
        "\n  wrk/srv cpu: share of one core wrk and the server used; * = wrk saturated, so that row"
        "\n  is a floor of what the server can do. others: CPU other processes took on the two pinned"
        "\n  cores during the run; above ~10% the numbers are noisy. Pipelined latency is n/a: wrk's"
        "\n  histogram is wrong under pipelining (see bench/README.md)."
    )
    return "\n".join(lines)


def format_verdicts(verdicts: list[Verdict]) -> str:
    lines = ["\nfloors (bench/floors.json)"]
    for v in verdicts:
        note = f"  — {v.note}" if v.note else ""
        lines.append(f"  {v.status:<5} {v.test:<9} {v.what:<30} {v.measured:>9}  {v.floor:<9}{note}")
    return "\n".join(lines)


def to_json(
    outcome: Outcome,
    verdicts: list[Verdict],
    targets: list[str],
    tests: list[str],
    base: str,
    meta: dict[str, Any],
) -> dict[str, Any]:
    summaries: dict[str, Any] = {}
    for name in targets:
        for test in outcome.planned.get(name, ()):
            summary = outcome.summary(name, test)
            entry: dict[str, Any] = dataclasses.asdict(summary) if summary else {"rounds": 0}
            if name != base:
                entry[f"ratio_{base}"] = outcome.ratio(base, name, test)
            summaries.setdefault(name, {})[test] = entry
    return {
        **meta,
        "tests": tests,
        "targets": targets,
        "broken": outcome.broken,
        "summary": summaries,
        "ratios": {
            "covet-asgi/uvicorn-asgi": {
                test: outcome.ratio("covet-asgi", "uvicorn-asgi", test) for test in tests
            },
        },
        "floors": [dataclasses.asdict(v) for v in verdicts],
        "runs": [
            {
                "target": m.target,
                "test": m.test,
                "round": m.round,
                "server_cpu": m.server_cpu,
                "loadavg": m.loadavg,
                "others_cpu": m.others_cpu,
                "failure": m.failure,
                "wrk": None
                if m.result is None
                else {**dataclasses.asdict(m.result), "errors": m.result.errors},
                "wrk_output": m.wrk_output,
            }
            for m in outcome.measurements
        ],
    }


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a .tmp file, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_json(path: Path, data: dict[str, Any]) -> None:
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
