"""Crawls in separate processes storing copies of the same stories at the same moment: each story
is stored once, whichever process comes first, on SQLite and on PostgreSQL. The guarantee is the
store's story lock (hsctwatch.stories.models.StoryLock), taken by the store stage, and each
process's near-duplicate index loading what the others stored."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from hsctwatch.stories.models import Copy, Store, Story
from tests.test_pipeline_dedup_store import Pipeline

ROOT = Path(__file__).parent.parent
PROCESSES = 3
STORIES = 24
WORDS = ["transplant", "relapse", "lesion", "therapy", "patient", "neurologist", "trial", "cohort",
         "disability", "remission", "chemotherapy", "conditioning", "hospital", "recovery",
         "infection", "fatigue", "mobility", "scan", "myelin", "immune", "cells", "stem", "marrow",
         "harvest", "dose", "week", "month", "year", "study", "results", "risk", "benefit",
         "progression"]


def story_text(number: int) -> str:
    """A text of its own for each story: random words, the same in every process."""
    rng = random.Random(number)
    sentences = [" ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + "." for _ in range(14)]
    return f"Story {number}. " + " ".join(sentences)


def copy_text(number: int, process: int) -> str:
    """Even stories are reprinted word for word; odd ones with the outlet's own intro and footer."""
    if number % 2 == 0:
        return story_text(number)
    return f"Outlet {process} reprints this. " + story_text(number) + f" Subscribe to outlet {process}."


def child(store_url: str, process: int, start_at: float) -> None:
    """One crawl process: its own source's copies of every story, through dedup and store."""
    pipeline = Pipeline(Store(store_url))
    while time.time() < start_at:  # every process starts at the same moment
        time.sleep(0.001)
    for number in range(STORIES):
        pipeline(url=f"https://outlet{process}.example.org/story/{number}/", source=f"outlet{process}",
                 title=f"Story {number}", text=copy_text(number, process),
                 published=datetime(2026, 3, 1 + process, tzinfo=UTC))
    print(pipeline.stat("hsctwatch/store/found_under_lock"))


def test_parallel_crawls_store_each_story_once(store_url: str) -> None:
    Store(store_url).close()  # made (and migrated) before the race
    start_at = time.time() + 4
    code = "import sys; from tests.test_parallel_crawls import child; " \
           "child(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))"
    children = [subprocess.Popen([sys.executable, "-c", code, store_url, str(p), str(start_at)], cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for p in range(PROCESSES)]
    outputs = [c.communicate(timeout=240) for c in children]
    assert [c.returncode for c in children] == [0] * PROCESSES, [err[-2000:] for _, err in outputs]
    store = Store(store_url)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Story)) == STORIES
        assert session.scalar(select(func.count()).select_from(Copy)) == STORIES * PROCESSES
        copies = session.execute(select(Copy.article_id, Copy.is_original)).all()
        per_story = [[original for article, original in copies if article == story]
                     for story in {article for article, _ in copies}]
        assert sorted((len(flags), sum(flags)) for flags in per_story) == [(PROCESSES, 1)] * STORIES
        # the earliest publication is the original: outlet 0's copy, whoever stored first
        originals = session.scalars(select(Copy.source).where(Copy.is_original.is_(True))).all()
        assert set(originals) == {"outlet0"}
    store.close()
