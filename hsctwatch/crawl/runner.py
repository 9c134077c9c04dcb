"""Running crawls: every chosen source as one Scrapy crawler, all in one child process.

The crawl runs in a child process because Twisted's reactor can run only once per process:
the CLI (and a test, or the web app) can start any number of crawls, and a crash of the crawl
can't take the caller down. The child records each source's figures in the store (RunRecorder),
which is where the parent reads the summary from.

The child shares the parent's run lock and dies with the parent (hsctwatch.crawl.lock), so a
killed run leaves no crawl behind and no second run starts beside one. It stops itself at the
run's time limit ([limits] run_minutes); should it not, the parent ends it a little later.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from hsctwatch.config import Config, ConfigError, SourceConfig, load_config
from hsctwatch.crawl.lock import die_with_parent, held_descriptors
from hsctwatch.stories.models import (
    CrawlRun,
    SourceRun,
    Store,
    StoreError,
    configure_stores,
    open_store,
    utcnow,
)

if TYPE_CHECKING:  # the parent process does without Scrapy
    from scrapy.settings import Settings

EXIT_USAGE = 2  # the child's config was unreadable (as hsctwatch.console)
EXIT_UNUSABLE = 74  # the child could not use the store (as hsctwatch.console)
GRACE_SECONDS = 120  # past the run's time limit, before the parent ends a crawl that went on


@dataclass
class SourceSummary:
    name: str
    title: str
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    irrelevant: int = 0
    duplicates: int = 0
    dropped: int = 0
    errors: int = 0
    messages: list[str] = field(default_factory=list)
    finished: bool = True
    duration: float = 0.0

    @property
    def failed(self) -> bool:
        """The source gave nothing because of errors, or its crawl did not finish."""
        produced = self.new + self.updated + self.unchanged + self.duplicates + self.dropped
        return not self.finished or (self.errors > 0 and produced == 0)


@dataclass
class RunResult:
    run_id: int
    sources: list[SourceSummary]
    returncode: int = 0

    @property
    def failed_sources(self) -> list[SourceSummary]:
        return [s for s in self.sources if s.failed]


def crawl(
    config: Config,
    source_names: Sequence[str] = (),
    *,
    command: str = "crawl",
    verbose: bool = False,
    on_progress: Callable[[int, int, int], None] | None = None,
    retrain: bool = False,
    quiet: bool = False,
    echo: Callable[[str], None] | None = None,
) -> RunResult:
    """Crawl the named sources (all enabled ones when none are named) and report per source.

    ``retrain``: first the learned model is retrained if it is due (saying so unless ``quiet``),
    in a child process of its own that ends before the crawl's starts: neither this process nor
    the crawl's keeps scikit-learn, SciPy and the training's leftovers (about 100 MB) beside the
    crawl. ``echo`` gets each line the crawl's process prints (else it prints to this process's
    output)."""
    sources = [config.source(n) for n in source_names] if source_names else list(config.enabled_sources)
    started = time.time()
    store = open_store(config.store_url)
    with store.session() as session:
        run = CrawlRun(command=command, started_at=utcnow(), status="running")
        session.add(run)
        session.flush()
        run_id = run.id
    names = [source.name for source in sources]
    deadline = started + config.limits.run_minutes * 60 + GRACE_SECONDS if config.limits.run_minutes else None

    def progress() -> None:
        if on_progress:
            done, items = _progress(store, run_id)
            on_progress(done, len(sources), items)

    if config.cluster.redis:
        from hsctwatch.crawl.cluster_run import crawl_on_cluster

        if retrain:  # a cluster's crawls run elsewhere: the model is checked here
            from hsctwatch.console import retrain as retrain_here

            retrain_here(config, quiet=quiet)
        returncode = crawl_on_cluster(config, run_id, names, verbose, progress)
    else:
        if retrain:
            _retrain_apart(config, run_id, started, quiet, echo)
        child = start_crawl(config, run_id, names, verbose=verbose, started=started,
                            output=subprocess.PIPE if echo else None)
        relay = _relay(child, echo) if echo else None
        while child.poll() is None:
            time.sleep(0.5)
            progress()
            if deadline is not None and time.time() > deadline:
                _end(child)
        returncode = child.returncode
        if relay is not None:
            relay.join(timeout=5)  # its worker, which holds the pipe too, ends with it
    result = summarize(config, run_id, sources)
    result.returncode = returncode
    with store.session() as session:
        run_row = session.get(CrawlRun, run_id)
        if run_row is not None:
            run_row.finished_at = utcnow()
            run_row.status = "failed" if result.failed_sources or returncode else "ok"
    store.analyze()  # fresh statistics, so the feeds' newest-first queries walk the date index
    return result


def start_crawl(config: Config, run_id: int, sources: Sequence[str], *, verbose: bool = False,
                cluster: Sequence[str] = (), started: float | None = None, retrain: str = "",
                output: int | None = None) -> subprocess.Popen[bytes]:
    """The crawl's child process (`python -m hsctwatch.crawl`, hsctwatch/crawl/__main__.py),
    started; it dies with this process and counts the run's time limit from `started` (now if
    None). `cluster` adds its role in a cluster (--cluster seed|work --worker ID); `retrain`
    ("yes" or "quiet") makes it a process that retrains the learned model if it is due and
    crawls nothing; `output` is its stdout (None: this process's)."""
    args = [sys.executable, "-m", "hsctwatch.crawl", "--run-id", str(run_id),
            "--parent", str(os.getpid()), "--started", repr(started or time.time()), *cluster]
    if retrain:
        args += ["--retrain", retrain]
    if config.path:
        args += ["--config", str(Path(config.path).absolute())]
    if verbose:
        args.append("--verbose")
    for name in sources:
        args += ["--source", name]
    env = dict(os.environ)
    if config.path:
        env.pop("HSCT_WATCH_CONFIG", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_project_root(), env.get("PYTHONPATH")]))
    return subprocess.Popen(args, env=env, cwd=config.base_dir if not config.path else None,
                            pass_fds=held_descriptors(), stdout=output)


