"""Nothing outside the web is fetched, and nothing private on a stranger's say-so: a source's
`file:` link is never read, and a public source's link or redirect to loopback, link-local or
private addresses is refused — while a source configured on such an address (the sample sites,
an intranet) reaches its own pages, and `[crawl] allow_private = true` opens them to all."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy import Request

from hsctwatch.crawl.guard import AddressGuard, Refused, is_public
from tests.conftest import start_requests
from tests.faults import FaultServer

PRIVATE = ["http://127.0.0.1/", "http://127.0.0.20:8080/admin", "http://169.254.169.254/latest/meta-data/",
           "http://10.1.2.3/", "http://192.168.0.1/", "http://172.16.5.4/", "http://100.64.0.1/",
           "http://[::1]/", "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/",
           "http://localhost:8480/", "http://224.0.0.1/"]
PUBLIC = ["https://93.184.215.14/", "http://[2606:4700::1]/"]


def guard_for(make_spider, urls: list[str], **settings: object) -> AddressGuard:
    return AddressGuard(make_spider("feed", urls=urls, settings=settings).crawler)


def verdict(guard: AddressGuard, url: str) -> str:
    try:
        asyncio.run(guard.process_request(Request(url)))
    except Refused:
        return "refused"
    return "allowed"


def test_a_public_source_reaches_no_private_address(make_spider) -> None:
    guard = guard_for(make_spider, ["https://news.example.org/feed/"])
    assert {url: verdict(guard, url) for url in PRIVATE} == dict.fromkeys(PRIVATE, "refused")
    assert {url: verdict(guard, url) for url in PUBLIC} == dict.fromkeys(PUBLIC, "allowed")
    warnings = guard.crawler.stats.get_value("hsctwatch/warning_messages")
    assert len(warnings) == 1 and "allow_private" in warnings[0]


@pytest.mark.parametrize("own", ["http://127.0.0.5:8470/feed/", "http://localhost/feed", "http://10.0.0.7/"])
def test_a_source_on_a_private_address_reaches_private_addresses(make_spider, own: str) -> None:
    guard = guard_for(make_spider, [own])
    assert verdict(guard, "http://127.0.0.6:8470/page") == "allowed"
    assert verdict(guard, "http://10.9.9.9/") == "allowed"


def test_an_api_on_a_private_address_counts_as_the_sources_own(make_spider) -> None:
    spider = make_spider("pubmed", term="hsct", api="http://127.0.0.7:8470/eutils/")
    assert verdict(AddressGuard(spider.crawler), "http://127.0.0.7:8470/eutils/esearch.fcgi") == "allowed"
    spider = make_spider("pubmed", name="real", term="hsct")  # the default API is on the web
    assert verdict(AddressGuard(spider.crawler), "http://127.0.0.7:8470/eutils/esearch.fcgi") == "refused"


def test_allow_private_opens_them_to_every_source(make_spider) -> None:
    guard = guard_for(make_spider, ["https://news.example.org/feed/"], HSCTWATCH_ALLOW_PRIVATE=True)
    assert {url: verdict(guard, url) for url in PRIVATE} == dict.fromkeys(PRIVATE, "allowed")


def test_only_http_and_https_are_requested(make_spider) -> None:
    guard = guard_for(make_spider, ["http://127.0.0.5/feed/"], HSCTWATCH_ALLOW_PRIVATE=True)
    for url in ("file:///etc/passwd", "ftp://127.0.0.5/x", "data:text/plain,x", "s3://bucket/key"):
        assert verdict(guard, url) == "refused", url


def test_ipv4_written_as_ipv6_is_read_as_ipv4() -> None:
    import ipaddress

    assert not is_public(ipaddress.ip_address("::ffff:10.0.0.1"))
    assert is_public(ipaddress.ip_address("::ffff:93.184.215.14"))


def test_a_run_reads_no_local_file_and_reaches_no_private_address(tmp_path: Path) -> None:
    """A real run: the "public" site news.example (through a proxy on loopback) has a feed whose
    entries link to a local file, to loopback, to the cloud metadata address and to a page that
    redirects to loopback; a loopback source beside it reaches its own pages."""
    secret = tmp_path / "secret.html"
    secret.write_text("<html><body><p>SECRET-7f3a9 the machine's own file</p></body></html>")
    with FaultServer() as server:
        server.secret = str(secret)
        config = tmp_path / "hsct-watch.toml"
        config.write_text(
            "[model]\nenabled = false\n"  # the model plays no part here
            "[scrapy]\nAUTOTHROTTLE_ENABLED = false\nDOWNLOAD_DELAY = 0\nDOWNLOAD_TIMEOUT = 3\n"
            '[[sources]]\nname = "public"\nkind = "feed"\nurls = ["http://news.example/links"]\n'
            f'[[sources]]\nname = "local"\nkind = "feed"\nurls = ["{server.base}/three"]\n', encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "no_proxy")}
        env.update(http_proxy=server.base, no_proxy=server.host)
        result = subprocess.run([sys.executable, "-m", "hsctwatch", "--config", str(config), "run"],
                                capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
        hits = dict(server.hits)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert hits.get("news.example/links") == 1 and hits.get("news.example/page/3") == 1
    assert hits.get("news.example/redirect-home") == 1  # asked, but its redirect to loopback is not followed
    assert not any("169.254" in h for h in hits), sorted(hits)
    # the loopback source's own feed links to pages 1-3: once each, for it, and never for the other
    assert [hits.get(f"/page/{n}") for n in (1, 2, 3)] == [1, 1, 1]
    assert "! public: refused links to private addresses" in out
    assert "! public: skipped a link: not an http(s) URL (e.g. file://" in out
    assert "! local:" not in out
    written = [tmp_path / "hsct-watch.log", tmp_path / "hsct-watch.db", *(tmp_path / "public").rglob("*.*")]
    for path in written:
        assert b"SECRET-7f3a9" not in path.read_bytes(), path


def test_allow_private_lets_a_run_reach_them(tmp_path: Path) -> None:
    with FaultServer() as server:
        config = tmp_path / "hsct-watch.toml"
        config.write_text(
            "[crawl]\nallow_private = true\n"
            "[model]\nenabled = false\n"  # the model plays no part here
            "[scrapy]\nAUTOTHROTTLE_ENABLED = false\nDOWNLOAD_DELAY = 0\nDOWNLOAD_TIMEOUT = 3\n"
            '[[sources]]\nname = "public"\nkind = "feed"\nurls = ["http://news.example/three"]\n',
            encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "no_proxy")}
        env.update(http_proxy=server.base, no_proxy=server.host)
        result = subprocess.run([sys.executable, "-m", "hsctwatch", "--config", str(config), "crawl"],
                                capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
        hits = dict(server.hits)
    assert result.returncode == 0, result.stdout + result.stderr
    assert {hits.get(f"/page/{n}") for n in (1, 2, 3)} == {1}  # the feed's links, on loopback


def test_start_requests_of_a_source_are_its_own(make_spider) -> None:
    """A source's configured URLs are checked like any other request, and pass when private."""
    spider = make_spider("feed", urls=["http://127.0.0.5:8470/feed/"])
    request = start_requests(spider)[0]
    assert verdict(AddressGuard(spider.crawler), request.url) == "allowed"
