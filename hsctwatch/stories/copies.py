"""Stories and their copies: finding the story an item belongs to, and storing it.

This is the project's own logic (what a duplicate is, which copy is the original), per
the editorial policy's "Duplicates": a copy is the same URL in another form, a page whose
rel=canonical names a stored copy, the same feed guid, or identical text. The original is
told by rel=canonical, then an attribution line, then the earliest publication date.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from hsctwatch.stories.models import Copy, Source, Story, Tag, new_guid, utcnow
from hsctwatch.stories.trials import STATUS_WORDS
from hsctwatch.urls import url_key


@dataclass(frozen=True)
class StoryMatch:
    article_id: int
    # same-url | rel-canonical | canonical-of | feed-guid | identical-text | near-duplicate | partial-copy
    reason: str


def find_story(session: Session, item: Mapping[str, Any]) -> StoryMatch | None:
    """The stored story this item is a copy of, with the reason, or None for a new story."""
    key = url_key(item.get("canonical_url") or "")
    checks: list[tuple[str, str, str]] = [("same-url", "url_key", key)]
    canonical_key = url_key(item.get("rel_canonical") or "")
    if canonical_key and canonical_key != key:
        checks.append(("rel-canonical", "url_key", canonical_key))
    if key:
        checks.append(("canonical-of", "rel_canonical", key))
    if item.get("guid") and len(item["guid"]) >= 8:
        checks.append(("feed-guid", "guid", item["guid"]))
    if item.get("content_hash"):
        checks.append(("identical-text", "content_hash", item["content_hash"]))
    # every check in one statement, the first that finds a copy winning: as asking them in turn
    found = session.execute(_first_copy(tuple(column for _, column, _ in checks)),
                            {f"value{n}": value for n, (_, _, value) in enumerate(checks)}).first()
    return None if found is None else StoryMatch(found[1], checks[found[0]][0])


_COPIES = Copy.__tablename__
#: The story of the first copy whose column has a value: the query `select(Copy.article_id)
#: .where(column == value).limit(1)` would send, as plain SQL (made once, not for every item).
_COPY_WHERE = {column: f"SELECT {_COPIES}.article_id FROM {_COPIES} "
                       f"WHERE {_COPIES}.{column} = :value{also} LIMIT 1"
               for column, also in (("url_key", ""), ("content_hash", ""),
                                    # only copies that have one are indexed (hsctwatch.stories.models.Copy)
                                    ("rel_canonical", " AND copies.rel_canonical != ''"),
                                    ("guid", " AND copies.guid != ''"))}
_URL_STORED = text(_COPY_WHERE["url_key"])


@functools.cache
def _first_copy(columns: tuple[str, ...]) -> TextClause:
    """One statement for a list of checks (`_COPY_WHERE` of each column, its value bound as
    :value0, :value1 …): the number of the first that finds a copy, and that copy's story. Each
    check is still one lookup in its column's index; the item is checked with one statement
    instead of one per check."""
    checks = [_COPY_WHERE[column].replace(":value", f":value{n}") for n, column in enumerate(columns)]
    parts = [f"SELECT {n} AS n, article_id FROM ({check}) AS c{n}" for n, check in enumerate(checks)]
    return text(f"SELECT n, article_id FROM ({' UNION ALL '.join(parts)}) AS checks ORDER BY n LIMIT 1")


def stored_hash(session: Session, item: Mapping[str, Any]) -> tuple[str | None] | None:
    """The text hash of the copy stored at the item's URL (as a one-tuple: a copy may have
    none); None when no copy is stored there."""
    stored = session.execute(_HASH_OF, {"value": url_key(item.get("canonical_url") or "")}).first()
    return None if stored is None else (stored[0],)


def is_unchanged(item: Mapping[str, Any], stored: tuple[str | None] | None) -> bool:
    """Whether the item is a stored copy (`stored_hash`) whose text is the same: storing it
    changes no story."""
    return stored is not None and (not item.get("content_hash") or item["content_hash"] == stored[0])


_HASH_OF = text(f"SELECT content_hash FROM {Copy.__tablename__} WHERE url_key = :value")


def save_item(session: Session, item: Mapping[str, Any], match: StoryMatch | None,
              minhash: bytes | None = None, seq: int | None = None,
              url_stored: bool | None = None) -> tuple[str, int]:
    """Store one item. Returns the outcome (new, updated, unchanged or copy) and the story's id.
    `minhash`, the signature of the item's text, is written with a new story as it is inserted,
    and `seq`, the transaction's number in the story lock's order, as its signature's.
    `url_stored`: whether a copy is stored at the item's URL, when the caller has just read it
    (in this transaction, with nothing stored since); None: read here."""
    now = utcnow()
    key = url_key(item["canonical_url"])
    copy = None
    if url_stored is None:
        url_stored = session.execute(_URL_STORED, {"value": key}).scalar() is not None
    if url_stored:  # seen before
        copy = session.scalars(select(Copy).where(Copy.url_key == key)).first()
    if copy is not None:
        return _seen_again(session, copy, item, now), copy.article_id
    article = session.get(Story, match.article_id) if match else None
    if article is None:
        return "new", _insert_story(session, item, key, now, minhash, seq)
    new_copy = _new_copy(item, key, now, original=False, reason=match.reason if match else "")
    article.copies.append(new_copy)
    article.last_seen = now
    current = article.original
    if current is None or is_more_original(new_copy, current):
        for other in article.copies:
            other.is_original = other is new_copy
        if current is not None and not current.match_reason:  # why it is a copy, as if it came second
            current.match_reason, new_copy.match_reason = new_copy.match_reason, ""
        article.link = new_copy.url
        article.source = new_copy.source
        _fill_article(session, article, item, now, keep_first_seen=True)
    return "copy", article.id


def is_more_original(candidate: Copy, current: Copy) -> bool:
    """Whether ``candidate`` is more likely the original publisher's copy than ``current``.

    When one copy names the other as its original (rel=canonical, then an attribution line),
    the other is. Else the earlier date wins (a copy without one counts as the latest), then the
    copy without an attribution line of its own, and last the address. The answer never depends
    on which copy arrived first, so neither do the item's title, author and excerpt."""
    for says_original in (_canonical_to, _attributes_to):
        current_says, candidate_says = says_original(current, candidate), says_original(candidate, current)
        if current_says != candidate_says:  # one names the other (both naming each other settles nothing)
            return current_says
    return _original_key(candidate) < _original_key(current)


