"""The worker process that reads pages on the second core: inside a running event loop the
extract stage hands each page to it, and the items that come out are exactly those of the crawl's
own process."""

from __future__ import annotations

import asyncio
import inspect
import io
import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scrapy.utils.test import get_crawler

from hsctwatch.crawl import worker as offload
from hsctwatch.crawl.items import Article
from hsctwatch.rules.learned import load_model, text_of
from hsctwatch.stories.neardup import _winnow, shingled, signature
from pipelines.extract import ExtractPipeline
from pipelines.relevance import RelevancePipeline, document
from pipelines.tag import TagPipeline

PAGE = (Path(__file__).parent / "fixtures" / "pages" / "msnt-article.html").read_text(encoding="utf-8")
URL = "https://multiplesclerosisnewstoday.com/news-posts/2026/03/10/ahsct-halts-disability/"


def stages(workers: int, **settings: Any) -> tuple[Any, ...]:
    crawler = get_crawler(settings_dict={"HSCTWATCH_WORKERS": workers, **settings})
    crawler.stats.open_spider()
    return (ExtractPipeline.from_crawler(crawler), RelevancePipeline.from_crawler(crawler),
            TagPipeline.from_crawler(crawler))


async def through(workers: int, **settings: Any) -> dict[str, Any]:
    item: Any = Article(source="msnews", url=URL, canonical_url=URL, page_html=PAGE, categories=["Columns"],
                        focus="hsct")
    for stage in stages(workers, **settings):
        item = stage.process_item(item)
        if inspect.isawaitable(item):
            item = await item
    return {k: v for k, v in dict(item).items() if k != "page_html"}


