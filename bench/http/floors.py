"""The floors in bench/floors.json, checked against a run: PASS, FAIL, SKIP (not measured) or ERROR.

ERROR means the floor could not be judged because a peer was broken: the run proves nothing, so it
fails ``make bench`` just as a FAIL does.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from bench.http.results import Outcome

FLOORS_PATH = Path(__file__).resolve().parents[1] / "floors.json"


@dataclasses.dataclass
class Verdict:
    status: str  # PASS, FAIL, SKIP, ERROR
    test: str
    what: str  # "covet ÷ starlette" or "covet p99"
    measured: str
    floor: str
    note: str = ""

    @property
    def failed(self) -> bool:
        return self.status in ("FAIL", "ERROR")


def load_floors(path: Path = FLOORS_PATH) -> dict[str, Any]:
    floors = json.loads(path.read_text())
    for floor in floors.get("ratios", []):
        if ("at_least" in floor) == ("above" in floor):
            raise ValueError(f"{path}: ratio floor {floor} needs exactly one of 'at_least' and 'above'")
    return floors


def floors_for(floors: dict[str, Any], suite: str) -> dict[str, Any]:
    """The floors of one suite: those whose ``suite`` is ``suite`` (no ``suite`` means http)."""
    return {
        kind: [f for f in entries if f.get("suite", "http") == suite]
        for kind, entries in floors.items()
        if isinstance(entries, list)
    }


def _measured(outcome: Outcome, target: str, test: str) -> bool:
    return test in outcome.planned.get(target, ())


def _broken_or_failed(outcome: Outcome, target: str, test: str) -> str:
    if target in outcome.broken:
        return f"{target} broken: {outcome.broken[target].splitlines()[0]}"
    failures = outcome.failures(target, test)
    if failures and not outcome.results(target, test):
        return f"{target} {test}: {failures[0].splitlines()[0]}"
    return ""


def _errors_note(outcome: Outcome, target: str, test: str) -> str:
    summary = outcome.summary(target, test)
    if summary is not None and summary.errors:
        return f"{target} had {summary.errors} socket errors or non-2xx responses under load"
    return ""


def evaluate(outcome: Outcome, floors: dict[str, Any]) -> list[Verdict]:
    verdicts = []
    for floor in floors.get("ratios", []):
        test, target, peer = floor["test"], floor["target"], floor["peer"]
        strict = "above" in floor
        bound = float(floor["above"] if strict else floor["at_least"])
        what = f"{target} ÷ {peer}"
        floor_text = f"{'>' if strict else '≥'} {bound:g}×"
        if not (_measured(outcome, target, test) and _measured(outcome, peer, test)):
            verdicts.append(Verdict("SKIP", test, what, "-", floor_text, "not measured in this run"))
            continue
        problem = _broken_or_failed(outcome, target, test)
        if problem:
            verdicts.append(Verdict("FAIL", test, what, "-", floor_text, problem))
            continue
        problem = _broken_or_failed(outcome, peer, test)
        if problem:
            verdicts.append(Verdict("ERROR", test, what, "-", floor_text, f"cannot judge: {problem}"))
            continue
        ratio = outcome.ratio(target, peer, test)
        if ratio is None:
            verdicts.append(Verdict("ERROR", test, what, "-", floor_text, "no round measured both"))
            continue
        errors = _errors_note(outcome, target, test)
        ok = (ratio > bound if strict else ratio >= bound) and not errors
        verdicts.append(Verdict("PASS" if ok else "FAIL", test, what, f"{ratio:.2f}×", floor_text, errors))
    for floor in floors.get("latency", []):
        test, target = floor["test"], floor["target"]
        bound = float(floor["p99_ms_below"])
        what, floor_text = f"{target} p99", f"< {bound:g} ms"
        if not _measured(outcome, target, test):
            verdicts.append(Verdict("SKIP", test, what, "-", floor_text, "not measured in this run"))
            continue
        problem = _broken_or_failed(outcome, target, test)
        summary = outcome.summary(target, test)
        if problem or summary is None or summary.p99_ms is None:
            verdicts.append(Verdict("FAIL", test, what, "-", floor_text, problem or "no latency measured"))
            continue
        verdicts.append(
            Verdict(
                "PASS" if summary.p99_ms < bound else "FAIL",
                test,
                what,
                f"{summary.p99_ms:.2f} ms",
                floor_text,
            )
        )
    return verdicts
