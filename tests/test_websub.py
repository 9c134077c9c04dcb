"""WebSub: the feeds name the hub, and a build that changed feeds pings a real HTTP receiver on
loopback — once per changed feed, never for an unchanged build; a hub that refuses or cannot be
reached is one line in the command's output, and the feeds are written all the same."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import feedparser
import pytest
from click.testing import CliRunner
from lxml import etree

from hsctwatch.cli import cli
from hsctwatch.stories.review import set_status
from tests.desk import OTHER, Desk, make_desk

BASE = "https://feeds.example.org/hsct/"


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-answer (a crawl stopped at a limit, a test done) is not an
    error worth a traceback on the terminal, nor in another test's captured output."""

    def handle_error(self, request: object, client_address: object) -> None:
        logging.getLogger(__name__).debug("request from %s ended early", client_address, exc_info=True)


class Hub:
    """A hub's publish endpoint: records every ping, answers with ``status``."""

    def __init__(self, status: int = 204):
        self.status = status
        self.pings: list[dict[str, list[str]]] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode("ascii")
                assert self.headers["Content-Type"] == "application/x-www-form-urlencoded"
                hub.pings.append(parse_qs(body))
                self.send_response(hub.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/publish"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def topics(self) -> list[str]:
        assert all(p["hub.mode"] == ["publish"] for p in self.pings)
        return sorted(url for p in self.pings for url in p["hub.url"])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hub() -> Iterator[Hub]:
    receiver = Hub()
    yield receiver
    receiver.close()


def with_hub(desk: Desk, url: str) -> None:
    path = desk.root / "hsct-watch.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("base_url = ", f'hub = "{url}"\nbase_url = '), encoding="utf-8")


def feeds(desk: Desk) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(desk.root / "hsct-watch.toml"), "feeds"])
    return result.exit_code, result.output


def test_the_feeds_declare_the_hub(tmp_path: Path, hub: Hub, store_url: str) -> None:
    desk = make_desk(tmp_path, store_url)
    with_hub(desk, hub.url)
    assert feeds(desk)[0] == 0
    public = desk.config.feeds_dir
    for name in ("rss.xml", "tags/mist.xml"):
        rss = etree.parse(str(public / name))
        links = rss.findall("channel/{http://www.w3.org/2005/Atom}link")
        assert [(x.get("rel"), x.get("href")) for x in links] == [("self", BASE + name), ("hub", hub.url)]
        parsed = feedparser.parse((public / name).read_bytes())
        assert parsed.bozo == 0 and {"rel": "hub", "href": hub.url} in [
            {"rel": link.rel, "href": link.href} for link in parsed.feed.links]
        assert parsed.feed.link == BASE  # the channel's own <link> is still the site
    atom = feedparser.parse((public / "atom.xml").read_bytes())
    assert hub.url in [link.href for link in atom.feed.links if link.rel == "hub"]
    assert json.loads((public / "feed.json").read_text())["hubs"] == [{"type": "WebSub", "url": hub.url}]


def test_the_hub_hears_of_each_changed_feed_and_of_nothing_else(tmp_path: Path, hub: Hub,
                                                                store_url: str) -> None:
    desk = make_desk(tmp_path, store_url)
    with_hub(desk, hub.url)
    assert feeds(desk)[0] == 0  # every feed changed: it now names its hub
    public = desk.config.feeds_dir
    every_feed = sorted(BASE + str(p.relative_to(public)) for p in public.rglob("*")
                        if p.suffix in (".xml", ".json"))
    assert hub.topics() == every_feed
    hub.pings.clear()
    code, output = feeds(desk)
    assert code == 0 and "0 file(s) changed" in output
    assert hub.pings == []  # an unchanged build announces nothing

    set_status(desk.store, [OTHER], "rejected", editor="test")  # the BEAT-MS story leaves the feeds
    code, output = feeds(desk)
    assert code == 0 and "!" not in output
    assert hub.topics() == [BASE + "atom.xml", BASE + "feed.json", BASE + "lang/en.xml", BASE + "rss.xml"]
    assert not (public / "tags/beat-ms.xml").exists()  # a feed that is gone is not announced


def test_a_hub_that_refuses_is_one_line(tmp_path: Path, store_url: str) -> None:
    refusing = Hub(status=500)
    try:
        desk = make_desk(tmp_path, store_url)
        with_hub(desk, refusing.url)
        code, output = feeds(desk)
    finally:
        refusing.close()
    assert code == 0 and len(refusing.pings) > 3
    problems = [line for line in output.splitlines() if line.startswith("!")]
    assert problems == [
        f"! hub {refusing.url}: {len(refusing.pings)} of {len(refusing.pings)} ping(s) refused: "
        f"{BASE}rss.xml (HTTP 500); {BASE}atom.xml (HTTP 500); {BASE}feed.json (HTTP 500); "
        f"and {len(refusing.pings) - 3} more"]
    assert (desk.config.feeds_dir / "rss.xml").exists() and "Traceback" not in output


def test_a_hub_that_cannot_be_reached_is_one_line(tmp_path: Path, store_url: str) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    desk = make_desk(tmp_path, store_url)
    with_hub(desk, f"http://127.0.0.1:{port}/")
    code, output = feeds(desk)
    problems = [line for line in output.splitlines() if line.startswith("!")]
    assert code == 0 and len(problems) == 1
    assert problems[0].startswith(f"! hub http://127.0.0.1:{port}/: cannot reach it (")
    assert problems[0].endswith("changed feed(s) not announced")
