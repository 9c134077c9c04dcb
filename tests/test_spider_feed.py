"""The feed spider on saved feeds: every flavour of RSS and Atom, broken ones, and the page flow."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from scrapy.http import Request
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from hsctwatch.crawl.items import Article
from tests.conftest import fixture_response, follow, response_for, run_callback, start_requests

MSNT_FEED = "https://multiplesclerosisnewstoday.com/feed/"
MSNT_ARTICLE = (
    "https://multiplesclerosisnewstoday.com/news-posts/2026/03/10/"
    "ahsct-halts-disability-progression-aggressive-ms/"
)


def parse(spider, fixture: str, url: str):
    request = Request(url, callback=spider.parse_feed)
    return run_callback(request, response_for(request, fixture))


@pytest.fixture
def msnt(make_spider):
    return make_spider("feed", urls=[MSNT_FEED])


def test_start_requests_one_per_feed_url(make_spider) -> None:
    spider = make_spider("feed", urls=[MSNT_FEED, "https://example.org/atom.xml"])
    requests = start_requests(spider)
    assert [r.url for r in requests] == [MSNT_FEED, "https://example.org/atom.xml"]
    assert all(r.errback == spider.listing_failed for r in requests)


def test_wordpress_rss2_entries_become_page_requests(msnt) -> None:
    results = parse(msnt, "feed/wordpress-rss2.rss", MSNT_FEED)
    assert len(results) == 2  # the entry without a link is skipped
    first = results[0]
    assert isinstance(first, Request)
    assert first.url.startswith(MSNT_ARTICLE)
    entry = first.cb_kwargs["entry"]
    assert entry["title"].startswith("aHSCT halts disability progression")
    assert entry["guid"] == "https://multiplesclerosisnewstoday.com/?p=289114"
    assert entry["published"] == datetime(2026, 3, 10, 13, 45, tzinfo=UTC)
    assert entry["author"] == "Marisa Wexler, MS"
    assert "Uppsala University Hospital" in entry["content_html"]
    assert "appeared first on" in entry["summary_html"]
    assert msnt.crawler.stats.get_value("hsctwatch/feed/entry_without_link") == 1


def test_entries_carry_their_categories(msnt, make_spider) -> None:
    """A feed's <category> (RSS) or category label, else term (Atom), as the post's categories,
    for the relevance rules; an entry without any has none."""
    first, second = parse(msnt, "feed/wordpress-rss2.rss", MSNT_FEED)
    assert first.cb_kwargs["entry"]["categories"] == ["News", "aHSCT"]
    assert second.cb_kwargs["entry"]["categories"] == ["News"]
    spider = make_spider("feed", urls=["https://medicalxpress.com/feed"], full_text=False)
    items = parse(spider, "feed/atom.atom", "https://medicalxpress.com/rss-feed/search/?search=stem+cell")
    assert items[0]["categories"] == ["Stem cell transplant", "Multiple sclerosis"]
    assert "categories" not in items[1]


def test_a_focused_source_stamps_its_items(make_spider) -> None:
    spider = make_spider("feed", urls=[MSNT_FEED], full_text=False, focus="hsct")
    assert all(item["focus"] == "hsct" for item in parse(spider, "feed/wordpress-rss2.rss", MSNT_FEED))
    general = make_spider("feed", name="general", urls=[MSNT_FEED], full_text=False)
    assert all("focus" not in item for item in parse(general, "feed/wordpress-rss2.rss", MSNT_FEED))


def test_full_text_false_keeps_the_feed_content(make_spider) -> None:
    spider = make_spider("feed", urls=[MSNT_FEED], full_text=False)
    results = parse(spider, "feed/wordpress-rss2.rss", MSNT_FEED)
    assert all(isinstance(r, Article) for r in results)
    assert results[0]["source"] == "test-source"
    assert "NEDA-3" in results[0]["content_html"]
    assert "page_html" not in results[0]


def test_feed_to_article_flow(msnt) -> None:
    feed_request = Request(MSNT_FEED, callback=msnt.parse_feed)
    first_page = run_callback(feed_request, response_for(feed_request, "feed/wordpress-rss2.rss"))[0]
    items = follow([feed_request], {MSNT_FEED: "feed/wordpress-rss2.rss",
                                    first_page.url: "pages/msnt-article.html"})
    assert len(items) == 1
    item = items[0]
    assert item["url"] == first_page.url
    assert "<article" in item["page_html"]
    assert item["final_url"] == first_page.url
    assert item["title"].startswith("aHSCT halts")


def test_atom_feed(make_spider) -> None:
    spider = make_spider("feed", urls=["https://medicalxpress.com/feed"])
    results = parse(spider, "feed/atom.atom", "https://medicalxpress.com/rss-feed/search/?search=stem+cell")
    assert [r.url for r in results] == [
        "https://medicalxpress.com/news/2026-04-stem-cell-transplant-ms-decade.html",
        "https://medicalxpress.com/news/2026-04-lymphoma-car-t.html",
    ]
    entry = results[0].cb_kwargs["entry"]
    assert entry["published"] == datetime(2026, 4, 2, 7, 30, tzinfo=UTC)
    assert entry["updated"] == datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
    assert "MIST trial" in entry["content_html"]
    assert results[1].cb_kwargs["entry"]["guid"] == "tag:medicalxpress.com,2026:lymphoma-car-t"


def test_rss1_rdf_feed(make_spider) -> None:
    spider = make_spider("feed", urls=["https://www.sciencedaily.com/rss.xml"])
    results = parse(spider, "feed/rss1.xml", "https://www.sciencedaily.com/rss.xml")
    assert len(results) == 1
    entry = results[0].cb_kwargs["entry"]
    assert entry["title"].startswith("Immune reset with stem cells")
    # RSS 1.0's dc:date is the entry's date; normalize takes it as published when nothing else is
    assert entry["updated"] == datetime(2026, 2, 12, 15, 15, 30, tzinfo=UTC)


def test_rss091_latin1_feed(make_spider) -> None:
    spider = make_spider("feed", urls=["https://oldblog.example.org/rss"])
    results = parse(spider, "feed/rss091.xml", "https://oldblog.example.org/rss")
    entry = results[0].cb_kwargs["entry"]
    assert entry["title"] == "My HSCT diary: day 12 in Moscow"
    assert "Café" in entry["summary_html"]


def test_broken_feed_is_read_as_far_as_possible(make_spider) -> None:
    spider = make_spider("feed", urls=["https://broken.example.org/feed"])
    results = parse(spider, "feed/broken.rss", "https://broken.example.org/feed")
    assert results, "a malformed feed must still give its readable entries"
    assert results[0].url == "https://broken.example.org/hsct-ms-learned/"
    assert results[0].cb_kwargs["entry"]["published"] is None or isinstance(
        results[0].cb_kwargs["entry"]["published"], str)
    assert spider.crawler.stats.get_value("hsctwatch/feed/malformed") == 1


def test_html_page_instead_of_feed_is_reported(make_spider) -> None:
    spider = make_spider("feed", urls=["https://example.org/feed/"])
    request = Request("https://example.org/feed/", callback=spider.parse_feed)
    assert run_callback(request, response_for(request, "feed/not-a-feed.html")) == []
    messages = spider.crawler.stats.get_value("hsctwatch/error_messages")
    assert messages == ["https://example.org/feed/: expected a feed but got an HTML page "
                        "(has the feed moved?)"]
    assert spider.crawler.stats.get_value("hsctwatch/errors") == 1


def test_failed_page_keeps_the_feed_content(msnt) -> None:
    page_request = parse(msnt, "feed/wordpress-rss2.rss", MSNT_FEED)[0]
    response = fixture_response("feed/not-a-feed.html", page_request.url, request=page_request,
                                status=500)
    failure = Failure(HttpError(response, "Ignoring non-200 response"))
    failure.request = page_request  # type: ignore[attr-defined]
    items = list(msnt.article_failed(failure))
    assert len(items) == 1
    assert "Uppsala" in items[0]["content_html"]
    assert msnt.crawler.stats.get_value("hsctwatch/error_messages") == [f"{page_request.url}: HTTP 500"]


def test_unknown_source_name_is_a_config_error(make_spider) -> None:
    from hsctwatch.config import ConfigError

    with pytest.raises(ConfigError, match="no source named 'nope'"):
        make_spider("feed", urls=[MSNT_FEED]).__class__.from_crawler(
            make_spider("feed", urls=[MSNT_FEED]).crawler, source="nope")


FEEDS = {
    "feed/wordpress-rss2.rss": MSNT_FEED,
    "feed/atom.atom": "https://medicalxpress.com/rss-feed/search/?search=stem+cell",
    "feed/rss1.xml": "https://www.sciencedaily.com/rss.xml",
    "feed/rss091.xml": "https://oldblog.example.org/rss",
    "feed/broken.rss": "https://broken.example.org/feed",
}


def _all_entries(make_spider) -> list[dict]:
    entries = []
    for fixture, url in FEEDS.items():
        spider = make_spider("feed", urls=[url], full_text=False)
        entries += [dict(item) for item in parse(spider, fixture, url)]
    return entries


def test_invariants_over_every_entry(make_spider) -> None:
    from hsctwatch.dates import parse_date
    from hsctwatch.scraped import clean_line

    entries = _all_entries(make_spider)
    assert len(entries) == 8
    for entry in entries:
        assert entry["url"].startswith(("http://", "https://")), entry
        assert clean_line(entry["title"]), entry
        for field in ("published", "updated"):
            value = entry.get(field)
            if isinstance(value, datetime):
                assert value.tzinfo is not None
            elif value is not None:
                parsed = parse_date(value)
                assert parsed is None or parsed.tzinfo is not None
