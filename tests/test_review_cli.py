"""The editor's commands and `explain`, in-process, on a real store and real feed files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hsctwatch.cli import cli
from hsctwatch.stories.models import Copy, Decision, Store, open_store
from tests.test_pipeline_dedup_store import BLOG, NEWS, REPORT, Pipeline

OTHER = "https://news.example.org/2026/03/01/beat-ms-enrolment/"
BEAT = """The BEAT-MS trial, which compares autologous haematopoietic stem cell transplantation with the
best available disease-modifying therapy for relapsing multiple sclerosis, has finished enrolling its
156 participants at 18 sites across the United States, its investigators said on Monday. Participants
were randomised either to the transplant or to a high-efficacy antibody such as ocrelizumab or
natalizumab, and will be followed for three years. The main measure is the time until a first relapse.
Recruiting for a randomised transplant trial is slow, one investigator said, because many people have
firm views about which arm they would prefer. Results are expected in 2029."""


@pytest.fixture
def setup(tmp_path: Path, store_url: str) -> tuple[Path, Store]:
    config = tmp_path / "hsct-watch.toml"
    config.write_text(f'[store]\nurl = "{store_url}"\n[feeds]\nout = "public"\n', encoding="utf-8")
    store = open_store(store_url)
    pipeline = Pipeline(store)
    pipeline(url=NEWS, text=REPORT, title="HSCT for MS: MIST at ten years")
    pipeline(url=BLOG, source="blog", title="HSCT for MS: MIST reprinted",
             published=datetime(2026, 3, 12, tzinfo=UTC), text="Reproduced from News Example.\n\n" + REPORT)
    pipeline(url=OTHER, title="BEAT-MS trial of HSCT for MS completes enrolment", text=BEAT,
             published=datetime(2026, 3, 1, tzinfo=UTC))
    return config, store


def hw(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), *args], env={"HSCT_WATCH_EDITOR": "ed"})
    return result.exit_code, result.output


def entries(config: Path) -> list[feedparser.FeedParserDict]:
    parsed = feedparser.parse((config.parent / "public" / "rss.xml").read_bytes())
    assert parsed.bozo == 0
    return parsed.entries


def test_list_show_and_explain(setup: tuple[Path, Store]) -> None:
    config, _ = setup
    code, out = hw(config, "review", "list")
    assert code == 0 and "new: 2  approved: 0  rejected: 0" in out
    assert "HSCT for MS: MIST at ten years" in out and "BEAT-MS trial of HSCT" in out
    code, out = hw(config, "review", "list", "--search", "BEAT")
    assert "HSCT for MS: MIST at ten years" not in out
    code, out = hw(config, "explain", NEWS)
    assert code == 0
    assert "relevant (score 0.90)" in out and "Why it is in:" in out and "HSCT in the headline" in out
    assert f"* {NEWS}" in out and f"- {BLOG}" in out and "near-duplicate" in out
    assert 'type/research: "study" (body)' in out
    code, out = hw(config, "explain", "https://nowhere.example.org/")
    assert code == 2 and "no item" in out


def test_reject_and_approve_follow_into_the_feed(setup: tuple[Path, Store]) -> None:
    config, store = setup
    hw(config, "feeds")
    assert len(entries(config)) == 2
    code, out = hw(config, "review", "reject", NEWS)
    assert code == 0 and "feeds rebuilt (1 items)" in out
    assert [e.title for e in entries(config)] == ["BEAT-MS trial of HSCT for MS completes enrolment"]
    code, _ = hw(config, "review", "approve", "1")
    assert code == 0 and len(entries(config)) == 2
    with store.session() as session:
        decisions = [(d.action, d.editor) for d in session.scalars(select(Decision).order_by(Decision.id))]
    assert decisions == [("reject", "ed"), ("approve", "ed")]


def test_retag(setup: tuple[Path, Store]) -> None:
    config, _ = setup
    code, out = hw(config, "review", "tag", "1", "+ppms", "-research")
    assert code == 0, out
    assert "ppms" in out and "research" not in out.split("tags:")[1]
    [entry] = [e for e in entries(config) if e.title == "HSCT for MS: MIST at ten years"]
    assert {t.term for t in entry.tags} == {"ppms"}
    code, out = hw(config, "review", "tag", "1", "+nonsense")
    assert code == 2 and "unknown tag 'nonsense'" in out


def test_split_then_merge_back(setup: tuple[Path, Store]) -> None:
    config, store = setup
    code, out = hw(config, "review", "split", "1", BLOG)
    assert code == 0 and "into new item" in out
    titles = sorted(e.title for e in entries(config))
    assert titles == ["BEAT-MS trial of HSCT for MS completes enrolment", "HSCT for MS: MIST at ten years",
                      "HSCT for MS: MIST reprinted"]
    # a later crawl of the blog copy stays with its own item
    pipeline = Pipeline(store)
    again = pipeline(url=BLOG, source="blog", title="HSCT for MS: MIST reprinted",
                     published=datetime(2026, 3, 12, tzinfo=UTC),
                     text="Reproduced from News Example.\n\n" + REPORT)
    assert again["outcome"] == "unchanged"
    assert len(entries(config)) == 3
    new_id = out.split("new item ")[1].split(";")[0]
    code, out = hw(config, "review", "merge", "1", new_id)
    assert code == 0
    [mist] = [e for e in entries(config) if "MIST" in e.title]
    assert mist.link == NEWS and BLOG in mist.summary  # listed as a copy again
    with store.session() as session:
        assert {c.url for c in session.scalars(select(Copy))} == {NEWS, BLOG, OTHER}


def test_split_and_merge_take_the_story_lock(setup: tuple[Path, Store]) -> None:
    """An editor's split or merge changes stories: it takes the story lock, as storing a crawled
    item does, so that a crawl storing an item meanwhile checks it again under the lock."""
    config, store = setup
    with store.session() as session:
        before = Store.lock_seq(session)
    code, out = hw(config, "review", "split", "1", BLOG)
    assert code == 0
    with store.session() as session:
        split = Store.lock_seq(session)
    new_id = out.split("new item ")[1].split(";")[0]
    code, _ = hw(config, "review", "merge", "1", new_id)
    assert code == 0
    with store.session() as session:
        merged = Store.lock_seq(session)
    assert before is not None and split == before + 1 and merged == split + 1


def test_merge_keeps_the_first_guid(setup: tuple[Path, Store]) -> None:
    config, _ = setup
    hw(config, "feeds")
    guids = {e.title: e.id for e in entries(config)}
    code, _ = hw(config, "review", "merge", "1", OTHER)
    assert code == 0
    [entry] = entries(config)
    assert entry.id == guids["HSCT for MS: MIST at ten years"]
    code, out = hw(config, "review", "merge", "1", "1")
    assert code == 2 and "same item" in out


def test_reprocess_keeps_editors_decisions(setup: tuple[Path, Store], tmp_path: Path) -> None:
    config, store = setup
    hw(config, "review", "tag", "1", "+ppms", "-research")
    hw(config, "review", "reject", OTHER)
    hw(config, "review", "split", "1", BLOG)
    code, out = hw(config, "reprocess")
    assert code == 0, out
    assert "3 item(s) checked: 0 newly relevant, 0 dropped" in out
    code, out = hw(config, "explain", "1")
    assert "ms-type/ppms: added by an editor" in out and "type/research: removed by an editor" in out
    assert f"- {BLOG}" not in out  # the split stays split
    code, out = hw(config, "review", "list", "--status", "rejected")
    assert "BEAT-MS trial of HSCT for MS completes enrolment" in out


def test_reprocess_after_a_rules_change(setup: tuple[Path, Store], tmp_path: Path) -> None:
    config, _ = setup
    rules = (Path(__file__).parent.parent / "hsctwatch" / "rules" / "rules.toml").read_text(encoding="utf-8")
    strict = rules.replace("threshold = 0.5", "threshold = 1.01")
    assert strict != rules
    (tmp_path / "strict.toml").write_text(strict, encoding="utf-8")
    config.write_text('rules = "strict.toml"\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
    code, out = hw(config, "reprocess", "--dry-run")
    assert code == 0 and "2 dropped" in out
    code, out = hw(config, "explain", "1")
    assert "relevant (score" in out  # unchanged by the dry run
    code, out = hw(config, "reprocess")
    assert "0 newly relevant, 2 dropped" in out and "tags removed:" in out
    code, out = hw(config, "explain", "1")
    assert "not relevant" in out and "threshold 1.01" in out


def test_reprocess_reads_the_stored_categories_and_the_sources_focus(tmp_path: Path) -> None:
    """A story is judged again with the categories it was stored with and its source's focus as
    the config now declares it."""
    config = tmp_path / "hsct-watch.toml"
    config.write_text('[store]\nurl = "sqlite:///store.db"\n[feeds]\nout = "public"\n\n[[sources]]\n'
                      'name = "diary"\nkind = "feed"\nurls = ["https://diary.example.org/feed/"]\n'
                      'focus = "hsct"\n', encoding="utf-8")
    pipeline = Pipeline(open_store(f"sqlite:///{tmp_path / 'store.db'}"))
    unjudged = {"relevant": False, "relevance_score": 0.0, "relevance_reasons": [], "tags": []}
    pipeline(url="https://news.example.org/day-6/", source="news", title="+6", **unjudged,
             text="Day +6. Neutrophils 0.1 this morning, so this is the zero week everyone warned me "
                  "about.\n\n"
                  "Temp 38.2 in the night, blood cultures and a new antibiotic. Mask on, door shut.",
             metadata={"categories": ["HSCT Moscow", "Day by day"]})
    pipeline(url="https://diary.example.org/back-at-work/", source="diary", title="Back at work", **unjudged,
             text="First week back at the office since the transplant. Four days, mornings only.\n\n"
                  "The afternoons are hard after the transplant. My MS fatigue is there too, but I can plan "
                  "around it.")
    pipeline(url="https://diary.example.org/vitamin-d/", source="diary", title="Vitamin D and MS", **unjudged,
             text="A new study of vitamin D supplements in relapsing MS found no effect on relapses.")
    code, out = hw(config, "reprocess")
    assert code == 0 and "3 item(s) checked: 2 newly relevant, 0 dropped" in out, out
    code, out = hw(config, "explain", "1")
    assert "Filed as:  HSCT Moscow · Day by day" in out  # the post's own categories
    assert "HSCT named in the categories ('HSCT Moscow')" in out
    code, out = hw(config, "explain", "2")
    assert "the source is devoted to HSCT" in out and "threshold 0.40" in out
