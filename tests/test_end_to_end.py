"""The whole path through the CLI a user runs: sample sites on loopback → spiders → pipelines →
store → feed files, read back with feedparser."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from lxml import etree
from sqlalchemy import func, select

from hsctwatch.samples.server import SampleSites
from hsctwatch.stories.models import SourceRun, Store
from hsctwatch.urls import url_key

SAMPLES = Path(__file__).parent.parent / "hsctwatch" / "samples"


@dataclass
class Demo:
    sites: SampleSites
    folder: Path
    config: Path
    first: subprocess.CompletedProcess[str]
    store_url: str

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return hsct_watch("--config", str(self.config), *args, cwd=self.folder)


def hsct_watch(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hsctwatch", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, module_store_url: str) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("demo")
    with SampleSites(port=0) as sites:
        config = folder / "hsct-watch.toml"
        config.write_text(sites.config_toml(module_store_url), encoding="utf-8")
        first = hsct_watch("--config", str(config), "run", cwd=folder)
        yield Demo(sites, folder, config, first, module_store_url)


def manifest() -> dict[str, list[dict[str, object]]]:
    return tomllib.loads((SAMPLES / "articles.toml").read_text(encoding="utf-8"))


def article_url(demo: Demo, article: dict[str, object]) -> str:
    return demo.sites.urls[str(article["site"])] + str(article["path"]).lstrip("/")


def rss(demo: Demo, name: str = "rss.xml") -> feedparser.FeedParserDict:
    parsed = feedparser.parse((demo.folder / "public" / name).read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def test_first_run_succeeds_with_a_summary(demo: Demo) -> None:
    assert demo.first.returncode == 0, demo.first.stdout + demo.first.stderr
    out = demo.first.stdout
    assert "source" in out and "new" in out and "duplicates" in out
    for name in ("msnews-wp", "msnews-feed", "blog", "charity", "mednews", "press", "intl"):
        assert name in out
    assert "feeds:" in out


def test_every_feed_file_is_valid(demo: Demo) -> None:
    public = demo.folder / "public"
    for name in ("rss.xml", "atom.xml"):
        etree.parse(str(public / name))  # strict XML
        assert rss(demo, name).entries
    tag_feeds = sorted((public / "tags").glob("*.xml"))
    assert tag_feeds
    for path in tag_feeds:
        assert rss(demo, f"tags/{path.name}").entries
    data = json.loads((public / "feed.json").read_text(encoding="utf-8"))
    assert data["version"] == "https://jsonfeed.org/version/1.1"
    assert data["items"]
    index = (public / "index.html").read_text(encoding="utf-8")
    assert "rss.xml" in index and "atom.xml" in index and "feed.json" in index


def test_six_language_feeds_each_with_items_in_its_language(demo: Demo) -> None:
    """The index lists a feed per language; each has items, every one in that language, saying
    so in RSS (dc:language), Atom (xml:lang) and JSON Feed; a translation is its own item in its
    own language's feed, linked to the other ("Also in Spanish")."""
    public = demo.folder / "public"
    index = (public / "index.html").read_text(encoding="utf-8")
    codes = {"en", "es", "pt", "ru", "it", "de"}
    for code in codes:
        assert f'href="lang/{code}.xml"' in index, code
        feed = rss(demo, f"lang/{code}.xml")
        assert feed.entries, code
        assert {e.get("language") or e.get("dc_language") for e in feed.entries} == {code}, code
    atom = etree.parse(str(public / "atom.xml")).getroot()
    langs = {e.get("{http://www.w3.org/XML/1998/namespace}lang")
             for e in atom.findall("{http://www.w3.org/2005/Atom}entry")}
    assert langs == codes
    items = json.loads((public / "feed.json").read_text(encoding="utf-8"))["items"]
    assert {i["language"] for i in items} == codes
    spanish = [e for e in rss(demo, "lang/es.xml").entries if "Registro latinoamericano" in e.title]
    portuguese = [e for e in rss(demo, "lang/pt.xml").entries if "Registro latino-americano" in e.title]
    assert len(spanish) == len(portuguese) == 1  # two items, not merged
    assert "Also in Portuguese" in spanish[0].summary and portuguese[0].link in spanish[0].summary
    assert "Also in Spanish" in portuguese[0].summary and spanish[0].link in portuguese[0].summary


def test_explain_and_the_queue_say_the_language(demo: Demo) -> None:
    listed = demo.run("review", "list", "--lang", "ru", "--status", "all", "--irrelevant")
    assert listed.returncode == 0, listed.stderr
    rows = [line for line in listed.stdout.splitlines()[2:] if line.strip()]
    assert len(rows) == 3 and all(" ru " in row for row in rows)
    item = rows[0].split()[0]
    explained = demo.run("explain", item)
    assert "Language:  ru (the page says so, and the text agrees" in explained.stdout


