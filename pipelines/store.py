"""store: write each item — a new story, an update, or a new copy — in the process's open group
of stories (hsctwatch.stories.models.StoryGroup): one transaction for many items, committed after
HSCTWATCH_STORE_GROUP_ITEMS items or HSCTWATCH_STORE_GROUP_SECONDS seconds, and when a source's
crawl ends, before its validators are saved (hsctwatch.crawl.middlewares): a run killed with a
group open loses only stories whose pages the next run fetches again. Each item is written in a
savepoint of the group, so one that fails leaves the others.

Crawls in other processes (Scrapyd jobs, cluster workers) write to the same store at the same time.
So each group is stored under the store's story lock (Store.lock_stories, taken as it begins
and held until it commits), after loading what the others stored; an item that may make or
change a story is checked again for being a copy: the decision "new story or copy" is taken one
at a time across every process, in the database.
"""

from __future__ import annotations

import asyncio

from scrapy import Spider
from scrapy.crawler import Crawler
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from hsctwatch.crawl.items import Article
from hsctwatch.crawl.storage import required_store
from hsctwatch.crawl.timing import timed
from hsctwatch.stories.copies import StoryMatch, find_story, is_unchanged, save_item
from hsctwatch.stories.models import Store, Story, StoryGroup
from hsctwatch.stories.neardup import shared_index, to_bytes
from pipelines.dedup import is_translation, item_signature, near_match

#: A group commits after this many items, or this many seconds after it began (the story lock
#: is held meanwhile: other processes' store stages wait for it about this long at most).
GROUP_ITEMS = 200
GROUP_SECONDS = 1.0
WAKE = 0.1  # seconds between looks at an idle group
LOST = "hsctwatch/store/lost"  # items of a group that could not be committed


class StorePipeline:
    def __init__(self, crawler: Crawler, store: Store):
        self.crawler = crawler
        self.store = store
        self.index = shared_index(self.store)
        self.group_items = max(1, crawler.settings.getint("HSCTWATCH_STORE_GROUP_ITEMS", GROUP_ITEMS))
        self.group_seconds = crawler.settings.getfloat("HSCTWATCH_STORE_GROUP_SECONDS", GROUP_SECONDS)
        self.joined: StoryGroup | None = None  # the group this crawler's items are in
        self.in_group = 0  # how many, and the stories they (re-)indexed
        self.indexed: list[int] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler, required_store(crawler))

    def close_spider(self, spider: Spider | None = None) -> None:
        """The source's crawl is done: its stories are committed before its validators are saved
        (the spider_closed signal comes after the pipelines are closed)."""
        self.store.commit_group()

    @timed("store")
    def process_item(self, item: Article) -> Article:
        story_id = item.get("story_id")
        match = StoryMatch(story_id, item.get("duplicate_reason") or "") if story_id else None
        group = self.group()
        indexed: list[int] = []
        try:
            with group.item() as session:
                outcome, article_id = self.save(session, group, item, match, indexed)
        except Exception:
            self.index.restore(group.session, indexed)  # the item's savepoint was undone
            raise
        self.in_group += 1
        self.indexed += indexed
        item.pop("judgement", None)  # the worker's reading is not stored
        item["outcome"] = outcome
        item["story_id"] = article_id
        self.crawler.stats.inc_value(f"hsctwatch/store/{outcome}")
        if self.full(group):
            self.store.commit_group()
        return item

    def full(self, group: StoryGroup) -> bool:
        """Should the group commit now: full, old enough, or another process waits for it."""
        return (group.items >= self.group_items or group.age >= self.group_seconds
                or self.store.others_wait(group))

    def save(self, session: Session, group: StoryGroup, item: Article, match: StoryMatch | None,
             indexed: list[int]) -> tuple[str, int]:
        """Store one item in the group's transaction; the ids of the stories it re-indexed go to
        `indexed`."""
        checked = group.checked.pop(id(item), None)
        if not is_unchanged(session, item) and checked != self.index.generation:
            match = self.check_again(session, item, match)
        # a new story's signature goes into its INSERT (the dedup stage hashed its text)
        minhash = item_signature(None, item) if match is None else None
        outcome, article_id = save_item(session, item, match, to_bytes(minhash) if minhash else None)
        if outcome in ("new", "updated", "copy"):
            # index the story's text as it now stands (a copy may have become its original),
            # and keep the signature with it, in the same transaction
            story = session.get(Story, article_id)
            if story is not None:
                # the item's signature, made by the worker process, when the story's text is the item's
                known = minhash if minhash is not None and story.text == item.get("text") else None
                indexed.append(article_id)
                story.minhash = self.index.add(article_id, story.text, known)
                story.signature_seq = group.seq
        return outcome, article_id

    def lock(self, session: Session, group: StoryGroup) -> None:
        """Take the story lock for the whole group, before it writes anything (a group that
        held rows of its own while waiting for the lock could wait on another that waits for
        them), and load what other processes stored before: while the group holds it, no other
        process stores a story."""
        before = self.index.seq
        group.seq = self.store.lock_stories(session)
        self.index.refresh(session)
        self.index.seen(group.seq)  # the group's own signatures are in the index as they are made
        group.on_end(lambda committed: None if committed else self.index.forget_since(before))

    def group(self) -> StoryGroup:
        """The process's open group, joined by this crawler: its commit (or its loss, should it
        fail) is counted in this crawler's stats; a timer commits it once it is old enough, should
        no item come to do so."""
        group = self.store.group()
        if group.seq is None:
            self.lock(group.session, group)
        if self.joined is not group:
            self.joined, self.in_group, self.indexed = group, 0, []
            group.on_end(lambda committed: self.ended(group, committed))
            if group.items == 0:
                self.commit_later(group)
        return group

    def ended(self, group: StoryGroup, committed: bool) -> None:
        if self.joined is group:
            self.joined = None
        if committed:
            self.crawler.stats.inc_value("hsctwatch/store/commits")
            return
        # not stored: the source's validators are not saved, so the next run fetches them again
        self.crawler.stats.inc_value(LOST, self.in_group)
        self.crawler.stats.inc_value("hsctwatch/errors")
        messages = list(self.crawler.stats.get_value("hsctwatch/error_messages") or [])
        messages.append(f"{self.in_group} stories could not be stored; the next run fetches them again")
        self.crawler.stats.set_value("hsctwatch/error_messages", messages[-20:])
        try:
            with self.store.session() as session:  # as they were before the group
                self.index.restore(session, self.indexed)
        except SQLAlchemyError:  # a match to a story that is not there is stored as a new story
            pass

    def commit_later(self, group: StoryGroup) -> None:
        """While no item comes, look every tenth of a second whether the group should commit."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called directly, outside a crawl: the next item or a read commits it
            return
        loop.call_later(min(WAKE, self.group_seconds), self.wake, group)

    def wake(self, group: StoryGroup) -> None:
        if self.store.open_group() is not group:
            return  # committed meanwhile
        try:
            full = self.full(group)
        except SQLAlchemyError:  # the store is gone: committing the group tells what was lost
            full = True
        if full:
            self.store.commit_group(group)
        else:
            self.commit_later(group)

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
