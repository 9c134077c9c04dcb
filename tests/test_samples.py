"""The bundled sample sites: real HTTP on loopback, the shapes the spiders expect."""

from __future__ import annotations

import json
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message

import feedparser
import pytest
from lxml import etree

from hsctwatch.samples.server import SITES, SampleSites, load_articles


@pytest.fixture(scope="module")
def sites() -> Iterator[SampleSites]:
    with SampleSites(port=0) as running:
        yield running


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_each_site_on_its_own_loopback_address(sites: SampleSites) -> None:
    hosts = {url.split("/")[2].split(":")[0] for url in sites.urls.values()}
    assert hosts == {f"127.0.0.{n}" for n in range(2, 2 + len(SITES))}
    assert len({url.split(":")[2] for url in sites.urls.values()}) == 1  # one port


def test_every_article_and_non_article_page_answers(sites: SampleSites) -> None:
    data = load_articles()
    for page in data["article"] + data["non_article"]:
        status, headers, body = get(sites.urls[page["site"]] + page["path"])
        assert status == 200, page["path"]
        assert headers["Content-Type"].startswith("text/html")
        assert b"cookie" in body.lower()  # real boilerplate around the article


def test_feeds_parse_cleanly(sites: SampleSites) -> None:
    for url, count in ((sites.urls["msnews"] + "feed/", 10), (sites.urls["blog"] + "feed/", 6),
                       (sites.urls["mednews"] + "rss-feeds/search/?search=stem+cell", 7)):
        status, _, body = get(url)
        parsed = feedparser.parse(body)
        assert status == 200 and parsed.bozo == 0, (url, parsed.get("bozo_exception"))
        assert len(parsed.entries) == count
    msnews = feedparser.parse(get(sites.urls["msnews"] + "feed/")[2])
    assert all("utm_source=rss" in e.link for e in msnews.entries)  # as WordPress plugins add
    assert any("/amp/" in e.link for e in msnews.entries)


def test_sitemaps_and_robots(sites: SampleSites) -> None:
    robots = get(sites.urls["press"] + "robots.txt")[2].decode()
    assert f"Sitemap: {sites.urls['press']}sitemap.xml" in robots and "Disallow: /private/" in robots
    sitemap = etree.fromstring(get(sites.urls["press"] + "sitemap.xml")[2])
    locs = [e.text for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert sites.urls["press"] + "about/" in locs
    assert sum("/news/releases/" in (u or "") for u in locs) == 2
    index = etree.fromstring(get(sites.urls["msnews"] + "sitemap_index.xml")[2])
    assert index.tag.endswith("sitemapindex")
    news = etree.fromstring(get(sites.urls["msnews"] + "news-sitemap.xml")[2])
    assert news.find(".//{http://www.google.com/schemas/sitemap-news/0.9}publication_date") is not None


def test_wordpress_api_pages_and_filters(sites: SampleSites) -> None:
    api = sites.urls["msnews"] + "wp-json/wp/v2/posts"
    status, headers, body = get(api + "?search=stem+cell&per_page=3&page=1")
    posts = json.loads(body)
    total = int(headers["X-WP-Total"])
    assert status == 200 and len(posts) == 3 and int(headers["X-WP-TotalPages"]) == -(-total // 3)
    assert {"id", "link", "title", "content", "excerpt", "date_gmt", "modified_gmt"} <= posts[0].keys()
    assert posts[0]["title"]["rendered"] and posts[0]["content"]["rendered"].startswith("<p>")
    last = int(headers["X-WP-TotalPages"])
    status, _, body = get(api + f"?search=stem+cell&per_page=3&page={last + 1}")
    assert status == 400 and json.loads(body)["code"] == "rest_post_invalid_page_number"
    _, _, body = get(api + "?modified_after=2026-03-01T00:00:00&per_page=100")
    assert all(p["modified_gmt"] > "2026-03-01" for p in json.loads(body))
    _, _, body = get(api + "?_fields=id,link")
    assert set(json.loads(body)[0]) == {"id", "link"}


def test_conditional_requests_and_404(sites: SampleSites) -> None:
    url = sites.urls["msnews"] + "feed/"
    _, headers, _ = get(url)
    assert get(url, {"If-None-Match": headers["ETag"]})[0] == 304
    assert get(url, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert get(sites.urls["msnews"] + "no/such/page/")[0] == 404


def test_listing_pages_link_on(sites: SampleSites) -> None:
    first = get(sites.urls["charity"] + "news/")[2].decode()
    assert 'class="next"' in first and "news-card" in first
    assert get(sites.urls["charity"] + "news/page/2/")[0] == 200


def test_config_points_at_the_sites(sites: SampleSites) -> None:
    config = tomllib.loads(sites.config_toml())
    kinds = {s["name"]: s["kind"] for s in config["sources"]}
    assert set(kinds.values()) == {"feed", "sitemap", "wordpress", "html", "pubmed", "clinicaltrials"}
    for source in config["sources"]:
        for url in source.get("urls", [source.get("api")]):
            assert url.startswith(tuple(sites.urls.values()))
