"""Deploying to a real Scrapyd on loopback, as an operator does: `scrapyd-deploy` from a clean
checkout (which it leaves as it found it), then every sample source scheduled as a job of its own.
The jobs run at once, in separate processes, into one store (SQLite and PostgreSQL): the feed built
afterwards has each relevant story once."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hsctwatch.samples.server import SampleSites
from tests.sample_feeds import feed_items, relevant_stories

pytest.importorskip("scrapyd", reason="Scrapyd is not installed (pip install -e '.[test]')")

ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent
DEPLOY = BIN / "scrapyd-deploy"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def api(base: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> Any:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{endpoint}", data=body, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[str]:
    """A Scrapyd server on 127.0.0.1, its files in a temporary folder: its base URL."""
    folder = tmp_path / "scrapyd"
    folder.mkdir()
    port = free_port()
    (folder / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\neggs_dir = {folder}/eggs\n"
        f"logs_dir = {folder}/logs\nitems_dir =\ndbs_dir = {folder}/dbs\nmax_proc = 8\n"
        "poll_interval = 0.5\n", encoding="utf-8")
    server = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=folder, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                assert api(base, "daemonstatus.json")["status"] == "ok"
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("Scrapyd did not start")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def clean_checkout(folder: Path) -> Path:
    """The project's files as a fresh clone has them (tracked, or new and not ignored)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the project's git checkout (git ls-files)")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, folder / name)
    return folder


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def deploy(checkout: Path, base: str, home: Path) -> subprocess.CompletedProcess[str]:
    """`scrapyd-deploy local`, the target named in the user's own scrapy.cfg (not the checkout's)."""
    (home / "scrapy.cfg").write_text(f"[deploy:local]\nurl = {base}/\nproject = hsct-watch\n",
                                     encoding="utf-8")
    env = {**os.environ, "XDG_CONFIG_HOME": str(home), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run([str(DEPLOY), "local"], cwd=checkout, env=env, capture_output=True, text=True,
                          timeout=300)


def test_deploy_from_a_clean_checkout_and_run_every_sample_source_as_a_job(
        scrapyd: str, tmp_path: Path, store_url: str) -> None:
    checkout = clean_checkout(tmp_path / "checkout")
    before = files_of(checkout)
    (tmp_path / "home").mkdir()
    deployed = deploy(checkout, scrapyd, tmp_path / "home")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert '"status": "ok"' in deployed.stdout and '"spiders": 6' in deployed.stdout
    assert files_of(checkout) == before, "scrapyd-deploy left files behind in the checkout"
    spiders = api(scrapyd, "listspiders.json?project=hsct-watch")["spiders"]
    assert spiders == ["clinicaltrials", "feed", "html", "pubmed", "sitemap", "wordpress"]

    with SampleSites(port=0) as sites:
        config = tmp_path / "hsct-watch.toml"
        config.write_text(sites.config_toml(store_url, feeds_out=str(tmp_path / "public")), encoding="utf-8")
        sources = tomllib.loads(config.read_text(encoding="utf-8"))["sources"]
        jobs = [api(scrapyd, "schedule.json", [
            ("project", "hsct-watch"), ("spider", source["kind"]), ("source", source["name"]),
            # one process a job, no page-reading worker beside each: 2 cores serve 8 jobs
            ("setting", f"HSCTWATCH_CONFIG={config}"), ("setting", "HSCTWATCH_WORKERS=0"),
        ])["jobid"] for source in sources]
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            listed = api(scrapyd, "listjobs.json?project=hsct-watch")
            if len(listed["finished"]) == len(jobs):
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"the jobs did not finish: {listed}")
    logs = [next((tmp_path / "scrapyd" / "logs").rglob(f"{job}.log")).read_text(encoding="utf-8")
            for job in jobs]
    for log in logs:
        assert "'finish_reason': 'finished'" in log, log[-3000:]
        assert "Traceback" not in log, log[-3000:]

    built = subprocess.run([sys.executable, "-m", "hsctwatch", "--config", str(config), "feeds"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    items = feed_items(tmp_path / "public")
    links = [link for _, link in items]
    assert len(links) == len(set(links)), "a story was stored twice"
    assert len(items) == len(relevant_stories())