def _retrain_apart(config: Config, run_id: int, started: float, quiet: bool,
                   echo: Callable[[str], None] | None) -> None:
    """Retrain the learned model if it is due, in a child process (`python -m hsctwatch.crawl
    --retrain`), waiting for it: the crawl's process then loads the model made
    and not scikit-learn, which a trained model does not need (its own reader is NumPy's)."""
    child = start_crawl(config, run_id, (), started=started, retrain="quiet" if quiet else "yes",
                        output=subprocess.PIPE if echo else None)
    relay = _relay(child, echo) if echo else None
    child.wait()
    if relay is not None:
        relay.join(timeout=5)


def _relay(child: subprocess.Popen[bytes], echo: Callable[[str], None]) -> threading.Thread:
    """Each line the crawl's process prints, handed to `echo` as it comes."""
    def relay() -> None:
        assert child.stdout is not None
        with child.stdout:
            for line in child.stdout:
                echo(line.decode("utf-8", "replace").rstrip("\r\n"))

    thread = threading.Thread(target=relay, name="crawl-output", daemon=True)
    thread.start()
    return thread


def _end(child: subprocess.Popen[bytes]) -> None:
    """A crawl that outlived the run's time limit: asked to stop, then stopped."""
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=30)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _project_root() -> str:
    """The folder holding the top-level spiders/ and pipelines/ packages."""
    return str(Path(__file__).resolve().parents[2])


def _progress(store: Store, run_id: int) -> tuple[int, int]:
    with store.session() as session:
        done = session.scalar(
            select(func.count()).select_from(SourceRun)
            .where(SourceRun.run_id == run_id, SourceRun.finished_at.is_not(None))
        ) or 0
        items = session.scalar(
            select(func.coalesce(func.sum(SourceRun.items + SourceRun.dropped), 0))
            .where(SourceRun.run_id == run_id)
        ) or 0
    return int(done), int(items)


def summarize(config: Config, run_id: int, sources: Sequence[SourceConfig]) -> RunResult:
    store = open_store(config.store_url)
    summaries = []
    with store.session() as session:
        rows: dict[str, list[SourceRun]] = {}
        query = select(SourceRun).where(SourceRun.run_id == run_id).order_by(SourceRun.id)
        for row in session.scalars(query):
            rows.setdefault(row.source, []).append(row)  # in a cluster, one row per worker
        for source in sources:
            parts = rows.get(source.name)
            if not parts:
                summaries.append(SourceSummary(source.name, source.display_title, finished=False,
                                               errors=1, messages=["the crawl did not start"]))
                continue
            summaries.append(SourceSummary(
                name=source.name, title=source.display_title,
                **{figure: sum(getattr(row, column) for row in parts) for figure, column in _FIGURES.items()},
                messages=[message for row in parts for message in row.messages or []],
                finished=all(row.finished_at is not None for row in parts),
                duration=max(row.duration for row in parts),
            ))
    return RunResult(run_id, summaries)


