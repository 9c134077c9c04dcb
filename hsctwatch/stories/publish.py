"""From the store to the feed folder: which stories are published, and how they look.

`[feeds] publish = "auto"` publishes every relevant story an editor has not rejected;
`"approved"` only the ones an editor approved.

Builds take turns: a run's, a command's and the desk's (after each decision) may overlap, and
a build that read the store before an editor's approval must not finish after the approval's
build and put the older feeds back. Each build holds a lock (`hsct-watch-feeds.lock` beside the
config) from before it reads the store until its last file is written, so the build that
writes last is the one that read last.
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from feeds import FeedCopy, FeedItem, FeedMeta, FeedTag, FeedTranslation, write_feeds
from feeds.folder import FeedFolderError
from hsctwatch.config import Config
from hsctwatch.stories.reading import SqliteReader
from hsctwatch.stories.settings import WAIT
from hsctwatch.urls import url_key

if TYPE_CHECKING:  # SQLAlchemy is imported by the builds that read through it
    from sqlalchemy.orm import Session

    from feeds.writer import FeedReport
    from hsctwatch.rules import Vocabulary
    from hsctwatch.stories.models import Store, Story

BUILD_LOCK = "hsct-watch-feeds.lock"
DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)")
PMID = re.compile(r"\bPMID:?\s*(\d{6,9})\b")
#: A feed whose candidates — a tag's published stories, the stories in its languages — are at most
#: this many times its length is found by walking them and sorting them; any other by walking
#: the date index from the newest story until the feed is full. A rare tag or language found on
#: the date index walks all of it (0.6 s at 100k stories, for each); a common one found from its
#: stories sorts thousands of them. The stories found are the same either way.
FEW = 10
#: A story as a build reads it: a models.Story, or a reading.ShownStory with the same attributes.
Shown = Any


class Reader(Protocol):
    """What a build reads of the store: reading.SqliteReader, or _SessionReader for any store."""

    def source_titles(self) -> dict[str, str]: ...

    def papers(self) -> Sequence[Shown]: ...

    def newest(self, publish: str, limit: int | None, *, tag: str | None = None,
               languages: Sequence[str] = (), unknown: str = "en", walk: str = "date") -> list[int]: ...

    def at_most(self, languages: Sequence[str], unknown: str, bound: int) -> bool: ...

    def tags_in_use(self, *, publish: str, languages: Sequence[str] = (),
                    unknown: str = "en") -> list[tuple[str, str, int]]: ...

    def languages_published(self, publish: str, languages: Sequence[str] = (),
                            unknown: str = "en") -> list[str]: ...

    def stories(self, ids: Sequence[int]) -> dict[int, Shown]: ...

    def owners(self, keys: Sequence[str]) -> dict[str, int]: ...

    def story(self, story_id: int) -> Shown | None: ...


def build_feeds(config: Config) -> FeedReport:
    """Write every feed file from the store; unchanged files are left as they are.

    Only what the feeds show is loaded: the newest `max_items` items, and the newest `max_items`
    of each tag and each language in use — not the whole store, which may hold a hundred thousand
    stories. `[feeds] languages` limits every feed to those languages.

    A current SQLite store is read without SQLAlchemy (hsctwatch.stories.reading); any other
    through the models, which open, upgrade or report it.
    """
    with building(config.data_dir):
        reader = SqliteReader.open(config.store_url, WAIT["seconds"])
        if reader is not None:
            try:
                return _build(config, reader)
            except sqlite3.Error:
                pass  # found damaged as it is read, before anything is written: the models report it
            finally:
                reader.close()
        from hsctwatch.stories.models import open_store

        store = open_store(config.store_url)
        with store.session() as session:
            return _build(config, _SessionReader(session, store))


@contextmanager
def building(folder: Path) -> Iterator[None]:
    """Wait for any other build of this installation to end, and hold the lock meanwhile."""
    path = Path(folder) / BUILD_LOCK
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise FeedFolderError(f"cannot make the feeds' build lock {path} ({exc.strerror}); "
                              "check the permissions of the config's folder") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing it lets the next build go


def _build(config: Config, reader: Reader) -> FeedReport:
    from hsctwatch.rules import Vocabulary

    rules = Vocabulary.load(config.rules)  # the labels only: compiling the rules takes longer
    publish, limit = config.feeds.publish, config.feeds.max_items
    languages: Sequence[str] = config.feeds.languages
    unknown = config.feeds.language
    titles = with_configured_titles(reader.source_titles(), config)
    papers = _papers(reader.papers())
    chosen: dict[str, Any] = {"languages": languages, "unknown": unknown}
    bound = FEW * limit if limit else 0
    few = bool(languages) and reader.at_most(languages, unknown, bound)
    top_ids = reader.newest(publish, limit, walk="language" if few else "date", **chosen)
    tag_ids: dict[FeedTag, list[int]] = {}
    tag_totals: dict[FeedTag, int] = {}
    for facet, slug, count in reader.tags_in_use(publish=publish, **chosen):
        tag = FeedTag(facet=facet, slug=slug, label=rules.display(slug))
        walk = "tag" if count <= bound else "language" if few else "date"
        tag_ids[tag] = reader.newest(publish, limit, tag=slug, walk=walk, **chosen)
        tag_totals[tag] = count
    language_ids: dict[str, list[int]] = {}
    for code in reader.languages_published(publish, languages, unknown):
        walk = "language" if reader.at_most((code,), unknown, bound) else "date"
        language_ids[code] = reader.newest(publish, limit, languages=(code,), unknown=unknown, walk=walk)
    stories = reader.stories([*top_ids, *(i for ids in tag_ids.values() for i in ids),
                              *(i for ids in language_ids.values() for i in ids)])
    top = [stories[i] for i in top_ids]
    by_tag = {tag: [stories[i] for i in ids] for tag, ids in tag_ids.items()}
    by_language = {code: [stories[i] for i in ids] for code, ids in language_ids.items()}
    translations = _translations(reader, stories, rules, publish)
    built: dict[int, FeedItem] = {}

    def items(articles: Sequence[Shown]) -> list[FeedItem]:
        for article in articles:
            if article.id not in built:
                built[article.id] = feed_item(article, titles, rules, papers,
                                              translations.get(article.id, ()))
        return [built[a.id] for a in articles]

    top_items = items(top)
    tag_items = {tag: items(articles) for tag, articles in by_tag.items()}
    language_items = {code: items(articles) for code, articles in by_language.items()}
    meta = feed_meta(config)
    report = write_feeds(top_items, meta, config.feeds_dir, max_items=limit, tag_items=tag_items,
                         tag_totals=tag_totals, language_items=language_items,
                         language_names=rules.languages)
    if config.feeds.hub:
        from feeds.websub import changed_feeds, notify

        topics = [meta.base_url + name for name in changed_feeds(report.changed)]
        report.messages += notify(config.feeds.hub, topics)
    return report


class _SessionReader:
    """The build's reads through SQLAlchemy's session, for any store."""

    def __init__(self, session: Session, store: Store):
        self.session = session
        self.store = store

    def source_titles(self) -> dict[str, str]:
        from hsctwatch.stories.models import Source

        return {s.name: s.title for s in self.session.query(Source).all() if s.title}

    def papers(self) -> Sequence[Story]:
        from sqlalchemy import select

        from hsctwatch.stories.models import Copy, Story

        return self.session.scalars(
            select(Story).join(Copy, Copy.article_id == Story.id)
            .where(Copy.guid != "", Copy.guid >= "pmid:", Copy.guid < "pmid;")  # walks the guid index
        ).all()

    def newest(self, publish: str, limit: int | None, *, tag: str | None = None,
               languages: Sequence[str] = (), unknown: str = "en", walk: str = "date") -> list[int]:
        return newest(self.session, publish, limit, tag=tag, languages=languages, unknown=unknown, walk=walk)

    def at_most(self, languages: Sequence[str], unknown: str, bound: int) -> bool:
        from sqlalchemy import func, literal, select

        from hsctwatch.stories.models import Store, Story

        chosen = Store.in_languages(select(literal(1)).select_from(Story), languages, unknown)
        return int(self.session.scalar(select(func.count()).select_from(chosen.limit(bound + 1).subquery()))
                   or 0) <= bound

    def tags_in_use(self, *, publish: str, languages: Sequence[str] = (),
                    unknown: str = "en") -> list[tuple[str, str, int]]:
        return self.store.tags_in_use(self.session, publish=publish, languages=languages, unknown=unknown)

    def languages_published(self, publish: str, languages: Sequence[str] = (),
                            unknown: str = "en") -> list[str]:
        return languages_published(self.session, publish, languages, unknown)

    def stories(self, ids: Sequence[int]) -> dict[int, Story]:
        return shown_stories(self.session, ids)

    def owners(self, keys: Sequence[str]) -> dict[str, int]:
        from sqlalchemy import select

        from hsctwatch.stories.models import Copy

        owner: dict[str, int] = {}
        for chunk in _chunks(list(keys), 500):
            owner.update({str(k): int(i) for k, i in self.session.execute(
                select(Copy.url_key, Copy.article_id).where(Copy.url_key.in_(chunk)))})
        return owner

    def story(self, story_id: int) -> Story | None:
        from hsctwatch.stories.models import Story

        return self.session.get(Story, story_id)


def newest(session: Session, publish: str, limit: int | None, *, tag: str | None = None,
           languages: Sequence[str] = (), unknown: str = "en", walk: str = "date") -> list[int]:
    """The ids of a feed's stories, newest first: those Store.published_articles would load, found
    without loading them (a story is in several feeds, and is loaded once). ``walk``: where they
    are found (FEW) — on the date index ("date"), or among the tag's stories ("tag") or the
    stories in ``languages`` ("language"), sorted; the same ids either way."""
    from sqlalchemy import select

    from hsctwatch.stories.models import Store, Story, Tag

    query = Store.in_languages(Store.published(select(Story.id), publish), languages, unknown)
    if tag and walk == "tag":
        tagged = select(Tag.article_id).where(Tag.slug == tag, Tag.origin != "removed")
        query = query.where(Story.id.in_(tagged))
    elif tag:
        query = query.where(Story.tags.any((Tag.slug == tag) & (Tag.origin != "removed")))
    if walk == "language" and languages:
        chosen = Store.in_languages(select(Story.id), languages, unknown).correlate(None)
        query = query.where(Story.id.in_(chosen))
    query = query.order_by(Story.published.desc().nulls_last(), Story.id.desc())
    return list(session.scalars(query.limit(limit) if limit else query))


def shown_stories(session: Session, ids: Sequence[int]) -> dict[int, Story]:
    """The stories of these ids with what a feed item shows of them: tags, copies (not the copies'
    texts, which no feed shows) and an editor's edit."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from hsctwatch.stories.models import Copy, Story

    found: dict[int, Story] = {}
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), 500):
        query = select(Story).where(Story.id.in_(wanted[start:start + 500])).options(
            selectinload(Story.tags), selectinload(Story.copies).defer(Copy.text).defer(Copy.summary),
            selectinload(Story.edit))
        found.update((story.id, story) for story in session.scalars(query))
    return found


