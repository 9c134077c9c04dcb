"""The `hsct-watch` command. Thin: each command parses its options, calls one library function,
and turns known errors into a one-line message and an exit status.

Exit status: 0 success; 1 the run finished but a source failed (feeds still written);
2 bad usage or bad config (nothing written); 69 the cluster's Redis cannot be reached, or no
worker runs; 74 the store or the feed folder can't be used — missing, damaged, locked,
unreachable, read-only, its schema too new, or its database driver not installed (nothing
written); 75 another run holds the lock.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hsctwatch import __version__
from hsctwatch.config import Config, ConfigError, load_config
from hsctwatch.console import (
    EXIT_SOURCE_FAILED,
    EXIT_UNUSABLE,
    EXIT_USAGE,
    Commands,
    State,
    build,
    check_outputs,
    pass_state,
    print_problems,
    print_table,
    review_call,
)
from hsctwatch.crawl.lock import EX_TEMPFAIL, AlreadyRunning, RunLock

if TYPE_CHECKING:  # the crawl's modules are imported by the commands that crawl
    from hsctwatch.crawl.runner import RunResult, SourceSummary


@click.group(cls=Commands,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
    Exits 1 when a source failed (the feeds are still written), 2 on a bad config, 74 when the
    store or the feed folder can't be used, 75 when another run is in progress.
    """
    config = state.config
    check_outputs(config)
    result = _locked(config, lambda: _crawl(config, (), "run", quiet, verbose, retrain_first=True))
    report = build(config)
    if not quiet or result.failed_sources:
        _print_summary(result)
        click.echo(f"feeds: {report.items} item(s) in {config.feeds_dir}/ "
                   f"(rss.xml, atom.xml, feed.json, {report.tag_feeds} tag feed(s); index.html to read)")
    print_problems(report)
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
    check_outputs(config)
    result = _locked(config, lambda: _crawl(config, sources, "crawl", quiet, verbose, retrain_first=True))
    if not quiet or result.failed_sources:
        _print_summary(result)
    sys.exit(EXIT_SOURCE_FAILED if result.failed_sources else 0)


@cli.command()
@pass_state
def feeds(state: State) -> None:
    """Build the feeds from the store only (no crawling)."""
    config = state.config
    check_outputs(config)
    report = build(config)
    click.echo(f"{report.items} item(s) written to {config.feeds_dir}/ "
               f"({report.tag_feeds} tag feed(s); {len(report.changed)} file(s) changed)")
    print_problems(report)


