"""Each source's health, from its stored runs: the signs that a site changed or broke."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from hsctwatch.config import Config
from hsctwatch.stories.models import Copy, Source, SourceRun, open_store

SILENT_RUNS = 3  # runs in a row with no items before a source is flagged
FALL_RATIO = 0.3  # an item count under this share of the usual is a sharp fall
USUAL_RUNS = 10  # the runs the warnings compare with
HISTORY_RUNS = 30  # the runs the desk draws


@dataclass(frozen=True)
class RunPoint:
    """One finished run of a source, as the desk's chart draws it."""

    at: datetime
    items: int
    errors: int
    failed: bool


@dataclass
class SourceHealth:
    name: str
    kind: str
    enabled: bool
    last_run: datetime | None = None
    last_item: datetime | None = None
    last_items: int = 0  # items the last run found
    last_new: int = 0
    last_errors: int = 0
    total_items: int = 0
    warnings: list[str] = field(default_factory=list)
    history: list[RunPoint] = field(default_factory=list)  # the last HISTORY_RUNS runs, oldest first


def source_health(config: Config) -> list[SourceHealth]:
    store = open_store(config.store_url)
    rows = []
    with store.session() as session:
        counts = dict(session.execute(
            select(Copy.source, func.count()).group_by(Copy.source)
        ).all())
        for source in config.sources:
            health = SourceHealth(source.name, source.kind, source.enabled,
                                  total_items=int(counts.get(source.name, 0)))
            row = session.get(Source, source.name)
            if row is not None:
                health.last_run = row.last_run_at
                health.last_item = row.last_item_at
            runs = _per_run(session.scalars(
                select(SourceRun).where(SourceRun.source == source.name,
                                        SourceRun.finished_at.is_not(None))
                .order_by(SourceRun.id.desc()).limit(HISTORY_RUNS * 10)  # a cluster's: rows per worker
            ).all())[:HISTORY_RUNS]
            if runs:
                health.last_items = runs[0].items
                health.last_new = runs[0].new
                health.last_errors = runs[0].errors
                health.warnings = _warnings(list(runs[:USUAL_RUNS]))
                health.history = [RunPoint(r.finished_at or r.started_at, r.items, r.errors, r.failed)
                                  for r in reversed(runs)]
            rows.append(health)
    return rows


def _per_run(rows: Sequence[SourceRun]) -> list[SourceRun]:
    """One row per run, newest first: a cluster's workers each record their part of a run (rows
    of one run_id), which add up to the source's figures for that run."""
    runs: dict[object, SourceRun] = {}
    for row in rows:
        key = row.run_id if row.run_id is not None else ("row", row.id)
        if key not in runs:
            runs[key] = SourceRun(run_id=row.run_id, source=row.source, items=row.items, new=row.new,
                                  errors=row.errors, messages=list(row.messages or []),
                                  started_at=row.started_at, finished_at=row.finished_at,
                                  finish_reason=row.finish_reason)
        else:
            total = runs[key]
            total.items += row.items
            total.new += row.new
            total.errors += row.errors
            total.messages = [*total.messages, *(row.messages or [])]
            total.started_at = min(total.started_at, row.started_at)
            if row.finished_at and (total.finished_at is None or row.finished_at > total.finished_at):
                total.finished_at = row.finished_at
            if total.finish_reason in ("", "finished"):  # a worker stopped early marks the run
                total.finish_reason = row.finish_reason
    return list(runs.values())


def _warnings(runs: list[SourceRun]) -> list[str]:
    """Runs are newest first."""
    warnings = []
    if len(runs) >= SILENT_RUNS and all(r.items == 0 for r in runs[:SILENT_RUNS]):
        warnings.append(f"no items in the last {SILENT_RUNS} runs; has the site changed its layout?")
    elif len(runs) >= 4:
        usual = sorted(r.items for r in runs[1:])[len(runs[1:]) // 2]
        if usual >= 5 and runs[0].items < usual * FALL_RATIO:
            warnings.append(f"items fell from about {usual} to {runs[0].items} in the last run")
    if runs[0].finish_reason.startswith("limit:"):
        warnings.append(f"the last run stopped it at [limits] {runs[0].finish_reason.removeprefix('limit:')}")
    if runs[0].errors:
        warnings.append(f"{runs[0].errors} error(s) in the last run: "
                        + "; ".join((runs[0].messages or [])[:2]))
    return warnings
