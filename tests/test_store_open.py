"""Two processes opening a brand-new store at the same moment (a cron run and the desk, say)
make it once between them, and neither crashes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect

from hsctwatch.stories.models import Base, Store, StoreError

OPEN = """
import os, sys, time
from hsctwatch.stories.models import Store
print("ready", flush=True)
while not os.path.exists(sys.argv[2]):  # every process sets off within a millisecond
    time.sleep(0.0005)
Store(sys.argv[1]).close()
"""


def test_processes_opening_a_new_store_at_once(tmp_path: Path) -> None:
    for round_ in range(3):
        url = f"sqlite:///{tmp_path / f'store-{round_}.db'}"
        go = tmp_path / f"go-{round_}"
        processes = [subprocess.Popen([sys.executable, "-c", OPEN, url, str(go)], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True) for _ in range(6)]
        for process in processes:
            assert process.stdout is not None and process.stdout.readline() == "ready\n"
        go.touch()
        errors = [p.communicate(timeout=120)[1] for p in processes]
        assert [p.returncode for p in processes] == [0] * 6, "\n".join(e for e in errors if e)
        store = Store(url)
        with store.engine.connect() as connection:
            assert set(Base.metadata.tables) <= set(inspect(connection).get_table_names())
        store.close()


def test_a_new_store_being_written_by_another_process_is_waited_for(tmp_path: Path) -> None:
    """While another process holds the write lock of a store that is not yet in WAL mode, SQLite
    refuses the switch to WAL at once, without waiting; the store waits for the lock instead."""
    path = tmp_path / "store.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.5, other.rollback)
    release.start()
    try:
        store = Store(f"sqlite:///{path}", wait_seconds=10)
    finally:
        release.join()
        other.close()
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert set(Base.metadata.tables) <= set(inspect(connection).get_table_names())
    store.close()


def test_a_new_store_locked_longer_than_the_wait_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match=r"stayed locked by another process for 0.3 s"):
            Store(f"sqlite:///{path}", wait_seconds=0.3)
    finally:
        other.close()
