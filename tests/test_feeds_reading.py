"""`hsct-watch feeds` reads a current SQLite store without SQLAlchemy (hsctwatch.stories.reading):
the files it writes are byte for byte those a build through the models writes, and any store the
models would change or report on the way is left to them."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hsctwatch.config import Config, load_config
from hsctwatch.stories.models import Copy, ItemEdit, Source, Store, Story, Tag
from hsctwatch.stories.publish import _build, _SessionReader, build_feeds
from hsctwatch.stories.reading import SqliteReader

ROOT = Path(__file__).resolve().parent.parent


def _config(folder: Path, extra: str = "") -> Config:
    file = folder / "hsct-watch.toml"
    file.write_text('[store]\nurl = "sqlite:///s.db"\n[feeds]\nmax_items = 4\n' + extra
                    + '[[sources]]\nname = "news"\nkind = "feed"\nurls = ["http://127.0.0.9:9/feed"]\n'
                    + '[[sources]]\nname = "blog"\ntitle = "A blog"\nkind = "feed"\n'
                    + 'urls = ["http://127.0.0.9:9/blog"]\n', encoding="utf-8")
    return load_config(file)


def _fill(store: Store) -> None:
    """Stories of every kind a build treats apart: tags (one taken off by an editor), an editor's
    title, copies at other sites, languages (and none told), translations declared one way,
    a paper and the news citing it, stories rejected, approved, irrelevant, undated."""
    with store.session() as session:
        session.add(Source(name="news", title="News & Views"))
        for n in range(14):
            url = f"https://news.example.org/{n}/"
            language = ("en", "es", "", "de")[n % 4]
            copies = [Copy(url=url, url_key=url, source="news", is_original=True,
                           guid=f"pmid:{12345670 + n}" if n == 3 else "")]
            if n % 3 == 0:
                other = f"https://blog.example.org/{n}/"
                copies.append(Copy(url=other, url_key=other, source="blog"))
            metadata: dict[str, object] = {}
            if n == 3:
                metadata = {"record": {"pmid": str(12345670 + n), "doi": "10.1000/ABC.3"}}
            if n == 5:  # declares its Spanish version (story 1)
                metadata = {"alternates": {"es": "https://news.example.org/1/"}}
            text = (f"Paragraph one of story {n} about aHSCT for MS.\n\nSecond  paragraph, "
                    + ("citing doi 10.1000/abc.3 here." if n == 6 else "with more words. " * 20))
            story = Story(guid=f"g{n}", link=url, source="news", title=f"Story <em>{n}</em>", text=text,
                          relevant=n % 5 != 4, status=("new", "approved", "rejected", "new")[n % 4],
                          language=language, copies=copies, metadata_=metadata,
                          author="A. Writer" if n % 2 else "",
                          published=None if n == 7 else datetime(2026, 3, 1 + n % 6, 9, n, tzinfo=UTC),
                          updated=datetime(2026, 4, 1, tzinfo=UTC) if n == 2 else None,
                          note="Status changed" if n == 8 else "")
            story.tags = [Tag(facet="type", slug=("news", "research")[n % 2], evidence=[], origin="rules"),
                          Tag(facet="topic", slug="costs", evidence=[],
                              origin="removed" if n % 4 == 1 else "editor")]
            if n == 9:
                story.edit = ItemEdit(title="An editor's title", summary="An editor's summary.")
            session.add(story)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("extra", ["", 'publish = "approved"\n', 'languages = ["es", "en"]\n',
                                   'languages = ["de"]\nlanguage = "de"\n'])
def test_a_build_from_sqlite_writes_what_a_build_through_the_models_writes(tmp_path: Path,
                                                                           extra: str) -> None:
    config = _config(tmp_path, extra)
    store = Store(config.store_url)
    _fill(store)
    store.analyze()
    reader = SqliteReader.open(config.store_url, 5)
    assert reader is not None, "a current SQLite store is read without SQLAlchemy"
    reader.close()
    build_feeds(config)
    quick = _files(config.feeds_dir)
    (tmp_path / "public").rename(tmp_path / "quick")
    with store.session() as session:
        _build(config, _SessionReader(session, store))
    store.close()
    through_models = _files(config.feeds_dir)
    assert quick.keys() == through_models.keys() and len(quick) > 8
    for name, data in through_models.items():
        assert quick[name] == data, name
    if not extra:  # what only some stories have was read the same way: here is the editor's title
        assert b"An editor" in quick["tags/research.xml"] and b"at News &amp;amp; Views" in quick["rss.xml"]


def test_stores_the_models_would_change_or_report_are_left_to_them(tmp_path: Path) -> None:
    config = _config(tmp_path)
    assert SqliteReader.open(config.store_url, 5) is None  # no store yet: the models make it
    assert not (tmp_path / "s.db").exists()
    store = Store(config.store_url)
    store.close()
    reader = SqliteReader.open(config.store_url, 5)
    assert reader is not None
    reader.close()
    with sqlite3.connect(tmp_path / "s.db") as connection:  # an older schema: upgraded by the models
        connection.execute("UPDATE alembic_version SET version_num = '0003'")
    assert SqliteReader.open(config.store_url, 5) is None
    (tmp_path / "damaged.db").write_bytes(b"not a database" * 100)
    assert SqliteReader.open(f"sqlite:///{tmp_path / 'damaged.db'}", 5) is None
    assert SqliteReader.open("postgresql+psycopg://u@127.0.0.1/x", 5) is None
    assert SqliteReader.open(f"sqlite:///{tmp_path / 's.db'}?timeout=3", 5) is None


def test_the_feeds_command_imports_no_sqlalchemy_for_a_current_sqlite_store(tmp_path: Path) -> None:
    config = _config(tmp_path)
    store = Store(config.store_url)
    _fill(store)
    store.close()
    command = ("import sys\nfrom hsctwatch.cli import cli\n"
               "try:\n    cli(['--config', sys.argv[1], 'feeds'], prog_name='hsct-watch')\n"
               "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
               "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy')[:3])\n")
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", command, str(tmp_path / "hsct-watch.toml")], cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": path}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]", done.stdout
    assert (tmp_path / "public" / "rss.xml").is_file()


def test_a_store_found_damaged_as_it_is_read_is_one_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from hsctwatch.cli import cli
    from hsctwatch.stories.models import close_stores

    config = _config(tmp_path)
    store = Store(config.store_url)
    _fill(store)
    store.close()
    with sqlite3.connect(tmp_path / "s.db") as connection:  # opens as it is; fails as it is read
        connection.execute("DROP TABLE item_edits")
    try:
        result = CliRunner().invoke(cli, ["--config", str(tmp_path / "hsct-watch.toml"), "feeds"])
    finally:
        close_stores()
    assert result.exit_code == 74, result.output
    assert result.output.strip().splitlines() == [
        f"hsct-watch: the store {tmp_path / 's.db'} can't be used: no such table: item_edits"]
    assert not (tmp_path / "public").exists()


@pytest.mark.parametrize("publish", ["auto", "approved"])
def test_each_walk_finds_the_same_stories(tmp_path: Path, publish: str) -> None:
    """A feed's stories found on the date index, among its tag's stories or among the stories in
    its languages (publish.FEW chooses) are the same, in the same order, through either reader."""
    config = _config(tmp_path)
    store = Store(config.store_url)
    _fill(store)
    store.analyze()
    reader = SqliteReader.open(config.store_url, 5)
    assert reader is not None
    try:
        with store.session() as session:
            for read in (reader, _SessionReader(session, store)):
                assert read.at_most(("es",), "en", 4) and not read.at_most(("es",), "en", 3)
                assert not read.at_most(("en",), "en", 6) and read.at_most(("en",), "en", 7)  # "" counts
                for languages in [(), ("es",), ("en",), ("de", "es")]:
                    walks = ("date", "language") if languages else ("date",)
                    for tag in (None, "news", "research", "costs"):
                        found = {walk: read.newest(publish, 3, tag=tag, languages=languages, walk=walk)
                                 for walk in (*walks, *(("tag",) if tag else ()))}
                        assert len({tuple(ids) for ids in found.values()}) == 1, (languages, tag, found)
                        assert found["date"] == reader.newest(publish, 3, tag=tag, languages=languages)
    finally:
        reader.close()
        store.close()
