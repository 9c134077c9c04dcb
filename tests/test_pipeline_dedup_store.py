"""dedup and store together, on a real SQLite file: one story, one item."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy import event, func, select

from hsctwatch.crawl.items import Article
from hsctwatch.scraped import content_hash
from hsctwatch.stories.models import Copy, Store, Story
from pipelines.dedup import DedupPipeline
from pipelines.store import StorePipeline

TEXT = "Autologous HSCT stopped relapses in most people with aggressive relapsing MS. " * 12
NEWS = "https://news.example.org/2026/03/10/ahsct-aggressive-ms/"
BLOG = "https://blog.example.net/2026/03/12/my-column-reproduced/"


class Pipeline:
    """dedup → store, as Scrapy runs them, with their stats."""

    def __init__(self, store: Store):
        self.crawler = get_crawler(settings_dict={"HSCTWATCH_STORE_URL": store.url})
        self.crawler.stats.open_spider()
        self.dedup = DedupPipeline.from_crawler(self.crawler)
        self.store = StorePipeline.from_crawler(self.crawler)

    def __call__(self, **fields: Any) -> Article:
        defaults: dict[str, Any] = {
            "source": "news", "title": "aHSCT halts MS", "text": TEXT, "summary": "",
            "published": datetime(2026, 3, 10, 12, tzinfo=UTC), "relevant": True,
            "relevance_score": 0.9, "relevance_reasons": ["HSCT in the headline"],
            "tags": [{"facet": "type", "slug": "research",
                      "evidence": [{"phrase": "study", "where": "body"}]}],
        }
        defaults.update(fields)
        defaults.setdefault("canonical_url", defaults.get("url"))
        defaults["content_hash"] = content_hash(defaults["text"])
        item = Article(**defaults)
        return self.store.process_item(self.dedup.process_item(item))

    def stat(self, key: str) -> int:
        return int(self.crawler.stats.get_value(key) or 0)


@pytest.fixture
def pipeline(store: Store) -> Pipeline:
    return Pipeline(store)


def stories(store: Store) -> list[Story]:
    with store.session() as session:
        return list(session.scalars(select(Story).order_by(Story.id)).unique())


def count(store: Store, model: Any) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_new_story_is_stored_with_copy_and_tags(pipeline: Pipeline, store: Store) -> None:
    item = pipeline(url=NEWS)
    assert item["outcome"] == "new" and item["duplicate_reason"] == ""
    with store.session() as session:
        story = session.scalars(select(Story)).one()
        assert item["story_id"] == story.id
        assert story.link == NEWS and story.source == "news"
        assert story.guid.startswith("tag:hsct-watch,")
        assert [c.url for c in story.copies] == [NEWS] and story.copies[0].is_original
        assert [(t.facet, t.slug, t.evidence) for t in story.tags] == [
            ("type", "research", [{"phrase": "study", "where": "body"}])]
        assert story.relevance_reasons == ["HSCT in the headline"]
        assert story.published == datetime(2026, 3, 10, 12, tzinfo=UTC)


def test_same_url_again_is_unchanged(pipeline: Pipeline, store: Store) -> None:
    pipeline(url=NEWS)
    again = pipeline(url=NEWS + "?utm_source=rss", canonical_url=NEWS)
    assert again["outcome"] == "unchanged" and again["duplicate_reason"] == "same-url"
    assert count(store, Story) == 1 and count(store, Copy) == 1
    assert pipeline.stat("hsctwatch/store/unchanged") == 1


def test_a_copy_seen_again_unchanged_reads_no_signature(pipeline: Pipeline) -> None:
    """An unchanged copy changes no story: the store stage does not load the story's stored
    signature, which only re-indexing a changed story needs."""
    pipeline(url=NEWS)
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = pipeline.store.store.engine  # the stage's own, on the same file
    event.listen(engine, "before_cursor_execute", seen)
    try:
        again = pipeline(url=NEWS)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert again["outcome"] == "unchanged"
    assert statements and not [s for s in statements if f"{Story.__tablename__}.minhash" in s]


def test_with_nothing_stored_since_the_dedup_check_the_store_does_not_look_again(
        pipeline: Pipeline, store: Store) -> None:
    """The story lock's number tells the store stage that nothing was stored since the dedup
    stage looked: it stores the item without loading the index or asking the store again."""
    pipeline(url=NEWS)
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    item = pipeline.dedup.process_item(Article(
        source="blog", url=BLOG, canonical_url=BLOG, title="A column", text=TEXT, summary="",
        content_hash=content_hash(TEXT), relevant=True, tags=[]))
    engine = pipeline.store.store.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        stored = pipeline.store.process_item(item)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert stored["outcome"] == "copy" and stored["duplicate_reason"] == "identical-text"
    assert pipeline.stat("hsctwatch/store/checked_before") == 2  # the first story's, and this
    assert not [s for s in statements if "signature_seq >" in s]  # the index is not refreshed
    # nor is its URL looked up: the dedup stage found no copy there
    assert not [s for s in statements if s.startswith(("SELECT copies.article_id", "SELECT content_hash",
                                                        "SELECT n, article_id"))]
    assert "checked_seq" not in stored


def test_a_story_stored_between_the_check_and_the_store_is_found_under_the_lock(
        pipeline: Pipeline, store: Store) -> None:
    """Another crawl stores the same story after the dedup stage looked: the store stage sees
    the lock's number moved, looks again under the lock, and the item joins that story."""
    fields = {"source": "blog", "url": BLOG, "canonical_url": BLOG, "title": "aHSCT halts MS",
              "text": TEXT, "summary": "", "content_hash": content_hash(TEXT), "relevant": True, "tags": []}
    item = pipeline.dedup.process_item(Article(**fields))
    assert item["story_id"] is None  # nothing stored yet
    other = Pipeline(store)  # another crawler, storing the original meanwhile
    assert other(url=NEWS)["outcome"] == "new"
    stored = pipeline.store.process_item(item)
    assert stored["outcome"] == "copy"
    assert len(stories(store)) == 1
    with store.session() as session:
        assert session.scalars(select(Copy.match_reason).where(Copy.url == BLOG)).one() == "identical-text"
    assert pipeline.stat("hsctwatch/store/found_under_lock") == 1
    assert pipeline.stat("hsctwatch/store/checked_before") == 0


