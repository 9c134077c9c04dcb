"""Reading a SQLite store for the feeds with the standard library's sqlite3, without SQLAlchemy.

`hsct-watch feeds` reads a few hundred stories; importing SQLAlchemy and mapping the models cost
more than that, a third of the command. A store that hsctwatch.stories.models.Store would open
as it is — a SQLite file in WAL mode at the current schema revision, with fresh planner
statistics — is read here, in one read transaction, with the queries SQLAlchemy sends for
hsctwatch.stories.publish (the same text, so the same plans and the same order of rows). Any
other store — on a server, to create, upgrade or ANALYZE, locked, damaged — is not: `SqliteReader.open`
gives None, and the build goes through the models, which open, upgrade or report it.

The rows come back as `ShownStory` and its parts: what a feed item reads of a Story, with the
values SQLAlchemy's column types would give (UTC datetimes, JSON decoded).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hsctwatch.stories.migrations import HEAD

PUBLISHED = {"auto": ("(articles.relevant IS 1 AND articles.status != ? OR articles.status = ?)",
                      ("rejected", "approved")),
             "approved": ("articles.status = ?", ("approved",))}
ARTICLE_COLUMNS = ("id, guid, link, source, title, summary, text, author, published, updated, first_seen, "
                   "relevant, metadata, status, language, note")
CHUNK = 500  # ids in one IN (…), as publish.shown_stories asks


@dataclass
class ShownTag:
    facet: str
    slug: str
    origin: str


@dataclass
class ShownCopy:
    url: str
    url_key: str
    source: str
    is_original: bool


@dataclass
class ShownEdit:
    title: str
    summary: str


@dataclass
class ShownStory:
    """A story as a feed item reads it (the attributes of models.Story it uses)."""

    id: int
    guid: str
    link: str
    source: str
    title: str
    summary: str
    text: str
    author: str
    published: datetime | None
    updated: datetime | None
    first_seen: datetime | None
    relevant: bool
    metadata_: dict[str, Any] | None
    status: str
    language: str
    note: str
    tags: list[ShownTag] = field(default_factory=list)
    copies: list[ShownCopy] = field(default_factory=list)
    edit: ShownEdit | None = None

    @property
    def shown_title(self) -> str:
        """As models.Story.shown_title: an editor's title, else the article's own."""
        return self.edit.title if self.edit and self.edit.title else self.title

    @property
    def shown_summary(self) -> str:
        return self.edit.summary if self.edit and self.edit.summary else self.summary

    @property
    def original(self) -> ShownCopy | None:
        return next((c for c in self.copies if c.is_original), self.copies[0] if self.copies else None)


def sqlite_path(url: str) -> Path | None:
    """The file of a plain SQLite URL (no options, nothing quoted), as SQLAlchemy would open it."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or any(c in url for c in "?%"):
        return None
    path = url[len(prefix):]
    return Path(path) if path and path != ":memory:" else None


