"""Bad input is one line, never a traceback: a store or feed folder that can't be used ends a
command with exit status 74 and a line naming it and the fix; a config value that used to be
accepted silently is a config error (status 2); and before either, nothing is created or changed."""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from hsctwatch.cli import cli
from hsctwatch.stories.models import close_stores

SOURCE = '[[sources]]\nname = "x"\nkind = "feed"\nurls = ["http://127.0.0.9:9/feed"]\n'


@pytest.fixture(autouse=True)
def _fresh_stores() -> Iterator[None]:
    yield
    close_stores()  # each test's store is its own


def hw(folder: Path, config: str, *args: str, input: str | None = None) -> tuple[int, list[str]]:
    path = folder / "hsct-watch.toml"
    if not path.exists() or path.read_text(encoding="utf-8") != config + SOURCE:
        path.write_text(config + SOURCE, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(folder / "hsct-watch.toml"), *args], input=input)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), \
        result.exc_info
    return result.exit_code, result.output.strip().splitlines()


def listing(folder: Path) -> dict[str, tuple[int, float]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime) for p in folder.rglob("*")}


def one_line(lines: list[str], *parts: str) -> None:
    assert len(lines) == 1, lines
    assert lines[0].startswith("hsct-watch: "), lines
    for part in parts:
        assert part in lines[0], lines