def test_changed_text_updates_the_item_and_keeps_its_guid(pipeline: Pipeline, store: Store) -> None:
    pipeline(url=NEWS)
    guid = stories(store)[0].guid
    changed = pipeline(url=NEWS, text=TEXT + " Update: the study was corrected.",
                       title="aHSCT halts MS (updated)",
                       updated=datetime(2026, 3, 11, 9, tzinfo=UTC))
    assert changed["outcome"] == "updated"
    [story] = stories(store)
    assert story.guid == guid
    assert story.title == "aHSCT halts MS (updated)"
    assert story.updated == datetime(2026, 3, 11, 9, tzinfo=UTC)
    assert "corrected" in story.text


@pytest.mark.parametrize(("fields", "reason"), [
    ({"rel_canonical": NEWS, "text": TEXT + " Comments below."}, "rel-canonical"),
    ({"guid": "https://news.example.org/?p=289114", "text": TEXT + " (AMP)"}, "feed-guid"),
    ({}, "identical-text"),
])
def test_copies_join_their_story(pipeline: Pipeline, store: Store, fields: dict[str, Any],
                                 reason: str) -> None:
    pipeline(url=NEWS, guid="https://news.example.org/?p=289114" if reason == "feed-guid" else "")
    copy = pipeline(url=BLOG, source="blog", published=datetime(2026, 3, 12, tzinfo=UTC), **fields)
    assert copy["outcome"] == "copy" and copy["duplicate_reason"] == reason
    [story] = stories(store)
    assert story.link == NEWS
    with store.session() as session:
        copies = session.scalars(select(Copy).order_by(Copy.id)).all()
        assert [(c.url, c.is_original) for c in copies] == [(NEWS, True), (BLOG, False)]
    assert pipeline.stat("hsctwatch/dedup/duplicates") == 1


def test_the_first_check_that_finds_a_copy_names_the_story_and_the_reason(pipeline: Pipeline,
                                                                         store: Store) -> None:
    """The same URL, then rel=canonical, then a stored copy whose rel=canonical names the item,
    then the feed guid, then identical text: the first that finds a stored copy decides, even
    when a later one would find another story's."""
    other_text = "Another centre reported its own results of autologous HSCT in relapsing MS. " * 12
    other = "https://other.example.com/2026/03/11/hsct-results/"
    news = pipeline(url=NEWS, guid="https://news.example.org/?p=289114")["story_id"]
    elsewhere = pipeline(url=other, text=other_text, rel_canonical="https://third.example/x/")["story_id"]
    assert news != elsewhere
    # at the news story's address, with the other story's text: the address decides
    again = pipeline(url=NEWS, text=other_text, guid="https://news.example.org/?p=289114")
    assert (again["story_id"], again["duplicate_reason"]) == (news, "same-url")
    # naming the other story's address, with the news story's guid and text
    named = pipeline(url=BLOG, rel_canonical=other, guid="https://news.example.org/?p=289114")
    assert (named["story_id"], named["duplicate_reason"]) == (elsewhere, "rel-canonical")
    # named by a stored copy's rel=canonical, with the news story's guid
    third = pipeline(url="https://third.example/x/", guid="https://news.example.org/?p=289114",
                     text=TEXT + " Third.")
    assert (third["story_id"], third["duplicate_reason"]) == (elsewhere, "canonical-of")
    # the guid before the text
    guid = pipeline(url="https://fourth.example/y/", guid="https://news.example.org/?p=289114",
                    text=other_text)
    assert (guid["story_id"], guid["duplicate_reason"]) == (news, "feed-guid")


