"""The `hsct-watch` command. Thin: each command parses its options, calls one library function,
and turns known errors into a one-line message and an exit status.

Exit status: 0 success; 1 the run finished but a source failed (feeds still written);
2 bad usage or bad config (nothing written); 75 another run holds the lock.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from hsctwatch import __version__
from hsctwatch.config import Config, ConfigError, load_config
from hsctwatch.crawl import RunResult, SourceSummary, crawl
from hsctwatch.dates import ago
from hsctwatch.lock import EX_TEMPFAIL, AlreadyRunning, RunLock

EXIT_SOURCE_FAILED = 1
EXIT_USAGE = 2


class State:
    def __init__(self, config_path: str | None):
        self.config_path = config_path
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            try:
                self._config = load_config(self.config_path)
            except ConfigError as exc:
                click.echo(f"hsct-watch: {exc}", err=True)
                sys.exit(EXIT_USAGE)
        return self._config


pass_state = click.make_pass_decorator(State)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config", "config_path", metavar="FILE", envvar="HSCT_WATCH_CONFIG",
    help="Config file (default: ./hsct-watch.toml if present, else the built-in sources; "
         "also $HSCT_WATCH_CONFIG).",
)
@click.version_option(__version__, prog_name="hsct-watch")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Follow news, patient blogs and research on autologous HSCT for multiple sclerosis,
    and publish them as clean, deduplicated, tagged RSS, Atom and JSON feeds.

    \b
    Typical use:
      hsct-watch demo              try it offline on the bundled sample sites
      hsct-watch run               crawl every enabled source, then write the feeds (cron)
      hsct-watch sources           list the sources and their health
    """
    ctx.obj = State(config_path)


# -- run / crawl / feeds ----------------------------------------------------------------------


@cli.command()
@click.option("-q", "--quiet", is_flag=True, help="Print nothing when every source succeeded (for cron).")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log on the terminal.")
@pass_state
def run(state: State, quiet: bool, verbose: bool) -> None:
    """Crawl every enabled source, then build the feeds. The command for cron.

    Prints a summary per source (fetched, new, updated, irrelevant, duplicates, errors).
    Exits 1 when a source failed (the feeds are still written), 2 on a bad config,
    75 when another run is in progress.
    """
    config = state.config
    result = _locked(config, lambda: _crawl(config, (), "run", quiet, verbose))
    report = _build(config)
    if not quiet or result.failed_sources:
        _print_summary(result)
        click.echo(f"feeds: {report.items} item(s) in {config.feeds_dir}/ "
                   f"(rss.xml, atom.xml, feed.json, {report.tag_feeds} tag feed(s))")
    sys.exit(EXIT_SOURCE_FAILED if result.failed_sources else 0)


@cli.command("crawl")
@click.option("-s", "--source", "sources", multiple=True, metavar="NAME",
              help="Crawl only this source (repeatable). Default: every enabled source.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing when every source succeeded.")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log on the terminal.")
@pass_state
def crawl_command(state: State, sources: tuple[str, ...], quiet: bool, verbose: bool) -> None:
    """Crawl sources into the store, without building the feeds."""
    config = state.config
    try:
        for name in sources:
            config.source(name)
    except ConfigError as exc:
        raise click.UsageError(str(exc.message)) from None
    result = _locked(config, lambda: _crawl(config, sources, "crawl", quiet, verbose))
    if not quiet or result.failed_sources:
        _print_summary(result)
    sys.exit(EXIT_SOURCE_FAILED if result.failed_sources else 0)


@cli.command()
@pass_state
def feeds(state: State) -> None:
    """Build the feeds from the store only (no crawling)."""
    config = state.config
    report = _build(config)
    click.echo(f"{report.items} item(s) written to {config.feeds_dir}/ "
               f"({report.tag_feeds} tag feed(s); {len(report.changed)} file(s) changed)")


# -- sources ----------------------------------------------------------------------------------


@cli.command()
@pass_state
def sources(state: State) -> None:
    """List the configured sources with their health (last run, items, errors)."""
    from hsctwatch.health import source_health

    config = state.config
    rows = source_health(config)
    headers = ("source", "kind", "enabled", "last run", "new", "items", "errors", "last item")
    table = [
        (r.name, r.kind, "yes" if r.enabled else "no", ago(r.last_run), str(r.last_new),
         str(r.total_items), str(r.last_errors), ago(r.last_item))
        for r in rows
    ]
    _print_table(headers, table)
    for r in rows:
        for warning in r.warnings:
            click.echo(f"! {r.name}: {warning}")


