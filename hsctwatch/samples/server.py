"""The bundled sample sites, served on loopback addresses for `hsct-watch demo` and the tests.

Five fictional sites, each on its own address (127.0.0.2, .3, …), render the articles of
articles.toml the way their real counterparts do: a WordPress news site (RSS feed of the latest
10 posts, each excerpt with the "The post … appeared first on …" footer, REST API, sitemaps,
JSON-LD pages, an AMP version), a WordPress.com patient blog that reproduces a column and
reblogs the opening of a news story, a charity with listing pages and no feed, a medical-news aggregator with an
Atom feed of reprinted press releases, and a university press office with only a sitemap.
Every page carries real boilerplate: navigation, cookie banner, related links, comments.

Run `python -m hsctwatch.samples.server` to serve them until Ctrl-C.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import html
import json
import math
import re
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hsctwatch.config import ServeConfig

SITES = ("msnews", "blog", "charity", "mednews", "press", "research", "intl")
TITLES = {
    "msnews": "MS News Daily",
    "blog": "Stem Cells and Stubbornness",
    "charity": "MS Support UK",
    "mednews": "Medical News Wire",
    "press": "Northwestern University News",
    "research": "Research APIs (PubMed and ClinicalTrials.gov)",
    "intl": "MS World News",
}
#: The editions of the multilingual news site, each with its own feed, and their locales.
EDITIONS = {"es": "es_ES", "pt": "pt_BR", "ru": "ru_RU", "it": "it_IT", "de": "de_DE"}
DEMO_SERVE = ServeConfig()  # the demo's desk, on the default address: it serves the feeds at /feeds/
FEED_SIZE = 10  # WordPress's default: the feed shows only the latest posts
LISTING_SIZE = 4
esc = html.escape


@dataclass
class Page:
    body: bytes
    content_type: str
    modified: datetime
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def load_articles() -> dict[str, Any]:
    text = resources.files("hsctwatch.samples").joinpath("articles.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    by_path = {(a["site"], a["path"]): a for a in data["article"]}
    for article in data["article"]:
        article["when"] = _date(article["date"])
        article["modified_at"] = _date(article.get("modified", article["date"]))
        if "copy_of" in article:  # the blog reproducing the news site's column
            source = by_path[("msnews", article["copy_of"])]
            article["body"] = article["prefix"] + "\n\n" + source["body"].strip()
        if "partial_of" in article:  # the blog reblogging a news story's opening paragraphs
            source = by_path[("msnews", article["partial_of"])]
            opening = source["body"].strip().split("\n\n")[: article["paragraphs"]]
            article["body"] = "\n\n".join([article["prefix"], *opening, article["suffix"]])
        if "copy_of_press" in article:  # the aggregator reprinting the press release
            source = by_path[("press", article["copy_of_press"])]
            article["summary"] = source["summary"]
            lines = source["body"].strip().split("\n\n")
            body = [lines[0].replace("CHICAGO --- ", "")] + lines[1:]
            body.append("More information: Long-term outcomes of nonmyeloablative hematopoietic "
                        "stem cell transplantation in relapsing MS, JAMA Neurology (2026). "
                        "DOI: 10.1001/jamaneurol.2026.0412")
            body.append("Provided by Northwestern University")
            article["body"] = "\n\n".join(body)
    for page in data.get("non_article", []):
        page["when"] = _date(page["date"])
    return data


def load_research() -> dict[str, Any]:
    text = resources.files("hsctwatch.samples").joinpath("research.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _date(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def paragraphs(article: dict[str, Any]) -> list[str]:
    return [p.strip().replace("\n", " ") for p in article.get("body", "").strip().split("\n\n") if p.strip()]


# -- the server ------------------------------------------------------------------------------


class SampleSites:
    """The five sample sites, each on its own loopback address, all on one port."""

    def __init__(self, port: int = 0, first_host: int = 2, delay: float = 0.0):
        self.port = port
        self.delay = delay  # seconds before each answer: a slow site, for tests of killed runs
        self.first_host = first_host
        self.data = load_articles()
        self.research = load_research()
        self.trial_round = 0  # how many times the trials were listed from the first page
        self._servers: list[ThreadingHTTPServer] = []
        self._threads: list[threading.Thread] = []
        self.hosts = {key: f"127.0.0.{first_host + i}" for i, key in enumerate(SITES)}

    @property
    def urls(self) -> dict[str, str]:
        return {key: f"http://{host}:{self.port}/" for key, host in self.hosts.items()}

    def start(self) -> SampleSites:
        """Bind every site; with port 0, an ephemeral port free on all the addresses."""
        requested = self.port
        for _attempt in range(20):
            try:
                self._bind_all()
                break
            except OSError:
                self._close()
                if requested:
                    raise
                self.port = 0
        else:
            raise OSError("no port free on every sample-site address")
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, daemon=True,
                                      name=f"sample-site-{server.server_address[0]!s}")
            thread.start()
            self._threads.append(thread)
        return self

    def _bind_all(self) -> None:
        for key in SITES:
            server = ThreadingHTTPServer((self.hosts[key], self.port), _handler(self, key))
            server.daemon_threads = True
            self._servers.append(server)
            if self.port == 0:
                self.port = server.server_address[1]

    def _close(self) -> None:
        for server in self._servers:
            server.server_close()
        self._servers.clear()

    def stop(self) -> None:
        if self._threads:
            for server in self._servers:
                server.shutdown()
        self._close()
        self._threads.clear()

    def __enter__(self) -> SampleSites:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def config_toml(self, store_url: str = "sqlite:///hsct-watch.db", feeds_out: str = "public") -> str:
        u = self.urls
        return f"""# hsct-watch config for the bundled sample sites (written by `hsct-watch demo`).
