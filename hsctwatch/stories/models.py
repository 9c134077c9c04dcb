"""The store: stories, every URL each was seen at, tags with evidence, sources and crawl runs.

SQLAlchemy over any database URL: a SQLite file by default, or a PostgreSQL server
(``postgresql+psycopg://…``). Every write happens in one transaction, so a killed run leaves each
story either fully stored or not at all. Opening a store brings its schema up to date
(hsctwatch.stories.migrations); a store that can't be used is a StoreError.

Vocabulary: an *article* row is one story (one feed item); a *copy* is one URL where that
story was seen. The article's ``link`` is the copy of its original publisher; its ``guid``
is fixed when the story is first stored and never changes.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    false,
    func,
    select,
    text,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    selectinload,
    sessionmaker,
)
from sqlalchemy.types import TypeDecorator

from hsctwatch.stories.settings import WAIT as _WAIT
from hsctwatch.stories.settings import configure_stores as configure_stores  # where it always was
from hsctwatch.urls import url_key

STATUSES = ("new", "approved", "rejected")
MAX_ID = 2**63 - 1  # the largest row id a database stores; a bigger number names no row


class UTCDateTime(TypeDecorator[datetime]):
    """Datetimes stored as UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Source(Base):
    __tablename__ = "sources"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    kind: Mapped[str] = mapped_column(String(30), default="")
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_item_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Story(Base):
    __tablename__ = "articles"
    # what decides publication, apart from the wide rows: counting published tags reads this only
    __table_args__ = (Index("ix_articles_publication", "id", "relevant", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guid: Mapped[str] = mapped_column(String(200), unique=True)
    link: Mapped[str] = mapped_column(Text)  # canonical URL of the original copy
    source: Mapped[str] = mapped_column(String(100), index=True)  # source of the original copy
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(500), default="")
    published: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    updated: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    content_hash: Mapped[str] = mapped_column(String(64), default="", index=True)
    # the MinHash signature of the text (hsctwatch.stories.neardup), so the index reloads without rehashing
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    relevant: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    relevance_score: Mapped[float] = mapped_column(Float, default=0.0)
    relevance_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    # a near miss: not relevant, but scored just under the threshold; shown first to editors
    borderline: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                             index=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    # the language of the original copy's text ("es"; hsctwatch.language), "" for stories stored before
    language: Mapped[str] = mapped_column(String(12), default="", server_default="", index=True)
    # shown first in the feed item, e.g. a trial's "Status changed: recruiting → completed"
    note: Mapped[str] = mapped_column(Text, default="")
    # when the signature was last written, in the order of the store's story lock (Store.lock_stories):
    # each process's near-duplicate index loads what others stored since it last looked
    signature_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)

    copies: Mapped[list[Copy]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="Copy.id"
    )
    tags: Mapped[list[Tag]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="Tag.id"
    )
    edit: Mapped[ItemEdit | None] = relationship(
        back_populates="article", cascade="all, delete-orphan", uselist=False
    )

    @property
    def shown_title(self) -> str:
        """The title the feeds show: an editor's, else the article's own."""
        return self.edit.title if self.edit and self.edit.title else self.title

    @property
    def shown_summary(self) -> str:
        return self.edit.summary if self.edit and self.edit.summary else self.summary

    @property
    def original(self) -> Copy | None:
        return next((c for c in self.copies if c.is_original), self.copies[0] if self.copies else None)


