"""One story, one item, whatever order its copies arrive in.

A partial copy (an article's first paragraphs with an intro line and a link back) joins its
original's story; an article that quotes an opening paragraph among its own words does not; and
the item readers see — title, author, excerpt, link — is the original's either way round.
Items go through the real normalize, extract, dedup and store stages into a SQLite store, and the
feeds written from it are read back with feedparser.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import numpy as np
import pytest
from datasketch import MinHash
from scrapy.utils.test import get_crawler
from sqlalchemy import select, update

from feeds import FeedMeta, write_feeds
from hsctwatch.crawl.items import Article
from hsctwatch.rules import Vocabulary
from hsctwatch.stories.models import Copy, Store, Story
from hsctwatch.stories.neardup import (
    NUM_PERM,
    SEED,
    Match,
    NearDuplicateIndex,
    fingerprints,
    shingles,
    signature,
    to_bytes,
)
from hsctwatch.stories.publish import feed_item
from pipelines.dedup import DedupPipeline
from pipelines.extract import ExtractPipeline
from pipelines.normalize import NormalizePipeline
from pipelines.store import StorePipeline

FEATURE = [
    "When Hannah Okafor was told her multiple sclerosis had become aggressive, she was 31, had two "
    "children under five and had already stopped working. Three years later she walks her daughters to "
    "school every morning, after five weeks in a side room in Sheffield having a stem cell transplant.",
    "The treatment, known as aHSCT, uses chemotherapy to wipe out the immune system that is attacking the "
    "nerves, then rebuilds it from the patient's own stem cells, collected beforehand. Sheffield has "
    "treated more people with MS this way than any other centre in the UK.",
    "Professor Basil Sharrack says the patients referred to Sheffield have usually run out of other "
    "options. Most have tried two or three of the strongest drugs and are still relapsing, he said, and "
    "for them the transplant offers a real chance of stopping the disease.",
    "Hannah's path to Sheffield took eighteen months. Her neurologist tried natalizumab and then "
    "alemtuzumab, and she relapsed on both. A scan showed new lesions in her spinal cord, and she lost "
    "feeling in both legs for a month before her MS nurse suggested a referral.",
    "The transplant was harder than she expected. The week after the conditioning regimen of "
    "cyclophosphamide and anti-thymocyte globulin was the worst of her life: her counts fell to zero, "
    "she developed a fever and spent three days on intravenous antibiotics.",
    "Recovery took most of a year. Fatigue lingered for months, her childhood vaccinations had to be "
    "repeated, and she was warned that the chemotherapy might affect her fertility.",
    "Sheffield's published results suggest that around seven in ten carefully selected patients remain "
    "free of new disease activity five years after treatment, though the risks are real.",
    "Her latest scan showed no new lesions, and her walking has improved. I still have MS, she said, but "
    "it has stopped getting worse, and I have my life back.",
]
NEWS = "https://news.example.org/2026/03/10/hannahs-transplant/"
BLOG = "https://blog.example.net/2026/03/12/a-story-worth-reading/"
LEDE = "A year after aHSCT in Sheffield, Hannah walks to school"
FOOTER = (f'<p>The post <a href="{NEWS}">I have my life back</a> appeared first on '
          '<a href="https://news.example.org/">MS News Daily</a>.</p>')


def html(paragraphs: list[str]) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def original(**fields: Any) -> dict[str, Any]:
    return {"source": "news", "url": NEWS + "?utm_source=rss", "guid": "https://news.example.org/?p=77",
            "title": "‘I have my life back’: Hannah’s transplant", "author": "Marisa Wexler",
            "summary_html": f"<p>{LEDE} [&#8230;]</p>{FOOTER}",
            "content_html": html(FEATURE) + FOOTER, "published": "2026-03-10T09:00:00Z", **fields}


def reblog(**fields: Any) -> dict[str, Any]:
    intro = "This is a powerful piece about one woman's transplant in Sheffield, shared from MS News Daily:"
    return {"source": "blog", "url": BLOG, "guid": "https://blog.example.net/?p=12",
            "title": "A story worth reading", "author": "Ian",
            "content_html": html([intro, *FEATURE[:2], "Read the rest of Hannah's story at MS News Daily."]),
            "published": "2026-03-12T18:00:00Z", **fields}


class Crawl:
    """normalize → extract → dedup → store into one store, as a crawl runs them (the rules'
    verdict is given: these tests are about copies, not relevance)."""

    def __init__(self, store: Store):
        self.store = store
        self.crawler = get_crawler(settings_dict={"HSCTWATCH_STORE_URL": store.url})
        self.crawler.stats.open_spider()
        self.normalize = NormalizePipeline.from_crawler(self.crawler)
        self.extract = ExtractPipeline.from_crawler(self.crawler)
        self.dedup = DedupPipeline.from_crawler(self.crawler)
        self.save = StorePipeline.from_crawler(self.crawler)

    def __call__(self, fields: dict[str, Any]) -> Article:
        item = self.extract.process_item(self.normalize.process_item(Article(**fields)))
        assert isinstance(item, Article)  # outside a crawl's event loop, read in-process
        item.update(relevant=True, relevance_score=0.9, relevance_reasons=["HSCT for MS"],
                    tags=[{"facet": "type", "slug": "patient-story", "evidence": []}])
        return self.save.process_item(self.dedup.process_item(item))


def stories(store: Store) -> list[Story]:
    with store.session() as session:
        return list(session.scalars(select(Story).order_by(Story.id)).unique())


@pytest.mark.parametrize("order", ["original first", "partial copy first"])
def test_a_partial_copy_joins_its_original(store: Store, order: str) -> None:
    crawl = Crawl(store)
    items = [original(), reblog()] if order == "original first" else [reblog(), original()]
    outcomes = [crawl(fields) for fields in items]
    assert [o["outcome"] for o in outcomes] == ["new", "copy"]
    assert outcomes[1]["duplicate_reason"] == "partial-copy"
    [story] = stories(store)
    assert story.link == NEWS and story.source == "news"  # the original publisher, told by the link back
    assert story.title == "‘I have my life back’: Hannah’s transplant"
    assert story.author == "Marisa Wexler"
    assert story.summary == LEDE + "…"
    assert "appeared first" not in story.text and story.text.startswith("When Hannah Okafor")
    assert crawl.crawler.stats.get_value("hsctwatch/dedup/partial-copy") == 1
    with store.session() as session:  # the desk and `review show` say why the copy is one
        copies = {c.url: (c.is_original, c.match_reason) for c in session.scalars(select(Copy))}
    assert copies == {NEWS: (True, ""), BLOG: (False, "partial-copy")}


def test_an_article_quoting_an_opening_among_its_own_words_stays_apart(store: Store) -> None:
    crawl = Crawl(store)
    crawl(original())
    own = [f'I read this on MS News Daily this morning: "{FEATURE[0]}"',
           "My own assessment in Sheffield is in six weeks. I have had four relapses in two years, two of "
           "them on ocrelizumab, and my neurologist thinks I am a good candidate for the transplant.",
           "Every study I read makes me hopeful and frightened in equal measure: hopeful because the numbers "
           "are better than anything the drugs did for me, frightened because I have two small children.",
           "My husband has started a spreadsheet of everything we need to organise: childcare, time off "
           "work, a freezer full of meals, someone to walk the dog. My mum is moving in for a month.",
           "I will keep writing here through the assessment and, if it goes ahead, the transplant itself."]
    quoted = crawl({**reblog(), "url": BLOG + "my-turn/", "content_html": html(own)})
    assert quoted["outcome"] == "new"
    assert len(stories(store)) == 2


def run(store: Store, items: list[dict[str, Any]], out: Path) -> list[dict[str, Any]]:
    crawl = Crawl(store)
    for fields in items:
        crawl(fields)
    vocabulary = Vocabulary.load()
    titles = {"news": "MS News Daily", "news-wp": "MS News Daily", "blog": "Stem Cells and Stubbornness"}
    with store.session() as session:
        feed = [feed_item(s, titles, vocabulary)
                for s in session.scalars(select(Story).order_by(Story.published.desc())).unique()]
    write_feeds(feed, FeedMeta(title="HSCT for MS", description="d", base_url="https://example.org/"), out)
    parsed = feedparser.parse((out / "rss.xml").read_bytes())
    shown = ("title", "author", "link", "summary", "published")
    return [{k: e.get(k) for k in shown} for e in parsed.entries]


def test_two_orders_give_the_same_feed(tmp_path: Path) -> None:
    """Copies in opposite orders: the same items, each with its original's title, author and
    excerpt (only the guids differ: a guid is fixed by the first copy and never changes)."""
    # the REST API names no author
    wordpress_api = original(source="news-wp", url=NEWS, author="", summary_html=f"<p>{LEDE} [&hellip;]</p>")
    items = [wordpress_api, reblog(), original()]
    forward = run(Store(f"sqlite:///{tmp_path / 'a.db'}"), items, tmp_path / "a")
    backward = run(Store(f"sqlite:///{tmp_path / 'b.db'}"), items[::-1], tmp_path / "b")
    assert forward == backward
    [entry] = forward
    assert entry["title"] == "‘I have my life back’: Hannah’s transplant"
    assert entry["author"] == "Marisa Wexler" and entry["link"] == NEWS
    assert LEDE + "…" in entry["summary"]
    assert "appeared first" not in entry["summary"] and BLOG in entry["summary"]  # "Also published at"


def test_the_original_is_chosen_the_same_way_round_without_dates(store: Store) -> None:
    """Two copies that say nothing of each other and carry no date: the choice is still the same
    whichever came first (the address settles it), so the item does not change between runs."""
    from hsctwatch.stories.copies import is_more_original

    a = Copy(url="https://a.example/x", url_key="a.example/x", published=None, attribution="")
    b = Copy(url="https://b.example/x", url_key="b.example/x", published=None, attribution="")
    assert is_more_original(a, b) != is_more_original(b, a)
    dated = Copy(url="https://c.example/x", url_key="c.example/x", attribution="",
                 published=datetime(2026, 3, 1, tzinfo=UTC))
    assert is_more_original(dated, a) and not is_more_original(a, dated)
    says_copy = Copy(url="https://d.example/x", url_key="d.example/x", attribution="Reprinted from elsewhere",
                     published=datetime(2026, 3, 1, tzinfo=UTC))
    assert is_more_original(dated, says_copy) and not is_more_original(says_copy, dated)


def test_a_store_from_before_fingerprints_gains_them(store: Store) -> None:
    """Signatures stored before fingerprints were kept are completed once, on the next load,
    and a partial copy of such a story is found."""
    Crawl(store)(original())
    with store.session() as session:
        story = session.scalars(select(Story)).one()
        minhash = signature(story.text)
        assert minhash is not None
        session.execute(update(Story).values(minhash=to_bytes(minhash)))  # the old form: signature only
    index = NearDuplicateIndex.from_store(store)
    with store.session() as session:
        blob = session.scalars(select(Story.minhash)).one()
    assert blob is not None and len(blob) > 128 * 8
    match = index.find_partial(" ".join(FEATURE[:2]) + " Read the rest at MS News Daily.")
    assert match is not None and match.reason == "partial-copy" and match.similarity > 0.8
    assert np.array_equal(index._values([0])[0], np.asarray(minhash.hashvalues, dtype=np.uint32))


def test_an_answer_kept_for_a_text_is_asked_again_once_a_story_is_stored() -> None:
    """The store stage asks the index what the dedup stage asked; the answer kept meanwhile
    holds only while no story was indexed since: a story stored in between is found."""
    index = NearDuplicateIndex(texts=lambda ids: {i: "\n\n".join(FEATURE) for i in ids})
    text = "\n\n".join(FEATURE)
    assert index.find_copy(text) is None
    assert index.find_copy(text) is None  # the same answer, kept
    index.add(7, text)
    match = index.find_copy(text)
    assert match is not None and match.story_id == 7 and match.reason == "near-duplicate"
    index._remove(7)
    assert index.find_copy(text) is None


def test_a_new_storys_shingles_made_for_its_check_are_kept_when_it_is_indexed() -> None:
    """The partial-copy check makes an item's shingles; when the item then becomes a story, the
    index keeps them: a later partial copy of it is judged without reading its text again, with
    the answer an index that had to read it gives."""
    from hsctwatch.stories import neardup

    neardup._ITEM_SHINGLED.clear()
    stored = {1: "\n\n".join(FEATURE), 2: "\n\n".join([FEATURE[0], *FEATURE[3:], FEATURE[1]])}
    read: list[int] = []

    def texts(ids: Iterable[int]) -> dict[int, str]:
        read.extend(ids)
        return {i: stored[i] for i in ids}

    index = NearDuplicateIndex(texts=texts)
    index.add(1, stored[1])
    index.find_partial(stored[2])  # story 1 is a candidate: story 2's text is shingled for the check
    assert read == [1]
    index.add(2, stored[2])
    excerpt = " ".join([FEATURE[0], FEATURE[3]]) + " Read the rest at MS News Daily."
    read.clear()
    found = index.find_partial(excerpt)
    assert read == []  # both kept: story 1's read once, story 2's from its own check

    neardup._ITEM_SHINGLED.clear()  # nothing made lately: each story's text is read
    fresh = NearDuplicateIndex(texts=texts)
    fresh.add(1, stored[1])
    fresh.add(2, stored[2])
    read.clear()
    assert fresh.find_partial(excerpt) == found and sorted(read) == [1, 2]


def test_a_signature_has_the_hash_values_of_datasketch_shingle_by_shingle() -> None:
    """Signatures are made in one pass (the shingles hashed together, then datasketch's
    permutations): the values stored signatures hold, those of MinHash.update for each shingle."""
    for text in ("\n\n".join(FEATURE), " ".join(FEATURE[:2]) + " Straße naïve İstanbul 東京 ǅemal é."):
        expected = MinHash(num_perm=NUM_PERM, seed=SEED)
        for gram in shingles(text):
            expected.update(gram)
        made = signature(text)
        assert made is not None
        assert np.array_equal(made.hashvalues, expected.hashvalues)



def test_the_index_finds_every_story_sharing_a_band_key_and_no_other() -> None:
    """The band entries keep only a key's leading bits beside the row, and a row found is a
    candidate when its whole key, made again, is the same: the candidates must be exactly the
    rows sharing a whole band key, sorted or waiting for the next sort. 40,000 signatures, so
    that leading bits are shared by rows whose whole keys differ."""
    from hsctwatch.stories.neardup import BANDS, _band_keys

    rng = np.random.default_rng(7)
    stored = rng.integers(0, 2**32, size=(40_000, NUM_PERM), dtype=np.uint32)
    copies = stored[:300].copy()  # near copies: half the values of a stored signature changed
    copies[:, ::2] ^= np.uint32(0x5A5A5A5A)
    stored[39_000:39_300] = copies  # some among the rows waiting for the next sort
    index = NearDuplicateIndex()
    for row, values in enumerate(stored):
        index._index_row(index._append(row + 1, values), np.zeros(0, dtype=np.uint32))
    assert index.pending_rows and index.bands.shape[1]  # both kinds of rows are there
    keys = _band_keys(stored)  # rows × bands
    probes = np.concatenate([stored[:200], copies[:50], rng.integers(0, 2**32, size=(50, NUM_PERM),
                                                                     dtype=np.uint32)])
    leading_bits_shared = 0
    for probe in probes:
        probe_keys = _band_keys(probe[None, :])[0]
        expected = set(np.nonzero((keys == probe_keys).any(axis=1))[0].tolist())
        assert index._candidates(probe) == expected
        shift = np.uint64(32 + index.row_bits)
        leading_bits_shared += int(((keys >> shift) == (probe_keys >> shift)).sum()) - len(expected)
    assert leading_bits_shared > 0 and keys.shape[1] == BANDS  # the whole-key check was put to work


def test_a_copy_keeps_its_storys_signature_and_the_story_is_still_found(store: Store) -> None:
    """A copy joining a story whose text stays as it was keeps the signature and fingerprints
    the story was indexed with (not made again), and the story is found by its text after."""
    crawl = Crawl(store)
    crawl(original())
    with store.session() as session:
        before = session.scalars(select(Story.minhash)).one()
    assert crawl(reblog())["outcome"] == "copy"
    with store.session() as session:
        story_id, text, after = session.execute(select(Story.id, Story.text, Story.minhash)).one()
    minhash = signature(text)
    assert minhash is not None
    assert after == before == to_bytes(minhash, fingerprints(text))
    match = crawl.save.index.find_copy(text)
    assert match is not None and match.story_id == story_id and match.reason == "near-duplicate"



def test_the_shingles_kept_stay_within_their_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stored stories' shingles are kept for the partial-copy checks that follow, the least
    recently used let go once they pass SHINGLED_BYTES; every answer is the same either way."""
    from hsctwatch.stories import neardup

    neardup._ITEM_SHINGLED.clear()  # none made lately (by an earlier test's check): all are read once
    stored = {n: "\n\n".join(FEATURE[n:] + FEATURE[:n]) for n in range(len(FEATURE))}
    read: list[int] = []

    def texts(ids: Iterable[int]) -> dict[int, str]:
        read.extend(ids)
        return {i: stored[i] for i in ids}

    def answers(index: NearDuplicateIndex) -> list[Match | None]:
        return [index.find_partial(" ".join(FEATURE[n:n + 2]) + " Read the rest at MS News Daily.")
                for n in range(len(FEATURE) - 1)]

    unbounded = NearDuplicateIndex(texts=texts)
    for n, text in stored.items():
        unbounded.add(n, text)
    expected = answers(unbounded)
    assert all(expected) and set(read) == set(stored)
    read.clear()
    assert answers(unbounded) == expected and read == []  # all kept: none read again
    one = neardup._size(unbounded._shingled[0])
    monkeypatch.setattr(neardup, "SHINGLED_BYTES", 3 * one)
    bounded = NearDuplicateIndex(texts=texts)
    for n, text in stored.items():
        bounded.add(n, text)
    assert answers(bounded) == expected
    assert len(bounded._shingled) <= 3
    assert bounded._shingled_bytes == sum(neardup._size(s) for s in bounded._shingled.values()) <= 3 * one
