"""`hsct-watch sources`: each source's health, and the signs that a site changed its layout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from hsctwatch.cli import cli
from hsctwatch.stories.models import Source, SourceRun, open_store

CONFIG = """[store]
url = "{store_url}"
[[sources]]
name = "silent"
kind = "feed"
urls = ["https://silent.example.org/feed"]
[[sources]]
name = "falling"
kind = "feed"
urls = ["https://falling.example.org/feed"]
[[sources]]
name = "steady"
kind = "html"
urls = ["https://steady.example.org/news/"]
links = "h2 a"
[[sources]]
name = "new-one"
kind = "feed"
urls = ["https://new.example.org/feed"]
enabled = false
"""


def test_health_flags_silent_and_falling_sources(tmp_path: Path, store_url: str) -> None:
    config = tmp_path / "hsct-watch.toml"
    config.write_text(CONFIG.format(store_url=store_url), encoding="utf-8")
    store = open_store(store_url)
    start = datetime.now(UTC) - timedelta(days=6)
    history = {"silent": [4, 3, 0, 0, 0], "falling": [20, 22, 21, 19, 2], "steady": [5, 6, 5, 7, 6]}
    with store.session() as session:
        for name, counts in history.items():
            session.add(Source(name=name, title=name, kind="feed", last_run_at=start + timedelta(days=5),
                               last_item_at=start + timedelta(days=1)))
            for day, items in enumerate(counts):
                when = start + timedelta(days=day)
                broken = name == "falling" and day == 4
                session.add(SourceRun(
                    source=name, started_at=when, finished_at=when, finish_reason="finished",
                    items=items, new=items // 2, errors=1 if broken else 0,
                    messages=["https://falling.example.org/feed: HTTP 500"] if broken else []))
    result = CliRunner().invoke(cli, ["--config", str(config), "sources"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["source", "kind", "enabled", "last", "run", "new", "items", "errors",
                                "last", "item"]
    assert any(line.startswith("new-one") and "never" in line and " no " in line for line in lines)
    assert "! silent: no items in the last 3 runs; has the site changed its layout?" in lines
    assert "! falling: items fell from about 21 to 2 in the last run" in lines
    assert any(line.startswith("! falling: 1 error(s) in the last run: https://falling") for line in lines)
    assert not any(line.startswith("! steady") for line in lines)


def test_a_cluster_run_s_rows_from_several_workers_count_as_one_run(tmp_path: Path, store_url: str) -> None:
    """In a cluster each worker records its part of a source's run: one worker found the items,
    the three others none. That run found items; the source is not silent."""
    from hsctwatch.config import load_config
    from hsctwatch.crawl.health import source_health
    from hsctwatch.stories.models import CrawlRun

    config = tmp_path / "hsct-watch.toml"
    config.write_text(CONFIG.format(store_url=store_url), encoding="utf-8")
    store = open_store(store_url)
    now = datetime.now(UTC)
    with store.session() as session:
        for _ in range(3):
            run = CrawlRun(command="run", started_at=now, finished_at=now, status="ok")
            session.add(run)
            session.flush()
            for items in (2, 0, 0, 0):  # the workers' parts, the empty ones stored last
                session.add(SourceRun(run_id=run.id, source="steady", started_at=now, finished_at=now,
                                      finish_reason="finished", items=items))
    [steady] = [h for h in source_health(load_config(config)) if h.name == "steady"]
    assert steady.warnings == [] and steady.last_items == 2
