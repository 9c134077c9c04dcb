"""Properties that must hold for any input, checked with hypothesis: URL canonicalisation is
stable and never raises; any text in a story gives well-formed RSS and Atom and valid JSON Feed;
any TOML file gives a config or one config error, never a traceback."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import feedparser
import tomli_w
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from feeds import FeedCopy, FeedItem, FeedMeta, FeedTag, write_feeds
from hsctwatch.cli import cli
from hsctwatch.config import ConfigError, load_config
from hsctwatch.urls import canonical_url, url_key

SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- URL canonicalisation -------------------------------------------------------------------------

LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
HOST = st.builds(lambda prefix, labels, tld: prefix + ".".join([*labels, tld]),
                 st.sampled_from(["", "www.", "amp.", "WWW."]), st.lists(LABEL, min_size=1, max_size=3),
                 st.sampled_from(["org", "com", "co.uk", "example"]))
SEGMENT = st.text("abcdefghijklmnopqrstuvwxyzABC0123456789-_.~%é", min_size=1, max_size=15)
TRACKING = ["utm_source", "utm_medium", "utm_campaign", "fbclid", "gclid", "mc_cid", "replytocom", "amp"]
KEEP = ["id", "p", "page", "q", "article", "story", "newsid"]
PARAM = st.tuples(st.sampled_from(TRACKING + KEEP), st.text("abc0123456789-", min_size=1, max_size=8))


@st.composite
def web_urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTPS"]))
    host = draw(HOST)
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = "/".join(draw(st.lists(SEGMENT, max_size=4)))
    slash = draw(st.sampled_from(["", "/"]))
    amp = draw(st.sampled_from(["", "/amp", "/amp/"]))
    query = "&".join(f"{k}={v}" for k, v in draw(st.lists(PARAM, max_size=4)))
    fragment = draw(st.sampled_from(["", "#comments", "#top"]))
    return f"{scheme}://{host}{port}/{path}{slash}{amp}" + (f"?{query}" if query else "") + fragment


@given(st.text())
@example("http://[::1")
@example("https://exa mple.org/\x00")
@example("javascript:alert(1)")
@settings(max_examples=300)
def test_canonical_url_never_raises(text: str) -> None:
    assert isinstance(canonical_url(text), str)
    assert isinstance(url_key(text), str)


@given(web_urls())
@settings(max_examples=300)
def test_canonical_url_is_stable(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert url_key(once) == url_key(url)


@given(web_urls())
@settings(max_examples=300)
def test_tracking_and_fragments_are_gone_and_the_rest_is_kept(url: str) -> None:
    canonical = urlsplit(canonical_url(url))
    kept = [key for key, _ in parse_qsl(canonical.query, keep_blank_values=True)]
    assert not set(kept) & set(TRACKING)
    assert canonical.fragment == ""
    asked = [key for key, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True) if key in KEEP]
    assert sorted(kept) == sorted(asked)


def test_two_articles_told_apart_by_a_parameter_stay_two() -> None:
    assert url_key("https://news.example.org/index.php?story=5") != url_key(
        "https://news.example.org/index.php?story=6")
    assert url_key("https://news.example.org/a?utm_source=x&article=1&amp=1") == url_key(
        "http://www.news.example.org/a/?article=1")


@given(web_urls())
@settings(max_examples=200)
def test_scheme_www_and_trailing_slash_are_the_same_article(url: str) -> None:
    parts = urlsplit(url)
    assume(parts.path not in ("", "/") and not parts.netloc.lower().startswith("amp."))
    other_scheme = "https" if parts.scheme.lower() == "http" else "http"
    host = parts.netloc[4:] if parts.netloc.lower().startswith("www.") else "www." + parts.netloc
    path = parts.path.rstrip("/") if parts.path.endswith("/") else parts.path + "/"
    variant = parts._replace(scheme=other_scheme, netloc=host, path=path).geturl()
    assume(not parts.port or parts.port in (80, 443))
    assert url_key(variant) == url_key(url)


# -- feed writing ---------------------------------------------------------------------------------

TEXT = st.text(max_size=200)  # scraped: every code point but surrogates (controls, U+FFFE, RTL …)
PRINTABLE = st.text(st.characters(exclude_categories=["C"]), max_size=50)  # the config's, the rules'

META = FeedMeta(title="HSCT for MS", description="News.", base_url="https://example.org/hsct/")
T0 = datetime(2026, 3, 1, tzinfo=UTC)


@st.composite
def feed_items(draw: st.DrawFn) -> list[FeedItem]:
    count = draw(st.integers(1, 3))
    return [FeedItem(
        guid=f"tag:hsct-watch,2026:{n:024x}", title=draw(TEXT), link=draw(st.one_of(web_urls(), TEXT)),
        published=T0 + timedelta(days=n), updated=draw(st.none() | st.just(T0 + timedelta(days=9))),
        summary=draw(TEXT), text=draw(TEXT), source_title=draw(TEXT), author=draw(TEXT),
        tags=(FeedTag("type", "news", draw(PRINTABLE)),),  # labels come from the rules file
        copies=tuple(FeedCopy(draw(st.one_of(web_urls(), TEXT)), draw(TEXT))
                     for _ in range(draw(st.integers(0, 2)))),
        note=draw(TEXT), see_also=(FeedCopy(draw(web_urls()), draw(TEXT)),),
    ) for n in range(count)]


@given(feed_items(), PRINTABLE)
@example([FeedItem(guid="tag:hsct-watch,2026:0",
                   title="&amp;lt;img src=x&amp;gt; \u202eevil\u200b \x1b[2J\ufffe",
                   link="javascript:alert(1)", published=T0, updated=None, summary="<script>", text="\x0c",
                   source_title="]]>", author="\x7f", tags=(FeedTag("type", "news", "<News> & co"),))],
         "&amp; <b>")
@SLOW
def test_any_text_gives_valid_feeds(items: list[FeedItem], title: str) -> None:
    """Any scraped text in a story, and any printable title in the config ([feeds] title and
    description are checked for control characters when the config is read)."""
    meta = FeedMeta(title="HSCT " + title, description=title, base_url=META.base_url)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        write_feeds(items, meta, out)
        for name in ("rss.xml", "atom.xml", "tags/news.xml"):
            data = (out / name).read_bytes()
            etree.fromstring(data)  # strictly well-formed XML
            parsed = feedparser.parse(data)
            assert parsed.bozo == 0, (name, parsed.get("bozo_exception"))
            assert len(parsed.entries) == len(items)
        document = json.loads((out / "feed.json").read_text(encoding="utf-8"))
        assert len(document["items"]) == len(items)
        etree.fromstring((out / "index.html").read_bytes(), etree.HTMLParser())


# -- the config loader ------------------------------------------------------------------------------

KEYS = ["store", "feeds", "scrapy", "sources", "crawl", "rules", "serve", "limits", "url", "out", "title",
        "name", "kind", "urls", "links", "follow", "per_page", "api", "max_items", "publish", "base_url",
        "DOWNLOAD_DELAY", "ROBOTSTXT_OBEY", "session_hours", "port", "behind_proxy", "enabled", "term",
        "source_minutes", "run_requests", "wait_seconds", "contact", "language", "search"]
SCALARS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["feed", "sitemap", "html", "wordpress", "pubmed", "https://x.org/", "sqlite:///x.db",
                     "public", ".", "auto", "a[[[", "(", "127.0.0.1"]),
    st.integers(), st.floats(), st.booleans(), st.datetimes(), st.dates(),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=4), max_leaves=12)
DOCUMENTS = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6)
SOURCE = {"name": "s", "kind": "feed", "urls": ["https://news.example.org/feed/"]}


def documents() -> st.SearchStrategy[dict[str, Any]]:
    """TOML documents near the real shape: the known tables and keys, with any values, and often
    a [[sources]] list of tables near a real source's."""
    sources = st.lists(st.fixed_dictionaries({}, optional={k: VALUES for k in KEYS}).map(
        lambda extra: {**SOURCE, **extra}), max_size=2)
    return st.builds(lambda doc, src: {**doc, **({"sources": src} if src else {})}, DOCUMENTS, sources)


