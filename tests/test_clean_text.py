"""What readers see: titles, authors and excerpts as their publishers wrote them.

Entities decoded exactly once, from the source format to the feeds read back with feedparser;
no bidirectional overrides or zero-width characters; no feed footers; no site's name in a title;
an author (or the source's name) in every RSS item.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from scrapy.http import Request, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from feeds import FeedItem, FeedMeta, make_excerpt, write_feeds
from hsctwatch.crawl.items import Article
from hsctwatch.scraped import without_feed_footer, without_site_name
from pipelines.extract import ExtractPipeline
from pipelines.normalize import NormalizePipeline
from tests.conftest import run_callback, start_requests

BODY = "<p>" + "Autologous HSCT stopped relapses in most people with aggressive MS. " * 12 + "</p>"
URL = "https://ms.example.org/a/"
META = FeedMeta(title="HSCT for MS", description="News on aHSCT for MS.", base_url="https://example.org/hsct/")


def through_pipelines(item: Article) -> Article:
    """normalize → extract, as in a crawl (outside one, the extract stage works in-process)."""
    crawler = get_crawler()
    item = NormalizePipeline.from_crawler(crawler).process_item(item)
    result = ExtractPipeline.from_crawler(crawler).process_item(item)
    assert isinstance(result, Article)
    return result


def feed_entries(make_spider, xml: str, url: str = "https://news.example.org/feed/") -> list[Article]:
    spider = make_spider("feed", urls=[url], full_text=False)
    request = Request(url, callback=spider.parse_feed)
    response = XmlResponse(url=url, body=xml.encode("utf-8"), request=request,
                           headers={"Content-Type": "application/rss+xml; charset=utf-8"})
    return [through_pipelines(item) for item in run_callback(request, response)]


def rss(*items: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>News</title>'
            "<link>https://news.example.org/</link><description>d</description>"
            + "".join(items) + "</channel></rss>")


def rss_item(n: int, title: str, description: str = "", author: str = "") -> str:
    return (f"<item><title>{title}</title><link>https://news.example.org/{n}/</link>"
            f"<guid>https://news.example.org/?p={n}</guid>"
            + (f"<dc:creator>{author}</dc:creator>" if author else "")
            + f"<description><![CDATA[{description}]]></description>"
            f"<content:encoded xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><![CDATA[{BODY}]]>"
            "</content:encoded></item>")


def written(tmp_path: Path, **fields: Any) -> dict[str, Any]:
    """One item written to every feed, read back: the JSON item, the RSS and the Atom entries."""
    values: dict[str, Any] = {"guid": "tag:hsct-watch,2026:1", "title": "T", "link": "https://news.example.org/1/",
                              "published": datetime(2026, 3, 1, tzinfo=UTC), "updated": None, "summary": "",
                              "text": "Autologous HSCT halted relapsing MS in most patients. " * 10,
                              "source_title": "MS News Daily"}
    values.update(fields)
    write_feeds([FeedItem(**values)], META, tmp_path)
    return {
        "json": json.loads((tmp_path / "feed.json").read_text(encoding="utf-8"))["items"][0],
        "rss": feedparser.parse((tmp_path / "rss.xml").read_bytes()).entries[0],
        "atom": feedparser.parse((tmp_path / "atom.xml").read_bytes()).entries[0],
    }


# -- entities decoded exactly once ---------------------------------------------------------------


def test_rss_titles_are_decoded_once(make_spider) -> None:
    items = feed_entries(make_spider, rss(
        rss_item(1, "&amp;lt;img src=x onerror=alert(1)&amp;gt; in a headline"),
        rss_item(2, "Q&amp;A: who can have aHSCT?"),
        rss_item(3, "It&#8217;s day +12 &amp; my counts are up"),
    ))
    assert [i["title"] for i in items] == [
        "&lt;img src=x onerror=alert(1)&gt; in a headline",  # the text the feed's XML says
        "Q&A: who can have aHSCT?",
        "It’s day +12 & my counts are up",
    ]


def test_a_bare_ampersand_leaves_no_debris(make_spider) -> None:
    """A feed that is not well-formed XML ("Q&A" unescaped) is read by feedparser's loose
    parser, which makes "Q&A;" of it: the title reads "Q&A"."""
    items = feed_entries(make_spider, rss(rss_item(1, "Q&A: a neurologist on aHSCT"),
                                          rss_item(2, "AT&T staff raise funds for HSCT")))
    assert [i["title"] for i in items] == ["Q&A: a neurologist on aHSCT", "AT&T staff raise funds for HSCT"]


def test_atom_titles_follow_their_type(make_spider) -> None:
    url = "https://agg.example.org/atom"
    xml = ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
           '<entry><title type="html">Q&amp;amp;A &amp;lt;b&amp;gt;on HSCT&amp;lt;/b&amp;gt;</title>'
           f'<link rel="alternate" href="{url}/1"/><id>{url}/1</id>'
           f'<content type="html">{BODY.replace("<", "&lt;").replace(">", "&gt;")}</content></entry>'
           '<entry><title type="text">&amp;lt;img&amp;gt; is not a tag here</title>'
           f'<link rel="alternate" href="{url}/2"/><id>{url}/2</id>'
           f'<content type="html">{BODY.replace("<", "&lt;").replace(">", "&gt;")}</content></entry></feed>')
    items = feed_entries(make_spider, xml, url)
    assert [i["title"] for i in items] == ["Q&A on HSCT", "&lt;img&gt; is not a tag here"]


def test_wordpress_api_titles_are_decoded_once(make_spider) -> None:
    root = "https://news.example.org/"
    spider = make_spider("wordpress", urls=[root])
    request = start_requests(spider)[0]
    posts = [{"id": 7, "link": root + "2026/03/q-and-a/", "guid": {"rendered": root + "?p=7&#038;lang=en"},
              "title": {"rendered": "Q&#038;A: &amp;lt;img src=x&amp;gt; explained"},
              "content": {"rendered": BODY}, "excerpt": {"rendered": "<p>Short [&hellip;]</p>"},
              "date_gmt": "2026-03-01T10:00:00", "modified_gmt": "2026-03-01T10:00:00"}]
    response = TextResponse(url=request.url, body=json.dumps(posts).encode(), request=request,
                            encoding="utf-8", headers={"Content-Type": "application/json"})
    [item] = [through_pipelines(i) for i in run_callback(request, response) if isinstance(i, Article)]
    assert item["title"] == "Q&A: &lt;img src=x&gt; explained"
    assert item["guid"] == root + "?p=7&lang=en"
    assert item["summary"] == "Short…"


def test_page_titles_are_decoded_once() -> None:
    html = ("<html><head><title>&amp;lt;script&amp;gt; in a headline | MS Support Network</title>"
            "</head><body><article><h1>&amp;lt;script&amp;gt; in a headline</h1>" + BODY
            + "</article></body></html>")
    item = through_pipelines(Article(source="s", url=URL, page_html=html))
    assert item["title"] == "&lt;script&gt; in a headline"


def test_a_json_ld_headline_written_as_html_reads_as_its_h1() -> None:
    """JSON-LD is JSON, read once; some plugins write HTML entities into it anyway. The page's
    h1 says how the headline reads."""
    html = ('<html><head><script type="application/ld+json">{"@type": "BlogPosting", '
            '"headline": "It&#8217;s day +12 &amp; my counts are up"}</script></head><body><article>'
            "<h1>It&#8217;s day +12 &amp; my counts are up</h1>" + BODY + "</article></body></html>")
    item = through_pipelines(Article(source="s", url=URL, page_html=html))
    assert item["title"] == "It’s day +12 & my counts are up"


def test_feeds_show_the_text_as_stored(tmp_path: Path) -> None:
    out = written(tmp_path, title="&lt;img src=x&gt; and Q&A", summary="Caf&eacute; &amp; more")
    assert out["json"]["title"] == "&lt;img src=x&gt; and Q&A"
    assert out["json"]["summary"] == "Caf&eacute; &amp; more"
    assert out["rss"].title == "&lt;img src=x&gt; and Q&A"  # feedparser's reading of our XML
    assert out["atom"].title == "&lt;img src=x&gt; and Q&A"
    assert "<img" not in (tmp_path / "feed.json").read_text(encoding="utf-8")


# -- invisible characters -------------------------------------------------------------------------


@pytest.mark.parametrize("trick", ["\u202e", "\u202d", "\u2066", "\u200b", "\u200c", "\u200f", "\ufeff",
                                   "\u2060"])
def test_bidi_overrides_and_zero_width_characters_leave_titles_and_authors(trick: str,
                                                                          tmp_path: Path) -> None:
    item = through_pipelines(Article(source="s", url=URL, content_html=BODY,
                                     title=f"HSCT{trick} news: gpj.{trick}exe", author=f"Ian{trick} Fell"))
    assert item["title"] == "HSCT news: gpj.exe" and item["author"] == "Ian Fell"
    out = written(tmp_path, title=f"HSCT{trick} news", author=f"{trick}Ian Fell")  # a store filled earlier
    for title, author in ((out["json"]["title"], out["json"]["authors"][0]["name"]),
                          (out["rss"].title, out["rss"].author), (out["atom"].title, out["atom"].author)):
        assert title == "HSCT news" and author == "Ian Fell"


def test_emoji_keep_their_joiners() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    item = through_pipelines(Article(source="s", url=URL, content_html=BODY,
                                     title=f"Our {family} after HSCT"))
    assert item["title"] == f"Our {family} after HSCT"


# -- feed footers -----------------------------------------------------------------------------------


def test_wordpress_feed_footers_leave_excerpts_and_text(make_spider) -> None:
    footer = ('<p>The post <a href="https://news.example.org/1/">Priced out at home</a> appeared first on '
              '<a href="https://news.example.org/">MS News Daily</a>.</p>')
    excerpt = f"<p>People with MS crowdfund their transplants [&#8230;]</p>\n{footer}"
    [item] = feed_entries(make_spider, rss(rss_item(1, "Priced out at home", description=excerpt)))
    assert item["summary"] == "People with MS crowdfund their transplants…"
    assert "appeared first" not in item["text"]
    more = '<p><a class="more-link" href="https://news.example.org/1/">Continue reading →</a></p>'
    item = through_pipelines(Article(source="s", url="https://news.example.org/2/", title="T",
                                     content_html=BODY + more + footer,
                                     summary_html="<p>Its own summary. Read more »</p>"))
    assert item["summary"] == "Its own summary."
    assert item["text"].endswith("aggressive MS.")


@pytest.mark.parametrize(("excerpt", "shown"), [
    ("A summary [&#8230;] The post A title appeared first on MS News Daily.", "A summary…"),
    ("A summary [&hellip;]", "A summary…"),  # cut mid-sentence: one ellipsis stays
    ("A summary […] Continue reading →", "A summary…"),
    ("A summary.\n\nThe post A title appeared first on MS News Daily.", "A summary."),
    ("A summary.\n\nLa entrada Un título se publicó primero en Noticias EM.", "A summary."),
    ("A summary.\n\nDer Beitrag Ein Titel erschien zuerst auf MS-Nachrichten.", "A summary."),
    ("A summary.\n\nO post Um título apareceu primeiro em Notícias EM.", "A summary."),
])
def test_footers_in_every_form_and_language(excerpt: str, shown: str) -> None:
    assert without_feed_footer(excerpt) == shown
    assert make_excerpt(excerpt, "") == shown  # also from a store filled before


def test_text_that_only_mentions_reading_more_is_kept() -> None:
    text = "I want to read more.\n\nContinue reading this blog if you like soup? No: it is about HSCT."
    assert without_feed_footer(text) == text


# -- the site's name in titles ---------------------------------------------------------------------


def page(head: str, h1: str = "") -> str:
    return (f"<html><head>{head}</head><body><header><h1 class='site-title'>MS Support Network</h1></header>"
            f"<article>{f'<h1>{h1}</h1>' if h1 else ''}{BODY}</article></body></html>")


@pytest.mark.parametrize(("html", "title"), [
    (page("<title>aHSCT: who can have it? | MS Support Network</title>", "aHSCT: who can have it?"),
     "aHSCT: who can have it?"),
    (page("<title>MS Support Network – Day +12 in Moscow</title>", "Day +12 in Moscow"), "Day +12 in Moscow"),
    (page('<meta property="og:title" content="HSCT – what we know | MS Support Network">'
          "<title>HSCT – what we know | MS Support Network</title>", "HSCT – what we know"),
     "HSCT – what we know"),
    (page('<meta property="og:site_name" content="MS Support Network">'
          "<title>Stem cells and me - MS Support Network</title>"), "Stem cells and me"),
    (page('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Trial opens: BEAT-MS"}'
          "</script><title>Trial opens: BEAT-MS » News » MS Support Network</title>"),
     "Trial opens: BEAT-MS"),
    # nothing on the page says which part is the site's name
    (page("<title>HSCT | the facts</title>"), "HSCT | the facts"),
])
def test_the_site_s_name_leaves_the_title(html: str, title: str) -> None:
    item = through_pipelines(Article(source="s", url=URL, page_html=html))
    assert item["title"] == title


def test_a_feed_title_loses_the_site_s_name_its_page_explains() -> None:
    html = page("<title>Day +30 | MS Support Network</title>", "Day +30")
    item = through_pipelines(Article(source="s", url=URL, title="Day +30 | MS Support Network",
                                     page_html=html))
    assert item["title"] == "Day +30"


def test_without_site_name_never_keeps_only_the_site() -> None:
    assert without_site_name("Headline | Site", ["Site"], ["Site"]) == "Headline"
    assert without_site_name("Site", ["Headline"], ["Site"]) == "Site"
    assert without_site_name("Q&A: a neurologist", ["Q&A: a neurologist"], []) == "Q&A: a neurologist"


# -- authors in RSS ----------------------------------------------------------------------------------


def test_every_rss_item_names_an_author(tmp_path: Path) -> None:
    assert written(tmp_path / "a", author="Marisa Wexler")["rss"].author == "Marisa Wexler"
    unknown = written(tmp_path / "b", author="")
    assert unknown["rss"].author == "MS News Daily"  # the source's name, as in Atom and JSON
    assert unknown["atom"].author == "MS News Daily"
    assert unknown["json"]["authors"] == [{"name": "MS News Daily"}]