def languages_published(session: Session, publish: str, languages: Sequence[str] = (),
                        unknown: str = "en") -> list[str]:
    """The languages with a published story (of `languages`, if given; a story whose language is
    not told, "", counts as `unknown`'s), as Store.languages_in_use has them, without counting
    every story: the store's few languages are found on the language index one by one, and
    each is asked for one published story."""
    from sqlalchemy import select

    from hsctwatch.stories.models import Store, Story

    found: list[str] = []
    code = None
    while True:
        query = select(Story.language).order_by(Story.language).limit(1)
        code = session.scalar(query if code is None else query.where(Story.language > code))
        if code is None:
            return found
        key = code or unknown
        if key in found or (languages and not (code in languages or (not code and unknown in languages))):
            continue
        if session.scalar(Store.published(select(Story.id), publish).where(Story.language == code).limit(1)):
            found.append(key)


def feed_meta(config: Config) -> FeedMeta:
    """What the feeds and the site say about themselves, from the config."""
    base_url = config.feeds.base_url
    digest = config.digest
    return FeedMeta(
        title=config.feeds.title,
        description=config.feeds.description,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        language=config.feeds.language,
        hub=config.feeds.hub,
        email=digest.subscribe_link if digest else "",
        email_tags=tuple(sorted(digest.tags)) if digest else (),
    )