def load(text: str) -> str:
    """"ok", or the config error's line."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hsct-watch.toml"
        path.write_text(text, encoding="utf-8")
        try:
            load_config(path)
        except ConfigError as exc:
            message = str(exc)
            assert message.startswith(str(path)) and "\n" not in message.rstrip("\n"), message
            return message
    return "ok"


@given(documents())
@example({"sources": [{**SOURCE, "kind": []}]})
@example({"feeds": {"out": "a\x00b", "title": " "}})
@example({"rules": "x" * 5000})
@example({"feeds": {"language": "english please"}})
@example({"feeds": {"ti\ntle": "x"}, "sources": [{**SOURCE, "fo\ro": 1}]})
@settings(max_examples=300, deadline=None)
def test_any_toml_is_a_config_or_one_config_error(document: dict[str, Any]) -> None:
    load(tomli_w.dumps(document))


@given(st.text(max_size=300))
@example("[store]\nurl = 'foo://'\n")
@example("[[sources]]\nname='x'\nkind='sitemap'\nurls=['https://x/']\nmax_age_days=99999999999\n")
@settings(max_examples=200, deadline=None)
def test_any_text_is_a_config_or_one_config_error(text: str) -> None:
    load(text)


@given(documents())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_command_on_any_toml_exits_0_or_2(document: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        document = {**document, "store": {"url": f"sqlite:///{folder}/store.db"}}
        path = Path(folder) / "hsct-watch.toml"
        path.write_text(tomli_w.dumps(document), encoding="utf-8")
        result = CliRunner().invoke(cli, ["--config", str(path), "sources"])
        assert result.exit_code in (0, 2), (result.output, result.exc_info)
        if result.exit_code == 2:
            assert len(result.output.strip().splitlines()) == 1, result.output