# Keep the sites up with `hsct-watch demo --serve-only --port {self.port}` to run it by hand.

[store]
url = "{store_url}"

[feeds]
out = "{feeds_out}"
title = "HSCT for MS (demo)"
# where `hsct-watch serve` (below) publishes the folder, so the feeds' self links work there
base_url = "http://{DEMO_SERVE.host}:{DEMO_SERVE.port}/feeds/"

[serve]
host = "{DEMO_SERVE.host}"
port = {DEMO_SERVE.port}

[digest]
# `hsct-watch digest --dry-run` shows the email digest; sending it needs an SMTP server here
# (for a try: `python -m aiosmtpd -n -l 127.0.0.1:8025` prints what it receives)
host = "127.0.0.1"
port = 8025
security = "none"
from = "HSCT for MS (demo) <digest@example.org>"
to = ["reader@example.org"]

[scrapy]
# fast on loopback; real sites get the polite defaults
ROBOTSTXT_OBEY = true
AUTOTHROTTLE_ENABLED = false
DOWNLOAD_DELAY = 0
CONCURRENT_REQUESTS_PER_DOMAIN = 8

[[sources]]
name = "msnews-wp"
title = "{TITLES['msnews']}"
kind = "wordpress"
urls = ["{u['msnews']}"]
search = ["stem cell", "HSCT"]
per_page = 5

[[sources]]
name = "msnews-feed"
title = "{TITLES['msnews']}"
kind = "feed"
urls = ["{u['msnews']}feed/"]

[[sources]]
name = "blog"
title = "{TITLES['blog']}"
kind = "feed"
urls = ["{u['blog']}feed/"]

[[sources]]
name = "charity"
title = "{TITLES['charity']}"
kind = "html"
urls = ["{u['charity']}news/"]
links = "article.news-card h2 a"
next = "a.next"
max_pages = 5

[[sources]]
name = "mednews"
title = "{TITLES['mednews']}"
kind = "feed"
urls = ["{u['mednews']}rss-feeds/search/?search=stem+cell"]

[[sources]]
name = "press"
title = "{TITLES['press']}"
kind = "sitemap"
urls = ["{u['press']}robots.txt"]
follow = ["/news/releases/"]

[[sources]]
name = "intl"
title = "{TITLES['intl']}"
kind = "feed"
urls = [{", ".join(f'"{u["intl"]}{lang}/feed/"' for lang in EDITIONS)}]

[[sources]]
name = "pubmed"
title = "PubMed"
kind = "pubmed"
term = '("Hematopoietic Stem Cell Transplantation"[MeSH] OR "stem cell transplant*"[tiab]) AND "Multiple Sclerosis"[MeSH]'
api = "{u['research']}entrez/eutils/"
email = "demo@example.org"

