"""What a run holds and what the feeds read: the run command leaves the learned model and the feed
writers to the processes that use them, and the feeds find their languages and stories without
reading the whole store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from hsctwatch.stories.models import Copy, Store, Story
from hsctwatch.stories.publish import languages_published, newest, shown_stories
from tests.test_learned import SMALL_CORPUS

ROOT = Path(__file__).resolve().parent.parent

COMMAND = """
import json, sys
from hsctwatch.cli import cli
try:
    cli(["--config", sys.argv[1], "crawl"], prog_name="hsct-watch")
except SystemExit:
    pass
heavy = ("sklearn", "scrapy", "twisted", "feedgen", "jinja2", "trafilatura")
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & set(heavy))))
"""


def test_the_crawl_command_leaves_the_model_and_the_crawl_to_the_crawl_process(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "seed.toml").write_text(SMALL_CORPUS, encoding="utf-8")
    config = tmp_path / "hsct-watch.toml"
    config.write_text('[store]\nurl = "sqlite:///s.db"\n[model]\npath = "model.joblib"\ncorpus = ["corpus"]\n'
                      '[[sources]]\nname = "x"\nkind = "feed"\nurls = ["http://127.0.0.9:9/feed"]\n',
                      encoding="utf-8")
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    done = subprocess.run([sys.executable, "-c", COMMAND, str(config)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    lines = done.stdout.strip().splitlines()
    # the crawl's process trained the missing model and said so, through the command's output
    assert lines[0].startswith("learned model trained (no usable model yet)"), done.stdout + done.stderr
    assert (tmp_path / "model.joblib").is_file()
    assert json.loads(lines[-1]) == [], "the command itself imported what only the crawl needs"


@pytest.fixture
def mixed(tmp_path: Path) -> Store:
    """Stories in several languages, published or not: English and untold ("") published, Spanish
    only irrelevant, German only rejected, French irrelevant but approved, Russian both."""
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    rows = [("en", True, "new"), ("", True, "new"), ("es", False, "new"), ("es", False, "new"),
            ("de", True, "rejected"), ("fr", False, "approved"), ("ru", False, "new"), ("ru", True, "new"),
            ("en", True, "new")]
    with store.session() as session:
        for n, (language, relevant, status) in enumerate(rows):
            url = f"https://news.example.org/{n}/"
            copy = Copy(url=url, url_key=url, source="news", is_original=True, text="long")
            session.add(Story(guid=f"g{n}", link=url, source="news", title=f"Story {n}", relevant=relevant,
                              status=status, language=language, copies=[copy],
                              published=datetime(2026, 3, 1 + n % 4, tzinfo=UTC)))
    return store


@pytest.mark.parametrize("publish", ["auto", "approved"])
@pytest.mark.parametrize("languages", [(), ("en",), ("es", "de", "fr"), ("ru", "xx")])
@pytest.mark.parametrize("unknown", ["en", "ru"])
def test_the_languages_found_on_the_index_are_those_counted(mixed: Store, publish: str,
                                                            languages: tuple[str, ...], unknown: str) -> None:
    with mixed.session() as session:
        counted = mixed.languages_in_use(session, publish=publish, languages=languages, unknown=unknown)
        found = languages_published(session, publish, languages, unknown)
    assert sorted(found) == sorted(counted) and len(found) == len(set(found))


@pytest.mark.parametrize("tag", [None, "news"])
def test_each_feed_s_stories_are_those_published_articles_loads(mixed: Store, tag: str | None) -> None:
    from hsctwatch.stories.models import Tag

    with mixed.session() as session:
        for story in session.scalars(select(Story)):
            if story.id % 2:
                session.add(Tag(article_id=story.id, facet="type", slug="news", evidence=[], origin="rules"))
    with mixed.session() as session:
        for languages in [(), ("en",), ("ru",)]:
            loaded = mixed.published_articles(session, publish="auto", limit=3, tag=tag, languages=languages)
            ids = newest(session, "auto", 3, tag=tag, languages=languages)
            assert ids == [a.id for a in loaded]
        shown = shown_stories(session, [*ids, *ids])
        assert sorted(shown) == sorted(set(ids))
        assert all(s.copies and s.copies[0].url for s in shown.values())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's")
def test_what_loading_freed_goes_back_to_the_system() -> None:
    from hsctwatch.crawl.memory import release_freed_memory

    def resident_kb() -> int:
        status = Path("/proc/self/status").read_text(encoding="utf-8")
        return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])

    rows = [bytes(1300) + n.to_bytes(4, "little") for n in range(60_000)]  # as a store's signatures
    kept = rows[::50]  # what stays between the freed rows: the C library keeps the holes
    del rows
    freed = resident_kb()
    assert release_freed_memory()
    assert resident_kb() < freed - 30_000 and len(kept) == 1200  # most of the 78 MB is the system's


SETTLED = """
import gc, json, weakref
from hsctwatch.crawl.memory import YOUNG_COLLECTION, release_after_loading

