"""The editor's actions on stories: approve, reject, retag, merge duplicates, split a copy off.

Each action is one transaction and is recorded as a Decision with who and when. Decisions
live in the data itself (a status, an editor tag, copies moved between stories), so a later
crawl or re-run of the rules does not undo them.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from hsctwatch.rules import Vocabulary
from hsctwatch.stories.copies import is_more_original
from hsctwatch.stories.models import STATUSES, Copy, Decision, ItemEdit, Store, Story, Tag, new_guid, utcnow
from hsctwatch.urls import url_key

#: the queue's own filter: near misses still awaiting an editor (listed first in the "new" queue)
BORDERLINE = "borderline"


class ReviewError(Exception):
    """An action that can't be done; str() is the message for the editor."""


def current_editor() -> str:
    return os.environ.get("HSCT_WATCH_EDITOR") or getpass.getuser()


def find(session: Session, store: Store, ref: str) -> Story:
    article = store.get_article(session, ref)
    if article is None:
        raise ReviewError(f"no item {ref!r}: give an item number, a guid or a URL it was seen at")
    return article


@dataclass
class Row:
    id: int
    status: str
    relevant: bool
    borderline: bool
    score: float
    published: str
    source: str
    title: str
    tags: list[str]
    language: str = ""


def _queue_query(query: Any, *, tag: str | None, source: str | None, search: str | None,
                 include_irrelevant: bool, language: str | None = None) -> Any:
    """The queue's filters other than status (so the counts per status follow them)."""
    if language:
        query = query.where(Story.language == language)
    if not include_irrelevant:  # near misses are there for an editor to decide
        query = query.where(Story.relevant.is_(True) | (Story.status == "approved")
                            | Story.borderline.is_(True))
    if tag:
        query = query.where(Story.tags.any((Tag.slug == tag) & (Tag.origin != "removed")))
    if source:
        query = query.where(Story.copies.any(Copy.source == source))
    if search:
        like = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(Story.title.ilike(like, escape="\\"), Story.text.ilike(like, escape="\\"))
        )
    return query


_AWAITING = Story.borderline.is_(True) & (Story.status == "new")


def _by_status(query: Any, status: str | None) -> Any:
    """Narrowed to a status ("borderline": near misses awaiting review) and in queue order:
    near misses awaiting review first, then newest first."""
    if status == BORDERLINE:
        query = query.where(_AWAITING)
    elif status and status != "all":
        query = query.where(Story.status == status)
    first = case((_AWAITING, 0), else_=1)
    return query.order_by(first, Story.published.desc().nulls_last(), Story.id.desc())


def list_items(store: Store, *, status: str | None = "new", tag: str | None = None,
               source: str | None = None, search: str | None = None, include_irrelevant: bool = False,
               limit: int = 50, offset: int = 0,
               language: str | None = None) -> tuple[list[Row], dict[str, int]]:
    """The queue — near misses awaiting review first, then newest first — and the count per
    status under the same filters.

    The counts also have "borderline" (near misses awaiting review, counted among "new"), "all"
    (every status) and "matching" (the rows the status filter selects, of which ``rows`` is the
    page at ``offset``).
    """
    filters: dict[str, Any] = {"tag": tag, "source": source, "search": search,
                               "include_irrelevant": include_irrelevant, "language": language}
    with store.session() as session:
        query = _by_status(_queue_query(select(Story), **filters).options(selectinload(Story.tags)), status)
        rows = [
            Row(a.id, a.status, a.relevant, a.borderline and a.status == "new", a.relevance_score,
                f"{a.published:%Y-%m-%d}" if a.published else "", a.source, a.shown_title,
                [t.slug for t in a.tags if t.origin != "removed"], a.language)
            for a in session.scalars(query.offset(offset).limit(limit))
        ]
        counted = _queue_query(select(Story.status, func.count()), **filters).group_by(Story.status)
        by_status: dict[str, int] = {str(k): int(str(v)) for k, v in session.execute(counted).all()}
        near = session.scalar(
            _queue_query(select(func.count()).select_from(Story), **filters).where(_AWAITING))
    counts = {BORDERLINE: int(near or 0), **{s: by_status.get(s, 0) for s in STATUSES}}
    counts["all"] = sum(by_status.values())
    counts["matching"] = counts["all"] if not status or status == "all" else counts.get(status, 0)
    return rows, counts


def queue_ids(store: Store, *, status: str | None = "new", tag: str | None = None,
              source: str | None = None, search: str | None = None,
              include_irrelevant: bool = False, limit: int = 5000, language: str | None = None) -> list[int]:
    """The ids of the queue in order, for moving to the next or previous item."""
    with store.session() as session:
        query = _queue_query(select(Story.id), tag=tag, source=source, search=search,
                             include_irrelevant=include_irrelevant, language=language)
        return [int(i) for i in session.scalars(_by_status(query, status).limit(limit))]


def set_status(store: Store, refs: Sequence[str], status: str, editor: str | None = None) -> list[int]:
    if status not in STATUSES:
        raise ReviewError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    done = []
    with store.session() as session:
        for ref in refs:
            article = find(session, store, ref)
            if article.status != status:
                article.status = status
                session.add(Decision(article_id=article.id, action=_action(status),
                                     editor=editor or current_editor(), at=utcnow()))
            done.append(article.id)
    return done


def _action(status: str) -> str:
    return {"approved": "approve", "rejected": "reject", "new": "reopen"}[status]