def test_original_arriving_later_takes_over_and_guid_stays(pipeline: Pipeline, store: Store) -> None:
    pipeline(url=BLOG, source="blog", published=datetime(2026, 3, 12, tzinfo=UTC),
             attribution="I wrote this for News Example, where it first appeared; reproduced here.")
    guid = stories(store)[0].guid
    pipeline(url=NEWS, source="news", published=datetime(2026, 3, 10, tzinfo=UTC))
    [story] = stories(store)
    assert story.guid == guid
    assert story.link == NEWS and story.source == "news"
    assert story.published == datetime(2026, 3, 10, tzinfo=UTC)


def test_rel_canonical_of_the_copy_names_the_original(pipeline: Pipeline, store: Store) -> None:
    pipeline(url=BLOG, source="blog", rel_canonical=NEWS,
             published=datetime(2026, 3, 9, tzinfo=UTC))  # even with an earlier date
    pipeline(url=NEWS, source="news", text=TEXT + " More.")
    [story] = stories(store)
    assert story.link == NEWS


def test_different_articles_stay_apart(pipeline: Pipeline, store: Store) -> None:
    pipeline(url=NEWS)
    other = pipeline(url=BLOG, source="blog", text="A different report on the same trial. " * 20)
    assert other["outcome"] == "new"
    assert count(store, Story) == 2


def test_editor_tags_survive_a_rules_update(pipeline: Pipeline, store: Store) -> None:
    from hsctwatch.stories.models import Tag

    pipeline(url=NEWS)
    with store.session() as session:
        story = session.scalars(select(Story)).one()
        story.tags.append(Tag(facet="country", slug="sweden", origin="editor"))
        story.tags[0].origin = "removed"  # the editor took "research" off
    pipeline(url=NEWS, text=TEXT + " changed")
    with store.session() as session:
        tags = {(t.slug, t.origin) for t in session.scalars(select(Tag))}
    assert tags == {("sweden", "editor"), ("research", "removed")}


REPORT = """Ten years after treatment, most patients with relapsing-remitting multiple sclerosis who
received a hematopoietic stem cell transplant in the MIST trial remain free of disability
progression, scientists report. The trial randomized 110 patients with relapsing MS that was active
despite disease-modifying therapy to nonmyeloablative transplantation or to continued drug therapy.
At ten years, 79% of transplanted patients had no disability progression, and 64% had no relapses at
all. Average disability, measured on the Expanded Disability Status Scale, remained better than before
treatment. The conditioning regimen used cyclophosphamide and anti-thymocyte globulin, and there were
no treatment-related deaths. The study was published in JAMA Neurology."""


def test_a_reprint_with_new_intro_and_footer_is_a_near_duplicate(pipeline: Pipeline, store: Store) -> None:
    pipeline(url=NEWS, text=REPORT)
    reprint = ("This article first appeared on News Example and is reproduced here.\n\n" + REPORT
               + "\n\nProvided by Northwestern University. More information: DOI 10.1001/x.")
    item = pipeline(url=BLOG, source="blog", title="A different headline", text=reprint,
                    published=datetime(2026, 3, 12, tzinfo=UTC))
    assert item["outcome"] == "copy" and item["duplicate_reason"] == "near-duplicate"
    assert count(store, Story) == 1


def test_another_report_of_the_same_event_is_not_a_duplicate(pipeline: Pipeline, store: Store) -> None:
    pipeline(url=NEWS, text=REPORT)
    own_report = """Most people with relapsing MS who had stem cell transplants in a US-led trial a
decade ago have not seen their disability worsen, according to follow-up data released this week.
Our reporter spoke to two neurologists who were not involved. One said the result was impressive
but cautioned that the drugs used for comparison were older ones, and that newer antibody treatments
such as ocrelizumab are far more effective than interferons. Another said the transplant remains a
demanding treatment with real risks of infection and infertility, and that patients should be chosen
carefully. The trial enrolled patients at several centres in Europe and the Americas."""
    item = pipeline(url=BLOG, source="blog", text=own_report)
    assert item["outcome"] == "new"
    assert count(store, Story) == 2


