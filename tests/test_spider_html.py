"""The html spider: listing pages, article links by CSS, next pages up to max_pages."""

from __future__ import annotations

from scrapy.http import Request

from tests.conftest import response_for, run_callback, start_requests

LISTING = "https://charity.example.org/news/"


def test_listing_links_and_next_page(make_spider) -> None:
    spider = make_spider("html", urls=[LISTING], links="article.news-card h2 a", next="a.next")
    first = start_requests(spider)[0]
    results = run_callback(first, response_for(first, "html/news-page1.html"))
    articles = [r for r in results if r.callback == spider.parse_article]
    listings = [r for r in results if r.callback == spider.parse_listing]
    assert [r.url for r in articles] == [
        "https://charity.example.org/news/ahsct-nhs-eligibility/",
        "https://charity.example.org/news/starms-recruiting/",
        "https://charity.example.org/news/vitamin-d/",
    ]
    assert [r.url for r in listings] == ["https://charity.example.org/news/page/2/"]
    assert listings[0].cb_kwargs == {"page": 2}


def test_max_pages_stops_following(make_spider) -> None:
    spider = make_spider("html", urls=[LISTING], links="article.news-card h2 a", next="a.next",
                         max_pages=2)
    request = Request("https://charity.example.org/news/page/2/", callback=spider.parse_listing,
                      cb_kwargs={"page": 2})
    results = run_callback(request, response_for(request, "html/news-page2.html"))
    assert [r.url for r in results] == ["https://charity.example.org/news/patient-story-sheffield/"]


def test_layout_change_is_reported(make_spider) -> None:
    spider = make_spider("html", urls=[LISTING], links="article.news-card h2 a")
    first = start_requests(spider)[0]
    assert run_callback(first, response_for(first, "html/redesigned.html")) == []
    message = spider.crawler.stats.get_value("hsctwatch/error_messages")[0]
    assert "no article links match" in message and "layout" in message