class SqliteReader:
    """The feeds' reads of one SQLite store, in one read transaction (`close` ends it)."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    @classmethod
    def open(cls, url: str, wait_seconds: float) -> SqliteReader | None:
        """A reader for the store at `url`, if Store would open it as it is; else None."""
        path = sqlite_path(url)
        if path is None or not path.is_file():
            return None  # not SQLite, or a store to create
        try:
            connection = sqlite3.connect(path, timeout=wait_seconds, isolation_level=None)
        except sqlite3.Error:
            return None
        try:
            connection.execute(f"PRAGMA busy_timeout={int(wait_seconds * 1000)}")
            connection.execute("BEGIN")
            if cls._current(connection):
                return cls(connection)
        except sqlite3.Error:
            pass
        connection.close()
        return None

    @staticmethod
    def _current(connection: sqlite3.Connection) -> bool:
        """In WAL mode, at the newest revision, with statistics Store would not refresh
        (Store._statistics_stale)."""
        if str(connection.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
            return False
        if connection.execute("SELECT version_num FROM alembic_version").fetchall() != [(HEAD,)]:
            return False
        if not connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
            return False
        row = connection.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'articles' LIMIT 1").fetchone()
        counted = int(str(row[0]).split()[0]) if row and row[0] else 0
        stories = connection.execute("SELECT max(id) FROM articles").fetchone()[0] or 0
        return not int(stories) > 2 * counted + 1000

    def close(self) -> None:
        self.connection.close()  # ends the read transaction; nothing was written

    # -- what publish._build asks -------------------------------------------------------------

    def source_titles(self) -> dict[str, str]:
        return {name: title for name, title in self.connection.execute("SELECT name, title FROM sources")
                if title}

    def papers(self) -> list[ShownStory]:
        """The stories with a copy whose guid is a PubMed ID (the guid index is walked)."""
        rows = self.connection.execute(
            f"SELECT {_qualified()} FROM articles JOIN copies ON copies.article_id = articles.id "
            "WHERE copies.guid != ? AND copies.guid >= ? AND copies.guid < ?", ("", "pmid:", "pmid;"))
        return [_story(row) for row in rows]

    def newest(self, publish: str, limit: int | None, *, tag: str | None = None,
               languages: Sequence[str] = (), unknown: str = "en", walk: str = "date") -> list[int]:
        """As publish.newest, with the same walks."""
        where, params = _published(publish, languages, unknown)
        if tag and walk == "tag":
            where += (" AND articles.id IN (SELECT tags.article_id FROM tags "
                      "WHERE tags.slug = ? AND tags.origin != ?)")
            params += (tag, "removed")
        elif tag:
            where += (" AND (EXISTS (SELECT 1 FROM tags WHERE articles.id = tags.article_id "
                      "AND tags.slug = ? AND tags.origin != ?))")
            params += (tag, "removed")
        if walk == "language" and languages:
            chosen, more = _in_languages("articles_1", languages, unknown)
            where += f" AND articles.id IN (SELECT articles_1.id FROM articles AS articles_1 WHERE {chosen})"
            params += more
        sql = f"SELECT articles.id FROM articles WHERE {where} " \
              "ORDER BY articles.published DESC NULLS LAST, articles.id DESC"
        if limit:
            sql += " LIMIT ? OFFSET ?"
            params += (limit, 0)
        return [int(i) for i, in self.connection.execute(sql, params)]

    def at_most(self, languages: Sequence[str], unknown: str, bound: int) -> bool:
        """Whether at most `bound` stories, published or not, are in these languages (counted on
        the language index, no further than one past the bound)."""
        chosen, params = _in_languages("articles", languages, unknown)
        row = self.connection.execute(f"SELECT count(*) FROM (SELECT 1 FROM articles WHERE {chosen} LIMIT ?)",
                                      (*params, bound + 1)).fetchone()
        return int(row[0]) <= bound

    def tags_in_use(self, *, publish: str, languages: Sequence[str] = (),
                    unknown: str = "en") -> list[tuple[str, str, int]]:
        where, params = _published(publish, languages, unknown)
        rows = self.connection.execute(
            "SELECT tags.facet, tags.slug, count(*) AS count_1 FROM tags JOIN articles "
            f"ON tags.article_id = articles.id WHERE {where} AND tags.origin != ? "
            "GROUP BY tags.facet, tags.slug", (*params, "removed"))
        return [(str(facet), str(slug), int(n)) for facet, slug, n in rows]

    def languages_published(self, publish: str, languages: Sequence[str] = (),
                            unknown: str = "en") -> list[str]:
        """As publish.languages_published: the store's languages one by one on the language index."""
        found: list[str] = []
        code = None
        published, params = PUBLISHED[publish]
        while True:
            if code is None:
                row = self.connection.execute(
                    "SELECT articles.language FROM articles ORDER BY articles.language LIMIT ? OFFSET ?",
                    (1, 0)).fetchone()
            else:
                row = self.connection.execute(
                    "SELECT articles.language FROM articles WHERE articles.language > ? "
                    "ORDER BY articles.language LIMIT ? OFFSET ?", (code, 1, 0)).fetchone()
            if row is None:
                return found
            code = row[0]
            key = code or unknown
            if key in found or (languages and not (code in languages or (not code and unknown in languages))):
                continue
            if self.connection.execute(
                    f"SELECT articles.id FROM articles WHERE ({published}) AND articles.language = ? "
                    "LIMIT ? OFFSET ?", (*params, code, 1, 0)).fetchone():
                found.append(key)

    def stories(self, ids: Sequence[int]) -> dict[int, ShownStory]:
        """The stories of these ids with their tags, copies and an editor's edit."""
        found: dict[int, ShownStory] = {}
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start:start + CHUNK]
            marks = ", ".join("?" * len(chunk))
            stories = {row[0]: _story(row) for row in self.connection.execute(
                f"SELECT {_qualified()} FROM articles WHERE articles.id IN ({marks})", chunk)}
            for article_id, facet, slug, origin in self.connection.execute(
                    "SELECT tags.article_id, tags.facet, tags.slug, tags.origin FROM tags "
                    f"WHERE tags.article_id IN ({marks}) ORDER BY tags.id", chunk):
                stories[article_id].tags.append(ShownTag(facet, slug, origin))
            for article_id, title, summary in self.connection.execute(
                    "SELECT item_edits.article_id, item_edits.title, item_edits.summary FROM item_edits "
                    f"WHERE item_edits.article_id IN ({marks})", chunk):
                stories[article_id].edit = ShownEdit(title, summary)
            for article_id, url, key, source, original in self.connection.execute(
                    "SELECT copies.article_id, copies.url, copies.url_key, copies.source, copies.is_original "
                    f"FROM copies WHERE copies.article_id IN ({marks}) ORDER BY copies.id", chunk):
                stories[article_id].copies.append(ShownCopy(url, key, source, bool(original)))
            found.update(stories)
        return found

    def owners(self, keys: Sequence[str]) -> dict[str, int]:
        """The story each of these URL keys is a copy of."""
        owner: dict[str, int] = {}
        for chunk in _chunks(list(keys), CHUNK):
            owner.update({str(k): int(i) for k, i in self.connection.execute(
                "SELECT copies.url_key, copies.article_id FROM copies "
                f"WHERE copies.url_key IN ({', '.join('?' * len(chunk))})", chunk)})
        return owner

    def story(self, story_id: int) -> ShownStory | None:
        return self.stories([story_id]).get(story_id)