@cli.command()
@click.argument("item")
@pass_state
def explain(state: State, item: str) -> None:
    """Why ITEM (a number, guid or URL) is in or out of the feeds, and why it has each tag."""
    from hsctwatch.explain import describe

    click.echo(_review_call(lambda store: describe(store, item, state.config.feeds.publish)))


@cli.command()
@click.option("--dry-run", is_flag=True, help="Report what would change, and change nothing.")
@pass_state
def reprocess(state: State, dry_run: bool) -> None:
    """Re-run relevance and tags over every stored item after the rules changed.

    Editors' decisions (status, tags they added or removed, merges, splits) are kept.
    Reports what changed, then rebuilds the feeds.
    """
    from hsctwatch.reprocess import reprocess as run_reprocess
    from hsctwatch.store import Store
    from hsctwatch.taxonomy import Rules

    config = state.config
    try:
        rules = Rules.load(config.rules)
    except ValueError as exc:
        click.echo(f"hsct-watch: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    if dry_run:
        import sqlite3
        import tempfile

        url = config.store_url
        if not url.startswith("sqlite:///"):
            raise click.UsageError("--dry-run works on a SQLite store only")
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / "dry-run.db"
            with sqlite3.connect(url.removeprefix("sqlite:///")) as source, sqlite3.connect(copy) as target:
                source.backup(target)  # a consistent copy, WAL included
            store = Store(f"sqlite:///{copy}")
            report = run_reprocess(store, rules)
            store.close()
    else:
        with RunLock(config.data_dir):
            from hsctwatch.store import open_store

            report = run_reprocess(open_store(config.store_url), rules)
    click.echo(f"{report.stories} item(s) checked: {len(report.newly_relevant)} newly relevant, "
               f"{len(report.dropped)} dropped")
    if report.newly_relevant:
        click.echo(f"  newly relevant: {', '.join(map(str, report.newly_relevant))}")
    if report.dropped:
        click.echo(f"  dropped: {', '.join(map(str, report.dropped))}")
    added = ", ".join(f"{slug} +{n}" for slug, n in sorted(report.tags_added.items()))
    removed = ", ".join(f"{slug} -{n}" for slug, n in sorted(report.tags_removed.items()))
    click.echo(f"  tags added: {added or 'none'}")
    click.echo(f"  tags removed: {removed or 'none'}")
    if not dry_run:
        built = _build(config)
        click.echo(f"feeds rebuilt ({built.items} items)")


@cli.command("eval")
@click.argument("corpus", type=click.Path(exists=True, file_okay=False, path_type=Path),
                default=Path("tests/corpus"))
@click.option("--mistakes", is_flag=True, help="List every case the rules get wrong.")
@pass_state
def eval_command(state: State, corpus: Path, mistakes: bool) -> None:
    """Precision, recall and F1 of relevance and of each tag facet on a labelled CORPUS
    (a folder of TOML files of [[case]] tables; default tests/corpus)."""
    from hsctwatch.evaluate import evaluate, load_corpus
    from hsctwatch.taxonomy import Rules

    result = evaluate(load_corpus(corpus), Rules.load(state.config.rules))
    click.echo(f"{result['cases']} labelled cases in {corpus}")
    rows = [("relevance", result["relevance"]), ("tags (micro)", result["tags"])]
    rows += [(f"  {facet}", figures) for facet, figures in result["facets"].items()]
    table = [(name, f"{f['precision']:.3f}", f"{f['recall']:.3f}", f"{f['f1']:.3f}") for name, f in rows]
    _print_table(("", "precision", "recall", "F1"), table)
    if mistakes:
        for line in result["mistakes"]:
            click.echo(f"- {line}")


# -- review ---------------------------------------------------------------------------------


@cli.group()
def review() -> None:
    """The editor's commands: list the queue, show an item, approve, reject, retag, merge, split.

    ITEM is an item's number (from `review list`), its guid, or any URL it was seen at.
    Decisions are recorded with who (the login name, or $HSCT_WATCH_EDITOR) and when, and the
    feeds are rebuilt at once.
    """


@review.command("list")
@click.option("--status", type=click.Choice(["new", "approved", "rejected", "all"]), default="new",
              show_default=True, help="Which items to list.")
@click.option("--tag", metavar="SLUG", help="Only items with this tag.")
@click.option("--source", metavar="NAME", help="Only items seen at this source.")
@click.option("--search", metavar="TEXT", help="Only items whose title or text contains TEXT.")
@click.option("--irrelevant", is_flag=True, help="Include items the rules found irrelevant.")
@click.option("--limit", type=int, default=50, show_default=True)
@pass_state
def review_list(state: State, status: str, tag: str | None, source: str | None, search: str | None,
                irrelevant: bool, limit: int) -> None:
    """The review queue, newest first, with the count per status."""
    from hsctwatch.review import list_items
    from hsctwatch.store import open_store

    rows, counts = list_items(open_store(state.config.store_url), status=status, tag=tag, source=source,
                              search=search, include_irrelevant=irrelevant, limit=limit)
    click.echo("  ".join(f"{name}: {count}" for name, count in counts.items()))
    table = [(str(r.id), r.status, f"{r.score:.2f}" + ("" if r.relevant else " (out)"), r.published,
              r.source, _short(r.title, 60), ",".join(r.tags)) for r in rows]
    _print_table(("item", "status", "score", "date", "source", "title", "tags"), table)


@review.command("show")
@click.argument("item")
@pass_state
def review_show(state: State, item: str) -> None:
    """An item: its copies, relevance reasons, and each tag with its evidence."""
    from hsctwatch.explain import describe

    click.echo(_review_call(lambda store: describe(store, item, state.config.feeds.publish)))


@review.command("approve")
@click.argument("items", nargs=-1, required=True)
@pass_state
def review_approve(state: State, items: tuple[str, ...]) -> None:
    """Approve items (published also when [feeds] publish = "approved")."""
    from hsctwatch.review import set_status

    done = _review_call(lambda store: set_status(store, items, "approved"))
    _rebuild(state, f"approved item(s) {', '.join(map(str, done))}")


@review.command("reject")
@click.argument("items", nargs=-1, required=True)
@pass_state
def review_reject(state: State, items: tuple[str, ...]) -> None:
    """Reject items: they leave the feeds and stay out, whatever later crawls find."""
    from hsctwatch.review import set_status

    done = _review_call(lambda store: set_status(store, items, "rejected"))
    _rebuild(state, f"rejected item(s) {', '.join(map(str, done))}")


@review.command("tag", context_settings={"ignore_unknown_options": True, "help_option_names": ["--help"]})
@click.argument("item")
@click.argument("changes", nargs=-1, required=True, type=click.UNPROCESSED)
@pass_state
def review_tag(state: State, item: str, changes: tuple[str, ...]) -> None:
    """Add (+slug) or remove (-slug) tags, e.g. `review tag 12 +ppms -rrms`."""
    from hsctwatch.review import ReviewError, retag
    from hsctwatch.taxonomy import Vocabulary

    add = [c[1:] for c in changes if c.startswith("+")]
    remove = [c[1:] for c in changes if c.startswith("-")]
    bad = [c for c in changes if not c.startswith(("+", "-"))]
    if bad:
        raise click.UsageError(f"write each change as +slug or -slug, not {bad[0]!r}")
    vocabulary = Vocabulary.load(state.config.rules)
    try:
        tags = _review_call(lambda store: retag(store, item, add, remove, vocabulary))
    except ReviewError as exc:
        raise click.UsageError(str(exc)) from None
    _rebuild(state, f"item {item} now has tags: {', '.join(tags) or '(none)'}")


@review.command("merge")
@click.argument("keep")
@click.argument("duplicate")
@pass_state
def review_merge(state: State, keep: str, duplicate: str) -> None:
    """Mark DUPLICATE as a copy of KEEP: one item, KEEP's guid, every copy listed."""
    from hsctwatch.review import merge

    kept = _review_call(lambda store: merge(store, keep, duplicate))
    _rebuild(state, f"merged {duplicate} into item {kept}")


@review.command("split")
@click.argument("item")
@click.argument("url")
@pass_state
def review_split(state: State, item: str, url: str) -> None:
    """Split the copy at URL off ITEM into an item of its own (not the same story after all)."""
    from hsctwatch.review import split

    new = _review_call(lambda store: split(store, item, url))
    _rebuild(state, f"split {url} off into new item {new}")


def _review_call(action: Any) -> Any:
    from hsctwatch.review import ReviewError
    from hsctwatch.store import open_store

    state = click.get_current_context().find_object(State)
    assert state is not None
    try:
        return action(open_store(state.config.store_url))
    except ReviewError as exc:
        click.echo(f"hsct-watch: {exc}", err=True)
        sys.exit(EXIT_USAGE)


def _rebuild(state: State, message: str) -> None:
    report = _build(state.config)
    click.echo(f"{message}; feeds rebuilt ({report.items} items)")


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# -- the review desk ----------------------------------------------------------------------------


@cli.command()
@click.option("--host", metavar="H", help="Address to listen on (default: [serve] host, 127.0.0.1). "
              "Use 0.0.0.0 only behind a reverse proxy with HTTPS.")
@click.option("--port", type=int, metavar="P", help="Port (default: [serve] port, 8480).")
@click.option("--threads", type=int, default=4, show_default=True, help="Worker threads.")
@pass_state
def serve(state: State, host: str | None, port: int | None, threads: int) -> None:
    """Serve the review desk and, under /feeds/, the feed folder.

    The feeds are public; everything else needs an editor's account (`hsct-watch users add`).
    Each decision rebuilds the feeds within seconds.
    """
    import logging

    from waitress import serve as waitress_serve  # type: ignore[import-untyped]

    from hsctwatch.store import open_store
    from hsctwatch.users import has_users
    from hsctwatch.web import create_app

    config = state.config
    host = host or config.serve.host
    port = port or config.serve.port
    store = open_store(config.store_url)
    app = create_app(config, store=store)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    click.echo(f"Review desk on http://{host}:{port}/  (feeds: http://{host}:{port}/feeds/)")
    if not has_users(store):
        click.echo("No editor accounts yet: create one with `hsct-watch users add NAME`.", err=True)
    if host not in ("127.0.0.1", "localhost", "::1") and not config.serve.behind_proxy:
        click.echo(f"Warning: listening on {host} without HTTPS; put a reverse proxy with HTTPS in "
                   "front and set [serve] behind_proxy = true.", err=True)
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="hsct-watch")
    except OSError as exc:
        click.echo(f"hsct-watch: cannot listen on {host}:{port} ({exc.strerror or exc})", err=True)
        sys.exit(EXIT_USAGE)


