"""dedup: is this item a copy of a story already stored?

Matches the same canonical URL, a rel=canonical naming a stored copy (or a stored copy whose
rel=canonical names this one), the same feed guid, identical text, then near-identical text
(MinHash-LSH, hsctwatch.stories.neardup) and a partial copy (a story's opening paragraphs
reproduced with an intro and a link back, or the story such a copy was made of) — against every
story in the store, not only this run's, and not only this process's. The store stage then
attaches the copy to its story, after checking again under the store's story lock when the lock
shows that something was stored since this stage looked (`checked_seq`: another crawl, in this
process or another, may have stored the item's story meanwhile).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from scrapy.crawler import Crawler
from sqlalchemy import select
from sqlalchemy.orm import Session

from hsctwatch.crawl.items import Article
from hsctwatch.crawl.storage import required_store
from hsctwatch.crawl.timing import charge, timed
from hsctwatch.stories.copies import StoryMatch, find_story
from hsctwatch.stories.models import Copy, Store, Story
from hsctwatch.stories.neardup import (
    Match,
    NearDuplicateIndex,
    Signature,
    from_hashvalues,
    keep_fingerprints,
    keep_shingled,
    shared_index,
    signature,
)
from hsctwatch.urls import url_key


class DedupPipeline:
    def __init__(self, crawler: Crawler, store: Store):
        self.crawler = crawler
        self.store = store
        self.index = shared_index(self.store)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        return cls(crawler, required_store(crawler))

    @timed("dedup")
    def process_item(self, item: Article) -> Article:
        with self.store.session() as session:
            checked = self.index.catch_up(session)  # what other processes stored meanwhile
            match = self._find(session, item)
        item["checked_seq"] = checked
        item["story_id"] = match.article_id if match else None
        item["duplicate_reason"] = match.reason if match else ""
        if match and match.reason != "same-url":
            self.crawler.stats.inc_value("hsctwatch/dedup/duplicates")
            self.crawler.stats.inc_value(f"hsctwatch/dedup/{match.reason}")
        elif match:
            self.crawler.stats.inc_value("hsctwatch/dedup/seen_again")
        return item

    def _find(self, session: Session, item: Article) -> StoryMatch | None:
        """The story the item copies (same URL, guid or text; nearly the same text; a partial
        copy), unless the item is another language's version of it."""
        match = find_story(session, item)
        if match is None and item.get("text"):
            near = near_match(self.index, item["text"], item_signature(self, item))
            if near is not None:
                match = StoryMatch(near.story_id, near.reason)
                if near.reason == "near-duplicate":
                    self.crawler.stats.max_value("hsctwatch/dedup/best_similarity", round(near.similarity, 3))
        if match and match.reason != "same-url" and is_translation(session, item, match.article_id):
            self.crawler.stats.inc_value("hsctwatch/dedup/translation_kept_apart")
            return None
        return match


def is_translation(session: Session, item: Article, story_id: int) -> bool:
    """Is the item another language's version of the story (a translation is linked to it in the
    feeds, never merged): in another language, or declared as its version by hreflang."""
    story_language = session.execute(select(Story.language).where(Story.id == story_id)).scalar()
    if story_language is None:  # no such story
        return False
    language = item.get("language") or ""
    if language and story_language and language != story_language:
        return True
    versions = {url_key(u) for u in (item.get("alternates") or {}).values()}
    if not versions:  # most pages declare none: the story's copies need not be read
        return False
    return session.execute(select(Copy.id).where(Copy.article_id == story_id, Copy.url_key.in_(versions))
                           .limit(1)).first() is not None


def near_match(index: NearDuplicateIndex, text: str, minhash: Signature | None) -> Match | None:
    """The stored story whose text is nearly the same, or of which this is a partial copy (or
    which is a partial copy of this)."""
    return None if minhash is None else index.find_copy(text, np.asarray(minhash.hashvalues, dtype=np.uint32))


def item_signature(stage: Any, item: Article) -> Signature | None:
    """The MinHash of the item's text: the worker process's (its seconds charged to the stage
    once), else made here. The store stage asks again for the same text: made once either way."""
    text = item.get("text") or ""
    judgement = item.get("judgement")
    given = judgement.signature_for(text) if judgement else None
    if judgement is None or given is None:
        return signature(text)
    if judgement.fingerprints is not None:  # the partial-copy check and the index need them too
        keep_fingerprints(text, judgement.fingerprints)
    if judgement.shingled is not None:  # and the partial-copy check this
        keep_shingled(text, judgement.shingled)
    hashvalues, seconds = given
    if seconds and stage is not None:
        charge(stage, "dedup", seconds)
        item["judgement"] = dataclasses.replace(judgement, signature_seconds=0.0)
    return None if hashvalues is None else from_hashvalues(hashvalues)
