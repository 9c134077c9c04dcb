"""Unattended runs: one at a time, and a killed run loses nothing and doubles nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import feedparser
from sqlalchemy import func, select

from hsctwatch.crawl.lock import RunLock
from hsctwatch.samples.server import SampleSites, load_articles, load_research
from hsctwatch.stories.models import Copy, Store, Story
from hsctwatch.urls import url_key


def hsct_watch(config: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hsctwatch", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=600, cwd=config.parent, **kwargs)  # type: ignore[call-overload]


def test_a_second_run_exits_75_while_one_holds_the_lock(tmp_path: Path) -> None:
    config = tmp_path / "hsct-watch.toml"
    config.write_text('[[sources]]\nname = "x"\nkind = "feed"\nurls = ["http://127.0.0.9:9/feed"]\n',
                      encoding="utf-8")
    with RunLock(tmp_path):
        result = hsct_watch(config, "run")
    assert result.returncode == 75
    assert "another hsct-watch run holds" in result.stderr and "this run stops here" in result.stderr
    assert not (tmp_path / "public").exists()


def test_a_killed_run_loses_nothing_and_the_next_finishes_without_duplicates(tmp_path: Path,
                                                                            store_url: str) -> None:
    with SampleSites(port=0, delay=0.15) as sites:
        config = tmp_path / "hsct-watch.toml"
        config.write_text(sites.config_toml(store_url), encoding="utf-8")
        run = subprocess.Popen([sys.executable, "-m", "hsctwatch", "--config", str(config), "run"],
                               cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
        store = Store(store_url)
        deadline = time.monotonic() + 120
        stored = 0
        while stored < 3 and time.monotonic() < deadline:  # kill it part-way through
            time.sleep(0.2)
            try:
                with store.session() as session:
                    stored = session.scalar(select(func.count()).select_from(Story)) or 0
            except Exception:  # the store may not exist yet
                stored = 0
        os.killpg(run.pid, signal.SIGKILL)  # the CLI and its crawl process, no cleanup
        run.wait()
        with store.session() as session:
            survived = session.scalar(select(func.count()).select_from(Story)) or 0
        assert 3 <= survived < 25, "the run was killed part-way, and what it stored is kept"

        sites.delay = 0
        rerun = hsct_watch(config, "run")
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    with store.session() as session:
        keys = [url_key(u) for u in session.scalars(select(Copy.url))]
        links = [url_key(u) for u in session.scalars(select(Story.link))]
    store.close()
    assert len(keys) == len(set(keys)) and len(links) == len(set(links))
    research = load_research()
    relevant_stories = {a["story"] for a in load_articles()["article"] if a["relevant"]}
    relevant_stories |= {p["pmid"] for p in research["paper"] if p["relevant"]}
    relevant_stories |= {t["nct"] for t in research["trial"] if t["relevant"]}
    parsed = feedparser.parse((tmp_path / "public" / "rss.xml").read_bytes())
    assert parsed.bozo == 0
    assert len(parsed.entries) == len(relevant_stories)


def test_crawl_delay_in_robots_txt_is_respected(tmp_path: Path, store_url: str) -> None:
    from tests.faults import FaultServer

    with FaultServer(host="127.0.0.21", robots="User-agent: *\nCrawl-delay: 1\n") as site:
        config = tmp_path / "hsct-watch.toml"
        config.write_text(
            f'[store]\nurl = "{store_url}"\n'
            "[model]\nenabled = false\n"  # the model plays no part here
            "[scrapy]\nAUTOTHROTTLE_ENABLED = false\nDOWNLOAD_DELAY = 0\nCONCURRENT_REQUESTS_PER_DOMAIN = 8\n"
            f'[[sources]]\nname = "polite"\nkind = "feed"\nurls = ["{site.base}/three"]\n', encoding="utf-8")
        result = hsct_watch(config, "crawl")
        assert result.returncode == 0, result.stdout + result.stderr
        assert site.hits.get("/page/3") == 1
        gaps = [b - a for a, b in zip(site.times[1:], site.times[2:], strict=False)]  # after robots.txt
        assert len(gaps) == 3 and min(gaps) >= 0.95, gaps


def test_quiet_run_prints_nothing_when_all_is_well(tmp_path: Path, store_url: str) -> None:
    with SampleSites(port=0) as sites:
        config = tmp_path / "hsct-watch.toml"
        config.write_text(sites.config_toml(store_url), encoding="utf-8")
        result = hsct_watch(config, "run", "--quiet")
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""


def _children(pid: int) -> list[int]:
    """The live processes whose parent is ``pid`` (from /proc; zombies count as gone)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_killed_run_takes_its_crawl_with_it(tmp_path: Path) -> None:
    """`kill -9` of the run alone (not its process group): its crawl process and the crawl's
    worker end with it, and until they have, the lock stays taken."""
    with SampleSites(port=0, delay=3.0) as sites:  # slow: the crawl has long to go when killed
        config = tmp_path / "hsct-watch.toml"
        config.write_text(sites.config_toml(), encoding="utf-8")
        run = subprocess.Popen([sys.executable, "-m", "hsctwatch", "--config", str(config), "run"],
                               cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        family: list[int] = []
        while time.monotonic() < deadline:  # the crawl, and its worker reading pages
            crawls = _children(run.pid)
            family = crawls + [w for c in crawls for w in _children(c)]
            if len(family) >= 2:
                break
            time.sleep(0.2)
        assert len(family) >= 2, "the run started no crawl with a worker"
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        deadline = time.monotonic() + 3  # each answer of the sites takes 3 s: no crawl ends by itself
        while any(_alive(pid) for pid in family) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in family if _alive(pid)], "the crawl outlived its run"
        with RunLock(tmp_path):  # free: nothing of the killed run holds it
            pass