def _qualified() -> str:
    return ", ".join(f"articles.{c.strip()}" for c in ARTICLE_COLUMNS.split(","))


def _published(publish: str, languages: Sequence[str], unknown: str) -> tuple[str, tuple[Any, ...]]:
    """Store.published and Store.in_languages, as SQLAlchemy writes them."""
    where, params = PUBLISHED[publish]
    if not languages:
        return where, params
    chosen, more = _in_languages("articles", languages, unknown)
    return f"{where} AND {chosen}", (*params, *more)


def _in_languages(table: str, languages: Sequence[str], unknown: str) -> tuple[str, tuple[Any, ...]]:
    chosen = f"{table}.language IN ({', '.join('?' * len(languages))})"
    if unknown in languages:
        return f"({chosen} OR {table}.language = ?)", (*languages, "")
    return chosen, tuple(languages)


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _when(value: Any) -> datetime | None:
    """A stored datetime as models.UTCDateTime reads it: aware, in UTC."""
    if value is None:
        return None
    when = datetime.fromisoformat(str(value))
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _story(row: Sequence[Any]) -> ShownStory:
    (id_, guid, link, source, title, summary, text, author, published, updated, first_seen, relevant,
     metadata, status, language, note) = row
    return ShownStory(
        id=int(id_), guid=guid, link=link, source=source, title=title, summary=summary, text=text,
        author=author, published=_when(published), updated=_when(updated), first_seen=_when(first_seen),
        relevant=bool(relevant), metadata_=json.loads(metadata) if metadata is not None else None,
        status=status, language=language, note=note)