#: a summary's figures and the SourceRun columns they add up
_FIGURES = {"fetched": "responses", "new": "new", "updated": "updated", "unchanged": "unchanged",
            "irrelevant": "irrelevant", "duplicates": "duplicates", "dropped": "dropped", "errors": "errors"}


# -- the child process ------------------------------------------------------------------------


def _child(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hsctwatch.crawl")
    parser.add_argument("--config")
    parser.add_argument("--run-id", type=int, required=True)
    parser.add_argument("--parent", type=int)
    parser.add_argument("--started", type=float)
    parser.add_argument("--source", action="append", default=[])
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--cluster", choices=("seed", "work"), help="this crawl's part in a cluster run")
    parser.add_argument("--worker", default="", help="the cluster worker's id")
    parser.add_argument("--retrain", choices=("yes", "quiet"),
                        help="only retrain the learned model if due, crawl nothing (quiet: say nothing)")
    options = parser.parse_args(argv)
    if options.parent:
        die_with_parent(options.parent)
    if options.retrain:
        return _retrain_here(options)
    try:
        return _crawl_here(options)
    except ConfigError as exc:
        print(f"hsct-watch: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except StoreError as exc:
        print(f"hsct-watch: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE


def _retrain_here(options: argparse.Namespace) -> int:
    """The retraining before a crawl (`crawl`'s ``retrain``). A config or store it can't use is
    left for the crawl's process to say, in one line, as it would without retraining."""
    from hsctwatch.console import retrain

    try:
        config = load_config(options.config, search=False)
        configure_stores(wait_seconds=config.store.wait_seconds)
        retrain(config, quiet=options.retrain == "quiet")
    except (ConfigError, StoreError):
        return 0
    sys.stdout.flush()
    return 0


def _crawl_here(options: argparse.Namespace) -> int:
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from hsctwatch.crawl.addon import apply_config
    from hsctwatch.rules import Rules

    config = load_config(options.config, search=False)
    configure_stores(wait_seconds=config.store.wait_seconds)
    open_store(config.store_url)  # a store that can't be used is one line, before Scrapy starts
    try:
        Rules.load(config.rules)  # compiled once per process: the pipelines take this one
    except ValueError as exc:  # a rules file that is TOML but not rules: the config's mistake
        print(f"hsct-watch: {exc}", file=sys.stderr)
        return EXIT_USAGE
    settings = Settings()
    settings.setmodule("hsctwatch.crawl.settings", priority="project")
    settings.set("HSCTWATCH_CONFIG", config.path or "", priority="cmdline")
    apply_config(settings, config)
    _without_remote_control(settings)
    settings.set("HSCTWATCH_RUN_ID", options.run_id, priority="cmdline")
    settings.set("HSCTWATCH_RUN_STARTED", options.started or time.time(), priority="cmdline")
    if options.cluster:
        from hsctwatch.crawl.cluster import apply_cluster

        apply_cluster(settings, config.cluster.redis, config.cluster.prefix, options.cluster,
                      options.run_id, options.worker)
    if not options.verbose and options.cluster != "work":  # a worker logs to stderr (the journal)
        log_file = config.data_dir / "hsct-watch.log"
        settings.set("LOG_FILE", str(log_file), priority="cmdline")
        settings.set("LOG_FILE_APPEND", False, priority="cmdline")
    process = CrawlerProcess(settings)
    for name in options.source:
        source = config.source(name)
        process.crawl(source.kind, source=source.name)  # the spider's name is its kind
    process.start()
    return 0


_REMOTE_CONTROL = "scrapy.extensions.remote_control.RemoteControl"


def _without_remote_control(settings: Settings) -> None:
    """Scrapy's remote control is off unless REMOTE_CONTROL_ENABLED, but its extension's module,
    loaded to find that out (Scrapy loads every extension named, even one set to None), imports
    aiohttp: 10 MB in the crawl's process. Off, the extension is not named at all."""
    if settings.getbool("REMOTE_CONTROL_ENABLED"):
        return
    for name in ("EXTENSIONS_BASE", "EXTENSIONS"):
        extensions = settings.getdict(name)
        if _REMOTE_CONTROL in extensions:
            del extensions[_REMOTE_CONTROL]
            settings.set(name, extensions, priority=settings.getpriority(name) or "default")


if __name__ == "__main__":
    sys.exit(_child())