def test_the_index_reloads_from_stored_signatures(pipeline: Pipeline, store: Store) -> None:
    from hsctwatch.stories.models import Story
    from hsctwatch.stories.neardup import NearDuplicateIndex

    first = pipeline(url=NEWS, text=REPORT)
    with store.session() as session:
        stored = session.get(Story, first["story_id"])
        # the signature (128 × 8 bytes), then the opening's fingerprints (4 bytes each)
        assert stored is not None and stored.minhash is not None
        assert len(stored.minhash) > 128 * 8 and (len(stored.minhash) - 128 * 8) % 4 == 0
    reloaded = NearDuplicateIndex.from_store(store)  # as after a restart
    assert len(reloaded) == 1
    match = reloaded.find("Reproduced with permission.\n\n" + REPORT)
    assert match is not None and match[0] == first["story_id"] and match[1] > 0.8


def test_a_trial_status_change_updates_the_item_with_a_note(pipeline: Pipeline, store: Store) -> None:
    url = "https://clinicaltrials.gov/study/NCT04047628"
    record = {"nct_id": "NCT04047628", "status": "RECRUITING", "has_results": False}
    text = REPORT + " Status: recruiting."
    first = pipeline(url=url, text=text, metadata={"record": record}, record_type="trial")
    later = {**record, "status": "COMPLETED", "has_results": True}
    second = pipeline(url=url, text=REPORT + " Status: completed, results posted.",
                      metadata={"record": later}, record_type="trial")
    assert second["outcome"] == "updated" and second["story_id"] == first["story_id"]
    with store.session() as session:
        story = session.get(Story, first["story_id"])
        assert story is not None
        assert story.note == "Status changed: recruiting → completed; results posted"
        assert story.updated is not None


def test_the_worker_s_signature_finds_the_copy_and_is_not_stored(pipeline: Pipeline, store: Store) -> None:
    from hsctwatch.crawl.items import Judgement
    from hsctwatch.rules import Document
    from hsctwatch.stories.neardup import signature

    first = pipeline(url="https://news.example/a", text=REPORT)
    reprint = "Reproduced with permission.\n\n" + REPORT
    made = signature(reprint)
    assert made is not None
    judged = Judgement(document=Document(title="aHSCT halts MS", text=reprint), rules_digest="",
                       signature=made.hashvalues, signature_seconds=0.25)
    second = pipeline(url="https://blog.example/b", text=reprint, judgement=judged)
    assert second["story_id"] == first["story_id"] and second["outcome"] == "copy"
    assert "judgement" not in second  # the store stage drops it
    assert pipeline.crawler.stats.get_value("hsctwatch/seconds/dedup") >= 0.25  # charged once


def test_a_translation_is_its_own_story_even_when_its_page_points_at_the_original(
        pipeline: Pipeline, store: Store) -> None:
    """Another language's version is linked in the feeds, never merged: a translated page whose
    rel=canonical names the original, or that hreflang declares, stays a story of its own, and
    stores its language and its declared versions."""
    spanish = "https://news.example.org/es/2026/03/10/ahsct-em-agresiva/"
    pipeline(url=NEWS, language="en", alternates={"es": spanish})
    pipeline(url=spanish, language="es", rel_canonical=NEWS, alternates={"en": NEWS},
             text=TEXT.replace("relapses", "brotes"))
    english, translated = stories(store)
    assert (english.language, translated.language) == ("en", "es")
    assert translated.link == spanish and count(store, Copy) == 2
    assert pipeline.stat("hsctwatch/dedup/translation_kept_apart") == 1


def test_a_version_declared_by_hreflang_is_its_own_story_when_its_language_is_unknown(
        pipeline: Pipeline, store: Store) -> None:
    """Without a language to tell them apart, a page that hreflang declares another version of
    a stored copy stays a story of its own; a page declaring versions the story lacks joins it."""
    version = "https://news.example.org/intl/2026/03/10/ahsct/"
    pipeline(url=NEWS, language="")
    pipeline(url=version, language="", rel_canonical=NEWS, alternates={"en": NEWS},
             text=TEXT.replace("relapses", "flare-ups"))
    assert [s.link for s in stories(store)] == [NEWS, version]
    assert pipeline.stat("hsctwatch/dedup/translation_kept_apart") == 1
    pipeline(url="https://blog.example/reprint", language="", rel_canonical=NEWS,
             alternates={"fr": "https://news.example.fr/ahsct/"})
    assert len(stories(store)) == 2 and count(store, Copy) == 3