@cli.group()
def users() -> None:
    """Editors' accounts for the review desk (`hsct-watch serve`)."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@users.command("add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@pass_state
def users_add(state: State, name: str, password_stdin: bool) -> None:
    """Add an editor; the password is asked for (twice) and stored as an argon2 hash."""
    _set_password(state, name, password_stdin, new=True)
    click.echo(f"Added {name}. They can sign in at the review desk (`hsct-watch serve`).")


@users.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@pass_state
def users_passwd(state: State, name: str, password_stdin: bool) -> None:
    """Set a new password for an editor."""
    _set_password(state, name, password_stdin, new=False)
    click.echo(f"Password of {name} changed.")


def _set_password(state: State, name: str, from_stdin: bool, *, new: bool) -> None:
    from hsctwatch.store import open_store
    from hsctwatch.users import UserError, add_user, exists

    store = open_store(state.config.store_url)
    problem = ""
    if new and exists(store, name):
        problem = f"{name} already exists; use `hsct-watch users passwd {name}`"
    elif not new and not exists(store, name):
        problem = f"no user {name!r}"
    if not problem:
        try:
            add_user(store, name, _password(from_stdin), replace=not new)
        except UserError as exc:
            problem = str(exc)
    if problem:
        click.echo(f"hsct-watch: {problem}", err=True)
        sys.exit(EXIT_USAGE)


@users.command("list")
@pass_state
def users_list(state: State) -> None:
    """List the editors' accounts."""
    from hsctwatch.store import open_store
    from hsctwatch.users import list_users

    accounts = list_users(open_store(state.config.store_url))
    if not accounts:
        click.echo("No accounts. Add one with `hsct-watch users add NAME`.")
        return
    _print_table(("name", "added", "last sign-in"),
                 [(a.name, f"{a.created_at:%Y-%m-%d}", ago(a.last_login)) for a in accounts])