_NO_DATE = datetime.max.replace(tzinfo=UTC)


def _original_key(copy: Copy) -> tuple[datetime, bool, str]:
    """Smaller is more original: the earlier date (none counts as the latest), then no
    attribution line, then the address (only so that the choice is always the same)."""
    published = copy.published
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    return (published or _NO_DATE, bool(copy.attribution), copy.url_key or copy.url)


def _canonical_to(copy: Copy, other: Copy) -> bool:
    """Does ``copy``'s rel=canonical name ``other``?"""
    return bool(copy.rel_canonical) and copy.rel_canonical == other.url_key


def _attributes_to(copy: Copy, other: Copy) -> bool:
    """Does ``copy`` carry a line saying it first appeared at ``other``?"""
    line = (copy.attribution or "").lower()
    if not line:
        return False
    host = (urlsplit(other.url).hostname or "").lower().removeprefix("www.")
    names = [n.lower() for n in (other.site_name, host) if n and len(n) > 3]
    return any(name in line for name in names)


def _seen_again(session: Session, copy: Copy, item: Mapping[str, Any], now: datetime) -> str:
    copy.last_seen = now
    article = copy.article
    article.last_seen = now
    if copy.is_original:
        _fill_gaps(article, copy, item)
    new_hash = item.get("content_hash") or ""
    if not new_hash or new_hash == copy.content_hash:
        return "unchanged"
    copy.content_hash = new_hash
    copy.title = item.get("title") or copy.title
    copy.text = item.get("text") or copy.text
    copy.summary = item.get("summary") or copy.summary
    if copy.is_original:
        note = status_change(article.metadata_ or {}, item.get("metadata") or {})
        _fill_article(session, article, item, now, keep_first_seen=True)
        article.updated = item.get("updated") or now
        if note:
            article.note = note
    return "updated"


