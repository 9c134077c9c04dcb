"""The store's schema across versions (Alembic), on SQLite and on PostgreSQL: a store made by 0.1.0
is upgraded in place, on open and by `hsct-watch db upgrade`, keeping every row; the models and the
migrations describe the same schema; a server that is down is one line and exit status 74."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, select

from hsctwatch.console import EXIT_UNUSABLE
from hsctwatch.stories import migrations
from hsctwatch.stories.models import Base, Copy, DeskSession, DigestList, Store, StoreError, Story, Tag
from tests.test_pipeline_dedup_store import REPORT, Pipeline

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent


def load_0_1_0(url: str) -> None:
    """Make the store at `url` as 0.1.0 made it: its schema and its rows (tests/fixtures/)."""
    kind = "sqlite" if url.startswith("sqlite") else "postgresql"
    script = (FIXTURES / f"store-0.1.0.{kind}.sql").read_text(encoding="utf-8")
    engine = create_engine(url)
    connection = engine.raw_connection()
    try:
        if kind == "sqlite":
            connection.executescript(script)
        else:
            connection.cursor().execute(script)
        connection.commit()
    finally:
        connection.close()
        engine.dispose()


def hsct_watch(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hsctwatch", "--config", str(config), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_a_store_of_0_1_0_is_upgraded_when_opened_and_keeps_its_rows(store_url: str) -> None:
    load_0_1_0(store_url)
    store = Store(store_url)
    assert store.revision == migrations.head()
    with store.session() as session:
        [story] = session.scalars(select(Story)).all()
        assert story.title == "HSCT for MS: MIST at ten years" and story.status == "approved"
        assert story.edit is not None and story.edit.title == "MIST, ten years on"
        assert {t.slug for t in story.tags} == {"research", "uk"}
        assert [c.is_original for c in story.copies] == [True, False]
        assert story.signature_seq is None  # the new column, empty on old rows
    # the upgraded store takes new stories; a reprint of the old one joins it (its text was never
    # hashed by 0.1.0's store: the near-duplicate index hashes it on loading)
    pipeline = Pipeline(store)
    item = pipeline(url="https://reprints.example.com/mist/", source="reprints", title="MIST reprinted",
                    text="From our partners.\n\n" + REPORT + "\n\nShare this article.")
    assert item["outcome"] == "copy" and item["story_id"] == story.id
    with store.session() as session:
        assert session.query(Copy).count() == 3 and session.query(Tag).count() == 2
    store.close()


#: what a store gained between 0.1.0 and migrations, made then by create_all when it opened
BEFORE_MIGRATIONS = sa.MetaData()
sa.Table("desk_sessions", BEFORE_MIGRATIONS,
         sa.Column("key_hash", sa.String(64), primary_key=True),
         sa.Column("user", sa.String(100), nullable=False, index=True),
         sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))
sa.Table("digest_lists", BEFORE_MIGRATIONS,
         sa.Column("name", sa.String(100), primary_key=True),
         sa.Column("since", sa.DateTime(timezone=True), nullable=False),
         sa.Column("last_sent_at", sa.DateTime(timezone=True)))
sa.Table("articles", BEFORE_MIGRATIONS, sa.Column("id", sa.Integer, primary_key=True))
sa.Table("digest_sent", BEFORE_MIGRATIONS,
         sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("list_name", sa.String(100), nullable=False),
         sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False,
                   index=True),
         sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
         sa.UniqueConstraint("list_name", "article_id"))


def load_before_migrations(url: str) -> None:
    """A store as the last version before migrations left it: 0.1.0's tables and rows, with the
    tables it made since (desk sessions, the digest's) and articles.borderline and .language, set
    on a story."""
    load_0_1_0(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        no, yes = ("0", "1") if engine.dialect.name == "sqlite" else ("false", "true")
        connection.exec_driver_sql(f"ALTER TABLE articles ADD COLUMN borderline BOOLEAN NOT NULL "
                                   f"DEFAULT {no}")
        connection.exec_driver_sql("CREATE INDEX ix_articles_borderline ON articles (borderline)")
        connection.exec_driver_sql(f"UPDATE articles SET borderline = {yes}")
        connection.exec_driver_sql("ALTER TABLE articles ADD COLUMN language VARCHAR(12) NOT NULL DEFAULT ''")
        connection.exec_driver_sql("CREATE INDEX ix_articles_language ON articles (language)")
        connection.exec_driver_sql("UPDATE articles SET language = 'en'")
        BEFORE_MIGRATIONS.create_all(connection, tables=[t for t in BEFORE_MIGRATIONS.sorted_tables
                                                         if t.name != "articles"])
        connection.exec_driver_sql("INSERT INTO digest_lists (name, since) "
                                   "VALUES ('all', '2026-01-05 00:00:00')")
        connection.exec_driver_sql("INSERT INTO desk_sessions (key_hash, \"user\", created_at) "
                                   "VALUES ('k', 'ed', '2026-01-05 00:00:00')")
    engine.dispose()


def test_a_store_made_before_migrations_with_the_later_tables_is_upgraded(store_url: str) -> None:
    load_before_migrations(store_url)
    store = Store(store_url)
    assert store.revision == migrations.head()
    with store.session() as session:
        [story] = session.scalars(select(Story)).all()
        assert story.borderline is True and story.language == "en" and story.signature_seq is None
        assert [d.name for d in session.scalars(select(DigestList))] == ["all"]
        assert [s.user for s in session.scalars(select(DeskSession))] == ["ed"]
    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        assert "story_lock" in inspect(connection).get_table_names()
    store.close()


def test_db_upgrade_upgrades_a_0_1_0_store_in_place(store_url: str, tmp_path: Path) -> None:
    load_0_1_0(store_url)
    config = tmp_path / "hsct-watch.toml"
    config.write_text(f'[store]\nurl = "{store_url}"\n', encoding="utf-8")
    current = hsct_watch(config, "db", "current")
    assert current.returncode == 0 and "0.1.0 (before migrations)" in current.stdout
    first = hsct_watch(config, "db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert f"schema upgraded from 0.1.0 (before migrations) or empty to revision {migrations.head()}" \
        in first.stdout
    again = hsct_watch(config, "db", "upgrade")
    assert again.returncode == 0 and f"schema already at revision {migrations.head()}" in again.stdout
    engine = create_engine(store_url)
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == migrations.head()
        assert connection.exec_driver_sql("SELECT title FROM articles").scalar() == \
            "HSCT for MS: MIST at ten years"
    engine.dispose()


def test_the_models_and_the_migrations_describe_the_same_schema(store: Store) -> None:
    """A column added to the models without a revision (or the reverse) fails here."""
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_the_revisions_form_one_line() -> None:
    """Two revisions naming the same predecessor (two branches merged) must be put in a row."""
    assert len(migrations.scripts().get_heads()) == 1
    assert migrations.head() == migrations.HEAD, "a new revision: set HEAD in migrations/__init__.py"
    revisions = list(migrations.scripts().walk_revisions())
    assert revisions[-1].revision == "0001" and revisions[-1].down_revision is None


def test_stores_opened_by_several_processes_at_once_are_upgraded_once(store_url: str) -> None:
    load_0_1_0(store_url)
    opener = ("import sys; from hsctwatch.stories.models import Store; "
              "print(Store(sys.argv[1]).revision)")
    children = [subprocess.Popen([sys.executable, "-c", opener, store_url], cwd=ROOT, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    outputs = [child.communicate(timeout=120) for child in children]
    assert [child.returncode for child in children] == [0, 0, 0], outputs
    assert {out.strip() for out, _ in outputs} == {migrations.head()}


def test_a_store_newer_than_this_version_is_refused(store_url: str) -> None:
    Store(store_url).close()
    engine = create_engine(store_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()
    with pytest.raises(StoreError, match="revision 9999, which this hsct-watch does not know"):
        Store(store_url)


def test_a_server_that_is_down_is_one_line_and_exit_74(tmp_path: Path) -> None:
    config = tmp_path / "hsct-watch.toml"
    config.write_text('[store]\nurl = "postgresql+psycopg://hsct:secret@127.0.0.1:9/hsct"\n',
                      encoding="utf-8")
    for command in (["run"], ["feeds"], ["review", "list"], ["reprocess", "--dry-run"], ["db", "upgrade"]):
        result = hsct_watch(config, *command)
        assert result.returncode == EXIT_UNUSABLE == 74, (command, result.stderr)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert result.stderr.startswith("hsct-watch: cannot reach the database "
                                        "postgresql+psycopg://hsct:***@127.0.0.1:9/hsct (")
        assert "secret" not in result.stderr
