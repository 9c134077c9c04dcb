"""A cluster as an operator runs it: Debian's redis-server and PostgreSQL on loopback, three
`hsct-watch worker` processes and one `hsct-watch run` on the sample sites. The feed is the one a
single-process run makes, with no item twice, and the work was shared."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from hsctwatch.samples.server import SampleSites
from tests.sample_feeds import relevant_stories
from tests.services import need_redis, postgres_database

ROOT = Path(__file__).parent.parent
WORKERS = 3


def hsct_watch(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hsctwatch", "--config", str(config), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def feed(folder: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    """Each item as (link, title, tags): what a reader sees (guids are made at first storage)."""
    parsed = feedparser.parse((folder / "rss.xml").read_bytes())
    assert parsed.bozo == 0
    return sorted((e.link, e.title, tuple(sorted(t.term for t in e.get("tags", [])))) for e in parsed.entries)


@pytest.fixture
def redis_url() -> Iterator[str]:
    url = need_redis()
    yield url


def test_workers_share_the_crawl_and_the_feed_is_a_single_run_s(tmp_path: Path, redis_url: str) -> None:
    with SampleSites(port=0) as sites, postgres_database() as single_store, postgres_database() as shared:
        single = tmp_path / "single" / "hsct-watch.toml"
        single.parent.mkdir()
        single.write_text(sites.config_toml(single_store), encoding="utf-8")
        alone = hsct_watch(single, "run")
        assert alone.returncode == 0, alone.stdout + alone.stderr

        config = tmp_path / "cluster" / "hsct-watch.toml"
        config.parent.mkdir()
        config.write_text(sites.config_toml(shared) + f'\n[cluster]\nredis = "{redis_url}"\n'
                          f'prefix = "test-{tmp_path.name}"\n', encoding="utf-8")
        logs = [tmp_path / f"worker{n}.log" for n in range(WORKERS)]
        workers = [subprocess.Popen([sys.executable, "-m", "hsctwatch", "--config", str(config), "worker"],
                                    cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log.open("w"))
                   for log in logs]
        try:
            for log in logs:  # each has said it waits
                _wait_for(log, "waiting for runs")
            run = hsct_watch(config, "run")
        finally:
            codes = [stop(worker) for worker in workers]
        assert run.returncode == 0, run.stdout + run.stderr
        assert codes == [0] * WORKERS  # stopped cleanly by SIGTERM
        # the same stories as the single run's (requests and irrelevant pages may differ: each worker
        # reads robots.txt, and the shared duplicate filter drops a page two listings both link to)
        new, updated, _, duplicates, errors = _total(run.stdout)[1:]
        assert (new, updated, duplicates, errors) == tuple(_total(alone.stdout)[i] for i in (1, 2, 4, 5))
        items = feed(config.parent / "public")
        assert items == feed(single.parent / "public")
        links = [link for link, _, _ in items]
        assert len(links) == len(set(links)) == len(relevant_stories())
        dequeued = [sum(int(n) for n in re.findall(r"'scheduler/dequeued/redis': (\d+)", log.read_text()))
                    for log in logs]
        assert sum(1 for n in dequeued if n) >= 2, f"one worker did all the work: {dequeued}"


def stop(worker: subprocess.Popen[bytes]) -> int | None:
    """SIGTERM, as systemd stops a worker: its exit status, or None if it had to be killed."""
    worker.terminate()
    try:
        return worker.wait(timeout=90)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
        return None


def _wait_for(log: Path, text: str) -> None:
    import time

    deadline = time.monotonic() + 60
    while text not in log.read_text(encoding="utf-8"):
        assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
        time.sleep(0.1)


def _total(summary: str) -> list[int]:
    line = next(line for line in summary.splitlines() if line.startswith("total"))
    return [int(x) for x in line.split()[1:]]


def test_a_run_without_workers_or_without_redis_says_so_and_exits_69(tmp_path: Path, redis_url: str) -> None:
    with postgres_database() as url:
        config = tmp_path / "hsct-watch.toml"
        for redis, message in ((redis_url, "no worker is running for the cluster's Redis at"),
                               ("redis://:secret@127.0.0.1:9/0", "cannot reach the cluster's Redis at redis://:***@127.0.0.1:9/0")):
            config.write_text(f'[store]\nurl = "{url}"\n[cluster]\nredis = "{redis}"\n'
                              f'prefix = "empty-{tmp_path.name}"\n', encoding="utf-8")
            result = hsct_watch(config, "run")
            assert result.returncode == 69, result.stderr
            assert result.stderr.startswith(f"hsct-watch: {message}") and result.stderr.count("\n") == 1
            assert "secret" not in result.stderr


def test_a_cluster_needs_a_server_store(tmp_path: Path) -> None:
    config = tmp_path / "hsct-watch.toml"
    config.write_text('[cluster]\nredis = "redis://127.0.0.1:6379/0"\n', encoding="utf-8")
    result = hsct_watch(config, "worker")
    assert result.returncode == 2
    assert "[cluster] needs a store every worker reaches" in result.stderr
