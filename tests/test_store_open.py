"""Two processes opening a brand-new store at the same moment (a cron run and the desk, say)
make it once between them, and neither crashes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import inspect

from hsctwatch.stories.models import Base, Store

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
