"""Schema migrations of the store, with Alembic: a store made by any earlier version is brought
to the current schema when it is opened (Store), or by `hsct-watch db upgrade`.

The revisions are the scripts in ``versions/``, one per schema change, each naming the one before
it (``down_revision``); ``0001`` is the schema of 0.1.0, so a store made before migrations existed
is adopted by it. Several processes opening one store at once (a cluster's workers) upgrade it
once: the upgrade holds an advisory lock on PostgreSQL and the write lock on SQLite.
How to add a revision: README, "Scaling out" → "Changing the schema"; HEAD below names the newest.

Opening a current store reads its revision with one query and loads no Alembic: commands that
only read (`feeds`, the desk) start as fast as before.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy.engine import Connection, Engine

#: the newest revision, so that opening a current store needs no Alembic (a test checks it is the
#: scripts' head: a new revision updates it)
HEAD = "0004"
FOLDER = Path(__file__).parent
#: the key of the PostgreSQL advisory lock an upgrade holds ("hsct" in ASCII)
LOCK_KEY = 0x68736374


class SchemaTooNew(Exception):
    """The store's schema is a revision this version does not know: a newer hsct-watch made it."""


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", script_folder())
    config.attributes["connection"] = connection
    return config


@functools.cache
def script_folder() -> str:
    """This folder; or, when the package is inside a zip file (a Scrapyd egg), a copy of it in a
    temporary folder, since Alembic reads its scripts from a real folder."""
    if FOLDER.is_dir():
        return str(FOLDER)
    copy = Path(tempfile.mkdtemp(prefix="hsct-watch-migrations-"))
    atexit.register(shutil.rmtree, copy, ignore_errors=True)
    _copy_tree(resources.files(__name__), copy)
    return str(copy)


def _copy_tree(source: Traversable, target: Path) -> None:
    for entry in source.iterdir():
        if entry.is_dir():
            if entry.name != "__pycache__":
                (target / entry.name).mkdir()
                _copy_tree(entry, target / entry.name)
        else:
            (target / entry.name).write_bytes(entry.read_bytes())


@functools.cache
def scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The newest revision (one only: two heads are a merge mistake, which a test catches)."""
    head = scripts().get_current_head()
    assert head is not None
    return head


def current(connection: Connection) -> str | None:
    """The store's revision; None for an empty database, or a store made before migrations."""
    from sqlalchemy import inspect

    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def check(engine: Engine) -> str | None:
    """The store's revision, after checking this version knows it (SchemaTooNew if not)."""
    with engine.connect() as connection:
        revision = current(connection)
    if revision in (None, HEAD):
        return revision
    if revision not in {script.revision for script in scripts().walk_revisions()}:
        raise SchemaTooNew(f"its schema is at revision {revision}, which this hsct-watch does not "
                           f"know (it knows up to {head()}): upgrade hsct-watch")
    return revision


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the store to the newest revision; returns (revision before, revision after).

    Cheap when the store is current (one query); otherwise one process at a time migrates and
    the others find it done.
    """
    before = check(engine)
    if before == HEAD:
        return before, HEAD
    from alembic import command

    target = head()
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # a revision that rebuilds a table (Alembic's batch mode) must not cascade deletes
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        elif engine.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")
        try:
            before = current(connection)  # another process may have upgraded it meanwhile
            if before != target:
                command.upgrade(alembic_config(connection), "head")
            connection.commit()
        finally:
            if sqlite:
                connection.rollback()
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
    return before, target