@pytest.fixture
def worker_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker started for the first page, not after the few a crawl reads itself first."""
    monkeypatch.setattr(offload, "START_AFTER", 0)


@pytest.mark.usefixtures("worker_at_once")
def test_the_worker_reads_and_judges_exactly_as_the_crawl_process() -> None:
    async def both() -> tuple[dict[str, Any], dict[str, Any], int]:
        here = await through(0)
        assert offload._pool is None
        there = await through(1)
        assert offload._pool is not None, "the extract stage did not hand the page to a worker"
        future = offload.offload(1, os.getpid)
        assert future is not None, "no worker process was started"
        return here, there, await future

    try:
        here, there, worker_pid = asyncio.run(both())
    finally:
        offload.stop()
        offload._off = False  # stop() is for good in a crawl; other tests start afresh
    assert worker_pid != os.getpid()  # the page was read in another process
    assert here["text"] and here["relevant"] is True and here["tags"]
    judgement = there.pop("judgement")  # the worker's reading travels on the item ...
    assert "judgement" not in here  # ... and only when there is a worker
    assert judgement.relevance is not None and judgement.tags is not None and judgement.signature is not None
    assert judgement.relevance.relevant == here["relevant"]
    assert [t.as_dict() for t in judgement.tags] == here["tags"]
    # judged for the very document the later stages read: its categories and focus included
    assert judgement.document == document(Article(there))
    assert judgement.document.categories == ("Columns", "News", "aHSCT", "aggressive MS",
                                             "stem cell transplant")
    assert judgement.document.focus == "hsct"
    # the dedup and store stages take the worker's signature and fingerprints as their own:
    # they must be this process's values for the text
    made = signature(judgement.document.text)
    assert made is not None and np.array_equal(judgement.signature, made.hashvalues)
    assert judgement.fingerprints is not None and len(judgement.fingerprints)
    assert np.array_equal(judgement.fingerprints, _winnow(judgement.document.text))
    made_here = shingled(judgement.document.text)  # and what the partial-copy check compares
    assert np.array_equal(judgement.shingled.grams, made_here.grams) and len(made_here.grams)
    assert np.array_equal(judgement.shingled.lede, made_here.lede) and len(made_here.lede)
    assert there == here


@pytest.mark.usefixtures("worker_at_once")
def test_the_worker_reads_with_the_learned_model_what_the_crawl_process_would(model_file: Path) -> None:
    """The learned model's reading of each article (its probability, the words that weighed,
    the tag models' probabilities) is made by the worker too, and the relevance and tag stages
    take it: the crawl's own process does not read the article's words again."""
    model = load_model(model_file)

    async def there_then_here() -> tuple[dict[str, Any], dict[str, Any]]:
        there = await through(1, HSCTWATCH_MODEL=str(model_file))
        assert offload._pool is not None, "the extract stage did not hand the page to a worker"
        read = there["judgement"].document
        assert model._last is None or model._last[0] != text_of(read), "this process read it again"
        return there, await through(0, HSCTWATCH_MODEL=str(model_file))

    try:
        there, here = asyncio.run(there_then_here())
    finally:
        offload.stop()
        offload._off = False
    ahead = there.pop("judgement").model
    assert ahead is not None and ahead.source == model.source
    doc = document(Article(there))
    assert (ahead.probability, ahead.weighing) == model.reading(doc)
    assert ahead.tags == model.tag_probability(doc) and ahead.tags
    assert any(r.startswith("learned model: relevant with probability") for r in here["relevance_reasons"])
    assert there == here


@pytest.mark.usefixtures("worker_at_once")
def test_the_worker_makes_no_record_that_no_handler_here_takes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scrapy leaves the root logger at NOTSET, its handler at LOG_LEVEL: the worker's records
    below that level (trafilatura writes debug lines for every page) would be sent here to be
    dropped. The worker starts at the lowest level a handler here takes."""
    root = logging.getLogger()
    taking = logging.StreamHandler(io.StringIO())
    taking.setLevel(logging.INFO)
    monkeypatch.setattr(root, "handlers", [taking, logging.NullHandler()])  # a NullHandler takes none
    monkeypatch.setattr(root, "level", logging.NOTSET)
    assert offload.handled_level() == logging.INFO

    async def worker_level() -> Any:
        future = offload.offload(1, eval, "__import__('logging').getLogger().level")
        assert future is not None, "no worker process was started"
        return await future

    try:
        assert asyncio.run(worker_level()) == logging.INFO
    finally:
        offload.stop()
        offload._off = False
    taking.setLevel(logging.DEBUG)  # a handler that takes debug lines gets them
    assert offload.handled_level() == logging.DEBUG
    root.setLevel(logging.WARNING)  # and a logger's own level still holds
    assert offload.handled_level() == logging.WARNING


@pytest.mark.usefixtures("worker_at_once")
def test_the_worker_imports_neither_scrapy_nor_the_stores_modules() -> None:
    """Each process holds its own copy of what it imports: the worker reads and judges a page
    without Scrapy, Twisted, SQLAlchemy or the store's models (and the crawl's process, a
    package's __main__, is not imported into it again)."""
    heavy = "{m for m in __import__('sys').modules if m.split('.')[0] in ('scrapy', 'twisted', 'sqlalchemy')}"

    async def loaded() -> tuple[Any, Any]:
        await through(1)  # the worker has read and judged a page
        future = offload.offload(1, eval, f"sorted({heavy} | {{'hsctwatch.stories.models'}} "
                                          "& set(__import__('sys').modules))")
        assert future is not None, "no worker process was started"
        return await future, offload.offload(1, eval, "'pipelines.extract' in __import__('sys').modules")

    try:
        found, extract_there = asyncio.run(loaded())
    finally:
        offload.stop()
        offload._off = False
    assert found == []
    assert extract_there is not None


