"""RunRecorder: every crawl of a source is stored with its figures, for the run summary and for
`hsct-watch sources` (a source's health over time)."""

from __future__ import annotations

import json
import time
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from sqlalchemy.exc import IntegrityError

from hsctwatch.crawl.memory import release_after_loading
from hsctwatch.crawl.storage import required_store
from hsctwatch.stories.models import Source, SourceRun, Store, utcnow

#: Figures copied from Scrapy's stats into the SourceRun row.
FIGURES = {
    "requests": "downloader/request_count",
    "responses": "downloader/response_count",
    "bytes": "downloader/response_bytes",
    "not_modified": "downloader/response_status_count/304",
    "items": "item_scraped_count",
    "new": "hsctwatch/store/new",
    "updated": "hsctwatch/store/updated",
    "unchanged": "hsctwatch/store/unchanged",
    "duplicates": "hsctwatch/store/copy",
    "irrelevant": "hsctwatch/relevance/irrelevant",
    "dropped": "item_dropped_count",
}
PROGRESS_EVERY = 10  # items, and
PROGRESS_SECONDS = 1.0  # at least this long since the last write: a transaction every 10 items cost
# ~1 ms a page in a fast crawl, and progress is shown (and a killed run's row left) within a second
WARNINGS_STAT = "hsctwatch/warning_messages"
MAX_MESSAGES = 20


def add_warning(stats: Any, message: str, *, example: str = "") -> None:
    """A warning line for the run summary — a link skipped, a request refused, a limit reached:
    the source has not failed. Once per message, with its first example (capped, and with
    control characters escaped: the example is often a scraped URL)."""
    warnings = list(stats.get_value(WARNINGS_STAT) or [])
    if len(warnings) < MAX_MESSAGES and not any(w.startswith(message) for w in warnings):
        warnings.append(f"{message} (e.g. {printable(example, 100)})" if example else message)
        stats.set_value(WARNINGS_STAT, warnings)


def printable(text: str, limit: int) -> str:
    """Scraped text made safe for a terminal line: control characters escaped, length capped."""
    text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RunRecorder:
    def __init__(self, crawler: Crawler, store: Store):
        self.crawler = crawler
        self.store = store
        self.run_id = crawler.settings.getint("HSCTWATCH_RUN_ID") or None
        self.row_id: int | None = None
        self.started = 0.0
        self.items = 0
        self.written = 0.0  # time.monotonic() of the last write of the row

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunRecorder:
        recorder = cls(crawler, required_store(crawler))
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(recorder.item_passed, signal=signals.item_scraped)
        crawler.signals.connect(recorder.item_passed, signal=signals.item_dropped)
        crawler.signals.connect(recorder.item_error, signal=signals.item_error)
        return recorder

    def spider_opened(self, spider: Spider) -> None:
        release_after_loading()  # the pipelines, just opened, loaded the index and the rules
        source = getattr(spider, "source", None)
        if source is None:
            return
        self.started = time.monotonic()
        now = utcnow()
        with self.store.session() as session:
            row = session.get(Source, source.name)
            if row is None:  # the first crawl of the source, unless another process's is too
                try:
                    with session.begin_nested():
                        session.add(Source(name=source.name, first_seen=now))
                except IntegrityError:
                    pass
                row = session.get(Source, source.name)
            assert row is not None
            row.title = source.display_title
            row.kind = source.kind
            row.last_run_at = now
            run = SourceRun(run_id=self.run_id, source=source.name, started_at=now)
            session.add(run)
            session.flush()
            self.row_id = run.id

    def item_passed(self, *args: Any, **kwargs: Any) -> None:
        """Keep the row's figures current while the crawl runs, for progress and for a killed run."""
        self.items += 1
        if self.items % PROGRESS_EVERY == 0 and time.monotonic() - self.written >= PROGRESS_SECONDS:
            self._write(finished=False, reason="")

    def item_error(self, item: Any, response: Any, spider: Spider, failure: Any) -> None:
        """A pipeline failed on an item: it counts as an error of the source, with its message."""
        stats = self.crawler.stats
        stats.inc_value("hsctwatch/errors")
        messages = list(stats.get_value("hsctwatch/error_messages") or [])
        if len(messages) < 20:
            url = item.get("url", "?") if hasattr(item, "get") else "?"
            messages.append(f"{url}: could not be processed ({failure.type.__name__}: "
                            f"{str(failure.value).splitlines()[0][:200]})")
            stats.set_value("hsctwatch/error_messages", messages)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self._write(finished=True, reason=reason)
        stats_file = self.crawler.settings.get("HSCTWATCH_STATS_FILE")
        if stats_file:  # for the benchmark: every crawler's stats, one JSON line each
            line = json.dumps({"source": getattr(getattr(spider, "source", None), "name", spider.name),
                               "worker": self.crawler.settings.get("HSCTWATCH_CLUSTER_WORKER", ""),
                               "stats": self.crawler.stats.get_stats()}, default=str)
            with open(stats_file, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")

    def _write(self, *, finished: bool, reason: str) -> None:
        if self.row_id is None:
            return
        self.written = time.monotonic()
        stats = self.crawler.stats
        with self.store.session() as session:
            row = session.get(SourceRun, self.row_id)
            if row is None:
                return
            for column, key in FIGURES.items():
                setattr(row, column, int(stats.get_value(key) or 0))
            # The spiders report every failed download themselves. Exceptions in callbacks and
            # pipelines are counted by Scrapy per crawler; the log's own ERROR count is not used:
            # in a process of several crawlers it counts the others' errors too.
            reported = int(stats.get_value("hsctwatch/errors") or 0)
            crashed = sum(int(v or 0) for k, v in stats.get_stats().items()
                          if k.startswith("spider_exceptions/") and k.count("/") == 1)
            row.errors = reported + crashed
            messages = list(stats.get_value("hsctwatch/error_messages") or [])
            if crashed:
                messages.append(f"{crashed} error(s) while processing pages; see hsct-watch.log")
            row.messages = messages + list(stats.get_value(WARNINGS_STAT) or [])
            row.duration = round(time.monotonic() - self.started, 2)
            if finished:
                row.finished_at = utcnow()
                row.finish_reason = reason
