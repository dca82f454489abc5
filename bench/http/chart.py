"""The run as an SVG bar chart, written by hand: one panel per test, one bar per server.

Each bar is the median req/s; the thin line across its end spans the slowest to the fastest
round; dashed ticks on a CovetPy bar mark where its floors (bench/floors.json) sit.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from bench.http.report import TEST_TITLES
from bench.http.results import Outcome

WIDTH = 960
LABEL_W = 150
BAR_W = 560
ROW_H = 24
BAR_H = 16
COVET, PEER, CEILING, FLOOR = "#e8590c", "#4c6ef5", "#adb5bd", "#212529"


def _floor_marks(outcome: Outcome, floors: dict[str, Any], target: str, test: str) -> list[tuple[float, str]]:
    marks = []
    for floor in floors.get("ratios", []):
        if floor["target"] != target or floor["test"] != test:
            continue
        peer = outcome.summary(floor["peer"], test)
        if peer is not None and floor["peer"] not in outcome.broken:
            bound = float(floor.get("at_least", floor.get("above", 0)))
            marks.append(
                (bound * peer.rps, f"floor: {bound:g}× {floor['peer']} = {bound * peer.rps:,.0f} req/s")
            )
    return marks


def render_svg(
    outcome: Outcome, targets: list[str], tests: list[str], base: str, floors: dict[str, Any]
) -> str:
    parts: list[str] = []
    y = 30
    for test in tests:
        names = [t for t in targets if test in outcome.planned.get(t, ())]
        if not names:
            continue
        summaries = {name: outcome.summary(name, test) for name in names}
        marks = {name: _floor_marks(outcome, floors, name, test) for name in names}
        top = (
            max(
                [s.rps_max for s in summaries.values() if s]
                + [x for m in marks.values() for x, _ in m]
                + [1.0]
            )
            * 1.05
        )
        parts.append(f'<text x="10" y="{y}" class="title">{escape(TEST_TITLES[test])}</text>')
        y += 12
        for name in names:
            summary = summaries[name]
            cy = y + ROW_H // 2
            parts.append(f'<text x="{LABEL_W - 8}" y="{cy + 4}" text-anchor="end">{escape(name)}</text>')
            if name in outcome.broken or summary is None:
                why = outcome.broken.get(name, "no result").splitlines()[0]
                parts.append(
                    f'<text x="{LABEL_W}" y="{cy + 4}" class="broken">broken: {escape(why[:90])}</text>'
                )
                y += ROW_H
                continue
            color = COVET if name.startswith("covet") else CEILING if name == "bare-protocol" else PEER
            width = BAR_W * summary.rps / top
            parts.append(
                f'<rect x="{LABEL_W}" y="{cy - BAR_H // 2}" width="{width:.1f}" height="{BAR_H}" '
                f'fill="{color}">'
                f"<title>{escape(name)}: {summary.rps:,.0f} req/s (median of {summary.rounds})</title></rect>"
            )
            lo, hi = LABEL_W + BAR_W * summary.rps_min / top, LABEL_W + BAR_W * summary.rps_max / top
            parts.append(f'<line x1="{lo:.1f}" x2="{hi:.1f}" y1="{cy}" y2="{cy}" class="spread"/>')
            for x_value, title in marks[name]:
                x = LABEL_W + BAR_W * x_value / top
                parts.append(
                    f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{cy - BAR_H // 2 - 3}" y2="{cy + BAR_H // 2 + 3}" '
                    f'class="floor"><title>{escape(title)}</title></line>'
                )
            ratio = outcome.ratio(base, name, test) if name != base else None
            label = f"{summary.rps:,.0f} req/s"
            if summary.p99_ms is not None:
                label += f" · p99 {summary.p99_ms:.2f} ms"
            if ratio is not None:
                label += f" · {base} ÷ this {ratio:.2f}×"
            parts.append(f'<text x="{LABEL_W + BAR_W + 8}" y="{cy + 4}">{escape(label)}</text>')
            y += ROW_H
        y += 28
    legend = (
        f'<text x="10" y="{y}" class="note">bars: median req/s · line: slowest–fastest round · '
        f"dashed tick: a floor from bench/floors.json · {escape(base)} ÷ server in the same round</text>"
    )
    height = y + 16
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH + 220}" height="{height}" '
        f'viewBox="0 0 {WIDTH + 220} {height}" font-family="sans-serif" font-size="12">\n'
        "<style>.title{font-weight:bold;font-size:14px}.broken{fill:#c92a2a}.note{fill:#495057;font-size:11px}"
        f".spread{{stroke:{FLOOR};stroke-width:1.5}}"
        f".floor{{stroke:{FLOOR};stroke-width:2;stroke-dasharray:3 2}}"
        "</style>\n"
        f'<rect width="100%" height="100%" fill="white"/>\n' + "\n".join(parts) + "\n" + legend + "\n</svg>\n"
    )