@cli.command()
@click.option("--dry-run", is_flag=True, help="Print each list's digest; send and record nothing.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing unless a list could not be sent (for cron).")
@pass_state
def digest(state: State, dry_run: bool, quiet: bool) -> None:
    """Email the stories published since the last digest, grouped by type ([digest] in the config).

    Each list (`to`, and each tag's list) gets the stories it has not had; what was sent is kept
    in the store, so none is sent twice and a failed send is retried next time. Exits 1 when a
    list could not be sent, 2 when [digest] is missing or the password is not set.
    """
    from hsctwatch.stories.digest import DigestError, prepare, send_digest
    from hsctwatch.stories.models import open_store

    config = state.config
    store = open_store(config.store_url)
    try:
        if dry_run:
            for d in prepare(config, store, datetime.now(UTC)):
                _print_digest(d.name, d.recipients, d.message)
            return
        with RunLock(config.data_dir, "hsct-watch-digest.lock"):
            report = send_digest(config, store)
    except DigestError as exc:
        click.echo(f"hsct-watch: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except AlreadyRunning as exc:
        click.echo(f"hsct-watch: {exc}", err=True)
        sys.exit(EX_TEMPFAIL)
    if not quiet or report.failed:
        for d in report.lists:
            click.echo(f"{'! ' if d.failed else ''}{d.name}: {d.outcome}")
    sys.exit(EXIT_SOURCE_FAILED if report.failed else 0)


def _print_digest(name: str, recipients: tuple[str, ...], message: Any) -> None:
    if message is None:
        click.echo(f"{name}: nothing new since the last digest\n")
        return
    html = message.get_body(("html",)).get_content()
    click.echo(f"=== {name} → {', '.join(recipients)} (dry run: not sent, not recorded)")
    for header in ("From", "To", "Subject"):
        click.echo(f"{header}: {message[header]}")
    click.echo(f"(and an HTML version of {len(html.encode('utf-8')):,} bytes)\n")
    click.echo(message.get_body(("plain",)).get_content())


# -- sources ----------------------------------------------------------------------------------


@cli.command()
@pass_state
def sources(state: State) -> None:
    """List the configured sources with their health (last run, items, errors)."""
    from hsctwatch.crawl.health import source_health
    from hsctwatch.dates import ago

    config = state.config
    rows = source_health(config)
    headers = ("source", "kind", "enabled", "last run", "new", "items", "errors", "last item")
    table = [
        (r.name, r.kind, "yes" if r.enabled else "no", ago(r.last_run), str(r.last_new),
         str(r.total_items), str(r.last_errors), ago(r.last_item))
        for r in rows
    ]
    print_table(headers, table)
    for r in rows:
        for warning in r.warnings:
            click.echo(f"! {r.name}: {warning}")


@cli.command()
@click.argument("item")
@pass_state
def explain(state: State, item: str) -> None:
    """Why ITEM (a number, guid or URL) is in or out of the feeds, and why it has each tag."""
    from hsctwatch.stories.explain import describe

    click.echo(review_call(lambda store: describe(store, item, state.config.feeds.publish)))


@cli.command()
@click.option("--dry-run", is_flag=True, help="Report what would change, and change nothing.")
@pass_state
def reprocess(state: State, dry_run: bool) -> None:
    """Re-run relevance and tags over every stored item after the rules changed.

    Editors' decisions (status, tags they added or removed, merges, splits) are kept.
    Reports what changed, then rebuilds the feeds.
    """
    from hsctwatch.rules import Rules
    from hsctwatch.stories.learning import learned_for
    from hsctwatch.stories.models import open_store
    from hsctwatch.stories.reprocess import reprocess as with_rules

    config = state.config
    if dry_run:
        open_store(config.store_url)  # one that can't be used is one line (status 74), before anything
    else:
        check_outputs(config)  # the store and the feed folder it rebuilds, before anything
    try:
        rules = Rules.load(config.rules)
        rules.check_languages()
    except ValueError as exc:
        click.echo(f"hsct-watch: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    if not dry_run:
        check_outputs(config)
    store = open_store(config.store_url)  # one that can't be used is one line (status 74), first
    focus = {s.name: s.focus for s in config.sources if s.focus}
    learned = learned_for(config, rules)
    if learned.note:
        click.echo(f"learned model not used: {learned.note}")
    run_reprocess = partial(with_rules, learned=learned, margin=config.review.borderline_margin,
                            focus=focus)
    if dry_run:  # nothing is written, so crawls and the desk may go on meanwhile
        report = run_reprocess(store, rules, dry_run=True)
    else:
        with RunLock(config.data_dir):
            report = run_reprocess(store, rules)
    click.echo(f"{report.stories} item(s) checked: {len(report.newly_relevant)} newly relevant, "
               f"{len(report.dropped)} dropped")
    if report.newly_relevant:
        click.echo(f"  newly relevant: {', '.join(map(str, report.newly_relevant))}")
    if report.dropped:
        click.echo(f"  dropped: {', '.join(map(str, report.dropped))}")
    added = ", ".join(f"{slug} +{n}" for slug, n in sorted(report.tags_added.items()))
    removed = ", ".join(f"{slug} -{n}" for slug, n in sorted(report.tags_removed.items()))
    click.echo(f"  borderline (near misses for an editor): {report.borderline}")
    click.echo(f"  tags added: {added or 'none'}")
    click.echo(f"  tags removed: {removed or 'none'}")
    if not dry_run:
        built = build(config)
        click.echo(f"feeds rebuilt ({built.items} items)")
        print_problems(built)


@cli.command("eval")
@click.argument("corpus", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--mistakes", is_flag=True,
              help="List every case the rules get wrong, and what the model changed.")
@click.option("--rules-only", is_flag=True, help="Leave out the comparison with the learned model.")
@click.option("--folds", type=click.IntRange(2, 50), default=10, show_default=True,
              help="Cross-validation folds for the learned model.")
@pass_state
def eval_command(state: State, corpus: tuple[Path, ...], mistakes: bool, rules_only: bool,
                 folds: int) -> None:
    """Precision, recall and F1 of relevance and of each tag facet on labelled CORPUS folders
    (TOML files of [[case]] tables; default tests/corpus); then relevance by the rules alone and
    combined with the learned model, cross-validated: each case is scored by a model trained on
    the other folds, never on itself. A blind batch (a folder such as blind/en-3) is scored by a
    model trained on the other folders (leave one batch out); a held-out one (blind/de-2) is
    never trained on."""
    from hsctwatch.rules import Rules
    from hsctwatch.rules.evaluate import evaluate, load_corpus

    folders = corpus or (Path("tests/corpus"),)
    try:
        groups = {str(folder): load_corpus(folder) for folder in folders}
        rules = Rules.load(state.config.rules)
        rules.check_languages()
        result = evaluate([c for cases in groups.values() for c in cases], rules)
    except ValueError as exc:
        click.echo(f"hsct-watch: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(f"{result['cases']} labelled cases in {', '.join(groups)}")
    rows = [("relevance", result["relevance"]), ("tags (micro)", result["tags"])]
    rows += [(f"  {facet}", figures) for facet, figures in result["facets"].items()]
    table = [(name, f"{f['precision']:.3f}", f"{f['recall']:.3f}", f"{f['f1']:.3f}") for name, f in rows]
    print_table(("", "precision", "recall", "F1"), table)
    if len(result["languages"]) > 1 or set(result["languages"]) - {"en"}:
        click.echo("\nper language:")
        print_table(("language", "cases", "relevance P", "relevance R", "tags P", "tags R", "tags F1"), [
            (code, str(f["cases"]), f"{f['relevance']['precision']:.3f}", f"{f['relevance']['recall']:.3f}",
             f"{f['tags']['precision']:.3f}", f"{f['tags']['recall']:.3f}", f"{f['tags']['f1']:.3f}")
            for code, f in result["languages"].items()])
    if mistakes:
        for line in result["mistakes"]:
            click.echo(f"- {line}")
    if not rules_only:
        _eval_learned(state.config, groups, rules, folds, mistakes)


def _eval_learned(config: Config, groups: dict[str, Any], rules: Any, folds: int, mistakes: bool) -> None:
    from hsctwatch.rules.crossval import cross_validate
    from hsctwatch.rules.learned import blind_batch, held_out

    held = [name for name in groups if held_out(name)]
    apart = [name for name in groups if blind_batch(name) and name not in held]
    try:
        cv = cross_validate(groups, rules, weight=config.model.weight, folds=folds, held=held)
    except ValueError as exc:
        click.echo(f"hsct-watch: no comparison with the learned model: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    state = "on" if config.model.enabled else "off"
    click.echo(f"\nRelevance, rules alone and combined with the learned model (weight {cv.weight:.2f}, "
               f"{state} in the config), {cv.folds}-fold cross-validated over {cv.trained_on} cases"
               + (f"; {', '.join(apart)} each scored by a model trained without it" if apart else "")
               + (f"; {', '.join(held)} held out" if held else "") + ":")
    table = [(name + (" (held out)" if name in held else " (left out)" if name in apart else ""), str(cases),
              *(f"{v:.3f}" for v in (a.precision, a.recall, a.f1, b.precision, b.recall, b.f1)))
             for name, cases, a, b in cv.rows]
    print_table(("", "cases", "rules P", "rules R", "rules F1", "combined P", "combined R", "combined F1"),
                table)
    if mistakes:
        for line in cv.changes:
            click.echo(f"- {line}")
    facets = sorted({f for _, alone, _ in cv.tag_rows for f in alone} - {"micro"})
    click.echo("\nTags (F1 on the relevant cases), rules alone and with the tag models, scored the same way:")
    columns = ("micro", *facets)

    def cells(figures: dict[str, Any]) -> list[str]:
        return [f"{figures[f].f1:.3f}" if f in figures else "—" for f in columns]

    rows = [row for name, alone, both in cv.tag_rows
            for row in ((name, "rules", *cells(alone)), ("", "combined", *cells(both)))]
    print_table(("", "", *columns), rows)
    if mistakes:
        for line in cv.tag_changes:
            click.echo(f"- {line}")


@cli.command()
@pass_state
def train(state: State) -> None:
    """Train the learned model on the labelled corpus and the editors' decisions, and save it
    ([model] path, beside the store).

    It also retrains on its own: before a crawl when it is missing or was made beside other
    rules, and after [model] retrain_after new decisions.
    """
    from hsctwatch.stories.learning import train as train_model
    from hsctwatch.stories.models import open_store

    config = state.config
    try:
        report = train_model(config, open_store(config.store_url))
    except ValueError as exc:
        click.echo(f"hsct-watch: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(report.line())
    if not config.model.enabled:
        click.echo("The model is off in the config ([model] enabled = false): the rules decide alone.")


@cli.command()
@click.option("--once", is_flag=True, help="Take part in one run, then stop.")
@pass_state
def worker(state: State, once: bool) -> None:
    """Crawl for a cluster: wait for runs on the [cluster] redis queue and crawl every source
    they announce, until stopped. Run one or more on each crawler machine (deploy/cluster/)."""
    from hsctwatch.crawl.cluster_run import work

    config = state.config
    if not config.cluster.redis:
        click.echo("hsct-watch: `worker` needs a cluster: set [cluster] redis in the config", err=True)
        sys.exit(EXIT_USAGE)
    work(config, once=once, echo=lambda line: click.echo(line, err=True))


# -- db ---------------------------------------------------------------------------------------


@cli.group()
def db() -> None:
    """The store's schema. Opening a store upgrades it too; this does it on purpose, once
    (before starting a cluster's workers, say)."""


@db.command("upgrade")
@pass_state
def db_upgrade(state: State) -> None:
    """Bring the store's schema to this version's newest revision, in place."""
    from hsctwatch.stories.models import Store, safe_url

    store = Store(state.config.store_url, upgrade=False)
    before, after = store.upgrade()
    store.close()
    where = safe_url(state.config.store_url)
    if before == after:
        click.echo(f"{where}: schema already at revision {after}")
    else:
        click.echo(f"{where}: schema upgraded from {_revision(before)} to revision {after}")


@db.command("current")
@pass_state
def db_current(state: State) -> None:
    """Show the store's schema revision and this version's newest."""
    from hsctwatch.stories import migrations
    from hsctwatch.stories.models import Store, safe_url

    store = Store(state.config.store_url, upgrade=False)
    store.close()
    click.echo(f"{safe_url(state.config.store_url)}: schema at {_revision(store.revision)}; "
               f"this version's newest is {migrations.head()}")


def _revision(revision: str | None) -> str:
    return f"revision {revision}" if revision else "0.1.0 (before migrations) or empty"


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
        check_outputs(config)
        result = _locked(config, lambda: _crawl(config, (), "demo", quiet, False, retrain_first=True))
        report = build(config)
    if not quiet:
        _print_summary(result)
    out = config.feeds_dir.resolve()
    click.echo(f"\nThe demo's feeds ({report.items} items, {report.tag_feeds} tag feeds) are in {out}/:")
    for name in ("index.html", "rss.xml", "atom.xml", "feed.json"):
        click.echo(f"  {out / name}")
    click.echo(f"Open index.html in a browser to read them; `hsct-watch --config {config_file.resolve()} "
               f"serve`\npublishes the folder at {config.feeds.base_url}, the address its feeds give.")
    click.echo(f"\nTo run it again by hand: `hsct-watch demo --serve-only --port {port}` in one "
               f"terminal,\nthen `hsct-watch --config {config_file.resolve()} run` in another.")
    sys.exit(EXIT_SOURCE_FAILED if result.failed_sources else 0)


# -- helpers ----------------------------------------------------------------------------------


def _crawl(config: Config, sources: tuple[str, ...], command: str, quiet: bool,
           verbose: bool, *, retrain_first: bool = False) -> RunResult:
    """The crawl, under the caller's lock; first the learned model is retrained if it is due, so
    that the crawl judges with it (by the crawl's process: hsctwatch.crawl.runner.crawl)."""
    from hsctwatch.crawl.runner import crawl

    # a rules file that is TOML but not rules is said in one line by the crawl's process (the
    # retraining before it trains on no such rules): not compiled here as well
    show_progress = not quiet and not verbose and sys.stderr.isatty()
    progress = _Progress() if show_progress else None
    try:
        result = crawl(config, sources, command=command, verbose=verbose,
                       on_progress=progress.update if progress else None,
                       retrain=retrain_first, quiet=quiet, echo=click.echo)
    finally:
        if progress:
            progress.done()
    if result.returncode in (EXIT_USAGE, EXIT_UNUSABLE):
        sys.exit(result.returncode)  # the crawl process has said why, in one line
    return result


def _locked(config: Config, work: Any) -> Any:
    try:
        with RunLock(config.data_dir):
            return work()
    except AlreadyRunning as exc:
        click.echo(f"hsct-watch: {exc}", err=True)
        sys.exit(EX_TEMPFAIL)


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
    print_table(headers, rows)
    for s in result.sources:
        for message in s.messages:
            click.echo(f"! {s.name}: {message}")
    if result.failed_sources:
        names = ", ".join(s.name for s in result.failed_sources)
        click.echo(f"{len(result.failed_sources)} source(s) failed: {names}")


def _totals(sources: list[SourceSummary]) -> tuple[int, ...]:
    return tuple(sum(getattr(s, f) for s in sources)
                 for f in ("fetched", "new", "updated", "irrelevant", "duplicates", "errors"))


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


def _add_desk_commands() -> None:
    from hsctwatch.web.commands import review, serve, users

    for command in (review, serve, users):
        cli.add_command(command)


_add_desk_commands()


def main() -> None:
    cli(prog_name="hsct-watch")