def test_the_demo_reads_without_a_feed_reader_and_its_self_links_work(demo: Demo) -> None:
    """The site is there to read, and every address the feeds, the site and the OPML give for
    themselves is one `hsct-watch serve` answers, on the port the demo's desk uses."""
    from lxml import html

    from hsctwatch.config import load_config
    from hsctwatch.web import create_app

    config = load_config(demo.config)
    origin = f"{config.serve.host}:{config.serve.port}"
    assert config.feeds.base_url == f"http://{origin}/feeds/"
    public = demo.folder / "public"
    index = html.fromstring((public / "index.html").read_bytes())
    entries = rss(demo).entries
    headlines = [a.get("href") for a in index.cssselect("article h3 a")]
    assert headlines == [e.link for e in entries]  # every story, newest first, linked to its publisher
    assert index.cssselect("aside#subscribe a[href^='mailto:digest@example.org']")  # the demo's digest

    self_links = [feedparser.parse((public / name).read_bytes()).feed.get("links", []) for name in (
        "rss.xml", "atom.xml", "tags/ppms.xml")]
    addresses = [link.href for links in self_links for link in links if link.rel == "self"]
    addresses.append(json.loads((public / "feed.json").read_text(encoding="utf-8"))["feed_url"])
    addresses += [o.get("xmlUrl") for o in etree.parse(str(public / "feeds.opml")).iter("outline")
                  if o.get("xmlUrl")]
    addresses += [o.get("htmlUrl") for o in etree.parse(str(public / "feeds.opml")).iter("outline")
                  if o.get("htmlUrl")]
    addresses.append(index.cssselect("#feed-address")[0].get("value"))
    assert len(addresses) > 30
    desk = create_app(config, rebuild=False).test_client()
    for address in addresses:
        parts = urlsplit(address)
        assert parts.netloc == origin, address
        assert desk.get(parts.path).status_code == 200, address


def test_the_demo_digest_prints_with_dry_run(demo: Demo) -> None:
    result = demo.run("digest", "--dry-run")
    assert result.returncode == 0, result.stderr
    count = len(rss(demo).entries)
    assert f"Subject: HSCT for MS (demo): {count} new stories" in result.stdout
    assert "RESEARCH" in result.stdout and "CLINICAL TRIAL" in result.stdout


def test_relevant_stories_appear_once_each_and_irrelevant_ones_never(demo: Demo) -> None:
    entries = rss(demo).entries
    links = [url_key(e.link) for e in entries]
    assert len(links) == len(set(links)), "a story appears twice"
    articles = manifest()["article"]
    stories: dict[str, list[dict[str, object]]] = {}
    for article in articles:
        stories.setdefault(str(article["story"]), []).append(article)
    published_keys = set(links)
    for story, copies in stories.items():
        keys = {url_key(article_url(demo, c)) for c in copies}
        found = keys & published_keys
        if any(c["relevant"] for c in copies):
            assert len(found) == 1, f"story {story!r} should appear exactly once, found {found}"
            originals = [c for c in copies if c.get("original")]
            if originals:
                assert found == {url_key(article_url(demo, originals[0]))}, \
                    f"story {story!r} should link to its original publisher"
        else:
            assert not found, f"irrelevant story {story!r} is in the feed: {copies[0]['note']}"


def test_items_carry_tags_excerpts_and_copies(demo: Demo) -> None:
    entries = rss(demo).entries
    assert all(e.get("tags") for e in entries), "every item has at least its type tag"
    assert all(len(e.summary.split()) < 120 for e in entries)  # an excerpt, not the article
    assert any("Also published at" in e.summary for e in entries), "copies are listed"
    facets = {t.scheme for e in entries for t in e.tags}
    assert {"type", "ms-type", "topic", "country", "trial"} <= facets


def test_every_relevant_sample_article_carries_the_editors_tags(demo: Demo) -> None:
    """articles.toml gives, per relevant article, the tags an editor would certainly give it."""
    by_link = {url_key(e.link): {t.term for t in e.tags} for e in rss(demo).entries}
    stories: dict[str, set[str]] = {}
    keys: dict[str, set[str]] = {}
    for article in manifest()["article"]:
        if article["relevant"]:
            story = str(article["story"])
            stories.setdefault(story, set()).update(str(tag) for tag in article.get("tags", []))  # type: ignore[attr-defined]
            keys.setdefault(story, set()).add(url_key(article_url(demo, article)))
    assert stories
    for story, expected in stories.items():
        found = [by_link[k] for k in keys[story] if k in by_link]
        assert len(found) == 1, story
        assert expected <= found[0], f"{story}: missing {sorted(expected - found[0])}"


def test_no_page_that_is_not_an_article_becomes_an_item(demo: Demo) -> None:
    keys = {url_key(e.link) for e in rss(demo).entries}
    for page in manifest().get("non_article", []):
        assert url_key(demo.sites.urls[str(page["site"])] + str(page["path"]).lstrip("/")) not in keys


