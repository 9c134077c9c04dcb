"""Limits per source and per run: a sitemap index that keeps naming new sitemaps, a chain of
them that never ends, or a source that answers slowly is stopped, the summary names the limit,
and the other sources are not affected."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from hsctwatch.config import load_config
from tests.faults import FaultServer

FAST = ("[model]\nenabled = false\n"  # the model plays no part here
        "[scrapy]\nAUTOTHROTTLE_ENABLED = false\nDOWNLOAD_DELAY = 0\nCONCURRENT_REQUESTS_PER_DOMAIN = 4\n")


def source(name: str, kind: str, url: str) -> str:
    return f'[[sources]]\nname = "{name}"\nkind = "{kind}"\nurls = ["{url}"]\n'


def crawl(folder: Path, text: str) -> tuple[subprocess.CompletedProcess[str], float]:
    config = folder / "hsct-watch.toml"
    config.write_text(text, encoding="utf-8")
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "hsctwatch", "--config", str(config), "crawl"],
                            capture_output=True, text=True, timeout=300, cwd=folder)
    return result, time.monotonic() - started


def lines_of(out: str, name: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(f"! {name}:")]


def test_the_defaults_fit_an_hourly_cron() -> None:
    limits = load_config(None, search=False).limits
    assert 0 < limits.run_minutes < 60 and 0 < limits.source_minutes <= limits.run_minutes
    assert all(value > 0 for value in vars(limits).values())


def test_requests_and_depth_per_source(tmp_path: Path) -> None:
    with FaultServer() as server:
        text = (FAST + "[limits]\nsource_requests = 25\nsource_depth = 4\n"
                + source("bomb", "sitemap", f"{server.base}/bomb/0.xml")
                + source("chain", "sitemap", f"{server.base}/chain/0.xml")
                + source("three", "feed", f"{server.base}/three"))
        result, _ = crawl(tmp_path, text)
        hits = dict(server.hits)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr  # stopped by a limit is not failed
    assert lines_of(out, "bomb") == ["! bomb: stopped at the source's limit [limits] source_requests = 25; "
                                     "what it found so far is stored, the rest waits for the next run"]
    bombs = sum(n for path, n in hits.items() if path.startswith("/bomb/"))
    assert 20 <= bombs <= 25  # robots.txt counts too
    chain = sorted(int(path.removeprefix("/chain/").removesuffix(".xml"))
                   for path in hits if path.startswith("/chain/"))
    assert chain == [0, 1, 2, 3, 4]  # depth 0 (the source's own URL) to 4
    assert len(lines_of(out, "chain")) == 1
    assert lines_of(out, "chain")[0].startswith("! chain: links deeper than [limits] source_depth = 4 "
                                                "were not followed (e.g. http://")
    assert lines_of(out, "three") == [] and [hits.get(f"/page/{n}") for n in (1, 2, 3)] == [1, 1, 1]
    health = subprocess.run([sys.executable, "-m", "hsctwatch", "--config", str(tmp_path / "hsct-watch.toml"),
                             "sources"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "! bomb: the last run stopped it at [limits] source_requests" in health.stdout
    assert "! three:" not in health.stdout


def test_time_per_source(tmp_path: Path) -> None:
    with FaultServer() as server:
        text = (FAST + "[limits]\nsource_minutes = 0.05\n"  # 3 s
                + source("slow", "sitemap", f"{server.base}/slow/0.xml"))
        result, took = crawl(tmp_path, text)
    assert result.returncode == 0, result.stdout + result.stderr
    assert lines_of(result.stdout, "slow") == [
        "! slow: stopped at the source's limit [limits] source_minutes = 0.05; what it found so far is "
        "stored, the rest waits for the next run"]
    assert took < 30  # the whole command, Python and Scrapy starting included


def test_requests_per_run(tmp_path: Path) -> None:
    with FaultServer() as server:
        text = (FAST + "[limits]\nrun_requests = 30\n"
                + source("bomb-a", "sitemap", f"{server.base}/bomb/0.xml")
                + source("bomb-b", "sitemap", f"{server.base}/bomb/1.xml"))
        result, _ = crawl(tmp_path, text)
        hits = dict(server.hits)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert sum(n for path, n in hits.items() if path.startswith("/bomb/")) <= 30
    for name in ("bomb-a", "bomb-b"):
        assert lines_of(out, name) == [f"! {name}: stopped at the run's limit [limits] run_requests = 30; "
                                       "what it found so far is stored, the rest waits for the next run"]
