"""The WordPress spider: REST API pages, paging by X-WP-TotalPages, post fields."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from scrapy.http import Request

from hsctwatch.crawl.items import Article
from tests.conftest import response_for, run_callback, start_requests

ROOT = "https://multiplesclerosisnewstoday.com/"


def test_one_query_per_search_term(make_spider) -> None:
    spider = make_spider("wordpress", urls=[ROOT], search=["HSCT", "stem cell"], per_page=2)
    requests = start_requests(spider)
    assert len(requests) == 2
    query = parse_qs(urlsplit(requests[1].url).query)
    assert urlsplit(requests[1].url).path == "/wp-json/wp/v2/posts"
    assert query["search"] == ["stem cell"] and query["per_page"] == ["2"] and query["page"] == ["1"]
    assert query["orderby"] == ["modified"]
    # the post's categories and tags come embedded, by name; with _fields, only if these pass
    assert query["_embed"] == ["wp:term"]
    assert {"_links", "_embedded"} <= set(query["_fields"][0].split(","))


def test_pages_through_total_pages_and_reads_posts(make_spider) -> None:
    spider = make_spider("wordpress", urls=[ROOT], search=["HSCT"], per_page=2)
    first = start_requests(spider)[0]
    results = run_callback(first, response_for(first, "wordpress/posts-page1.json",
                                               headers={"X-WP-Total": "5", "X-WP-TotalPages": "3"}))
    items = [r for r in results if isinstance(r, Article)]
    pages = [r for r in results if isinstance(r, Request)]
    assert [parse_qs(urlsplit(p.url).query)["page"] for p in pages] == [["2"], ["3"]]
    assert len(items) == 2
    item = items[0]
    assert item["url"].endswith("/2026/03/10/ahsct-halts-disability-progression-aggressive-ms/")
    assert item["guid"] == "https://multiplesclerosisnewstoday.com/?p=289114"
    assert item["title"].startswith("aHSCT halts")
    assert "Uppsala" in item["content_html"]
    assert item["published"] == "2026-03-10T13:45:00Z"
    assert item["updated"] == "2026-03-11T08:12:00Z"
    # page 2 does not ask for more pages, and a post seen on page 1 is not taken twice
    page2 = run_callback(pages[0], response_for(pages[0], "wordpress/posts-page2.json",
                                                headers={"X-WP-TotalPages": "3"}))
    assert [r["title"] for r in page2] == ["BEAT-MS trial completes enrolment"]


def test_posts_carry_their_categories_then_tags_by_name(make_spider) -> None:
    spider = make_spider("wordpress", urls=[ROOT])
    first = start_requests(spider)[0]
    news, column = run_callback(first, response_for(first, "wordpress/posts-page1.json"))
    assert news["categories"] == ["News", "Research", "aHSCT", "Q&A"]  # entities decoded, no repeats
    assert column["categories"] == ["Columns", "HSCT", "Moscow"]
    # a site that does not embed its terms (or an older WordPress) gives no categories
    page2 = run_callback(first, response_for(first, "wordpress/posts-page2.json"))
    assert "categories" not in page2[0]


def test_full_text_fetches_the_page(make_spider) -> None:
    spider = make_spider("wordpress", urls=[ROOT], full_text=True)
    first = start_requests(spider)[0]
    results = run_callback(first, response_for(first, "wordpress/posts-page1.json"))
    assert all(isinstance(r, Request) and r.callback == spider.parse_article for r in results)
    assert "Uppsala" in results[0].cb_kwargs["entry"]["content_html"]


def test_api_override_and_non_json_answer(make_spider) -> None:
    api = "https://example.org/?rest_route=/wp/v2/posts"
    spider = make_spider("wordpress", urls=["https://example.org/"], api=api)
    first = start_requests(spider)[0]
    assert first.url.startswith("https://example.org/?rest_route=/wp/v2/posts")
    assert run_callback(first, response_for(first, "feed/not-a-feed.html")) == []
    assert "did not answer JSON" in spider.crawler.stats.get_value("hsctwatch/error_messages")[0]