def test_second_run_adds_nothing(demo: Demo) -> None:
    before = (demo.folder / "public" / "rss.xml").read_bytes()
    second = demo.run("run")
    assert second.returncode == 0, second.stdout + second.stderr
    total = next(line for line in second.stdout.splitlines() if line.startswith("total"))
    fetched, new, updated, *_ = (int(x) for x in total.split()[1:])
    # nothing new; the one trial whose status changed between the runs is updated
    assert fetched > 0 and new == 0 and updated == 1
    assert "trials " in next(line for line in second.stdout.splitlines() if line.startswith("trials"))
    after = feedparser.parse((demo.folder / "public" / "rss.xml").read_bytes()).entries
    assert {e.id for e in after} == {e.id for e in feedparser.parse(before).entries}
    [beat] = [e for e in after if e.title.startswith("BEAT-MS:")]
    assert "Status changed: recruiting → active, not recruiting" in beat.summary
    second_feed = (demo.folder / "public" / "rss.xml").read_bytes()
    third = demo.run("run")
    assert third.returncode == 0
    assert (demo.folder / "public" / "rss.xml").read_bytes() == second_feed
    total = next(line for line in third.stdout.splitlines() if line.startswith("total"))
    assert [int(x) for x in total.split()[2:4]] == [0, 0]  # a third run changes nothing
    # incremental: unchanged feeds and pages answer 304, stored articles are not fetched again
    store = Store(demo.store_url)
    with store.session() as session:
        runs = session.execute(
            select(SourceRun.run_id, func.sum(SourceRun.bytes), func.sum(SourceRun.not_modified))
            .group_by(SourceRun.run_id).order_by(SourceRun.run_id)).all()
    store.close()
    (_, first_bytes, _), (_, second_bytes, not_modified) = runs[0], runs[1]
    assert not_modified > 0
    assert second_bytes < 0.1 * first_bytes


def test_research_and_trials_beside_the_news(demo: Demo) -> None:
    entries = rss(demo).entries
    papers = [e for e in entries if e.id and e.link.startswith(("https://doi.org/", "https://pubmed"))]
    trials = [e for e in entries if "clinicaltrials.gov/study/" in e.link]
    assert len(papers) == 3 and len(trials) == 3
    mist_paper = next(e for e in papers if "10.1001/jamaneurol.2026.0412" in e.link)
    assert {"research", "mist"} <= {t.term for t in mist_paper.tags}
    assert any(e.link.endswith("/38700002/") for e in papers)  # no DOI: PubMed
    ram = next(e for e in trials if "NCT03477500" in e.link)
    assert {"trial", "ram-ms", "norway"} <= {t.term for t in ram.tags}
    # the press release cites the paper's DOI: its item links to the paper, and stays its own item
    press = next(e for e in entries if "/news/releases/2026/04/mist" in e.link)
    assert "https://doi.org/10.1001/jamaneurol.2026.0412" in press.summary


def test_sources_shows_health(demo: Demo) -> None:
    result = demo.run("sources")
    assert result.returncode == 0
    assert "msnews-wp" in result.stdout and "never" not in result.stdout.split("\n")[1]


def test_scrapy_crawl_from_the_repository_root(demo: Demo) -> None:
    root = Path(__file__).parent.parent
    env = {"HSCT_WATCH_CONFIG": str(demo.config), "PATH": str(Path(sys.executable).parent)}
    listed = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=root, env=env,
                            capture_output=True, text=True, timeout=120)
    assert listed.stdout.split() == ["clinicaltrials", "feed", "html", "pubmed", "sitemap", "wordpress"]
    crawled = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "html", "-a", "source=charity", "-s", "LOG_LEVEL=INFO"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert crawled.returncode == 0, crawled.stderr[-2000:]
    # it used the same store: what the CLI's run stored is unchanged, or not even re-sent (304)
    assert "'hsctwatch/store/unchanged'" in crawled.stderr or "'hsctwatch/not_modified'" in crawled.stderr
    assert "'hsctwatch/store/new'" not in crawled.stderr


def test_a_failing_source_exits_1_and_keeps_the_feeds(demo: Demo) -> None:
    broken = demo.folder / "broken.toml"
    text = demo.config.read_text(encoding="utf-8")
    text += ('\n[[sources]]\nname = "gone"\nkind = "feed"\n'
             f'urls = ["{demo.sites.urls["mednews"]}no-such-feed.xml"]\n')
    broken.write_text(text, encoding="utf-8")
    result = hsct_watch("--config", str(broken), "run", "--quiet", cwd=demo.folder)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "gone" in result.stdout and "HTTP 404" in result.stdout and "FAILED" in result.stdout
    assert rss(demo).entries
