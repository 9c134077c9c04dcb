"""Where a page's CPU goes: the crawl's stages, one after the other, on bench/run.py's pages.

    .venv/bin/python bench/parts.py                 # 500 pages, with the learned model
    .venv/bin/python bench/parts.py --pages 1000 --no-model

Each generated page becomes the item the spider makes of it (its URL, source and HTML) and goes
through the crawl's item pipeline in this process — normalize, extract, relevance, tag, dedup,
store — into a new SQLite store, as a crawl without a worker process runs it (`HSCTWATCH_WORKERS
= 0`: the extract stage reads the page itself, the dedup stage makes the near-duplicate hashes).
The learned model is trained first, as `hsct-watch train` does (`bench.run.train_model`), unless
--no-model. The CPU time (`process_time`) of each stage and of the parts named below is summed
over the pages. Other pages go through first, into a store of their own, to compile the rules
and load the models (and so that no per-text cache of a stage already holds a measured page's
answer). Scrapy's own share is
the bare spider's in bench/run.py; a crawl also pays a few fixed costs (processes started, the
rules compiled in each) that are not per page.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# the project rather than this folder, whose incremental.py would stand for the package of that
# name that Twisted imports
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from scrapy.settings import BaseSettings  # noqa: E402
from scrapy.utils.test import get_crawler  # noqa: E402

import pipelines.extract  # noqa: E402
from bench.run import HOSTS, hsct_config, page, sentences, train_model  # noqa: E402
from hsctwatch.config import load_config  # noqa: E402
from hsctwatch.crawl.addon import apply_config  # noqa: E402
from hsctwatch.crawl.items import Article  # noqa: E402
from hsctwatch.rules import Rules  # noqa: E402
from hsctwatch.rules.learned import Learned  # noqa: E402
from hsctwatch.stories import neardup  # noqa: E402
from pipelines.dedup import DedupPipeline  # noqa: E402
from pipelines.extract import ExtractPipeline  # noqa: E402
from pipelines.normalize import NormalizePipeline  # noqa: E402
from pipelines.relevance import RelevancePipeline  # noqa: E402
from pipelines.store import StorePipeline  # noqa: E402
from pipelines.tag import TagPipeline  # noqa: E402

STAGES = (("normalize", NormalizePipeline), ("extract", ExtractPipeline), ("relevance", RelevancePipeline),
          ("tag", TagPipeline), ("dedup", DedupPipeline), ("store", StorePipeline))
WARM_UP = 20  # pages, not measured
_HASHES = "near-duplicate hashes: signature, fingerprints, shingles"
#: parts of the stages, timed wherever a stage calls them: (part, module, function name); none
#: of them calls another
PARTS = (("reading the page: trafilatura and the page's metadata", pipelines.extract, "read_page"),
         ("language", pipelines.extract, "language_of"),
         ("the rules: relevance", Rules, "relevance"), ("the rules: tags", Rules, "tags"),
         ("the learned model", Learned, "combine"), ("the learned model", Learned, "retag"),
         (_HASHES, neardup, "_signature"), (_HASHES, neardup, "_winnow"), (_HASHES, neardup, "shingled"))


def spent(seconds: dict[str, float], name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """The function, adding the CPU seconds of each call to seconds[name]."""
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[name] = seconds.get(name, 0.0) + time.process_time() - started
    return timed


def items(first: int, count: int) -> list[Article]:
    """Generated pages `first` to `first + count - 1` as the sitemap spider's items, spread over
    bench/run.py's hosts."""
    pool = sentences()
    made = []
    for n in range(first, first + count):
        host = n % len(HOSTS)
        url = f"http://{HOSTS[host]}:8080/news/{n // len(HOSTS)}/"
        made.append(Article(source=f"site{host}", url=url, final_url=url,
                            page_html=page(host, n // len(HOSTS), pool).decode("utf-8")))
    return made


def one_round(folder: Path, config_path: Path, pages: list[Article], name: str) -> dict[str, float]:
    """Every page through every stage, into a new store; the CPU seconds of each stage and part."""
    config = load_config(config_path)
    store = folder / f"{name}.db"
    settings = BaseSettings()
    apply_config(settings, config)  # as `hsct-watch crawl` sets them from the config file
    settings.set("HSCTWATCH_STORE_URL", f"sqlite:///{store}")
    crawler = get_crawler(settings_dict=settings.copy_to_dict())
    stages = [(name, stage.from_crawler(crawler)) for name, stage in STAGES]
    seconds: dict[str, float] = {}
    originals = [(owner, function, getattr(owner, function)) for _, owner, function in PARTS]
    for part, owner, function in PARTS:
        setattr(owner, function, spent(seconds, part, getattr(owner, function)))
    try:
        for item in pages:
            current: Any = Article(item)
            for name, stage in stages:
                started = time.process_time()
                current = stage.process_item(current)
                seconds[name] = seconds.get(name, 0.0) + time.process_time() - started
    finally:
        for owner, function, original in originals:
            setattr(owner, function, original)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=500, help="generated pages (default 500)")
    parser.add_argument("--no-model", action="store_true", help="the rules alone, no learned model")
    args = parser.parse_args()
    if args.pages < 1:
        parser.error("--pages must be 1 or more")
    pages = items(0, args.pages)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        config = hsct_config(8080, name, str(folder / "train.db"))
        if args.no_model:
            with config.open("a", encoding="utf-8") as file:
                file.write("[model]\nenabled = false\n")
        else:
            train_model(config, name)
        one_round(folder, config, items(args.pages, WARM_UP), "warm-up")
        seconds = one_round(folder, config, pages, "measured")
    per_page = {name: value / len(pages) * 1000 for name, value in seconds.items()}
    print(f"{len(pages)} generated pages, CPU ms a page"
          + ("" if args.no_model else ", with the learned model"))
    for name, _ in STAGES:
        print(f"  {name + ' stage':<62}{per_page.get(name, 0.0):>7.2f}")
    print(f"  {'all stages':<62}{sum(per_page.get(name, 0.0) for name, _ in STAGES):>7.2f}")
    print("parts of the stages above:")
    for part in dict.fromkeys(part for part, _, _ in PARTS):
        print(f"  {part:<62}{per_page.get(part, 0.0):>7.2f}")


if __name__ == "__main__":
    main()