def source_titles(session: Session, config: Config) -> dict[str, str]:
    """Each source's name as readers see it: stored, else configured, else its short name."""
    from hsctwatch.stories.models import Source

    return with_configured_titles({s.name: s.title for s in session.query(Source).all() if s.title}, config)


def with_configured_titles(stored: dict[str, str], config: Config) -> dict[str, str]:
    """The stored titles of sources, and the configured or short name of the others."""
    titles = dict(stored)
    for source in config.sources:
        titles.setdefault(source.name, source.display_title)
    return titles


def is_published(article: Shown, publish: str) -> bool:
    """The same rule as Store.published and models.is_published, for one story as a build reads
    it (this module does not import the models: a build from SQLite goes without SQLAlchemy)."""
    if publish == "approved":
        return bool(article.status == "approved")
    return bool(article.status == "approved" or (article.relevant and article.status != "rejected"))


def _translations(reader: Reader, stories: dict[int, Shown], rules: Vocabulary,
                  publish: str) -> dict[int, tuple[FeedTranslation, ...]]:
    """Each story's other language versions that are published stories of their own: those its
    page declares (<link rel="alternate" hreflang>), and those whose pages declare it. Linked,
    never merged: each stays an item in its own language's feed."""
    declared = {a.id: {code: url_key(url) for code, url in _alternates(a).items()} for a in stories.values()}
    keys = {key for found in declared.values() for key in found.values() if key}
    owner = reader.owners(sorted(keys))
    others = {i: reader.story(i) for i in set(owner.values()) - set(stories)}
    known = {**stories, **{i: a for i, a in others.items() if a is not None}}
    own_keys = {a.id: {c.url_key for c in a.copies} for a in stories.values()}
    links: dict[int, dict[int, str]] = {}
    for story_id, found in declared.items():
        for code, key in found.items():
            other = owner.get(key)
            if other is not None and other != story_id:
                links.setdefault(story_id, {})[other] = code
                if other in stories:  # and the other way: the version declared links back
                    links.setdefault(other, {}).setdefault(story_id, known[story_id].language or code)
    declaring: dict[str, list[int]] = {}  # each declared key: the stories declaring it
    for other_id, found in declared.items():
        for key in dict.fromkeys(found.values()):
            declaring.setdefault(key, []).append(other_id)
    for story_id, keys_of in own_keys.items():  # versions whose page declares this one
        for key in keys_of:
            for other_id in declaring.get(key, ()):
                if other_id != story_id:
                    links.setdefault(story_id, {}).setdefault(other_id, known[other_id].language)
    out: dict[int, tuple[FeedTranslation, ...]] = {}
    for story_id, linked in links.items():
        versions = [FeedTranslation(language=known[i].language or code, url=known[i].link,
                                    language_name=rules.language_name(known[i].language or code),
                                    title=known[i].shown_title)
                    for i, code in sorted(linked.items()) if i in known and is_published(known[i], publish)
                    and (known[i].language or code) != known[story_id].language]
        if versions:
            out[story_id] = tuple(versions)
    return out