COMMANDS = [["run"], ["crawl"], ["feeds"], ["sources"], ["review", "list"], ["review", "approve", "1"],
            ["explain", "1"], ["users", "list"], ["reprocess"], ["reprocess", "--dry-run"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_store_folder_that_does_not_exist(tmp_path: Path, command: list[str]) -> None:
    config = '[store]\nurl = "sqlite:///no/such/folder/watch.db"\n'
    (tmp_path / "hsct-watch.toml").write_text(config + SOURCE, encoding="utf-8")
    before = listing(tmp_path)
    code, lines = hw(tmp_path, config, *command)
    assert code == 74
    one_line(lines, f"the store's folder {tmp_path}/no/such/folder does not exist; create it")
    assert listing(tmp_path) == before


def test_a_damaged_store_is_left_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "hsct-watch.db").write_bytes(b"this is not a database, it is a letter\n" * 200)
    before = listing(tmp_path / "hsct-watch.db")
    for command in (["run"], ["feeds"], ["review", "list"]):
        code, lines = hw(tmp_path, "", *command)
        assert code == 74, command
        one_line(lines, f"the store {tmp_path}/hsct-watch.db is not a readable database", "backup")
    assert listing(tmp_path / "hsct-watch.db") == before
    assert not (tmp_path / "public").exists() and not (tmp_path / "hsct-watch.lock").exists()


def test_a_locked_store_is_waited_for_then_named(tmp_path: Path) -> None:
    code, _ = hw(tmp_path, "", "users", "list")  # makes the store
    assert code == 0
    close_stores()  # the next command is another process, which reads wait_seconds anew
    holder = sqlite3.connect(tmp_path / "hsct-watch.db")
    holder.execute("BEGIN EXCLUSIVE")  # another process writing, and taking its time
    started = time.monotonic()
    try:
        code, lines = hw(tmp_path, "[store]\nwait_seconds = 1\n", "users", "add", "editor",
                         "--password-stdin", input="a long password\n")
    finally:
        holder.rollback()
        holder.close()
    assert code == 74
    assert time.monotonic() - started < 20  # it waited about [store] wait_seconds, not 30 s
    one_line(lines, f"the store {tmp_path}/hsct-watch.db stayed locked by another process for 1 s",
             "wait_seconds")


def test_a_database_server_that_does_not_answer(tmp_path: Path) -> None:
    if importlib.util.find_spec("psycopg") is None:
        pytest.skip("psycopg (the PostgreSQL driver) is not installed")
    config = '[store]\nurl = "postgresql+psycopg://hsct:s3cret-pw@127.0.0.1:1/hsct"\n'
    code, lines = hw(tmp_path, config, "feeds")
    assert code == 74
    one_line(lines, "cannot reach the database postgresql+psycopg://hsct:***@127.0.0.1:1/hsct",
             "is the server running")
    assert "s3cret-pw" not in lines[0]


def test_a_database_driver_that_is_not_installed(tmp_path: Path) -> None:
    assert importlib.util.find_spec("pymysql") is None
    code, lines = hw(tmp_path, '[store]\nurl = "mysql+pymysql://hsct@127.0.0.1/hsct"\n', "sources")
    assert code == 74
    one_line(lines, "the database driver 'pymysql' for the store mysql+pymysql://hsct@127.0.0.1/hsct "
                    "is not installed", "pip install pymysql")


def unwritable(folder: Path) -> None:
    """A folder nobody may write in: chattr +i as root (who ignores permissions), else chmod."""
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
            pytest.skip("running as root where chattr +i is not possible")
    else:
        folder.chmod(0o555)


def writable(folder: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
    folder.chmod(0o755)


def test_a_feed_folder_that_can_not_be_written(tmp_path: Path) -> None:
    (tmp_path / "public").mkdir()
    unwritable(tmp_path / "public")
    try:
        (tmp_path / "hsct-watch.toml").write_text(SOURCE, encoding="utf-8")
        before = listing(tmp_path)
        for command in (["run"], ["feeds"], ["review", "approve", "1"], ["reprocess"]):
            code, lines = hw(tmp_path, "", *command)
            assert code == 74, (command, lines)
            one_line(lines, f"cannot write the feed folder {tmp_path}/public", "[feeds] out")
            if command == ["run"]:  # checked first: no store, no lock, no crawl
                assert listing(tmp_path) == before
    finally:
        writable(tmp_path / "public")


def test_a_feed_folder_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "site").write_text("a file, not a folder")
    code, lines = hw(tmp_path, '[feeds]\nout = "site/feeds"\n', "run")
    assert code == 74
    one_line(lines, f"cannot make the feed folder {tmp_path}/site/feeds: {tmp_path}/site is a file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hsct-watch.toml", "site"]


@pytest.mark.parametrize(("config", "message"), [
    ('[store]\nurl = "not a url"\n', "[store] url 'not a url' is not a database URL"),
    ('[store]\nurl = "foo://bar/baz"\n', "[store] url names an unknown database 'foo'"),
    ('rules = "my-rules.toml"\n', "the rules file {tmp}/my-rules.toml does not exist"),
    ('[feeds]\nout = "."\n', "[feeds] out = '.' is the config's folder"),
    ('[feeds]\nout = ".."\n', "[feeds] out = '..' is a folder holding the config's folder"),
    ('[feeds]\nout = "hsct-watch.toml"\n', "[feeds] out = 'hsct-watch.toml' names a file"),
    ('[store]\nurl = "sqlite:///public/watch.db"\n[feeds]\nout = "public"\n',
     "[feeds] out = 'public' holds the store"),
    ('[feeds]\nbase_url = "javascript:alert(1)"\n',
     "[feeds] base_url 'javascript:alert(1)' is not an http(s) URL"),
    ('[scrapy]\nDOWNLOAD_DELAY = "fast"\n', "[scrapy] DOWNLOAD_DELAY must be a number, not a string 'fast'"),
    ('[scrapy]\nROBOTSTXT_OBEY = "no"\n', "[scrapy] ROBOTSTXT_OBEY must be true or false"),
    ('[serve]\nsession_hours = 100000000000\n', "[serve] session_hours must be 1 to 8784"),
    ('[serve]\ntrusted_proxy = "my proxy"\n', "[serve] trusted_proxy 'my proxy' is not an IP address"),
    ('[limits]\nrun_minutes = -1\n', "[limits] run_minutes must be 0 (no limit) or more"),
    ('[limits]\nsource_minutes = nan\n', "[limits] source_minutes must be 0 (no limit) or more"),
    ('[crawl]\ncontact = "x\\r\\nX-Evil: 1"\n', "[crawl] contact must be one line of text"),
    ('[feeds]\nmax_items = 99999999999999\n', "[feeds] max_items must be 1 to 10000"),
], ids=lambda value: value if "\n" not in value else value.split("\n")[-2][:30])
def test_values_once_accepted_are_config_errors(tmp_path: Path, config: str, message: str) -> None:
    (tmp_path / "hsct-watch.toml").write_text(config + SOURCE, encoding="utf-8")
    before = listing(tmp_path)
    for command in (["run"], ["feeds"], ["sources"]):
        code, lines = hw(tmp_path, config, *command)
        assert code == 2, (command, lines)
        one_line(lines, message.format(tmp=tmp_path))
    assert listing(tmp_path) == before


def test_the_crawl_process_reports_a_store_in_one_line(tmp_path: Path) -> None:
    """Should the store go away between the command's check and the crawl, the crawl process
    says so in one line and the command ends with its status."""
    (tmp_path / "hsct-watch.toml").write_text('[store]\nurl = "sqlite:///gone/watch.db"\n' + SOURCE)
    result = subprocess.run([sys.executable, "-m", "hsctwatch.crawl.runner", "--run-id", "1",
                             "--config", str(tmp_path / "hsct-watch.toml")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 74
    assert result.stderr.strip() == (f"hsct-watch: the store's folder {tmp_path}/gone does not exist; "
                                     "create it, or point [store] url at another place")


@pytest.mark.parametrize("model", ["", '[model]\nenabled = true\npath = "model.npz"\n'], ids=["off", "due"])
def test_a_rules_file_that_is_not_rules(tmp_path: Path, model: str) -> None:
    """TOML, but not the rules' tables: the crawl says so in one line, status 2, no traceback;
    with the learned model on and due (none trained yet), no model is trained beside them."""
    (tmp_path / "rules.toml").write_text("[tags]\n", encoding="utf-8")
    (tmp_path / "hsct-watch.toml").write_text('rules = "rules.toml"\n' + model + SOURCE, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "hsctwatch", "--config", str(tmp_path / "hsct-watch.toml"),
                             "run"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines == [f"hsct-watch: {tmp_path}/rules.toml: missing table [relevance]"]
    assert not (tmp_path / "public").exists()
    assert not (tmp_path / "model.npz").exists()
