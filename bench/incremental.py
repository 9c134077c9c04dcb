"""What a second, unchanged run costs compared with the first, on the bundled sample sites.

    .venv/bin/python bench/incremental.py

Serves the sample sites on loopback, runs `hsct-watch run` twice on a fresh store, and prints
bytes downloaded, requests, 304 answers, the crawl's own time (the slowest source) and the whole
command's wall time for each run, and the second run's share of the first. Writes
bench/results/incremental.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from hsctwatch.samples.server import SampleSites
from hsctwatch.stories.models import SourceRun, Store

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as folder, SampleSites(port=0) as sites:
        config = Path(folder) / "hsct-watch.toml"
        config.write_text(sites.config_toml(), encoding="utf-8")
        for attempt in (1, 2):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "hsctwatch", "--config", str(config), "run", "--quiet"],
                           check=True, cwd=folder)
            wall = time.perf_counter() - started
            store = Store(f"sqlite:///{folder}/hsct-watch.db")
            with store.session() as session:
                run_id = session.scalar(select(func.max(SourceRun.run_id)))
                figures = session.execute(
                    select(func.sum(SourceRun.bytes), func.sum(SourceRun.requests),
                           func.sum(SourceRun.not_modified), func.max(SourceRun.duration),
                           func.sum(SourceRun.new)).where(SourceRun.run_id == run_id)
                ).one()
            store.close()
            rows.append({"run": attempt, "bytes": int(figures[0] or 0), "requests": int(figures[1] or 0),
                         "not_modified": int(figures[2] or 0), "crawl_seconds": float(figures[3] or 0),
                         "wall_seconds": round(wall, 2), "new": int(figures[4] or 0)})
    first, second = rows
    share = {key: round(second[key] / first[key], 3) if first[key] else 0.0
             for key in ("bytes", "requests", "crawl_seconds", "wall_seconds")}
    print(f"{'run':>4} {'bytes':>9} {'requests':>9} {'304s':>5} {'new':>4} {'crawl s':>8} {'wall s':>7}")
    for row in rows:
        print(f"{row['run']:>4} {row['bytes']:>9} {row['requests']:>9} {row['not_modified']:>5} "
              f"{row['new']:>4} {row['crawl_seconds']:>8.2f} {row['wall_seconds']:>7.2f}")
    print(f"second run / first: bytes {share['bytes']:.1%}, requests {share['requests']:.1%}, "
          f"crawl time {share['crawl_seconds']:.1%}, wall time {share['wall_seconds']:.1%} "
          "(the wall time includes starting Python and Scrapy, about 2 s each run)")
    RESULTS.mkdir(exist_ok=True)
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "cores": os.cpu_count(),
              "runs": rows, "second_over_first": share}
    (RESULTS / "incremental.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