def _alternates(article: Shown) -> dict[str, str]:
    found = (article.metadata_ or {}).get("alternates") or {}
    if not isinstance(found, dict):
        return {}
    return {str(code): url for code, url in found.items() if isinstance(url, str)}


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _papers(articles: Sequence[Shown]) -> dict[str, Shown]:
    """Published papers by DOI and PubMed ID, for linking the news that cites them."""
    found: dict[str, Shown] = {}
    for article in articles:
        record = (article.metadata_ or {}).get("record") or {}
        if record.get("pmid"):
            found[f"pmid:{record['pmid']}"] = article
            if record.get("doi"):
                found[f"doi:{str(record['doi']).lower()}"] = article
    return found


def cited_papers(article: Shown, papers: dict[str, Shown]) -> list[Shown]:
    """The papers a news story cites by DOI or PubMed ID (press coverage and paper stay two items).
    With no paper in the store, no text is searched for their numbers."""
    if not papers or (article.metadata_ or {}).get("record"):
        return []
    keys = {f"doi:{doi.lower().rstrip('.,;)')}" for doi in DOI.findall(article.text or "")}
    meta_doi = (article.metadata_ or {}).get("doi")
    if meta_doi:
        keys.add(f"doi:{str(meta_doi).lower()}")
    keys |= {f"pmid:{pmid}" for pmid in PMID.findall(article.text or "")}
    return [papers[k] for k in sorted(keys) if k in papers and papers[k].id != article.id]


def feed_item(article: Shown, source_titles: dict[str, str], rules: Vocabulary,
              papers: dict[str, Shown] | None = None,
              translations: tuple[FeedTranslation, ...] = ()) -> FeedItem:
    original = article.original
    copies = tuple(
        FeedCopy(url=c.url, source_title=source_titles.get(c.source, c.source))
        for c in article.copies
        if not c.is_original and (original is None or c.url != original.url)
    )
    cited = tuple(FeedCopy(url=p.link, source_title=f"the paper: {p.title}")
                  for p in cited_papers(article, papers or {}))
    tags = tuple(
        FeedTag(facet=t.facet, slug=t.slug, label=rules.display(t.slug))
        for t in sorted(article.tags, key=lambda t: (t.facet, t.slug))
        if t.origin != "removed"
    )
    return FeedItem(
        guid=article.guid,
        title=article.shown_title,
        link=article.link,
        published=article.published or article.first_seen,
        updated=article.updated,
        summary=article.shown_summary,
        text=article.text,
        source_title=source_titles.get(article.source, article.source),
        author=article.author,
        tags=tags,
        copies=copies,
        note=article.note or "",
        see_also=cited,
        language=article.language or "",
        translations=translations,
    )
