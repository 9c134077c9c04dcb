"""The benchmark, in one command: how fast a crawl goes on this machine, what each pipeline stage
costs, how that compares with a bare Scrapy spider and with trafilatura's own downloader, what a
second unchanged run costs, and how dedup, feed building and a run's memory grow with the store.

    .venv/bin/python bench/run.py                 # 5,000 articles; 1k, 10k, 100k stored
    .venv/bin/python bench/run.py --sizes         # the crawls only (and the output check)
    .venv/bin/python bench/run.py --quick         # 500 articles; 1k, 10k stored

A generated web of article pages (realistic size and boilerplate, sitemaps, robots.txt,
ETag/304) is served from a separate process on five loopback hosts (127.0.0.31-35). Prints a
table and writes bench/results/benchmark.json with every figure, the core count and versions.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import multiprocessing
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = Path(__file__).resolve().parent / "results"
HOSTS = [f"127.0.0.{n}" for n in range(31, 36)]
PYTHON = sys.executable


# -- the generated web --------------------------------------------------------------------------


def sentences() -> tuple[list[str], list[str]]:
    """Sentences of the sample articles: (about HSCT for MS, other MS news)."""
    from hsctwatch.samples.server import load_articles, paragraphs

    relevant: list[str] = []
    other: list[str] = []
    for article in load_articles()["article"]:
        text = " ".join(paragraphs(article))
        parts = [s.strip() + "." for s in text.split(". ") if len(s.split()) > 6]
        (relevant if article["relevant"] else other).extend(parts)
    return relevant, other


BOILERPLATE = ("<style>" + ".nav a{color:#036}" * 300 + "</style><script>" + "var t=1;" * 600 + "</script>"
               '<div id="cookie-notice"><p>We use cookies to improve your experience and show adverts.</p>'
               "<button>Accept all</button></div><header><nav><ul>"
               + "".join(f'<li><a href="/section/{n}/">Section {n}</a></li>' for n in range(60)) + "</ul></nav></header>")


def page(host: int, number: int, pool: tuple[list[str], list[str]]) -> bytes:
    rng = random.Random(host * 100000 + number)
    relevant = rng.random() < 0.2
    source = pool[0] if relevant else pool[1]
    body = "".join(f"<p>{' '.join(rng.choices(source, k=rng.randint(3, 6)))}</p>" for _ in range(rng.randint(6, 12)))
    title = ("Stem cell transplant for MS: report " if relevant else "MS news report ") + str(number)
    related = "".join(f'<li><a href="/news/{rng.randint(0, 999)}/">Related story</a></li>' for _ in range(8))
    comments = "".join(f'<div class="comment"><p>Comment {c}: thanks for this.</p></div>' for c in range(5))
    return (f"<!DOCTYPE html><html><head><title>{title}</title>"
            f'<link rel="canonical" href="/news/{number}/"><meta property="og:type" content="article">'
            f'<script type="application/ld+json">{{"@type":"NewsArticle","headline":"{title}",'
            f'"datePublished":"2026-0{1 + number % 9}-1{number % 9}T10:00:00Z"}}</script></head><body>'
            f"{BOILERPLATE}<main><article><h1>{title}</h1>{body}</article><aside><ul>{related}</ul></aside>"
            f"<section id=\"comments\">{comments}</section></main><footer>Copyright 2026</footer></body></html>").encode()


def serve(per_host: int, port_queue: Any) -> None:
    pool = sentences()

    def handler(host_index: int) -> type[BaseHTTPRequestHandler]:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?")[0]
                base = f"http://{HOSTS[host_index]}:{self.server.server_address[1]}"
                if path == "/robots.txt":
                    body, ctype = f"User-agent: *\nSitemap: {base}/sitemap.xml\n".encode(), "text/plain"
                elif path == "/sitemap.xml":
                    urls = "".join(f"<url><loc>{base}/news/{n}/</loc></url>" for n in range(per_host))
                    body = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()
                    ctype = "application/xml"
                elif path.startswith("/news/") and path.strip("/").split("/")[-1].isdigit():
                    body, ctype = page(host_index, int(path.strip("/").split("/")[-1]), pool), "text/html; charset=utf-8"
                else:
                    body, ctype = b"not found", "text/plain"
                etag = '"' + hashlib.md5(body).hexdigest() + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200 if body != b"not found" else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    servers = []
    port = 0
    for index, host in enumerate(HOSTS):
        server = ThreadingHTTPServer((host, port), handler(index))
        server.daemon_threads = True
        port = server.server_address[1]
        servers.append(server)
    for server in servers[:-1]:
        Thread(target=server.serve_forever, daemon=True).start()
    port_queue.put(port)
    servers[-1].serve_forever()


# -- measuring ------------------------------------------------------------------------------------


def timed_child(command: list[str], cwd: str) -> dict[str, float]:
    """Wall time, CPU seconds and peak memory of a command and the processes it starts: the peak
    of the largest one (``peak_mb``) and of all of them together (``tree_peak_mb``, sampled every
    50 ms: a run's crawl process and its worker process count together)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(["/usr/bin/time", "-f", "%M", *command], cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=child_env())
    tree_peak = [0]
    sampler = Thread(target=_sample_tree, args=(process, tree_peak), daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    sampler.join()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{command[:4]} failed: {stderr[-2000:]}")
    peak_kb = int(stderr.strip().splitlines()[-1]) if stderr.strip() else 0
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "peak_mb": peak_kb / 1024, "tree_peak_mb": tree_peak[0] / 1024}


def child_env() -> dict[str, str]:
    """The environment of the commands measured: this tree's hsct-watch first on the path (the
    commands run in a temporary folder, where an installed copy would be imported instead)."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(ROOT) + (os.pathsep + path if path else "")}


def _sample_tree(process: subprocess.Popen[str], peak: list[int]) -> None:
    while process.poll() is None:
        peak[0] = max(peak[0], _tree_rss_kb(process.pid))
        time.sleep(0.05)


def _tree_rss_kb(root: int) -> int:
    """The resident memory of a process and all its descendants, in kB (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


BARE = """
import scrapy
from scrapy.spiders import SitemapSpider

class Bare(SitemapSpider):
    name = "bare"
    sitemap_urls = {urls!r}

    def parse(self, response):
        pass
"""

SCRAPY_SETTINGS = {"CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "DOWNLOAD_DELAY": 0,
                   "AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": True, "LOG_LEVEL": "WARNING",
                   "TELNETCONSOLE_ENABLED": False}


def bare_scrapy(port: int, folder: str, pages: int) -> dict[str, float]:
    spider = Path(folder) / "bare.py"
    spider.write_text(BARE.format(urls=[f"http://{h}:{port}/robots.txt" for h in HOSTS]), encoding="utf-8")
    settings = [arg for key, value in SCRAPY_SETTINGS.items() for arg in ("-s", f"{key}={value}")]
    figures = timed_child([PYTHON, "-m", "scrapy", "runspider", str(spider), *settings], folder)
    return {**figures, "pages": pages, "pages_per_second": pages / figures["wall"]}


def hsct_config(port: int, folder: str, store: str) -> Path:
    lines = [f'[store]\nurl = "sqlite:///{store}"\n[feeds]\nout = "{folder}/public"\n[scrapy]']
    lines += [f"{key} = {json.dumps(value)}" for key, value in SCRAPY_SETTINGS.items()]
    lines.append(f'HSCTWATCH_STATS_FILE = "{folder}/stats.jsonl"')
    lines.append("[limits]\nsource_pages = 0\nsource_requests = 0\nrun_pages = 0\nrun_requests = 0")
    for index, host in enumerate(HOSTS):
        lines.append(f'[[sources]]\nname = "site{index}"\nkind = "sitemap"\nurls = ["http://{host}:{port}/robots.txt"]')
    config = Path(folder) / "hsct-watch.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def read_stats(folder: str) -> dict[str, float]:
    totals: dict[str, float] = {}
    path = Path(folder) / "stats.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        for key, value in json.loads(line)["stats"].items():
            if isinstance(value, (int, float)):
                totals[key] = totals.get(key, 0) + value
    path.unlink()
    return totals


def stored_output(store_url: str, port: int) -> dict[str, dict[str, str]]:
    """What a crawl stored: per story, keyed by its link, its fields as readers and editors see
    them (title, text, summary, relevance and its reasons, language, metadata), its tags with
    their evidence and its copies with why each was merged; per copy, keyed by its URL, what was
    read from its page. Each as a SHA-256, so that two runs compare one by one without keeping
    the texts. The generated web's port, which changes from run to run, is left out of them."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from hsctwatch.stories.models import Store, Story

    def portless(text: str) -> str:
        return text.replace(f":{port}", ":PORT")

    def digest(value: Any) -> str:
        return hashlib.sha256(portless(json.dumps(value, sort_keys=True, default=str)).encode()).hexdigest()

    store = Store(store_url)
    stories: dict[str, str] = {}
    copies: dict[str, str] = {}
    try:
        with store.session() as session:
            query = select(Story).options(selectinload(Story.copies), selectinload(Story.tags))
            for story in session.scalars(query):
                stories[portless(story.link)] = digest({
                    "title": story.title, "summary": story.summary, "text": story.text, "author": story.author,
                    "published": story.published, "language": story.language, "relevant": story.relevant,
                    "score": round(story.relevance_score, 9), "reasons": story.relevance_reasons,
                    "borderline": story.borderline, "metadata": story.metadata_, "content_hash": story.content_hash,
                    "tags": sorted([t.facet, t.slug, t.origin, t.evidence] for t in story.tags),
                    "copies": sorted([c.url_key, c.is_original, c.match_reason] for c in story.copies)})
                for c in story.copies:
                    copies[portless(c.url_key)] = digest([c.title, c.summary, c.text, c.content_hash, c.attribution,
                                                c.rel_canonical, c.published, c.guid])
    finally:
        store.close()
    return {"stories": stories, "copies": copies}


def output_check(found: dict[str, dict[str, str]], articles: int, record: bool) -> dict[str, Any]:
    """A crawl's output compared with the one recorded for this many articles (bench/results/
    output-N.json.gz, taken before any change made for speed), one by one: the stories, their
    tags and merges, of the check crawl (`check_crawl`: its order, and so which copy is a story's
    original, is the same every time), and what was read from each page, of the measured crawl
    (whose order is not). `record` writes it anew instead — only when the output is meant to change."""
    expected_path = RESULTS / f"output-{articles}.json.gz"
    if not record and not expected_path.exists():
        return {"stories": len(found["stories"]), "copies": len(found["copies"]), "unchanged": None,
                "note": f"no recorded output for {articles} articles (--record makes it)"}
    if record:
        RESULTS.mkdir(exist_ok=True)
        expected_path.write_bytes(gzip.compress(json.dumps(found, indent=0, sort_keys=True).encode(), mtime=0))
        return {"stories": len(found["stories"]), "copies": len(found["copies"]), "unchanged": None}
    expected: dict[str, dict[str, str]] = json.loads(gzip.decompress(expected_path.read_bytes()))
    report: dict[str, Any] = {"stories": len(found["stories"]), "copies": len(found["copies"])}
    differ: list[str] = []
    for part in ("stories", "copies"):
        was, now = expected[part], found[part]
        differ += sorted(f"{part}: {k}" for k in was.keys() | now.keys() if was.get(k) != now.get(k))
    report.update(unchanged=not differ, differing=len(differ), differing_examples=differ[:10])
    return report


def check_crawl(port: int, folder: str) -> dict[str, dict[str, str]]:
    """The generated web crawled once more, as one source, one request at a time and the pages
    read in the crawl's own process: the same order every time, so the same copy of each story
    comes first and the stories, tags and merges can be compared with a recorded run. The
    measured crawl keeps its speed: its copies are compared (`stored_output`), its stories are not."""
    check = Path(folder) / "check"
    check.mkdir(exist_ok=True)
    config = hsct_config(port, str(check), f"{check}/check.db")
    text = config.read_text(encoding="utf-8")
    sources = text[text.index("[[sources]]"):]
    urls = [f"http://{h}:{port}/robots.txt" for h in HOSTS]
    text = text.replace(sources, f'[[sources]]\nname = "all"\nkind = "sitemap"\nurls = {json.dumps(urls)}\n')
    text = text.replace("CONCURRENT_REQUESTS = 16", "CONCURRENT_REQUESTS = 1")
    # the order the recorded output was crawled in: Scrapy queues a sitemap's requests in an order
    # that depends on how many of a response's results it handles at once (CONCURRENT_ITEMS)
    text = text.replace("[scrapy]\n", "[scrapy]\nHSCTWATCH_WORKERS = 0\nCONCURRENT_ITEMS = 100\n", 1)
    config.write_text(text, encoding="utf-8")
    timed_child([PYTHON, "-m", "hsctwatch", "--config", str(config), "crawl", "--quiet"], str(check))
    return stored_output(f"sqlite:///{check}/check.db", port)


def train_model(config: Path, folder: str) -> dict[str, float]:
    """The learned model trained once before the measured crawl, as `hsct-watch train` (or an
    operator's first run) does: a crawl finding no model trains it first, a cost paid once per
    model and not per page, so it is measured apart from the crawl's."""
    return timed_child([PYTHON, "-m", "hsctwatch", "--config", str(config), "train"], folder)


def hsct_crawl(config: Path, folder: str) -> dict[str, Any]:
    figures = timed_child([PYTHON, "-m", "hsctwatch", "--config", str(config), "crawl", "--quiet"], folder)
    stats = read_stats(folder)
    pages = int(stats.get("hsctwatch/extract/pages", 0))
    stages = {k.rsplit("/", 1)[1]: v for k, v in stats.items() if k.startswith("hsctwatch/seconds/")}
    return {**figures, "pages": pages, "responses": int(stats.get("downloader/response_count", 0)),
            "bytes": int(stats.get("downloader/response_bytes", 0)),
            "not_modified": int(stats.get("downloader/response_status_count/304", 0)),
            "pages_per_second": pages / figures["wall"] if figures["wall"] else 0.0,
            "cpu_seconds_per_page": figures["cpu"] / pages if pages else 0.0, "stage_seconds": stages}


PEER = """
import sys, time
from trafilatura import extract
from trafilatura.downloads import add_to_compressed_dict, buffered_downloads, load_download_buffer
from trafilatura.settings import Extractor, use_config

import re, urllib.request

urls = []
for root in sys.argv[1:]:  # the sitemaps give the URLs; trafilatura downloads and extracts
    sitemap = urllib.request.urlopen(root + "sitemap.xml").read().decode()
    urls += re.findall(r"<loc>([^<]+)</loc>", sitemap)
# trafilatura refuses private addresses by default (SSRF protection); the generated web is on loopback
config = use_config()
config.set("DEFAULT", "SSRF_PROTECTION", "false")
options = Extractor(config=config)
store = add_to_compressed_dict(urls)
done = 0
while not store.done:
    buffer, store = load_download_buffer(store, sleep_time=0)
    for url, body in buffered_downloads(buffer, 8, options):
        if body and extract(body, url=url):
            done += 1
print(done)
"""


def trafilatura_peer(port: int, folder: str) -> dict[str, float]:
    script = Path(folder) / "peer.py"
    script.write_text(PEER, encoding="utf-8")
    roots = [f"http://{h}:{port}/" for h in HOSTS]
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run([PYTHON, str(script), *roots], cwd=folder, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    pages = int(result.stdout.strip() or 0)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "pages": pages, "pages_per_second": pages / wall if wall else 0.0}


def feed_build_seconds(size: int, folder: str) -> tuple[float, float, float]:
    """Fill a store with `size` tagged stories, then time `hsct-watch feeds` (and its peak memory)."""
    from bench.dedup_speed import fill, vocabulary
    from hsctwatch.stories.models import Store, Tag

    store_path = Path(folder) / f"feeds-{size}.db"
    store = Store(f"sqlite:///{store_path}")
    fill(store, size, vocabulary(), random.Random(size))
    with store.engine.begin() as connection:
        connection.execute(Tag.__table__.insert(), [
            {"article_id": n, "facet": "type", "slug": ("research", "news", "trial")[n % 3], "evidence": [],
             "origin": "rules"} for n in range(1, size + 1)])
    store.close()
    config = Path(folder) / f"feeds-{size}.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{store_path}"\n[feeds]\nout = "{folder}/feeds-{size}"\n'
                      '[[sources]]\nname = "x"\nkind = "feed"\nurls = ["http://127.0.0.1:9/"]\n', encoding="utf-8")
    command = [PYTHON, "-m", "hsctwatch", "--config", str(config), "feeds"]
    # the first build after the bulk fill also refreshes the planner's statistics (a run does that
    # as it ends); the second is what a build costs from then on
    first = timed_child(command, folder)
    steady = timed_child(command, folder)
    return first["wall"], steady["wall"], max(first["peak_mb"], steady["peak_mb"])


def run_peak_mb(size: int, folder: str, port: int) -> float:
    """Peak memory of a whole `run` (one site) against a store already holding `size` stories."""
    config = Path(folder) / f"feeds-{size}.toml"
    text = config.read_text(encoding="utf-8").replace(
        'kind = "feed"\nurls = ["http://127.0.0.1:9/"]',
        f'kind = "sitemap"\nurls = ["http://{HOSTS[0]}:{port}/robots.txt"]\nfollow = ["/news/[0-9]/$"]')
    config.write_text(text + "[scrapy]\nROBOTSTXT_OBEY = true\nDOWNLOAD_DELAY = 0\nAUTOTHROTTLE_ENABLED = false\n",
                      encoding="utf-8")
    figures = timed_child([PYTHON, "-m", "hsctwatch", "--config", str(config), "run", "--quiet"], folder)
    return max(figures["peak_mb"], figures["tree_peak_mb"])


def versions() -> dict[str, str]:
    from importlib.metadata import version

    names = ["scrapy", "trafilatura", "sqlalchemy", "datasketch", "feedgen", "lxml", "twisted"]
    return {"python": platform.python_version(), **{n: version(n) for n in names}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=5000, help="articles in the generated web")
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 100000],
                        help="stored stories to measure growth at (none: the crawls only)")
    parser.add_argument("--quick", action="store_true", help="500 articles, stores of 1k and 10k")
    parser.add_argument("--record", action="store_true",
                        help="record the crawl's output as the one later runs must match")
    options = parser.parse_args()
    if options.quick:
        options.articles, options.sizes = 500, [1000, 10000]
    per_host = options.articles // len(HOSTS)
    report: dict[str, Any] = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "cores": os.cpu_count(),
                              "machine": platform.machine(), "versions": versions(), "articles": per_host * len(HOSTS)}
    ports: Any = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(per_host, ports), daemon=True)
    server.start()
    port = ports.get(timeout=60)
    try:
        with tempfile.TemporaryDirectory() as folder:
            print(f"generated web: {report['articles']} articles on {len(HOSTS)} hosts, port {port}", flush=True)
            report["bare_scrapy"] = bare_scrapy(port, folder, report["articles"])
            print(f"bare Scrapy: {report['bare_scrapy']['pages_per_second']:.0f} pages/s", flush=True)
            config = hsct_config(port, folder, f"{folder}/crawl.db")
            report["model_training"] = train_model(config, folder)
            print(f"learned model trained: {report['model_training']['cpu']:.1f} CPU s", flush=True)
            report["hsct_watch"] = hsct_crawl(config, folder)
            print(f"hsct-watch: {report['hsct_watch']['pages_per_second']:.0f} pages/s", flush=True)
            measured = stored_output(f"sqlite:///{folder}/crawl.db", port)
            checked = check_crawl(port, folder)
            report["output"] = output_check({"stories": checked["stories"], "copies": measured["copies"]},
                                            report["articles"], options.record)
            print(f"output: {report['output']}", flush=True)
            report["second_run"] = hsct_crawl(config, folder)
            report["trafilatura"] = trafilatura_peer(port, folder)
            print(f"trafilatura: {report['trafilatura']['pages_per_second']:.0f} pages/s", flush=True)
            from bench.dedup_speed import measure, vocabulary

            words = vocabulary()
            report["growth"] = []
            for size in options.sizes:
                dedup = measure(size, 100, words)
                first_build, build, build_peak = feed_build_seconds(size, folder)
                run_peak = run_peak_mb(size, folder, port)
                report["growth"].append({"stored": size, "dedup_check_median_ms": dedup["check_median_ms"],
                                         "feed_build_seconds": round(build, 2),
                                         "feed_build_first_seconds": round(first_build, 2),
                                         "feed_build_peak_mb": round(build_peak),
                                         "run_peak_mb": round(run_peak)})
                print(f"  {size} stored: dedup {dedup['check_median_ms']} ms, feeds {build:.2f} s "
                      f"(first after the fill {first_build:.2f} s), "
                      f"run peak {run_peak:.0f} MB", flush=True)
    finally:
        server.terminate()
    print_table(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "benchmark.json").write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"written to {RESULTS / 'benchmark.json'}")