def _fill_gaps(article: Story, copy: Copy, item: Mapping[str, Any]) -> None:
    """The same page seen through another source (a site's REST API and its feed) may know what
    the first sighting did not — the author's name, the excerpt: fill what is empty, so the
    item reads the same whichever source came first."""
    if not article.author and item.get("author"):
        article.author = item["author"]
    if not article.summary and item.get("summary"):
        article.summary = item["summary"]
    if not copy.summary and item.get("summary"):
        copy.summary = item["summary"]


def status_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """"Status changed: recruiting → active, not recruiting; results posted" for a trial record."""
    before, after = old.get("record") or {}, new.get("record") or {}
    if not before.get("nct_id") or before.get("nct_id") != after.get("nct_id"):
        return ""
    changes = []
    if before.get("status") != after.get("status"):
        words = [STATUS_WORDS.get(str(status), str(status).lower())
                 for status in (before.get("status"), after.get("status"))]
        changes.append(f"Status changed: {words[0]} → {words[1]}")
    if after.get("has_results") and not before.get("has_results"):
        changes.append("results posted")
    text = "; ".join(changes)
    return text[:1].upper() + text[1:]


def _insert_story(session: Session, item: Mapping[str, Any], key: str, now: datetime,
                  minhash: bytes | None, seq: int | None) -> int:
    """A new story, its first copy and its tags, inserted as plain rows: what creating the
    objects (`Story`, `_fill_article`, `_new_copy`, `set_rule_tags`) and flushing them writes,
    without the ORM's unit of work, which cost several times the inserts themselves."""
    story = {_COLUMN_OF[name]: value for name, value in _story_fields(item).items()}
    published = item.get("published") or now  # undated: when the story was first seen
    story.update({
        "guid": new_guid(item["canonical_url"], now), "link": item["canonical_url"], "source": item["source"],
        "status": "new", "first_seen": now, "last_seen": now, "title": item.get("title") or "",
        "language": item.get("language") or "", "published": published,
        "updated": item["updated"] if item.get("updated") and item["updated"] != published else None,
        "minhash": minhash, "signature_seq": seq,
    })
    article_id = int(session.execute(_INSERT_STORY, story).scalar_one())
    session.execute(_INSERT_COPY, {**_copy_values(item, key, now, original=True, reason=""),
                                   "article_id": article_id})
    tags = _rule_tags(item.get("tags") or [])
    if tags:
        session.execute(_INSERT_TAG, [{"article_id": article_id, "facet": tag["facet"], "slug": slug,
                                       "evidence": list(tag.get("evidence") or []), "origin": "rules"}
                                      for slug, tag in tags.items()])
    _touch_source(session, item["source"], now)
    return article_id


#: each Story attribute's column (`metadata_` is stored as "metadata")
_COLUMN_OF = {attribute.key: attribute.columns[0].name for attribute in Story.__mapper__.column_attrs}
_TABLES = Story.metadata.tables
_INSERT_STORY = insert(_TABLES[Story.__tablename__]).returning(_TABLES[Story.__tablename__].c.id)
_INSERT_COPY = insert(_TABLES[Copy.__tablename__])
_INSERT_TAG = insert(_TABLES[Tag.__tablename__])


def _new_copy(item: Mapping[str, Any], key: str, now: datetime, *, original: bool, reason: str) -> Copy:
    return Copy(**_copy_values(item, key, now, original=original, reason=reason))


