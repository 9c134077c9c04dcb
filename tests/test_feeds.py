"""The feed writers, read back with feedparser and a strict XML parser."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from lxml import etree

import feeds.writer
from feeds import FeedCopy, FeedItem, FeedMeta, FeedTag, make_excerpt, write_feeds

META = FeedMeta(title="HSCT for MS", description="News on aHSCT for MS.",
                base_url="https://example.org/hsct/")
T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
HOSTILE = (
    '<script>alert("x")</script><p onclick="steal()">Stem cells &nbsp broken &#xZZ; entity\x00\x0b\x1b'
    '<a href="javascript:alert(1)">click</a><img src=x onerror="alert(2)"></p>\ufffe'
)


def item(n: int, **fields: object) -> FeedItem:
    values: dict[str, object] = {
        "guid": f"tag:hsct-watch,2026:{n:04d}", "title": f"Story {n}",
        "link": f"https://news.example.org/story-{n}/", "published": T0 + timedelta(days=n),
        "updated": None, "summary": "", "source_title": "MS News Daily",
        "text": "Autologous HSCT halted relapsing MS in most patients. " * 30,
        "tags": (FeedTag("type", "research", "Research"), FeedTag("ms-type", "rrms", "Relapsing MS")),
    }
    values.update(fields)
    return FeedItem(**values)  # type: ignore[arg-type]


def parse(path: Path) -> feedparser.FeedParserDict:
    etree.parse(str(path))  # strictly well-formed
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def test_rss_atom_and_tag_feeds(tmp_path: Path) -> None:
    items = [item(1), item(2, tags=(FeedTag("ms-type", "ppms", "Primary progressive MS"),),
                       copies=(FeedCopy("https://blog.example.net/copy/", "A patient blog"),),
                       updated=T0 + timedelta(days=5), author="Jane Roe")]
    report = write_feeds(items, META, tmp_path)
    feed_files = ["atom.xml", "feed.json", "lang/en.xml", "rss.xml", "tags/ppms.xml", "tags/research.xml",
                  "tags/rrms.xml"]
    site = ["feeds.opml", "index.html", "lang/en.html", "site.css", "tags/ppms.html", "tags/research.html",
            "tags/rrms.html"]
    assert sorted(report.files) == sorted(feed_files + site)
    rss = parse(tmp_path / "rss.xml")
    assert [e.title for e in rss.entries] == ["Story 2", "Story 1"]  # newest first
    first = rss.entries[0]
    assert first.id == "tag:hsct-watch,2026:0002" and first.guidislink is False
    assert first.link == "https://news.example.org/story-2/"
    assert [(t.term, t.scheme) for t in first.tags] == [("ppms", "ms-type")]
    assert "<p>Tags: Primary progressive MS</p>" in first.summary  # the label a person reads
    assert "Also published at" in first.summary and "https://blog.example.net/copy/" in first.summary
    assert first.published_parsed[:3] == (2026, 3, 3)
    assert first.author == "Jane Roe"  # dc:creator
    atom = parse(tmp_path / "atom.xml")
    entry = atom.entries[0]
    assert entry.id == "tag:hsct-watch,2026:0002"
    assert [(t.term, t.scheme, t.label) for t in entry.tags] == [
        ("ppms", "ms-type", "Primary progressive MS")]
    related = [link.href for link in entry.links if link.rel == "related"]
    assert related == ["https://blog.example.net/copy/"]
    assert entry.updated_parsed[:3] == (2026, 3, 6)
    assert entry.author == "Jane Roe"
    tag = parse(tmp_path / "tags/rrms.xml")
    assert [e.title for e in tag.entries] == ["Story 1"]
    assert "Relapsing MS" in tag.feed.title


def test_json_feed_follows_the_spec(tmp_path: Path) -> None:
    write_feeds([item(1, updated=T0 + timedelta(days=3))], META, tmp_path)
    feed = json.loads((tmp_path / "feed.json").read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["feed_url"] == "https://example.org/hsct/feed.json"
    assert feed["home_page_url"] == "https://example.org/hsct/"
    [entry] = feed["items"]
    assert entry["id"] == "tag:hsct-watch,2026:0001"  # id is a string, required
    assert entry["url"] == "https://news.example.org/story-1/"
    assert entry["content_html"] and entry["tags"] == ["research", "rrms"]
    assert entry["_hsct_watch"]["tags"] == [  # readable labels beside the slugs
        {"slug": "research", "facet": "type", "label": "Research"},
        {"slug": "rrms", "facet": "ms-type", "label": "Relapsing MS"}]
    assert "Tags: Research, Relapsing MS" in entry["content_html"]
    for key in ("date_published", "date_modified"):
        assert datetime.fromisoformat(entry[key]).tzinfo is not None
    assert entry["date_modified"] > entry["date_published"]
    assert all(isinstance(a["name"], str) for a in entry["authors"])


def test_hostile_input_stays_inert_and_valid(tmp_path: Path) -> None:
    bad = item(1, title=HOSTILE, summary=HOSTILE, author="Eve\x07<b>", text=HOSTILE * 3000,
               copies=(FeedCopy("javascript:alert(3)", "<script>x</script>"),),
               link="https://news.example.org/a?x=1&y=<2>")
    write_feeds([bad], META, tmp_path)
    for name in ("rss.xml", "atom.xml", "tags/research.xml"):
        parsed = parse(tmp_path / name)
        assert parsed.entries[0].title.startswith("Stem cells")
    for path in tmp_path.rglob("*.*"):
        data = path.read_text(encoding="utf-8").lower()
        assert "<script" not in data and "&lt;script" not in data, path
        assert "javascript:" not in data and "onerror" not in data and "onclick" not in data, path
        assert not any(ch in data for ch in "\x00\x0b\x1b\x07\ufffe"), path
    json.loads((tmp_path / "feed.json").read_text(encoding="utf-8"))


def test_excerpt_is_short_and_ends_cleanly() -> None:
    long_text = "\n\n".join(["HSCT resets the immune system. It uses chemotherapy first."] * 40)
    excerpt = make_excerpt("", long_text)
    assert len(excerpt.split()) <= 60 and excerpt.endswith(".")
    one_sentence = "word " * 200
    assert len(make_excerpt("", one_sentence).split()) <= 60
    assert make_excerpt("<p>Its own <b>summary</b>.</p>", long_text) == "Its own summary."


def test_max_items_and_stale_tag_feeds(tmp_path: Path) -> None:
    write_feeds([item(n) for n in range(5)] + [item(9, tags=(FeedTag("trial", "mist", "MIST"),))],
                META, tmp_path, max_items=3)
    assert len(parse(tmp_path / "rss.xml").entries) == 3
    assert (tmp_path / "tags/mist.xml").exists()
    report = write_feeds([item(n) for n in range(5)], META, tmp_path, max_items=3)
    assert not (tmp_path / "tags/mist.xml").exists() and report.removed == ["tags/mist.html", "tags/mist.xml"]


def test_unchanged_input_leaves_files_untouched(tmp_path: Path) -> None:
    items = [item(1), item(2)]
    write_feeds(items, META, tmp_path)
    past = 1_000_000_000
    for path in tmp_path.rglob("*.*"):
        os.utime(path, (past, past))
    report = write_feeds(items, META, tmp_path)
    assert report.changed == []
    assert all(p.stat().st_mtime == past for p in tmp_path.rglob("*.*"))


def test_failed_build_keeps_previous_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_feeds([item(1)], META, tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*.*")}

    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(feeds.writer, "json_bytes", broken)
    with pytest.raises(RuntimeError):
        write_feeds([item(1), item(2)], META, tmp_path)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*.*")} == before
    assert not list(tmp_path.rglob("*.tmp"))


def test_empty_feeds_are_valid(tmp_path: Path) -> None:
    write_feeds([], META, tmp_path)
    assert parse(tmp_path / "rss.xml").entries == []
    assert parse(tmp_path / "atom.xml").entries == []


def test_index_lists_every_feed(tmp_path: Path) -> None:
    write_feeds([item(1), item(2, tags=(FeedTag("country", "norway", "Norway"),))], META, tmp_path)
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    for href in ("rss.xml", "atom.xml", "feed.json", "tags/research.xml", "tags/rrms.xml",
                 "tags/norway.xml"):
        assert f'href="{href}"' in index
    assert "Form of MS" in index and "Country" in index


def test_each_item_says_its_language_and_each_language_has_a_feed(tmp_path: Path) -> None:
    from feeds import FeedTranslation

    spanish = item(2, title="Registro latinoamericano", language="es", link="https://news.example.org/es/r/",
                   translations=(FeedTranslation("pt", "Portuguese", "https://news.example.org/pt/r/",
                                                 "Registro latino-americano <b>"),))
    names = {"es": "Spanish", "en": "English"}
    report = write_feeds([item(1), spanish], META, tmp_path, language_names=names)
    assert report.language_feeds == 2
    rss = parse(tmp_path / "rss.xml")
    assert [e.get("language") for e in rss.entries] == ["es", "en"]  # dc:language; the feed's for the other
    assert "Also in Portuguese:" in rss.entries[0].summary and "<b>" not in rss.entries[0].summary
    atom = etree.parse(str(tmp_path / "atom.xml")).getroot()
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    assert [e.get(lang) for e in atom.findall("{http://www.w3.org/2005/Atom}entry")] == ["es", "en"]
    data = json.loads((tmp_path / "feed.json").read_text(encoding="utf-8"))
    assert [i["language"] for i in data["items"]] == ["es", "en"]
    own = parse(tmp_path / "lang/es.xml")
    assert [e.title for e in own.entries] == ["Registro latinoamericano"]
    assert own.feed.language == "es" and own.feed.title == "HSCT for MS — Spanish"
    assert [e.title for e in parse(tmp_path / "lang/en.xml").entries] == ["Story 1"]
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'href="lang/es.xml"' in index and 'href="lang/en.xml"' in index
    write_feeds([item(1)], META, tmp_path)  # no Spanish story any more: its feed goes
    assert not (tmp_path / "lang/es.xml").exists()