[[sources]]
name = "trials"
title = "ClinicalTrials.gov"
kind = "clinicaltrials"
condition = "multiple sclerosis"
intervention = "hematopoietic stem cell transplantation"
api = "{u['research']}api/v2/"
page_size = 2
"""

    # -- routing --------------------------------------------------------------------------------

    def articles(self, site: str) -> list[dict[str, Any]]:
        found = [a for a in self.data["article"] if a["site"] == site]
        return sorted(found, key=lambda a: a["when"], reverse=True)

    def route(self, site: str, path: str, query: dict[str, list[str]]) -> Page | None:
        renderer = _Renderer(self, site)
        return renderer.route(path, query)


def _handler(sites: SampleSites, site: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "SampleSites/1.0"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if sites.delay:
                time.sleep(sites.delay)
            parts = urlsplit(self.path)
            page = sites.route(site, parts.path, parse_qs(parts.query))
            if page is None:
                page = Page(_not_found(site), "text/html; charset=utf-8", datetime.now(UTC), 404)
            etag = '"' + hashlib.sha1(page.body).hexdigest()[:16] + '"'
            if page.status == 200 and self._not_modified(etag, page.modified):
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(page.status)
            self.send_header("Content-Type", page.content_type)
            self.send_header("Content-Length", str(len(page.body)))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", format_datetime(page.modified, usegmt=True))
            for key, value in page.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(page.body)

        def _not_modified(self, etag: str, modified: datetime) -> bool:
            if self.headers.get("If-None-Match"):
                return etag in self.headers["If-None-Match"]
            since = self.headers.get("If-Modified-Since")
            if since:
                try:
                    return modified.replace(microsecond=0) <= parsedate_to_datetime(since)
                except (TypeError, ValueError):
                    return False
            return False

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


def _not_found(site: str) -> bytes:
    return (f"<!DOCTYPE html><html><head><title>Page not found | {esc(TITLES[site])}</title></head>"
            "<body><h1>Page not found</h1><p>Sorry, we couldn't find that page.</p></body></html>"
            ).encode()


# -- rendering ---------------------------------------------------------------------------------


class _Renderer:
    def __init__(self, sites: SampleSites, site: str):
        self.sites = sites
        self.site = site
        self.base = sites.urls[site]
        self.articles = sites.articles(site)

    def url(self, article: dict[str, Any]) -> str:
        return self.base + article["path"]

    def route(self, path: str, query: dict[str, list[str]]) -> Page | None:
        rel = path.lstrip("/")
        routes: dict[str, Callable[[], Page | None]] = {
            "robots.txt": self.robots,
        }
        if self.site in ("msnews", "blog"):
            routes["feed/"] = self.rss
        if self.site == "intl":
            for lang in EDITIONS:
                routes[f"{lang}/feed/"] = functools.partial(self.rss, lang)
        if self.site == "msnews":
            routes.update({"sitemap_index.xml": self.sitemap_index, "post-sitemap.xml": self.post_sitemap,
                           "news-sitemap.xml": self.news_sitemap, "wp-json/": self.wp_root,
                           "wp-json/wp/v2/posts": lambda: self.wp_posts(query)})
        if self.site == "charity":
            routes["news/"] = lambda: self.listing(1)
            for n in range(2, self._listing_pages() + 1):
                routes[f"news/page/{n}/"] = functools.partial(self.listing, n)
        if self.site == "mednews":
            routes["rss-feeds/search/"] = self.atom
        if self.site == "press":
            routes.update({"sitemap.xml": self.press_sitemap, "about/": self.about,
                           "contact/": self.about})
        if self.site == "research":
            routes.update({"entrez/eutils/esearch.fcgi": lambda: self.esearch(query),
                           "entrez/eutils/efetch.fcgi": lambda: self.efetch(query),
                           "api/v2/studies": lambda: self.studies(query)})
        if rel in routes:
            return routes[rel]()
        for article in self.articles:
            if rel == article["path"]:
                return self.article_page(article)
            if self.site == "msnews" and rel == article["path"] + "amp/":
                return self.article_page(article, amp=True)
        for page in self.sites.data.get("non_article", []):
            if page["site"] == self.site and rel == page["path"]:
                return self.non_article(page)
        return None

    # -- pages -------------------------------------------------------------------------------

    def article_page(self, article: dict[str, Any], amp: bool = False) -> Page:
        url = self.url(article)
        title = article["title"]
        body = self._body_html(article)
        published = article["when"].isoformat()
        modified = article["modified_at"].isoformat()
        jsonld = json.dumps({
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "WebSite", "@id": self.base + "#website", "name": TITLES[self.site],
                 "url": self.base},
                {"@type": "NewsArticle" if self.site != "blog" else "BlogPosting",
                 "headline": _plain(title), "datePublished": published, "dateModified": modified,
                 "author": {"@type": "Person", "name": article["author"]},
                 "publisher": {"@type": "Organization", "name": TITLES[self.site]},
                 "mainEntityOfPage": url, "description": article.get("summary", "")},
            ],
        })
        lang = article.get("lang", "en")
        versions = [a for a in self.articles if a is not article and article.get("translation")
                    and a.get("translation") == article.get("translation")]
        head = (
            f"<title>{esc(_plain(title))} | {esc(TITLES[self.site])}</title>\n"
            + "".join(f'<link rel="alternate" hreflang="{a.get("lang", "en")}" href="{esc(self.url(a))}">\n'
                      for a in [article, *versions] if versions)
            + (f'<meta property="og:locale" content="{EDITIONS[lang]}">\n' if lang in EDITIONS else "")
            + f'<meta name="description" content="{esc(article.get("summary", ""))}">\n'
            f'<link rel="canonical" href="{esc(url)}">\n'
            + ("" if amp or self.site != "msnews" else f'<link rel="amphtml" href="{esc(url)}amp/">\n')
            + f'<meta property="og:type" content="article">\n'
            f'<meta property="og:title" content="{esc(_plain(title))}">\n'
            f'<meta property="og:url" content="{esc(url)}">\n'
            f'<meta property="og:site_name" content="{esc(TITLES[self.site])}">\n'
            f'<meta property="article:published_time" content="{published}">\n'
            f'<script type="application/ld+json">{jsonld}</script>\n'
            "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}</script>\n"
        )
        shown_title = title if article.get("hostile") else esc(title)
        main = (
            f'<article class="post">\n<h1 class="entry-title">{shown_title}</h1>\n'
            f'<div class="byline">By <a rel="author" href="{self.base}author/">{esc(article["author"])}</a>'
            f' · <time datetime="{published}">{article["when"]:%d %B %Y}</time></div>\n'
            f'<div class="entry-content">\n{body}\n</div>\n'
            + self._related(article)
            + "</article>\n"
            + self._comments(article)
        )
        return self._html(head, main, article["modified_at"], amp=amp, lang=lang)

    def _body_html(self, article: dict[str, Any]) -> str:
        out = []
        for text in paragraphs(article):
            if text.startswith(("Q: ", "A: ")):
                label, rest = text.split(": ", 1)
                out.append(f"<p><strong>{label}:</strong> {esc(rest)}</p>")
            elif text.startswith("Provided by") or text.startswith("More information"):
                out.append(f'<p class="source-note"><em>{esc(text)}</em></p>')
            elif text == article.get("prefix"):
                out.append(f"<p><em>{esc(text)}</em></p>")
            else:
                out.append(f"<p>{esc(text)}</p>")
        if article.get("hostile"):
            out.insert(1, '<p onclick="steal()">Read the study <a href="javascript:alert(document.cookie)">'
                          'here</a>&nbsp <img src="x" onerror="alert(1)">\x0b\x1b</p>'
                          "<script>document.write('tracking')</script>")
        return "\n".join(out)

    def _related(self, article: dict[str, Any]) -> str:
        others = [a for a in self.articles if a is not article][:3]
        links = "".join(f'<li><a href="{esc(self.url(a))}">{esc(_plain(a["title"]))}</a></li>' for a in others)
        return (f'<aside class="related-posts"><h3>Related articles</h3><ul>{links}</ul></aside>\n'
                '<div class="newsletter-box"><h3>Get our newsletter</h3><form><input type="email" '
                'placeholder="Your email"><button>Sign up</button></form></div>\n')

    def _comments(self, article: dict[str, Any]) -> str:
        if self.site not in ("msnews", "blog"):
            return ""
        url = self.url(article)
        return (
            '<section id="comments"><h2>2 comments</h2>\n'
            '<div class="comment"><p class="comment-author">Karen</p><p>Thank you for writing this, '
            "it is so useful to read real experiences.</p>"
            f'<a class="comment-reply-link" href="{esc(url)}?replytocom=5512#respond">Reply</a></div>\n'
            '<div class="comment"><p class="comment-author">Dev</p><p>Does anyone know whether '
            "insurance covers the follow-up scans?</p>"
            f'<a class="comment-reply-link" href="{esc(url)}?replytocom=5513#respond">Reply</a></div>\n'
            '<div id="respond"><h3>Leave a reply</h3><form><textarea></textarea><button>Post comment'
            "</button></form></div></section>\n"
        )

    def _html(self, head: str, main: str, modified: datetime, amp: bool = False, lang: str = "en") -> Page:
        nav = "".join(f'<li><a href="{self.base}{p}">{t}</a></li>' for p, t in (
            ("", "Home"), ("news/", "News"), ("columns/", "Columns"), ("about/", "About"),
            ("donate/", "Donate")))
        page = (
            "<!DOCTYPE html>\n"
            f'<html lang="{lang}"{" amp" if amp else ""}>\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"{head}</head>\n<body>\n"
            '<div id="cookie-notice" role="dialog"><p>We use cookies to give you the best experience '
            f'and to show you relevant adverts. Read our <a href="{self.base}privacy/">privacy '
            "policy</a>.</p><button>Accept all</button><button>Manage settings</button></div>\n"
            f'<header class="site-header"><a class="logo" href="{self.base}">{esc(TITLES[self.site])}</a>'
            f'<nav class="main-nav"><ul>{nav}</ul></nav>'
            '<form class="search" action="/search/"><input name="s" placeholder="Search"></form></header>\n'
            f'<main id="main">\n{main}</main>\n'
            + self._sidebar()
            + f'<footer class="site-footer"><p>{esc(TITLES[self.site])} provides news and information '
            "only and does not give medical advice. Always talk to your MS team.</p>"
            f"<p>&copy; 2026 {esc(TITLES[self.site])}. All rights reserved.</p>"
            '<ul><li><a href="/about/">About us</a></li><li><a href="/contact/">Contact</a></li>'
            '<li><a href="/privacy/">Privacy</a></li></ul></footer>\n</body>\n</html>\n'
        )
        return Page(page.encode("utf-8"), "text/html; charset=utf-8", modified)

    def _sidebar(self) -> str:
        if self.site != "blog":
            return ""
        archive = "".join(f'<li><a href="{self.base}{m}/">{m}</a></li>' for m in ("2026/03", "2026/02", "2025/05"))
        return (f'<aside id="sidebar"><section><h3>About me</h3><p>Writer, dad, and since 2025 the owner '
                f"of a second-hand immune system.</p></section><section><h3>Archives</h3><ul>{archive}"
                "</ul></section></aside>\n")

    def non_article(self, page: dict[str, Any]) -> Page:
        if page["kind"] == "event":
            main = (f'<h1>{esc(page["title"])}</h1><p class="event-date">Saturday 3 May 2026, 10am–4pm</p>'
                    '<p><a href="/events/book/">Book your place</a></p>')
            head = f"<title>{esc(page['title'])}</title>"
            head += ('<script type="application/ld+json">{"@context":"https://schema.org","@type":"Event",'
                     f'"name":"{esc(page["title"])}","startDate":"2026-05-03T10:00"}}</script>')
        else:
            cards = "".join(
                f'<li><a href="{esc(self.url(a))}">{esc(a["title"])}</a> <span>{a["when"]:%d %b %Y}</span>'
                f'<p>{esc(a.get("summary", ""))}</p></li>'
                for a in self.articles if a["relevant"])
            main = f'<h1>{esc(page["title"])}</h1><ul class="tag-list">{cards}</ul>'
            head = f"<title>{esc(page['title'])}</title>"
            head += ('<script type="application/ld+json">{"@context":"https://schema.org",'
                     f'"@type":"CollectionPage","name":"{esc(page["title"])}"}}</script>')
        return self._html(head, main, page["when"])

    def about(self) -> Page:
        return self._html("<title>About us</title>", "<h1>About us</h1><p>The university's news office.</p>",
                          datetime(2024, 1, 10, tzinfo=UTC))

    # -- charity listing ---------------------------------------------------------------------

    def _listed(self) -> list[dict[str, Any]]:
        pages = [p for p in self.sites.data.get("non_article", []) if p["site"] == "charity"]
        return sorted(self.articles + pages, key=lambda a: a["when"], reverse=True)

    def _listing_pages(self) -> int:
        return max(1, math.ceil(len(self._listed()) / LISTING_SIZE))

    def listing(self, number: int) -> Page:
        chunk = self._listed()[(number - 1) * LISTING_SIZE: number * LISTING_SIZE]
        cards = "".join(
            f'<article class="news-card"><h2><a href="/{a["path"]}">{esc(a["title"])}</a></h2>'
            f'<p class="date">{a["when"]:%d %B %Y}</p><p>{esc(a.get("summary", ""))}</p></article>\n'
            for a in chunk)
        nav = '<nav class="pagination">'
        if number > 1:
            prev = "news/" if number == 2 else f"news/page/{number - 1}/"
            nav += f'<a class="prev" href="/{prev}">Previous</a>'
        if number < self._listing_pages():
            nav += f'<a class="next" rel="next" href="/news/page/{number + 1}/">Next page</a>'
        nav += "</nav>"
        head = f"<title>News{f' – page {number}' if number > 1 else ''} | {TITLES['charity']}</title>"
        donate = ('<aside class="donate"><h3>Help us support people with MS</h3><p>£10 a month funds '
                  'an hour of our helpline.</p><a href="/donate/">Donate now</a></aside>')
        newest = max((a["when"] for a in chunk), default=datetime(2026, 1, 1, tzinfo=UTC))
        return self._html(head, f"<h1>Latest news</h1>\n{cards}{nav}{donate}", newest)

    # -- feeds -------------------------------------------------------------------------------

    def rss(self, lang: str | None = None) -> Page:
        """The latest posts (of one edition of a multilingual site, in its language)."""
        latest = [a for a in self.articles if lang is None or a.get("lang") == lang][:FEED_SIZE]
        items = []
        for a in latest:
            link = self.url(a)
            if a.get("amp_in_feed"):
                link += "amp/"
            link += f"?utm_source=rss&amp;utm_medium=rss&amp;utm_campaign={a['path'].rstrip('/').split('/')[-1]}"
            content = self._body_html(a).replace("]]>", "]]]]><![CDATA[>")
            guid = f"{self.base}?p={a.get('id', abs(hash(a['path'])) % 100000)}"
            summary = esc(a.get("summary") or paragraphs(a)[0][:200])
            items.append(
                f"<item>\n<title>{esc(a['title'])}</title>\n<link>{link}</link>\n"
                f"<comments>{self.url(a)}#respond</comments>\n"
                f"<dc:creator><![CDATA[{a['author']}]]></dc:creator>\n"
                f"<pubDate>{format_datetime(a['when'])}</pubDate>\n"
                + "".join(f"<category><![CDATA[{c}]]></category>\n"
                          for c in a.get("categories") or ["Columns" if a.get("column") else "News"])
                + f'<guid isPermaLink="false">{guid}</guid>\n'
                f"<description><![CDATA[<p>{summary} [&#8230;]</p>\n<p>The post <a href=\"{self.url(a)}\">"
                f"{esc(a['title'])}</a> appeared first on <a href=\"{self.base}\">{TITLES[self.site]}</a>.</p>]]>"
                f"</description>\n<content:encoded><![CDATA[{content}]]></content:encoded>\n"
                f"<wfw:commentRss>{self.url(a)}feed/</wfw:commentRss>\n<slash:comments>2</slash:comments>\n</item>")
        newest = latest[0]["when"] if latest else datetime(2026, 1, 1, tzinfo=UTC)
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"\n'
            '\txmlns:content="http://purl.org/rss/1.0/modules/content/"\n'
            '\txmlns:wfw="http://wellformedweb.org/CommentAPI/"\n'
            '\txmlns:dc="http://purl.org/dc/elements/1.1/"\n'
            '\txmlns:atom="http://www.w3.org/2005/Atom"\n'
            '\txmlns:sy="http://purl.org/rss/1.0/modules/syndication/"\n'
            '\txmlns:slash="http://purl.org/rss/1.0/modules/slash/">\n<channel>\n'
            f"<title>{esc(TITLES[self.site])}</title>\n"
            f'<atom:link href="{self.base}{lang + "/" if lang else ""}feed/" rel="self" type="application/rss+xml" />\n'
            f"<link>{self.base}</link>\n<description>News and stories about MS</description>\n"
            f"<lastBuildDate>{format_datetime(newest)}</lastBuildDate>\n"
            f"<language>{EDITIONS[lang].replace('_', '-') if lang else 'en-GB'}</language>\n"
            "<sy:updatePeriod>hourly</sy:updatePeriod>\n<sy:updateFrequency>1</sy:updateFrequency>\n"
            "<generator>https://wordpress.org/?v=6.7.1</generator>\n"
            + "\n".join(items) + "\n</channel>\n</rss>\n"
        )
        return Page(body.encode("utf-8"), "application/rss+xml; charset=UTF-8", newest)

    def atom(self) -> Page:
        entries = []
        for a in self.articles:
            link = self.url(a) + a.get("feed_link_suffix", "")
            content = self._body_html(a)
            if a.get("hostile"):
                content += "<p>Broken entity &nbsp here and a bare & ampersand.</p>"
            entries.append(
                f"<entry>\n<title type=\"html\">{esc(a['title'])}</title>\n"
                f'<link rel="alternate" href="{esc(link)}"/>\n<id>{esc(self.url(a))}</id>\n'
                f"<published>{a['when'].isoformat()}</published>\n<updated>{a['modified_at'].isoformat()}</updated>\n"
                f"<author><name>{esc(a['author'])}</name></author>\n"
                f"<summary type=\"html\">{esc(a.get('summary', ''))}</summary>\n"
                f"<content type=\"html\">{esc(_xml_safe(content))}</content>\n</entry>")
        newest = self.articles[0]["modified_at"]
        body = (
            '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
            f"<title>{esc(TITLES[self.site])} – stem cell</title>\n"
            f'<link rel="self" href="{self.base}rss-feeds/search/?search=stem+cell"/>\n'
            f'<link rel="alternate" href="{self.base}"/>\n<id>{self.base}rss-feeds/search/?search=stem+cell</id>\n'
            f"<updated>{newest.isoformat()}</updated>\n" + "\n".join(entries) + "\n</feed>\n"
        )
        return Page(body.encode("utf-8"), "application/atom+xml; charset=utf-8", newest)

    # -- sitemaps and robots -----------------------------------------------------------------

    def robots(self) -> Page:
        lines = ["User-agent: *", "Disallow: /wp-admin/", "Disallow: /search/", "Disallow: /private/"]
        if self.site == "msnews":
            lines.append(f"Sitemap: {self.base}sitemap_index.xml")
        if self.site == "press":
            lines.append(f"Sitemap: {self.base}sitemap.xml")
        return Page(("\n".join(lines) + "\n").encode(), "text/plain; charset=utf-8",
                    datetime(2025, 6, 1, tzinfo=UTC))

    def _urlset(self, urls: list[tuple[str, datetime]]) -> Page:
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                + "".join(f"<url><loc>{esc(u)}</loc><lastmod>{d.isoformat()}</lastmod></url>\n" for u, d in urls)
                + "</urlset>\n")
        newest = max((d for _, d in urls), default=datetime(2026, 1, 1, tzinfo=UTC))
        return Page(body.encode(), "application/xml; charset=utf-8", newest)

    def press_sitemap(self) -> Page:
        urls = [(self.base, datetime(2026, 4, 1, 14, tzinfo=UTC)),
                (self.base + "about/", datetime(2024, 1, 10, tzinfo=UTC)),
                (self.base + "contact/", datetime(2024, 1, 10, tzinfo=UTC))]
        urls += [(self.url(a), a["modified_at"]) for a in self.articles]
        return self._urlset(urls)

    def sitemap_index(self) -> Page:
        newest = self.articles[0]["modified_at"]
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                f"<sitemap><loc>{self.base}post-sitemap.xml</loc><lastmod>{newest.isoformat()}</lastmod></sitemap>\n"
                f"<sitemap><loc>{self.base}news-sitemap.xml</loc><lastmod>{newest.isoformat()}</lastmod></sitemap>\n"
                "</sitemapindex>\n")
        return Page(body.encode(), "application/xml; charset=utf-8", newest)

    def post_sitemap(self) -> Page:
        return self._urlset([(self.url(a), a["modified_at"]) for a in self.articles])

    def news_sitemap(self) -> Page:
        recent = self.articles[:3]
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
                + "".join(
                    f"<url><loc>{esc(self.url(a))}</loc><news:news><news:publication><news:name>"
                    f"{TITLES[self.site]}</news:name><news:language>en</news:language></news:publication>"
                    f"<news:publication_date>{a['when'].isoformat()}</news:publication_date>"
                    f"<news:title>{esc(a['title'])}</news:title></news:news></url>\n" for a in recent)
                + "</urlset>\n")
        return Page(body.encode(), "application/xml; charset=utf-8", recent[0]["when"])

    # -- E-utilities and ClinicalTrials.gov ---------------------------------------------------

    def _papers(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        papers = sorted(self.sites.research["paper"], key=lambda p: p["date"], reverse=True)
        mindate = query.get("mindate", [""])[0]
        if mindate:
            papers = [p for p in papers if p["date"].replace("-", "/") >= mindate]
        return papers

    def esearch(self, query: dict[str, list[str]]) -> Page:
        body: dict[str, Any]
        if not query.get("term", [""])[0]:
            body = {"header": {"type": "esearch", "version": "0.3"}, "esearchresult": {"ERROR": "Empty term and query_key - nothing todo"}}
        else:
            papers = self._papers(query)
            body = {"header": {"type": "esearch", "version": "0.3"}, "esearchresult": {
                "count": str(len(papers)), "retmax": str(len(papers)), "retstart": "0",
                "querykey": "1", "webenv": "MCID_" + "-".join(query.get("mindate", ["all"])).replace("/", ""),
                "idlist": [p["pmid"] for p in papers], "translationset": [],
                "querytranslation": query["term"][0]}}
        return Page(json.dumps(body).encode(), "application/json; charset=UTF-8", datetime.now(UTC))

    def efetch(self, query: dict[str, list[str]]) -> Page:
        webenv = query.get("WebEnv", [""])[0]
        mindate = webenv.removeprefix("MCID_")
        papers = self._papers({"mindate": [f"{mindate[:4]}/{mindate[4:6]}/{mindate[6:]}"]} if mindate != "all" else {})
        if query.get("id"):
            wanted = query["id"][0].split(",")
            papers = [p for p in self.sites.research["paper"] if p["pmid"] in wanted]
        start = int(query.get("retstart", ["0"])[0])
        chunk = papers[start: start + int(query.get("retmax", ["100"])[0])]
        articles = "".join(_pubmed_xml(p) for p in chunk)
        body = ('<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
                '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
                f"<PubmedArticleSet>{articles}</PubmedArticleSet>\n")
        return Page(body.encode("utf-8"), "text/xml; charset=UTF-8", datetime.now(UTC))

    def studies(self, query: dict[str, list[str]]) -> Page:
        token = query.get("pageToken", [""])[0]
        if not token:
            self.sites.trial_round += 1
        size = int(query.get("pageSize", ["10"])[0])
        start = int(token.removeprefix("page-")) if token else 0
        trials = self.sites.research["trial"]
        chunk = trials[start: start + size]
        body: dict[str, Any] = {"studies": [_study(t, self.sites.trial_round) for t in chunk]}
        if start + size < len(trials):
            body["nextPageToken"] = f"page-{start + size}"
        if query.get("countTotal", ["false"])[0] == "true":
            body["totalCount"] = len(trials)
        return Page(json.dumps(body).encode(), "application/json", datetime.now(UTC))

    # -- the WordPress REST API --------------------------------------------------------------

    def wp_root(self) -> Page:
        body = json.dumps({"name": TITLES[self.site], "url": self.base, "namespaces": ["wp/v2"]})
        return Page(body.encode(), "application/json; charset=UTF-8", datetime(2026, 1, 1, tzinfo=UTC))

    def wp_posts(self, query: dict[str, list[str]]) -> Page:
        def arg(name: str, default: str = "") -> str:
            return query.get(name, [default])[0]

        posts = list(self.articles)
        term = arg("search").lower()
        if term:
            posts = [a for a in posts if term in a["title"].lower() or term in a.get("body", "").lower()]
        after = arg("modified_after")
        if after:
            cutoff = _date(after if after[-1] == "Z" or "+" in after else after + "Z")
            posts = [a for a in posts if a["modified_at"] > cutoff]
        key = "modified_at" if arg("orderby", "date") == "modified" else "when"
        posts.sort(key=lambda a: a[key], reverse=arg("order", "desc") == "desc")
        try:
            per_page = max(1, min(100, int(arg("per_page", "10"))))
            page = int(arg("page", "1"))
        except ValueError:
            return self._wp_error("rest_invalid_param", "Invalid parameter(s): page", 400)
        total_pages = max(1, math.ceil(len(posts) / per_page))
        if page < 1 or (page > total_pages and posts) or (page > 1 and not posts):
            return self._wp_error("rest_post_invalid_page_number",
                                  "The page number requested is larger than the number of pages available.", 400)
        chunk = posts[(page - 1) * per_page: page * per_page]
        fields = [f for f in arg("_fields").split(",") if f]
        data = [self._wp_post(a, fields) for a in chunk]
        newest = max((a["modified_at"] for a in chunk), default=datetime(2026, 1, 1, tzinfo=UTC))
        return Page(json.dumps(data).encode(), "application/json; charset=UTF-8", newest,
                    headers={"X-WP-Total": str(len(posts)), "X-WP-TotalPages": str(total_pages)})

    def _wp_post(self, a: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        post = {
            "id": a["id"], "date": a["when"].strftime("%Y-%m-%dT%H:%M:%S"),
            "date_gmt": a["when"].strftime("%Y-%m-%dT%H:%M:%S"),
            "guid": {"rendered": f"{self.base}?p={a['id']}"},
            "modified": a["modified_at"].strftime("%Y-%m-%dT%H:%M:%S"),
            "modified_gmt": a["modified_at"].strftime("%Y-%m-%dT%H:%M:%S"),
            "slug": a["path"].rstrip("/").split("/")[-1], "status": "publish", "type": "post",
            "link": self.url(a), "title": {"rendered": esc(a["title"])},
            "content": {"rendered": self._body_html(a), "protected": False},
            "excerpt": {"rendered": f"<p>{esc(a.get('summary', ''))} [&hellip;]</p>\n", "protected": False},
            "author": 412, "categories": [3], "tags": [17, 22],
        }
        return {k: v for k, v in post.items() if not fields or k in fields}

    def _wp_error(self, code: str, message: str, status: int) -> Page:
        body = json.dumps({"code": code, "message": message, "data": {"status": status}})
        return Page(body.encode(), "application/json; charset=UTF-8", datetime.now(UTC), status)


def _pubmed_xml(paper: dict[str, Any]) -> str:
    year, month, day = paper["date"].split("-")
    abstract = "".join(
        f'<AbstractText Label="{esc(label)}">{esc(text)}</AbstractText>' if label else f"<AbstractText>{esc(text)}</AbstractText>"
        for label, text in paper["abstract"])
    authors = "".join(f"<Author><LastName>{esc(a.split()[0])}</LastName><Initials>{esc(a.split()[-1])}</Initials></Author>"
                      for a in paper["authors"])
    types = "".join(f"<PublicationType>{esc(t)}</PublicationType>" for t in paper["types"])
    doi = f'<ArticleId IdType="doi">{esc(paper["doi"])}</ArticleId>' if paper.get("doi") else ""
    return (f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{paper["pmid"]}</PMID>'
            f'<Article PubModel="Print"><Journal><JournalIssue><PubDate><Year>{year}</Year></PubDate></JournalIssue>'
            f'<Title>{esc(paper["journal"])}</Title></Journal><ArticleTitle>{esc(paper["title"])}</ArticleTitle>'
            + (f"<Abstract>{abstract}</Abstract>" if abstract else "")
            + f'<AuthorList CompleteYN="Y">{authors}</AuthorList><PublicationTypeList>{types}</PublicationTypeList>'
            f'</Article></MedlineCitation><PubmedData><History><PubMedPubDate PubStatus="pubmed"><Year>{year}</Year>'
            f"<Month>{int(month)}</Month><Day>{int(day)}</Day></PubMedPubDate></History><ArticleIdList>"
            f'<ArticleId IdType="pubmed">{paper["pmid"]}</ArticleId>{doi}</ArticleIdList></PubmedData></PubmedArticle>\n')


def _study(trial: dict[str, Any], run: int) -> dict[str, Any]:
    """A study in API v2's shape; its status and last update as of the `run`-th listing."""
    at = min(max(run, 1), len(trial["status"])) - 1
    return {
        "protocolSection": {
            "identificationModule": {"nctId": trial["nct"], "briefTitle": trial["title"], "acronym": trial["acronym"]},
            "statusModule": {"overallStatus": trial["status"][at],
                             "studyFirstPostDateStruct": {"date": trial["first_posted"], "type": "ACTUAL"},
                             "lastUpdatePostDateStruct": {"date": trial["updated"][min(at, len(trial["updated"]) - 1)], "type": "ACTUAL"}},
            "sponsorCollaboratorsModule": {"leadSponsor": {"name": trial["sponsor"], "class": "OTHER"}},
            "descriptionModule": {"briefSummary": trial["summary"]},
            "conditionsModule": {"conditions": ["Multiple Sclerosis"]},
            "designModule": {"studyType": "INTERVENTIONAL", "phases": trial["phases"],
                             "enrollmentInfo": {"count": trial["enrollment"], "type": "ESTIMATED"}},
            "contactsLocationsModule": {"locations": [{"facility": f, "city": c, "country": k} for f, c, k in trial["locations"]]},
        },
        "hasResults": False,
    }


def _plain(title: str) -> str:
    return re.sub(r"\s*<script>.*?</script>\s*", " ", title).strip()


def _xml_safe(text: str) -> str:
    """Control characters can't travel in XML at all: a real feed would be broken by them."""
    return "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 32)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m hsctwatch.samples.server",
                                     description="Serve the bundled sample sites on loopback.")
    parser.add_argument("--port", type=int, default=8470)
    options = parser.parse_args()
    with SampleSites(port=options.port) as sites:
        for key, url in sites.urls.items():
            print(f"{key:10} {url}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
