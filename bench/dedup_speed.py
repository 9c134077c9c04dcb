"""How long checking a new article for duplicates takes with 1k, 10k and 100k stored stories.

    .venv/bin/python bench/dedup_speed.py [--sizes 1000 10000 100000] [--checks 200]

Each size gets a fresh SQLite store filled with synthetic stories (texts of 300-500 words drawn
from the sample articles' vocabulary, each with its signature and URL key, as the pipeline
stores them). It then reports the time to reload the near-duplicate index (a restart), the
process's memory after it, and the median and 95th percentile time to check a new article the
way the dedup stage does: the exact checks in SQL (URL, rel=canonical, guid, identical text)
plus the MinHash-LSH lookup and the partial-copy fingerprint lookup. Prints a table and writes
bench/results/dedup_speed.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from hsctwatch.samples.server import load_articles, paragraphs
from hsctwatch.scraped import content_hash
from hsctwatch.stories.copies import find_story
from hsctwatch.stories.models import Copy, Store, Story
from hsctwatch.stories.neardup import NearDuplicateIndex, fingerprints, signature, to_bytes
from hsctwatch.urls import url_key

RESULTS = Path(__file__).resolve().parent / "results"


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def vocabulary() -> list[str]:
    words: list[str] = []
    for article in load_articles()["article"]:
        words += " ".join(paragraphs(article)).split()
    return words


def synthetic_text(rng: random.Random, words: list[str], n: int) -> str:
    body = rng.choices(words, k=rng.randint(300, 500))
    body.insert(rng.randint(0, len(body)), f"story{n}")
    return " ".join(body)


def fill(store: Store, size: int, words: list[str], rng: random.Random) -> float:
    started = time.perf_counter()
    now = datetime.now(UTC)
    batch: list[dict[str, object]] = []
    copies: list[dict[str, object]] = []
    for n in range(1, size + 1):
        text = synthetic_text(rng, words, n)
        url = f"https://site{n % 50}.example.org/news/{n}/"
        minhash = signature(text)
        batch.append({"id": n, "guid": f"tag:bench,2026:{n}", "link": url, "source": f"site{n % 50}",
                      "title": f"Story {n}", "text": text, "content_hash": content_hash(text),
                      "minhash": to_bytes(minhash, fingerprints(text)) if minhash else None, "published": now,
                      "first_seen": now, "last_seen": now, "relevant": True, "relevance_score": 1.0,
                      "relevance_reasons": [], "metadata": {}, "status": "new", "summary": "", "author": ""})
        copies.append({"article_id": n, "url": url, "url_key": url_key(url), "source": f"site{n % 50}",
                       "guid": f"https://site{n % 50}.example.org/?p={n}", "content_hash": content_hash(text),
                       "is_original": True, "first_seen": now, "last_seen": now})
        if len(batch) == 5000:
            _write(store, batch, copies)
    _write(store, batch, copies)
    return time.perf_counter() - started


def _write(store: Store, batch: list[dict[str, object]], copies: list[dict[str, object]]) -> None:
    if batch:
        with store.engine.begin() as connection:
            connection.execute(insert(Story.__table__), batch)
            connection.execute(insert(Copy.__table__), copies)
    batch.clear()
    copies.clear()


def measure(size: int, checks: int, words: list[str]) -> dict[str, float]:
    rng = random.Random(size)
    with tempfile.TemporaryDirectory() as folder:
        # the store is filled by a child process, so this one's memory is the index's alone
        started = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--fill", str(size), f"{folder}/bench.db"], check=True)
        fill_seconds = time.perf_counter() - started
        store = Store(f"sqlite:///{folder}/bench.db")
        gc.collect()
        before = rss_mb()
        started = time.perf_counter()
        index = NearDuplicateIndex.from_store(store)
        load_seconds = time.perf_counter() - started
        after = rss_mb()
        totals, lsh_only = [], []
        for n in range(checks):
            text = synthetic_text(rng, words, size + n + 1)
            url = f"https://new.example.org/news/{n}/"
            item = {"canonical_url": url, "rel_canonical": "", "guid": f"https://new.example.org/?p={n}",
                    "content_hash": content_hash(text), "text": text}
            started = time.perf_counter()
            with store.session() as session:
                match = find_story(session, item)
            lsh_started = time.perf_counter()
            if match is None:
                index.find_copy(text)
            done = time.perf_counter()
            totals.append((done - started) * 1000)
            lsh_only.append((done - lsh_started) * 1000)
        store.close()
    return {
        "stored": size, "fill_seconds": round(fill_seconds, 1), "index_load_seconds": round(load_seconds, 2),
        "index_memory_mb": round(after - before, 1), "process_rss_mb": round(after, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "check_median_ms": round(statistics.median(totals), 3),
        "check_p95_ms": round(sorted(totals)[int(0.95 * len(totals)) - 1], 3),
        "lsh_median_ms": round(statistics.median(lsh_only), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--fill", nargs=2, metavar=("SIZE", "DB"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    words = vocabulary()
    if options.fill:
        size, db = int(options.fill[0]), options.fill[1]
        fill(Store(f"sqlite:///{db}"), size, words, random.Random(size))
        return
    rows = []
    print(f"{'stored':>8} {'check median':>13} {'check p95':>10} {'LSH median':>11} "
          f"{'index load':>11} {'index MB':>9} {'RSS MB':>7} {'peak MB':>8}")
    for size in options.sizes:
        row = measure(size, options.checks, words)
        rows.append(row)
        print(f"{size:>8} {row['check_median_ms']:>10.2f} ms {row['check_p95_ms']:>7.2f} ms "
              f"{row['lsh_median_ms']:>8.2f} ms {row['index_load_seconds']:>9.2f} s "
              f"{row['index_memory_mb']:>9.1f} {row['process_rss_mb']:>7.1f} {row['peak_rss_mb']:>8.1f}",
              flush=True)
    RESULTS.mkdir(exist_ok=True)
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "cores": os.cpu_count(),
              "python": sys.version.split()[0], "machine": platform.machine(), "results": rows}
    (RESULTS / "dedup_speed.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written to {RESULTS / 'dedup_speed.json'}")


if __name__ == "__main__":
    main()