@users.command("remove")
@click.argument("name")
@pass_state
def users_remove(state: State, name: str) -> None:
    """Remove an editor's account; their sessions end at once. Their past decisions stay recorded."""
    from hsctwatch.store import open_store
    from hsctwatch.users import UserError, remove_user

    try:
        remove_user(open_store(state.config.store_url), name)
    except UserError as exc:
        click.echo(f"hsct-watch: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(f"Removed {name}.")


# -- demo -------------------------------------------------------------------------------------


@cli.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="Folder for the demo's config, store and feeds.")
@click.option("--port", type=int, default=8470, show_default=True,
              help="Port of the sample sites (on 127.0.0.2 and up).")
@click.option("--serve-only", is_flag=True,
              help="Only serve the sample sites until Ctrl-C (to rerun the demo config by hand).")
@click.option("-q", "--quiet", is_flag=True, help="Print only where the feeds are.")
def demo(directory: Path, port: int, serve_only: bool, quiet: bool) -> None:
    """Run the whole pipeline offline on the bundled sample sites.

    Starts the sample sites on loopback addresses, writes hsct-watch.toml into --dir,
    crawls them into a SQLite store there, and writes the feeds to --dir/public/.
    """
    from hsctwatch.samples.server import SampleSites

    try:
        sites = SampleSites(port=port).start()
    except OSError as exc:
        click.echo(f"hsct-watch: cannot serve the sample sites on port {port} ({exc.strerror}); "
                   "is a demo already serving? Use --port to choose another", err=True)
        sys.exit(EXIT_USAGE)
    with _closing(sites):
        if serve_only:
            click.echo("Serving the sample sites (Ctrl-C to stop):")
            for key, url in sites.urls.items():
                click.echo(f"  {key:10} {url}")
            _wait_forever()
            return
        directory.mkdir(parents=True, exist_ok=True)
        config_file = directory / "hsct-watch.toml"
        config_file.write_text(sites.config_toml(), encoding="utf-8")
        config = load_config(config_file)
        result = _locked(config, lambda: _crawl(config, (), "demo", quiet, False))
        report = _build(config)
    if not quiet:
        _print_summary(result)
    out = config.feeds_dir.resolve()
    click.echo(f"\nThe demo's feeds ({report.items} items, {report.tag_feeds} tag feeds) are in {out}/:")
    for name in ("index.html", "rss.xml", "atom.xml", "feed.json"):
        click.echo(f"  {out / name}")
    click.echo(f"\nTo run it again by hand: `hsct-watch demo --serve-only --port {port}` in one "
               f"terminal,\nthen `hsct-watch --config {config_file.resolve()} run` in another.")
    sys.exit(EXIT_SOURCE_FAILED if result.failed_sources else 0)