class Copy(Base):
    """One URL at which a story was seen."""

    __tablename__ = "copies"
    # Many copies have no guid or rel=canonical (""): indexed are only those that have one, so
    # the planner's statistics don't see the empty majority and give up the index for a scan.
    # Queries on these columns say `!= ''` to use them (hsctwatch.stories.copies, hsctwatch.stories.publish).
    __table_args__ = tuple(
        Index(f"ix_copies_{column}_set", column, sqlite_where=text(f"{column} != ''"),
              postgresql_where=text(f"{column} != ''"))
        for column in ("guid", "rel_canonical")
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)  # canonical URL, as linked
    url_key: Mapped[str] = mapped_column(String(2000), unique=True)  # the URL as compared
    fetched_url: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(100), index=True)
    guid: Mapped[str] = mapped_column(String(2000), default="")
    rel_canonical: Mapped[str] = mapped_column(String(2000), default="")
    title: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64), default="", index=True)
    attribution: Mapped[str] = mapped_column(Text, default="")
    # the copy's own text, so an editor can split it off into a story of its own
    summary: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    site_name: Mapped[str] = mapped_column(String(300), default="")
    is_original: Mapped[bool] = mapped_column(Boolean, default=False)
    match_reason: Mapped[str] = mapped_column(String(50), default="")
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    article: Mapped[Story] = relationship(back_populates="copies")


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("article_id", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    facet: Mapped[str] = mapped_column(String(30))
    slug: Mapped[str] = mapped_column(String(60), index=True)
    evidence: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # rules: given by the rules file; editor: added by an editor; removed: a rules tag an editor
    # took off (kept so that re-running the rules does not bring it back; never published)
    origin: Mapped[str] = mapped_column(String(20), default="rules")

    article: Mapped[Story] = relationship(back_populates="tags")


class ItemEdit(Base):
    """An editor's title and excerpt for an item, shown in the feeds instead of the page's own.

    A table of its own, so a later crawl that updates the article's text keeps the editor's words.
    """

    __tablename__ = "item_edits"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    editor: Mapped[str] = mapped_column(String(100), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    article: Mapped[Story] = relationship(back_populates="edit")


class User(Base):
    """An editor's account for the review desk; the password is stored as an argon2 hash only."""

    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DeskSession(Base):
    """An editor signed in at the desk. The session cookie carries a random key; only its hash is
    kept here. Signing out, a new password and removing the account delete the row, which ends
    the session wherever its cookie is (a signed cookie alone would stay valid until it expires).
    """

    __tablename__ = "desk_sessions"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Decision(Base):
    """An editor's decision, with who and when: approve, reject, tag, untag, merge, split, edit."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int | None] = mapped_column(Integer, index=True, nullable=True)
    action: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    editor: Mapped[str] = mapped_column(String(100), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DigestList(Base):
    """A recipient list of the email digest: "all", or "tag:<slug>" for a tag's own list.

    Its stories are the published ones first seen since ``since`` (its first digest, less the
    config's look-back) that were not sent to it yet (DigestSent).
    """

    __tablename__ = "digest_lists"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DigestSent(Base):
    """A story sent to a digest list: written only once the mail server took the message, so a
    failed send leaves the story for the next digest, and a sent one is never sent again."""

    __tablename__ = "digest_sent"
    __table_args__ = (UniqueConstraint("list_name", "article_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_name: Mapped[str] = mapped_column(String(100))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Validator(Base):
    """The HTTP validators of a URL's last complete fetch, for conditional requests next run."""

    __tablename__ = "http_validators"

    url: Mapped[str] = mapped_column(String(2000), primary_key=True)
    etag: Mapped[str] = mapped_column(String(500), default="")
    last_modified: Mapped[str] = mapped_column(String(100), default="")
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    command: Mapped[str] = mapped_column(String(30), default="run")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|ok|failed

    sources: Mapped[list[SourceRun]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="SourceRun.id"
    )


class SourceRun(Base):
    """One source's figures in one crawl run."""

    __tablename__ = "source_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), nullable=True, index=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finish_reason: Mapped[str] = mapped_column(String(100), default="")
    requests: Mapped[int] = mapped_column(Integer, default=0)
    responses: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    not_modified: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    irrelevant: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    dropped: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    messages: Mapped[list[str]] = mapped_column(JSON, default=list)
    duration: Mapped[float] = mapped_column(Float, default=0.0)

    run: Mapped[CrawlRun | None] = relationship(back_populates="sources")

    @property
    def failed(self) -> bool:
        return self.errors > 0 and self.items == 0 or self.finish_reason not in ("", "finished")


class StoryLock(Base):
    """One row that every transaction creating or re-indexing a story updates first.

    Updating it takes the row's lock on PostgreSQL and the database's write lock on SQLite, held
    until the transaction ends: the crawlers of every process, on every machine, decide "new story
    or copy of a stored one" one at a time, each seeing what the others committed. ``seq`` counts
    those transactions (Story.signature_seq).
    """

    __tablename__ = "story_lock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)


#: `update(StoryLock).where(StoryLock.id == 1).values(seq=StoryLock.seq + 1).returning(StoryLock.seq)`
#: as plain SQL: the ORM's UPDATE … RETURNING, taken once for every stored item, cost ~1 ms of
#: statement building and session bookkeeping
_TAKE_LOCK = text(f"UPDATE {StoryLock.__tablename__} SET seq = seq + 1 WHERE id = 1 RETURNING seq")
_LOCK_SEQ = text(f"SELECT seq FROM {StoryLock.__tablename__} WHERE id = 1")


def safe_url(url: str) -> str:
    """The store's URL as it may be shown: without the password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def is_published(article: Story, publish: str) -> bool:
    """The same rule as Store.published, for one loaded article."""
    if publish == "approved":
        return article.status == "approved"
    return article.status == "approved" or (article.relevant and article.status != "rejected")


def new_guid(canonical_url: str, first_seen: datetime) -> str:
    """A guid that is fixed at first storage: never a URL, so re-pointing the link can't change it."""
    digest = hashlib.sha256(f"{canonical_url}\n{first_seen.isoformat()}".encode()).hexdigest()[:24]
    return f"tag:hsct-watch,{first_seen:%Y}:{digest}"


class StoreError(Exception):
    """The store can't be used: its folder is missing, it is damaged or locked, its server is
    down, its driver is not installed. str() is one line naming the database and the fix."""


class Store:
    """A database of stories. One instance per process and URL is enough; it is thread-safe.

    ``wait_seconds``: how long a write waits for another process's lock (SQLite's busy timeout)
    before the store is reported as locked.
    """

    def __init__(self, url: str, *, wait_seconds: float = 30, upgrade: bool = True):
        """Open the store at a URL, bringing its schema up to date (hsctwatch.stories.migrations)
        unless `upgrade` is False. A store that can't be used is a StoreError."""
        from hsctwatch.stories import migrations

        self.url = url
        self.wait_seconds = wait_seconds
        _check_sqlite_folder(url)
        try:
            sqlite = make_url(url).get_backend_name() == "sqlite"
            # a server may restart under a long-lived process (the desk, a worker): pings first
            self.engine: Engine = create_engine(
                url, future=True, pool_pre_ping=not sqlite,
                connect_args={"timeout": wait_seconds} if sqlite else {})
            if sqlite:
                event.listen(self.engine, "connect", functools.partial(_sqlite_pragmas, wait_seconds))
        except (SQLAlchemyError, ImportError) as exc:
            raise StoreError(describe_store_error(url, exc, wait_seconds)) from None
        with self._usable():
            self.revision = migrations.upgrade(self.engine)[1] if upgrade else migrations.check(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if upgrade and sqlite:
            with contextlib.suppress(SQLAlchemyError):  # statistics only speed queries up, and
                if self._statistics_stale():  # each run's end refreshes them
                    self.analyze()

    def upgrade(self) -> tuple[str | None, str]:
        """Bring the schema to the newest revision (done on open): the revisions before and after."""
        from hsctwatch.stories import migrations

        with self._usable():
            before, after = migrations.upgrade(self.engine)
        self.revision = after
        return before, after

    @contextmanager
    def _usable(self) -> Iterator[None]:
        """A store that is damaged, locked, unreachable, or whose schema is too new, as one
        StoreError line."""
        from hsctwatch.stories import migrations

        try:
            yield
        except (SQLAlchemyError, ImportError) as exc:
            self.engine.dispose()
            raise StoreError(describe_store_error(self.url, exc, self.wait_seconds)) from None
        except migrations.SchemaTooNew as exc:
            self.engine.dispose()
            raise StoreError(f"the store {safe_url(self.url)}: {exc}") from None

    def _statistics_stale(self) -> bool:
        """No planner statistics yet, or made when the store held far fewer stories (a store
        filled by an import, say, rather than by runs, which refresh them as they end)."""
        with self.engine.connect() as connection:
            if not connection.exec_driver_sql(
                    "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
                return True
            row = connection.exec_driver_sql(
                "SELECT stat FROM sqlite_stat1 WHERE tbl = 'articles' LIMIT 1").first()
            counted = int(str(row[0]).split()[0]) if row and row[0] else 0
            stories = connection.exec_driver_sql("SELECT max(id) FROM articles").scalar() or 0
            return int(stories) > 2 * counted + 1000

    def analyze(self) -> None:
        """Refresh the query planner's statistics (SQLite; PostgreSQL's autovacuum does its own).

        Without them SQLite sorts every relevant story to find the newest hundred; with them it
        walks the date index and stops (0.2 s against 0.5 ms at 100k stories).
        """
        if self.engine.dialect.name != "sqlite":
            return
        with self.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back on any exception."""
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def trial(self) -> Iterator[Session]:
        """A transaction that writes nothing and is rolled back: for reporting what a change would
        do (`reprocess --dry-run`) on any database, while crawls go on."""
        with self._sessions() as session, session.no_autoflush:
            try:
                yield session
            finally:
                session.rollback()

    @staticmethod
    def lock_stories(session: Session) -> int:
        """Take the store's story lock for the rest of the transaction (StoryLock); returns the
        transaction's number in the lock's order. Every read after it sees what other processes
        committed before."""
        seq = session.execute(_TAKE_LOCK).scalar()
        if seq is None:  # a store whose lock row is gone: made again, and taken
            session.add(StoryLock(id=1, seq=1))
            session.flush()
            seq = 1
        return int(seq)

    @staticmethod
    def lock_seq(session: Session) -> int | None:
        """The number of the last transaction that took the story lock and committed, without
        taking it (None: the lock's row is gone). Every transaction up to it has committed, and
        a read after this one sees what they wrote."""
        seq = session.execute(_LOCK_SEQ).scalar()
        return None if seq is None else int(seq)

    def close(self) -> None:
        self.engine.dispose()

    # -- reading ------------------------------------------------------------------------------

    @staticmethod
    def published(query: Any, publish: str) -> Any:
        """Narrow a query on articles to those the feeds publish.

        "auto": every relevant item an editor has not rejected; "approved": only approved items.
        Either way an editor's approval publishes an item the rules left out (a missed story).
        """
        if publish == "approved":
            return query.where(Story.status == "approved")
        return query.where(
            ((Story.relevant.is_(True)) & (Story.status != "rejected")) | (Story.status == "approved")
        )

    @staticmethod
    def in_languages(query: Any, languages: Sequence[str], unknown: str = "en") -> Any:
        """Narrow a query on articles to those in these languages (none given: every language).
        A story stored before languages were told ("") counts as in `unknown`, the main feed's."""
        if not languages:
            return query
        chosen = Story.language.in_(list(languages))
        return query.where(chosen | (Story.language == "") if unknown in languages else chosen)

    def tags_in_use(self, session: Session, *, publish: str, languages: Sequence[str] = (),
                    unknown: str = "en") -> list[tuple[str, str, int]]:
        """(facet, slug, number of published items) for every tag on a published item."""
        query = self.in_languages(self.published(
            select(Tag.facet, Tag.slug, func.count()).join(Story, Tag.article_id == Story.id), publish
        ), languages, unknown).where(Tag.origin != "removed").group_by(Tag.facet, Tag.slug)
        return [(str(facet), str(slug), int(str(n))) for facet, slug, n in session.execute(query)]

    def languages_in_use(self, session: Session, *, publish: str, languages: Sequence[str] = (),
                         unknown: str = "en") -> dict[str, int]:
        """The number of published items in each language (of `languages`, if given)."""
        query = self.in_languages(self.published(select(Story.language, func.count()), publish),
                                  languages, unknown).group_by(Story.language)
        counts: dict[str, int] = {}
        for code, n in session.execute(query):
            key = str(code or unknown)
            counts[key] = counts.get(key, 0) + int(str(n))
        return counts

    def published_articles(self, session: Session, *, publish: str, limit: int | None = None,
                           tag: str | None = None, languages: Sequence[str] = (),
                           unknown: str = "en") -> Sequence[Story]:
        query = self.in_languages(self.published(select(Story), publish), languages, unknown).options(
            selectinload(Story.tags), selectinload(Story.copies), selectinload(Story.edit))
        if tag:
            query = query.where(Story.tags.any((Tag.slug == tag) & (Tag.origin != "removed")))
        query = query.order_by(Story.published.desc().nulls_last(), Story.id.desc())
        if limit:
            query = query.limit(limit)
        return session.scalars(query).all()

    def get_article(self, session: Session, ref: str) -> Story | None:
        """An article by id, guid, or any URL it was seen at."""
        if ref.isdigit():
            return session.get(Story, int(ref)) if int(ref) <= MAX_ID else None
        article = session.scalars(select(Story).where(Story.guid == ref)).first()
        if article:
            return article
        copy = session.scalars(
            select(Copy).where(
                (Copy.url == ref) | (Copy.fetched_url == ref) | (Copy.url_key == url_key(ref))
            )
        ).first()
        return copy.article if copy else None


def _sqlite_pragmas(wait_seconds: float, dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(wait_seconds * 1000)}")  # first: WAL may wait too
    _switch_to_wal(cursor, wait_seconds)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _switch_to_wal(cursor: sqlite3.Cursor, wait_seconds: float) -> None:
    """Put the store in WAL mode, waiting out other processes doing the same.

    While several processes open a brand-new store at once, SQLite may answer "database is
    locked" to the switch straight away, without calling its busy handler; so wait here as the
    busy timeout would, in short steps.
    """
    deadline = time.monotonic() + wait_seconds
    pause = 0.002
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def _check_sqlite_folder(url: str) -> None:
    """SQLite makes a missing store file, but not its folder: say so before it fails obscurely."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return
    path = Path(parsed.database)
    if not path.parent.is_dir():
        raise StoreError(f"the store's folder {path.parent.absolute()} does not exist; create it, "
                         "or point [store] url at another place")
    if path.is_dir():
        raise StoreError(f"the store {path.absolute()} is a folder, not a file; point [store] url "
                         "at a file, e.g. sqlite:///hsct-watch.db")


def describe_store_error(url: str, exc: BaseException, wait_seconds: float = 30) -> str:
    """One line for an error of the store, naming the database and what to do."""
    try:
        parsed = make_url(url)
        shown = parsed.database if parsed.get_backend_name() == "sqlite" else \
            parsed.render_as_string(hide_password=True)
    except (ArgumentError, NoSuchModuleError, ValueError):
        shown = url
    message = str(getattr(exc, "orig", None) or exc).strip()
    reason = message.splitlines()[0] if message else type(exc).__name__
    lowered = reason.lower()
    if isinstance(exc, ImportError):
        module = getattr(exc, "name", None) or reason
        return (f"the database driver '{module}' for the store {shown} is not installed; install it "
                f"(pip install {module}) or change [store] url")
    if isinstance(exc, NoSuchModuleError):
        return f"the store {shown}: unknown database; change [store] url"
    if "locked" in lowered or "busy" in lowered:
        return (f"the store {shown} stayed locked by another process for {wait_seconds:g} s; try again "
                "later, or raise [store] wait_seconds")
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return (f"the store {shown} is not a readable database (damaged, or another kind of file): "
                f"{reason}; restore it from a backup, or point [store] url at another file")
    if "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered:
        return (f"cannot write to the store {shown} ({reason}); check the permissions of the file "
                "and its folder")
    if _on_a_server(url):
        return (f"cannot reach the database {shown} ({reason}); is the server running, and are the "
                "URL's host, port, name and password right?")
    return f"the store {shown} can't be used: {reason}"


def _on_a_server(url: str) -> bool:
    try:
        return make_url(url).get_backend_name() != "sqlite"
    except (ArgumentError, ValueError):
        return False


_OPEN: dict[str, Store] = {}


def open_store(url: str) -> Store:
    """The process's Store for a URL: the crawlers of one run share one engine."""
    if url not in _OPEN:
        _OPEN[url] = Store(url, wait_seconds=_WAIT["seconds"])
    return _OPEN[url]


def close_stores() -> None:
    for store in _OPEN.values():
        store.close()
    _OPEN.clear()
