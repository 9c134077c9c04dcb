"""store: write each item in one transaction — a new story, an update, or a new copy.

Crawls in other processes (Scrapyd jobs, cluster workers) write to the same store at the same time.
So an item that may make or change a story is stored under the store's story lock
(Store.lock_stories), after loading what the others stored and checking again whether it is a copy:
the decision "new story or copy" is taken one at a time across every process, in the database.
When the lock's number shows that no transaction took it since the dedup stage looked (the item's
`checked_seq`), that stage's answer holds, and is not sought again.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from sqlalchemy.orm import Session

from hsctwatch.crawl.items import Article
from hsctwatch.crawl.storage import required_store
from hsctwatch.crawl.timing import timed
from hsctwatch.stories.copies import StoryMatch, find_story, is_unchanged, save_item, stored_hash
from hsctwatch.stories.models import Store, Story
from hsctwatch.stories.neardup import Signature, fingerprints, shared_index, stored_signature, to_bytes
from pipelines.dedup import is_translation, item_signature, near_match


class StorePipeline:
    def __init__(self, crawler: Crawler, store: Store):
        self.crawler = crawler
        self.store = store
        self.index = shared_index(self.store)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler, required_store(crawler))

    @timed("store")
    def process_item(self, item: Article) -> Article:
        story_id = item.get("story_id")
        match = StoryMatch(story_id, item.get("duplicate_reason") or "") if story_id else None
        seq = None
        checked = item.pop("checked_seq", None)  # the story lock's number the dedup stage looked at
        with self.store.session() as session:
            if checked is not None and item.get("duplicate_reason") != "same-url":
                stored = None  # no copy at its URL when the dedup stage looked (else: "same-url")
            else:
                stored = stored_hash(session, item)
            url_stored: bool | None = stored is not None
            if not is_unchanged(item, stored):
                seq = self.store.lock_stories(session)
                if self.index.current_since(checked, seq):
                    # nothing stored since the dedup stage looked (nor since `stored_hash` did):
                    # what they found holds under the lock, that no copy is at its URL too
                    self.crawler.stats.inc_value("hsctwatch/store/checked_before")
                else:
                    self.index.refresh(session)
                    match = self.check_again(session, item, match)
                    url_stored = None  # read again under the lock
            # a new story's signature and fingerprints go into its INSERT (the dedup stage hashed its text)
            minhash = item_signature(None, item) if match is None else None
            indexed = to_bytes(minhash, fingerprints(item.get("text") or "")) if minhash else None
            # a story's text before a copy joins it, with the signature it was indexed with (a
            # stored copy seen again unchanged changes no story: nothing to load)
            matched = session.get(Story, match.article_id) if match is not None and seq is not None else None
            before = (matched.text, matched.minhash) if matched is not None and matched.minhash else None
            outcome, article_id = save_item(session, item, match, indexed, seq, url_stored)
            if outcome == "new":  # its text is the item's: indexed with the signature it was stored with
                self.index.add(article_id, item.get("text") or "", minhash)
            elif outcome in ("updated", "copy"):
                # index the story's text as it now stands (a copy may have become its original),
                # and keep the signature with it, in the same transaction
                story = session.get(Story, article_id)
                if story is not None:
                    known: Signature | None
                    prints = None
                    if before is not None and story.text == before[0]:  # its text as it was: hashed then
                        known, prints = stored_signature(before[1])
                    else:  # the item's signature (by the worker process), when the story's text is the item's
                        known = minhash if minhash is not None and story.text == item.get("text") else None
                    story.minhash = self.index.add(article_id, story.text, known, prints)
                    story.signature_seq = seq
        if seq is not None:
            self.index.seen(seq)
        item.pop("judgement", None)  # the worker's reading is not stored
        item["outcome"] = outcome
        item["story_id"] = article_id
        self.crawler.stats.inc_value(f"hsctwatch/store/{outcome}")
        return item

    def check_again(self, session: Session, item: Article, match: StoryMatch | None) -> StoryMatch | None:
        """The dedup stage's answer, brought up to date under the lock: a story another process
        stored since may be this item's (the same URL, guid or text, nearly the same text, or a
        partial copy of it)."""
        if match is not None and match.reason not in ("near-duplicate", "partial-copy"):
            return match  # a stored copy's URL, guid or text: that holds
        found = find_story(session, item)
        if found is None and match is None and item.get("text"):
            near = near_match(self.index, item["text"], item_signature(None, item))
            found = StoryMatch(near.story_id, near.reason) if near else None
        if found and found.reason != "same-url" and is_translation(session, item, found.article_id):
            found = None  # another language's version: linked in the feeds, never merged
        if found is not None and match is None:  # stored meanwhile, by another crawl
            self.crawler.stats.inc_value("hsctwatch/store/found_under_lock")
        return found or match