# -- helpers ----------------------------------------------------------------------------------


def _crawl(config: Config, sources: tuple[str, ...], command: str, quiet: bool,
           verbose: bool) -> RunResult:
    show_progress = not quiet and not verbose and sys.stderr.isatty()
    progress = _Progress() if show_progress else None
    try:
        return crawl(config, sources, command=command, verbose=verbose,
                     on_progress=progress.update if progress else None)
    finally:
        if progress:
            progress.done()


def _locked(config: Config, work: Any) -> Any:
    try:
        with RunLock(config.data_dir):
            return work()
    except AlreadyRunning as exc:
        click.echo(f"hsct-watch: {exc}", err=True)
        sys.exit(EX_TEMPFAIL)


def _build(config: Config) -> Any:
    from hsctwatch.publish import build_feeds

    return build_feeds(config)


class _Progress:
    """One line on stderr, rewritten in place: only used on a terminal."""

    def update(self, done: int, total: int, items: int) -> None:
        click.echo(f"\rcrawling: {done}/{total} sources done, {items} items processed ", err=True,
                   nl=False)

    def done(self) -> None:
        click.echo("\r" + " " * 60 + "\r", err=True, nl=False)


def _print_summary(result: RunResult) -> None:
    headers = ("source", "fetched", "new", "updated", "irrelevant", "duplicates", "errors", "")
    rows: list[tuple[str, ...]] = [
        (s.name, str(s.fetched), str(s.new), str(s.updated), str(s.irrelevant), str(s.duplicates),
         str(s.errors), "FAILED" if s.failed else "")
        for s in result.sources
    ]
    total = _totals(result.sources)
    rows.append(("total", *(str(v) for v in total), ""))
    _print_table(headers, rows)
    for s in result.sources:
        for message in s.messages:
            click.echo(f"! {s.name}: {message}")
    if result.failed_sources:
        names = ", ".join(s.name for s in result.failed_sources)
        click.echo(f"{len(result.failed_sources)} source(s) failed: {names}")


def _totals(sources: list[SourceSummary]) -> tuple[int, ...]:
    return tuple(sum(getattr(s, f) for s in sources)
                 for f in ("fetched", "new", "updated", "irrelevant", "duplicates", "errors"))


def _print_table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    numeric = [bool(rows) and all(_numeric(r[i]) for r in rows) for i in range(len(headers))]
    fmt = "  ".join(f"{{:{'>' if numeric[i] else '<'}{w}}}" for i, w in enumerate(widths))
    click.echo(fmt.format(*headers).rstrip())
    for row in rows:
        click.echo(fmt.format(*row).rstrip())


def _numeric(value: str) -> bool:
    return value.replace(".", "", 1).split(" ")[0].isdigit() or value == ""


def _wait_forever() -> None:
    import time

    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


class _closing:
    def __init__(self, sites: Any):
        self.sites = sites

    def __enter__(self) -> Any:
        return self.sites

    def __exit__(self, *exc: object) -> None:
        self.sites.stop()


def main() -> None:
    cli(prog_name="hsct-watch")