def retag(store: Store, ref: str, add: Sequence[str], remove: Sequence[str], rules: Vocabulary,
          editor: str | None = None) -> list[str]:
    """Add or remove tags by slug; returns the item's tags after the change."""
    for slug in [*add, *remove]:
        try:
            rules.facet(slug)
        except KeyError:
            raise ReviewError(f"unknown tag {slug!r}; see the tags in the rules file") from None
    with store.session() as session:
        article = find(session, store, ref)
        by_slug = {t.slug: t for t in article.tags}
        for slug in add:
            tag = by_slug.get(slug)
            if tag is None:
                article.tags.append(Tag(facet=rules.facet(slug), slug=slug, evidence=[], origin="editor"))
            elif tag.origin == "removed":
                tag.origin = "rules" if tag.evidence else "editor"
        for slug in remove:
            tag = by_slug.get(slug)
            if tag is not None and tag.origin == "editor":
                article.tags.remove(tag)
            elif tag is not None:
                tag.origin = "removed"  # kept, so the rules don't bring it back
        session.add(Decision(article_id=article.id, action="tag", editor=editor or current_editor(),
                             detail={"add": list(add), "remove": list(remove)}, at=utcnow()))
        session.flush()
        return [t.slug for t in article.tags if t.origin != "removed"]


def edit(store: Store, ref: str, title: str, summary: str, editor: str | None = None) -> int:
    """Set the title and excerpt the feeds show for an item; empty strings restore the page's own."""
    title, summary = " ".join(title.split()), " ".join(summary.split())
    if len(title) > 300:
        raise ReviewError("a title of at most 300 characters, please")
    if len(summary) > 2000:
        raise ReviewError("an excerpt of at most 2,000 characters, please")
    with store.session() as session:
        article = find(session, store, ref)
        before = {"title": article.edit.title if article.edit else "",
                  "summary": article.edit.summary if article.edit else ""}
        if title == article.title:
            title = ""
        if summary == article.summary:
            summary = ""
        if not title and not summary:
            article.edit = None
        else:
            if article.edit is None:
                article.edit = ItemEdit()
            article.edit.title, article.edit.summary = title, summary
            article.edit.editor, article.edit.at = editor or current_editor(), utcnow()
        session.add(Decision(article_id=article.id, action="edit", editor=editor or current_editor(),
                             detail={"before": before, "title": title, "summary": summary}, at=utcnow()))
        return article.id


def merge(store: Store, keep_ref: str, other_ref: str, editor: str | None = None) -> int:
    """Make ``other`` a copy of ``keep``: its copies move over; ``keep``'s guid stays."""
    with store.session() as session:
        store.lock_stories(session)  # stories change: a crawl storing one meanwhile looks again
        keep = find(session, store, keep_ref)
        other = find(session, store, other_ref)
        if keep.id == other.id:
            raise ReviewError("those are the same item")
        moved = [c.url for c in other.copies]
        with session.no_autoflush:  # a copy between two stories is not an orphan to delete
            for copy in list(other.copies):
                other.copies.remove(copy)
                copy.is_original = False
                copy.match_reason = "editor-merge"
                keep.copies.append(copy)
        for tag in other.tags:
            if tag.origin == "editor" and all(t.slug != tag.slug for t in keep.tags):
                keep.tags.append(Tag(facet=tag.facet, slug=tag.slug, evidence=tag.evidence, origin="editor"))
        session.flush()
        _repoint(keep)
        session.add(Decision(article_id=keep.id, action="merge", editor=editor or current_editor(),
                             detail={"merged": other.id, "guid": other.guid, "urls": moved}, at=utcnow()))
        session.delete(other)
        return keep.id


def split(store: Store, ref: str, url: str, editor: str | None = None) -> int:
    """Split the copy at ``url`` off into a story of its own, with a new guid."""
    key = url_key(url)
    with store.session() as session:
        store.lock_stories(session)  # stories change: a crawl storing one meanwhile looks again
        article = find(session, store, ref)
        copy = next((c for c in article.copies if c.url_key == key or c.fetched_url == url), None)
        if copy is None:
            urls = ", ".join(c.url for c in article.copies)
            raise ReviewError(f"item {article.id} has no copy at {url}; its copies: {urls}")
        if len(article.copies) == 1:
            raise ReviewError(f"{url} is item {article.id}'s only copy; there is nothing to split")
        now = utcnow()
        new = Story(
            guid=new_guid(copy.url, now), link=copy.url, source=copy.source, title=copy.title,
            summary=copy.summary, text=copy.text, published=copy.published or now, first_seen=now,
            last_seen=now, content_hash=copy.content_hash, relevant=article.relevant,
            borderline=article.borderline, relevance_score=article.relevance_score,
            relevance_reasons=list(article.relevance_reasons),
            metadata_={}, status="new", language=article.language,
        )
        with session.no_autoflush:  # a copy between two stories is not an orphan to delete
            session.add(new)
            article.copies.remove(copy)
            copy.is_original = True
            copy.match_reason = "editor-split"
            new.copies.append(copy)
        for tag in article.tags:
            if tag.origin != "removed":
                new.tags.append(Tag(facet=tag.facet, slug=tag.slug, evidence=tag.evidence, origin=tag.origin))
        session.flush()
        _repoint(article)
        session.add(Decision(article_id=article.id, action="split", editor=editor or current_editor(),
                             detail={"url": copy.url, "new_item": new.id}, at=now))
        return new.id


def _repoint(article: Story) -> None:
    """After copies moved, the most original copy becomes the link; the guid never changes."""
    best = None
    for copy in article.copies:
        if best is None or is_more_original(copy, best):
            best = copy
    if best is None:
        return
    for copy in article.copies:
        copy.is_original = copy is best
    if article.link != best.url:
        article.link = best.url
        article.source = best.source
        if best.text:
            article.title, article.summary, article.text = best.title, best.summary, best.text
    if best.published and (article.published is None or best.published < article.published):
        article.published = best.published