@pytest.mark.usefixtures("worker_at_once")
def test_once_the_worker_has_loaded_the_garbage_collector_leaves_it_be() -> None:
    """What the first page loaded (the rules, trafilatura, the language model) is frozen out of
    the collector's walks, and the youngest objects are collected less often."""
    from hsctwatch.crawl.memory import YOUNG_COLLECTION

    async def settled() -> Any:
        await through(1)
        collector = "__import__('gc')"
        future = offload.offload(1, eval, f"({collector}.get_freeze_count(), {collector}.get_threshold()[0])")
        assert future is not None, "no worker process was started"
        return await future

    try:
        frozen, young = asyncio.run(settled())
    finally:
        offload.stop()
        offload._off = False
    assert frozen > 10_000
    assert young == YOUNG_COLLECTION


def test_a_crawl_of_a_few_pages_starts_no_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker costs its imports, in time and memory: the first pages of a crawl are read in the
    crawl's own process, and a worker starts only for more."""
    monkeypatch.setattr(offload, "_offered", 0)

    async def offered() -> tuple[list[Any], Any]:
        first = [offload.offload(1, os.getpid) for _ in range(offload.START_AFTER)]
        assert offload._pool is None
        future = offload.offload(1, os.getpid)
        assert future is not None, "no worker after the first pages"
        return first, await future

    try:
        first, worker_pid = asyncio.run(offered())
    finally:
        offload.stop()
        offload._off = False
    assert first == [None] * offload.START_AFTER
    assert worker_pid != os.getpid()


def test_this_process_reads_a_page_itself_only_when_it_has_less_to_do_than_the_worker() -> None:
    """With pages waiting for the worker, the crawl's process helps only if, over the last
    moments, it used clearly less CPU than the worker did: otherwise its own stages wait and the
    worker's core idles."""
    balance = offload._Balance()
    balance.WINDOW = 0.0
    balance.worked(4242, 10.0)  # a worker's first report: what it used starting up
    assert balance.here_has_time(1) is False  # nothing done since
    balance.worked(4242, 12.0)  # two seconds of the worker's work; none here
    assert balance.here_has_time(1) is True
    busy = time.process_time()
    while time.process_time() - busy < 0.05:  # this process works, the worker does not
        pass
    assert balance.here_has_time(1) is False
    balance.worked(4243, 1.0)  # a second worker starts
    balance.worked(4242, 12.5)
    balance.worked(4243, 1.5)
    assert balance.here_has_time(2) is True  # each worker did more than this process since


def test_a_judgement_counts_only_for_its_own_document_and_rules() -> None:
    from hsctwatch.crawl.items import Judgement
    from hsctwatch.rules import Document, Relevance

    doc = Document(title="HSCT for MS", text="Some text.")
    decision = Relevance(True, 0.9, ("reason",))
    judged = Judgement(document=doc, rules_digest="abc", relevance=decision, relevance_seconds=0.1,
                       tags=(), signature=None)
    assert judged.relevance_for(doc, "abc") == (decision, 0.1)
    assert judged.relevance_for(doc, "other rules") is None
    assert judged.relevance_for(Document(title="HSCT for MS", text="Edited text."), "abc") is None
    assert judged.signature_for("Some text.") == (None, 0.0)
    assert judged.signature_for("Edited text.") is None


def test_outside_an_event_loop_pipelines_do_the_work_themselves() -> None:
    assert offload.offload(1, os.getpid) is None


def test_the_worker_judges_only_with_the_rules_of_the_crawls_digest() -> None:
    """The worker keeps the rules it read by their digest; rules whose file changed since the
    crawl read it (another digest) are never used: the crawl's own stages judge then."""
    from hsctwatch.rules import Document, Rules
    from pipelines.relevance import judge

    shipped = Rules.load(None)
    doc = Document(title="aHSCT for MS", text="Autologous haematopoietic stem cell transplantation "
                   "(aHSCT) halted disability in people with aggressive multiple sclerosis.")
    judged = judge(None, shipped.digest, doc)
    assert judged["rules_digest"] == shipped.digest
    assert judged["relevance"] == shipped.relevance(doc)
    assert judge(None, shipped.digest, doc)["relevance"] == judged["relevance"]  # kept, the same
    assert judge(None, "another digest", doc) == {}
    assert judge(None, "", doc) == {}
