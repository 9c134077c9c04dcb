"""Every fault a real web throws, against a fault-injecting server on loopback: each gets a
clear line in the run summary, and the other sources and their items are unaffected."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from hsctwatch.samples.server import SampleSites
from tests.faults import FaultServer

Outcome = tuple[subprocess.CompletedProcess[str], Path, FaultServer]
SOURCE = '\n[[sources]]\nname = "{name}"\nkind = "feed"\nfull_text = false\nurls = ["{url}"]\n'

FAULTS = {
    # source name: (path, words the summary must say)
    "server-error": ("/server-error", "HTTP 503"),
    "timeout": ("/timeout", "took longer than"),
    "reset": ("/reset", "the connection was reset or closed"),
    "redirect-loop": ("/loop", "max redirections reached"),
    "huge": ("/huge", "larger than download max size"),
    "gzip-bomb": ("/gzip-bomb", "exceeded DOWNLOAD_MAXSIZE"),
    "not-xml": ("/not-xml", "not a readable feed"),
    "html-instead": ("/html-instead", "expected a feed but got an HTML page"),
    "empty": ("/empty", "the feed is empty"),
    "robots": ("/private/feed", "forbidden by robots.txt"),
}
WORKING = ("wrong-charset", "no-charset", "bad-dates")


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory, module_store_url: str) -> Iterator[Outcome]:
    folder = tmp_path_factory.mktemp("faults")
    with FaultServer() as faults, SampleSites(port=0) as sites:
        config = sites.config_toml(module_store_url) + """
[crawl]
contact = "https://example.org/tests"
"""
        config = config.replace("CONCURRENT_REQUESTS_PER_DOMAIN = 8", "CONCURRENT_REQUESTS_PER_DOMAIN = 8\n"
                                "DOWNLOAD_TIMEOUT = 2.5\nHSCTWATCH_RETRY_BACKOFF = 0.05\n"
                                "DOWNLOAD_MAXSIZE = 10485760")
        for name, (path, _) in FAULTS.items():
            config += SOURCE.format(name=name, url=faults.base + path)
        for name in WORKING:
            config += SOURCE.format(name=name, url=f"{faults.base}/{name}")
        (folder / "hsct-watch.toml").write_text(config, encoding="utf-8")
        command = [sys.executable, "-m", "hsctwatch", "--config", str(folder / "hsct-watch.toml"), "run"]
        result = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=600)
        yield result, folder, faults


def test_the_run_exits_1_and_still_writes_the_feeds(outcome) -> None:
    result, folder, _ = outcome
    assert result.returncode == 1, result.stdout + result.stderr
    parsed = feedparser.parse((folder / "public" / "rss.xml").read_bytes())
    assert parsed.bozo == 0 and len(parsed.entries) >= 17  # the sample sites' stories are all there


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_each_fault_has_a_clear_line(outcome, name: str) -> None:
    result, _, _ = outcome
    lines = [line for line in result.stdout.splitlines() if line.startswith(f"! {name}:")]
    assert lines, result.stdout
    assert any(FAULTS[name][1] in line for line in lines), lines
    row = next(line for line in result.stdout.splitlines() if line.startswith(f"{name} "))
    assert row.rstrip().endswith("FAILED")


@pytest.mark.parametrize("name", WORKING)
def test_odd_but_readable_feeds_are_read(outcome, name: str) -> None:
    result, _, _ = outcome
    row = next(line for line in result.stdout.splitlines() if line.startswith(f"{name} "))
    assert "FAILED" not in row
    assert row.split()[2] == "1", row  # one new story


def test_5xx_is_retried_and_robots_disallow_is_obeyed(outcome) -> None:
    _, _, faults = outcome
    assert faults.hits.get("/server-error") == 3  # the first try and two retries
    assert "/private/feed" not in faults.hits


def test_the_good_sources_are_untouched(outcome) -> None:
    result, _, _ = outcome
    for name in ("msnews-wp", "blog", "charity", "mednews", "press"):
        row = next(line for line in result.stdout.splitlines() if line.startswith(f"{name} "))
        assert "FAILED" not in row and row.split()[-1] == "0", row