def _copy_values(item: Mapping[str, Any], key: str, now: datetime, *, original: bool,
                 reason: str) -> dict[str, Any]:
    return dict(
        url=item["canonical_url"],
        url_key=key,
        fetched_url=item.get("final_url") or item.get("url") or "",
        source=item["source"],
        guid=item.get("guid") or "",
        rel_canonical=url_key(item.get("rel_canonical") or ""),
        title=item.get("title") or "",
        published=item.get("published"),
        content_hash=item.get("content_hash") or "",
        attribution=item.get("attribution") or "",
        summary=item.get("summary") or "",
        text=item.get("text") or "",
        site_name=(item.get("metadata") or {}).get("site_name", "")
        or (item.get("metadata") or {}).get("publisher", ""),
        is_original=original,
        match_reason=reason,
        first_seen=now,
        last_seen=now,
    )


def _fill_article(session: Session, article: Story, item: Mapping[str, Any], now: datetime,
                  *, keep_first_seen: bool = False) -> None:
    for name, value in _story_fields(item).items():
        setattr(article, name, value)
    article.title = item.get("title") or article.title or ""
    # undated: when the story was first seen, whichever copy that was
    article.published = item.get("published") or article.first_seen or now
    if item.get("updated") and item.get("updated") != article.published:
        article.updated = item["updated"]
    elif keep_first_seen:  # another copy became the original: its date, not the old one's
        article.updated = None
    article.language = item.get("language") or article.language or ""
    set_rule_tags(article, item.get("tags") or [])


def _story_fields(item: Mapping[str, Any]) -> dict[str, Any]:
    """The story's attributes that come from its original copy's item alone (`_fill_article`
    for a stored story, `_insert_story` for a new one); title, language and dates also depend
    on what the story had."""
    return {
        "summary": item.get("summary") or "", "text": item.get("text") or "",
        "author": item.get("author") or "", "content_hash": item.get("content_hash") or "",
        "relevant": bool(item.get("relevant")), "relevance_score": float(item.get("relevance_score") or 0.0),
        "relevance_reasons": list(item.get("relevance_reasons") or []),
        "borderline": bool(item.get("borderline")), "metadata_": dict(item.get("metadata") or {}),
    }


def _rule_tags(tags: Sequence[Mapping[str, Any]],
               editor: AbstractSet[str] = frozenset()) -> dict[str, Mapping[str, Any]]:
    """The rules' tags by slug, the first of each, but those an editor set or removed."""
    wanted: dict[str, Mapping[str, Any]] = {}
    for tag in tags:
        if tag["slug"] not in editor:
            wanted.setdefault(tag["slug"], tag)
    return wanted


def set_rule_tags(article: Story, tags: Sequence[Mapping[str, Any]]) -> None:
    """Replace the tags the rules gave; tags an editor set or removed stay as the editor left them.

    Existing rows are updated in place (not deleted and re-inserted), so the unique
    (article, slug) constraint holds within one flush.
    """
    editor = {t.slug for t in article.tags if t.origin != "rules"}
    current = {t.slug: t for t in article.tags if t.origin == "rules"}
    wanted = _rule_tags(tags, editor)
    for slug, row in current.items():
        if slug not in wanted:
            article.tags.remove(row)
    for slug, tag in wanted.items():
        existing = current.get(slug)
        if existing is None:
            article.tags.append(Tag(facet=tag["facet"], slug=slug,
                                    evidence=list(tag.get("evidence") or []), origin="rules"))
        else:
            existing.facet = tag["facet"]
            existing.evidence = list(tag.get("evidence") or [])


def _touch_source(session: Session, name: str, now: datetime) -> None:
    session.execute(_TOUCH, {"source_name": name, "at": now})


#: `session.get(Source, name).last_item_at = now`, when there is such a source, as one UPDATE
_SOURCES = Source.metadata.tables[Source.__tablename__]
_TOUCH = (update(_SOURCES).where(_SOURCES.c.name == bindparam("source_name"))
          .values(last_item_at=bindparam("at")))
