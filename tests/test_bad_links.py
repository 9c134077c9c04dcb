"""Links that are not web addresses: a `file:`, `javascript:`, `mailto:`, `data:` or broken link in
a feed entry, a sitemap, a listing or an API answer is skipped with a warning, and every other
link of the source is still followed. Scrapy itself can't read anything but http(s)."""

from __future__ import annotations

import json

from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse

from hsctwatch.crawl.items import Article
from tests.conftest import run_callback, start_requests

BAD = ["file:///etc/passwd", "javascript:alert(1)", "mailto:editor@example.org", "data:text/html,hi",
       "ftp://files.example.org/a.html", "file:/dev/zero"]
GOOD = ["https://news.example.org/a/", "https://news.example.org/b/"]


def links(good: list[str] = GOOD) -> list[str]:
    """A bad link first, one between and the rest after: none of them may cost a good one."""
    return [BAD[0], good[0], *BAD[1:4], good[1], *BAD[4:]]


def warnings(spider) -> list[str]:
    return list(spider.crawler.stats.get_value("hsctwatch/warning_messages") or [])


def assert_skipped_with_a_warning(spider, skipped: int = len(BAD)) -> None:
    assert spider.crawler.stats.get_value("hsctwatch/skipped_links") == skipped
    assert not spider.crawler.stats.get_value("hsctwatch/errors")  # the source has not failed
    lines = warnings(spider)
    assert len(lines) == 1 and lines[0].startswith("skipped a link: not an http(s) URL (e.g. file:")
    assert all(ch.isprintable() for line in lines for ch in line)  # scraped text never reaches a terminal raw


def test_feed_entries(make_spider) -> None:
    items = "".join(f"<item><title>Entry {n}</title><link>{link.replace('&', '&amp;')}</link></item>"
                    for n, link in enumerate(links()))
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    for full_text in (True, False):
        spider = make_spider("feed", urls=["https://news.example.org/feed/"], full_text=full_text)
        first = start_requests(spider)[0]
        results = run_callback(first, XmlResponse(first.url, body=body.encode(), request=first))
        urls = [r.url if isinstance(r, Request) else r["url"] for r in results]
        assert urls == GOOD, full_text
        assert_skipped_with_a_warning(spider)


def test_sitemap_urlset_index_and_robots(make_spider) -> None:
    spider = make_spider("sitemap", urls=["https://news.example.org/robots.txt"])
    first = start_requests(spider)[0]
    robots = "".join(f"Sitemap: {link}\n" for link in links(["https://news.example.org/s1.xml",
                                                              "https://news.example.org/s2.xml"]))
    results = run_callback(first, TextResponse(first.url, body=robots.encode(), request=first))
    assert [r.url for r in results] == ["https://news.example.org/s1.xml", "https://news.example.org/s2.xml"]

    def sitemap(tag: str, entries: list[str]) -> bytes:
        locs = "".join(f"<{tag}><loc>{link.replace('&', '&amp;')}</loc></{tag}>" for link in entries)
        root = "urlset" if tag == "url" else "sitemapindex"
        return (f'<?xml version="1.0"?><{root} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"{locs}</{root}>").encode()

    index = Request("https://news.example.org/index.xml", callback=spider.parse_sitemap)
    results = run_callback(index, XmlResponse(index.url, body=sitemap("sitemap", links(
        ["https://news.example.org/s3.xml", "https://news.example.org/s4.xml"])), request=index))
    assert [r.url for r in results] == ["https://news.example.org/s3.xml", "https://news.example.org/s4.xml"]
    urlset = Request("https://news.example.org/s3.xml", callback=spider.parse_sitemap)
    results = run_callback(urlset, XmlResponse(urlset.url, body=sitemap("url", links()), request=urlset))
    assert [r.url for r in results] == GOOD
    assert spider.crawler.stats.get_value("hsctwatch/skipped_links") == 3 * len(BAD)


def test_html_listing_and_next_page(make_spider) -> None:
    spider = make_spider("html", urls=["https://news.example.org/news/"], links="h2 a", next="a.next")
    first = start_requests(spider)[0]
    broken = ["http://[::1/broken", "http:///no-host", "javascript:\x1b[2J\x1b]0;owned\x07"]
    anchors = "".join(f'<h2><a href="{link}">x</a></h2>' for link in links() + broken)
    body = f'<html><body>{anchors}<a class="next" href="javascript:next()">next</a></body></html>'
    results = run_callback(first, HtmlResponse(first.url, body=body.encode(), request=first))
    assert [r.url for r in results] == GOOD
    assert spider.crawler.stats.get_value("hsctwatch/skipped_links") == len(BAD) + len(broken) + 1
    assert_skipped_with_a_warning(spider, len(BAD) + len(broken) + 1)


def test_wordpress_posts(make_spider) -> None:
    for full_text in (True, False):
        spider = make_spider("wordpress", urls=["https://news.example.org/"], full_text=full_text)
        first = start_requests(spider)[0]
        posts: list[dict[str, object]] = [{"id": n, "link": link, "title": {"rendered": f"Post {n}"}}
                                          for n, link in enumerate(links())]
        posts.insert(2, {"id": "not a number", "link": 12345})
        results = run_callback(first, TextResponse(first.url, body=json.dumps(posts).encode(), request=first,
                                                   headers={"Content-Type": "application/json"}))
        urls = [r.url if isinstance(r, Request) else r["url"] for r in results]
        assert urls == GOOD, full_text
        assert all(isinstance(r, Request if full_text else Article) for r in results)


def test_scrapy_reads_nothing_but_the_web() -> None:
    """The project's settings switch off Scrapy's file:, data:, ftp: and s3: download handlers
    (what a crawl refuses before they are reached is in tests/test_guard.py)."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("hsctwatch.crawl.settings", priority="project")
    handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
    assert {scheme: handlers[scheme] for scheme in ("file", "data", "ftp", "s3")} == dict.fromkeys(
        ("file", "data", "ftp", "s3"))
    assert handlers["https"]
