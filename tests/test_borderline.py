"""Near misses reach an editor: items just under the relevance threshold are marked borderline,
stored so, listed first in the queue with a filter of their own, on the command line and the desk."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hsctwatch.cli import cli
from hsctwatch.crawl.items import Article
from hsctwatch.rules import Rules
from hsctwatch.stories.models import Store, Story, open_store
from hsctwatch.stories.reprocess import reprocess
from pipelines.relevance import RelevancePipeline
from tests.desk import Desk, Editor, desk_app, item_id, make_desk
from tests.test_desk import rows
from tests.test_pipeline_dedup_store import Pipeline
from tests.test_relevance_tag_pipelines import DRUG_NEWS, STORY, crawler

NEAR = "https://news.example.org/2026/03/04/near-miss/"


def add_near_miss(store: Store) -> int:
    """A story the relevance stage left out just under the threshold (the oldest of the desk's)."""
    item = Pipeline(store)(url=NEAR, title="A week in Puebla: my stem cells went back in",
                           text="A diary of the transplant, in the writer's own words. " * 20,
                           published=datetime(2026, 2, 20, tzinfo=UTC), relevant=False, borderline=True,
                           relevance_score=0.42, relevance_reasons=["score 0.42 < threshold 0.50"], tags=[])
    return int(item["story_id"])


def test_the_relevance_stage_marks_near_misses() -> None:
    threshold = Rules.load().threshold
    for margin in (0.0, 0.15, 1.0):
        stage = RelevancePipeline.from_crawler(crawler(HSCTWATCH_BORDERLINE_MARGIN=margin))
        for article in (STORY, DRUG_NEWS):
            item = stage.process_item(Article(article))
            score = item["relevance_score"]
            assert item["borderline"] == (not item["relevant"] and score > 0 and score >= threshold - margin)
    wide = RelevancePipeline.from_crawler(crawler(HSCTWATCH_BORDERLINE_MARGIN=1.0))
    drug = wide.process_item(Article(DRUG_NEWS))
    assert not drug["relevant"] and drug["relevance_score"] > 0 and drug["borderline"]


def test_reprocess_marks_near_misses(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    Pipeline(store)(url="https://news.example.org/drug/", title=DRUG_NEWS["title"], text=DRUG_NEWS["text"],
                    summary=DRUG_NEWS["summary"])
    report = reprocess(store, Rules.load(), margin=1.0)
    assert report.borderline == 1 and report.dropped == [1]
    with store.session() as session:
        assert session.scalars(select(Story.borderline)).one() is True
    assert reprocess(store, Rules.load(), margin=0.0).borderline == 0


def test_an_older_store_gains_the_column_when_it_opens(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = Store(url)
    Pipeline(store)(url="https://news.example.org/a/", title="HSCT for MS")
    store.close()
    with sqlite3.connect(tmp_path / "old.db") as db:  # as a store at the revision before was
        db.execute("DROP INDEX ix_articles_language")  # 0004's, made since
        db.execute("ALTER TABLE articles DROP COLUMN language")
        db.execute("DROP INDEX ix_articles_borderline")
        db.execute("ALTER TABLE articles DROP COLUMN borderline")
        for table in ("digest_sent", "digest_lists", "desk_sessions"):
            db.execute(f"DROP TABLE {table}")
        db.execute("UPDATE alembic_version SET version_num = '0002'")
    store = Store(url)
    with store.session() as session:
        story = session.scalars(select(Story)).one()
        assert (story.title, story.borderline) == ("HSCT for MS", False)
        story.borderline = True
    store.close()
    with sqlite3.connect(tmp_path / "old.db") as db:
        assert db.execute("SELECT borderline FROM articles").fetchall() == [(1,)]
        assert db.execute("SELECT 1 FROM sqlite_master WHERE name = 'ix_articles_borderline'").fetchone()


def test_review_list_shows_near_misses_first_and_on_their_own(tmp_path: Path, store_url: str) -> None:
    desk = make_desk(tmp_path, store_url, with_user=False)
    near = add_near_miss(desk.store)
    config = str(desk.config.path)
    runner = CliRunner()
    out = runner.invoke(cli, ["--config", config, "review", "list"]).output
    assert out.splitlines()[0].startswith("borderline: 1  new: 4  approved: 0  rejected: 0")
    listed = [line.split()[0] for line in out.splitlines()[2:]]
    assert listed[0] == str(near) and len(listed) == 4  # first, though the oldest; the diet story stays out
    assert re.search(rf"^\s*{near}\s+new\s+0\.42 \(borderline\)\s+2026-02-20", out, re.MULTILINE)
    out = runner.invoke(cli, ["--config", config, "review", "list", "--status", "borderline"]).output
    assert [line.split()[0] for line in out.splitlines()[2:]] == [str(near)]
    runner.invoke(cli, ["--config", config, "review", "approve", str(near)], env={"HSCT_WATCH_EDITOR": "ed"})
    out = runner.invoke(cli, ["--config", config, "review", "list", "--status", "borderline"]).output
    assert out.splitlines()[0].startswith("borderline: 0") and len(out.splitlines()) == 2


@pytest.fixture
def desk(tmp_path: Path, store_url: str) -> Desk:
    made = make_desk(tmp_path, store_url)
    add_near_miss(made.store)
    return made


def test_the_desk_lists_near_misses_first_with_a_filter_of_their_own(desk: Desk) -> None:
    editor = Editor(desk_app(desk))
    editor.login()
    near = item_id(desk, NEAR)
    html = editor.get("/").get_data(as_text=True)
    assert rows(html)[0] == str(near) and len(rows(html)) == 4
    assert 'data-status="borderline"' in html and '>borderline <span class="count">1</span>' in html
    row = html[html.index(f'id="row-{near}"'):]
    assert 'class="status-new out borderline"' in html and "0.42" in row[:row.index("</tr>")]
    assert '<span class="borderline-label"' in row[:row.index("</tr>")]
    assert rows(editor.get("/?status=borderline").get_data(as_text=True)) == [str(near)]
    item = editor.get(f"/item/{near}?status=borderline").get_data(as_text=True)
    assert "borderline: just under the threshold" in item and "1 of 1" in item
    editor.post(f"/item/{near}/status", {"status": "approved"})
    assert rows(editor.get("/?status=borderline").get_data(as_text=True)) == []
    assert str(near) in rows(editor.get("/?status=approved").get_data(as_text=True))
