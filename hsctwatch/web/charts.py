"""Small pictures for the desk, drawn as inline SVG on the server: no JavaScript, and nothing the
Content-Security-Policy has to allow (colours come from desk.css, not from style attributes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hsctwatch.crawl.health import RunPoint

BAR = 6  # width of one run's bar
GAP = 2
HEIGHT = 30
FLOOR = 2  # a run that found nothing still gets a sliver, in its own colour, so it is seen


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    kind: str  # "items", "none" (found nothing) or "failed"
    label: str  # the bar's tooltip: when, and what the run found


@dataclass(frozen=True)
class RunChart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    summary: str  # what a screen reader says for the whole picture


def run_chart(name: str, history: Sequence[RunPoint]) -> RunChart:
    """Items found per run, oldest run on the left, scaled to the busiest run shown."""
    top = max((p.items for p in history), default=0)
    bars = []
    for i, point in enumerate(history):
        height = max(FLOOR, round(point.items / top * HEIGHT)) if top and point.items else FLOOR
        kind = "failed" if point.failed else "items" if point.items else "none"
        label = (f"{point.at:%Y-%m-%d %H:%M} UTC: {point.items} item(s)"
                 + (f", {point.errors} error(s)" if point.errors else "")
                 + (", failed" if point.failed else ""))
        bars.append(Bar(i * (BAR + GAP), HEIGHT - height, BAR, height, kind, label))
    counts = ", ".join(str(p.items) for p in history)
    summary = (f"{name}: items found in each of its last {len(history)} runs, oldest first: {counts}"
               if history else f"{name}: no runs yet")
    width = max(len(history) * (BAR + GAP) - GAP, BAR)
    return RunChart(width, HEIGHT, tuple(bars), summary)