class Node:
    pass

loaded = [{"term": [n]} for n in range(50_000)]  # what a crawl loads and keeps
release_after_loading()  # the first spider's pipelines have just loaded
tracked = {id(o) for o in gc.get_objects()}
young = gc.get_threshold()[0]
cycle = Node()
cycle.self = cycle  # garbage made later, in a cycle: still collected
gone = weakref.ref(cycle)
del cycle
gc.collect()
print(json.dumps([gc.get_freeze_count(), id(loaded[0]) in tracked, young == YOUNG_COLLECTION,
                  gone() is None]))
"""


def test_what_a_crawl_loaded_is_left_out_of_the_garbage_collector_s_walks() -> None:
    """In a process of its own: the pytest process's collector is left as it is."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", SETTLED], cwd=ROOT, env={**os.environ, "PYTHONPATH": path},
                          capture_output=True, text=True, timeout=120)
    frozen, loaded_walked, young_raised, cycle_collected = json.loads(done.stdout.strip().splitlines()[-1])
    assert frozen >= 50_000 and not loaded_walked, done.stderr
    assert young_raised and cycle_collected


SIGNATURE = """
import json, sys
from hsctwatch.stories.neardup import signature
assert signature(" ".join(f"word{n}" for n in range(200))) is not None
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & {"datasketch", "scipy", "sklearn"})))
"""


def test_making_signatures_imports_neither_datasketch_nor_scipy() -> None:
    """The crawl's process and its worker make signatures; datasketch's package would bring SciPy
    (about 60 MB in each). The values are datasketch's all the same (tests/test_story_copies.py)."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", SIGNATURE], cwd=ROOT, env={**os.environ, "PYTHONPATH": path},
                          capture_output=True, text=True, timeout=120)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [], done.stderr


def test_a_crawl_runs_no_remote_control_unless_asked() -> None:
    """Scrapy's remote control (an HTTP server running the code it is sent) is off, and its
    extension, which imports aiohttp, is not even loaded; a config that turns it on gets it."""
    from scrapy.settings import Settings

    from hsctwatch.crawl.runner import _without_remote_control

    extension = "scrapy.extensions.remote_control.RemoteControl"
    settings = Settings()
    settings.setmodule("hsctwatch.crawl.settings", priority="project")
    _without_remote_control(settings)
    assert extension not in settings.getwithbase("EXTENSIONS")
    assert settings.getwithbase("EXTENSIONS")["hsctwatch.crawl.extensions.RunRecorder"] == 500
    asked = Settings()
    asked.setmodule("hsctwatch.crawl.settings", priority="project")
    asked.set("REMOTE_CONTROL_ENABLED", True, priority="cmdline")  # as [scrapy] in the config sets it
    _without_remote_control(asked)
    assert asked.getwithbase("EXTENSIONS")[extension] == 0
