"""The sitemap spider: robots.txt → sitemap index → urlsets (plain and news), follow, lastmod."""

from __future__ import annotations

from datetime import UTC, datetime

from scrapy.http import Request

from tests.conftest import follow, response_for, run_callback, start_requests

ROBOTS = "https://press.example.edu/robots.txt"
FIXTURES = {
    ROBOTS: "sitemap/robots.txt",
    "https://press.example.edu/sitemap_index.xml": "sitemap/sitemap_index.xml",
    "https://press.example.edu/post-sitemap.xml": "sitemap/post-sitemap.xml",
    "https://press.example.edu/news-sitemap.xml": "sitemap/news-sitemap.xml",
}


def article_requests(spider) -> list[Request]:
    """Follow the sitemap chain and return the article requests it ends in."""
    found: list[Request] = []
    queue = start_requests(spider)
    while queue:
        request = queue.pop(0)
        if request.callback == spider.parse_article:
            found.append(request)
            continue
        queue.extend(run_callback(request, response_for(request, FIXTURES[request.url])))
    return found


def test_robots_to_index_to_articles_with_follow(make_spider) -> None:
    spider = make_spider("sitemap", urls=[ROBOTS], follow=["/news/releases/"])
    requests = article_requests(spider)
    assert sorted(r.url for r in requests) == [
        "https://press.example.edu/news/releases/2019/01/old-release/",
        "https://press.example.edu/news/releases/2026/04/car-t-lymphoma/",
        "https://press.example.edu/news/releases/2026/04/mist-ten-year-follow-up/",
    ]
    mist = next(r for r in requests if "mist" in r.url)
    assert mist.cb_kwargs["entry"]["updated"] == datetime(2026, 4, 1, 15, 0, tzinfo=UTC)
    assert spider.crawler.stats.get_value("hsctwatch/sitemap/entries") == 3


def test_without_follow_every_url_is_taken(make_spider) -> None:
    spider = make_spider("sitemap", urls=[ROBOTS])
    assert len(article_requests(spider)) == 5


def test_max_age_days_skips_old_lastmod(make_spider) -> None:
    spider = make_spider("sitemap", urls=[ROBOTS], follow=["/news/releases/"], max_age_days=3650)
    assert len(article_requests(spider)) == 3
    spider = make_spider("sitemap", urls=[ROBOTS], follow=["/news/releases/"], max_age_days=1)
    # the 2019 release and the 2026 one are older than a day; the news entry has no lastmod
    urls = [r.url for r in article_requests(spider)]
    assert urls == ["https://press.example.edu/news/releases/2026/04/car-t-lymphoma/"]
    assert spider.crawler.stats.get_value("hsctwatch/sitemap/too_old") == 2


def test_html_where_sitemap_expected_is_reported(make_spider) -> None:
    spider = make_spider("sitemap", urls=["https://press.example.edu/sitemap.xml"])
    request = Request("https://press.example.edu/sitemap.xml", callback=spider.parse_sitemap)
    assert run_callback(request, response_for(request, "feed/not-a-feed.html")) == []
    assert "not a sitemap" in spider.crawler.stats.get_value("hsctwatch/error_messages")[0]


def test_robots_without_sitemap_is_reported(make_spider) -> None:
    spider = make_spider("sitemap", urls=["https://press.example.edu/robots.txt"])
    request = Request("https://press.example.edu/robots.txt", callback=spider.parse_sitemap)
    assert run_callback(request, response_for(request, "html/redesigned.html")) == []
    assert "names no sitemap" in spider.crawler.stats.get_value("hsctwatch/error_messages")[0]


def test_article_page_flow(make_spider) -> None:
    spider = make_spider("sitemap", urls=[ROBOTS], follow=["mist"])
    mist = article_requests(spider)[0]
    items = follow([mist], {mist.url: "pages/msnt-article.html"})
    assert items[0]["url"] == mist.url and items[0]["source"] == "test-source"
    assert items[0]["updated"] == datetime(2026, 4, 1, 15, 0, tzinfo=UTC)