def print_table(report: dict[str, Any]) -> None:
    bare, full, second, peer = (report[k] for k in ("bare_scrapy", "hsct_watch", "second_run", "trafilatura"))
    print(f"\n{report['articles']} articles, {report['cores']} cores, Python {report['versions']['python']}, "
          f"Scrapy {report['versions']['scrapy']}")
    print(f"{'crawler':<34}{'pages/s':>9}{'CPU s/page':>12}{'wall s':>8}")
    for name, row in (("bare Scrapy spider (ceiling)", bare), ("hsct-watch, all pipelines + store", full),
                      ("trafilatura downloads + extract", peer)):
        cpu_page = row["cpu"] / row["pages"] if row["pages"] else 0
        print(f"{name:<34}{row['pages_per_second']:>9.1f}{cpu_page:>12.4f}{row['wall']:>8.1f}")
    print(f"hsct-watch / bare Scrapy: {full['pages_per_second'] / bare['pages_per_second']:.0%}; "
          f"hsct-watch / trafilatura: {full['pages_per_second'] / peer['pages_per_second']:.0%} of its rate, "
          f"{(full['cpu'] / full['pages']) / (peer['cpu'] / peer['pages']):.1f} times its CPU a page")
    if "model_training" in report:
        print(f"learned model trained before the crawl (once per model): {report['model_training']['wall']:.1f} s, "
              f"{report['model_training']['cpu']:.1f} CPU s")
    total = sum(full["stage_seconds"].values()) or 1
    print("pipeline stages, share of pipeline time: " + ", ".join(
        f"{k} {v / total:.0%}" for k, v in sorted(full["stage_seconds"].items(), key=lambda kv: -kv[1])))
    print(f"second unchanged run: {second['bytes'] / max(full['bytes'], 1):.1%} of the bytes, "
          f"{second['wall'] / full['wall']:.0%} of the time ({second['not_modified']} answers 304)")
    output = report.get("output") or {}
    verdict = {True: "unchanged", False: f"CHANGED ({output.get('differing')} stories or copies differ)",
               None: output.get("note") or "recorded"}.get(output.get("unchanged"), "not checked")
    print(f"output: {output.get('stories', 0)} stories, {verdict}")
    print(f"{'stored':>8}{'dedup median':>14}{'feed build':>12}{'run peak':>10}")
    for row in report["growth"]:
        print(f"{row['stored']:>8}{row['dedup_check_median_ms']:>11.2f} ms{row['feed_build_seconds']:>10.2f} s"
              f"{row['run_peak_mb']:>7} MB")


if __name__ == "__main__":
    main()
