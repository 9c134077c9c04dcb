"""What the command line's modules share: the config as commands load it, exit statuses, the
one-line report of a store or feed folder that can't be used, tables."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from hsctwatch.config import Config, ConfigError, load_config

EXIT_SOURCE_FAILED = 1
EXIT_USAGE = 2  # bad usage or bad config: nothing was written
EXIT_CLUSTER = 69  # the cluster's Redis cannot be reached, or no worker runs; sysexits' EX_UNAVAILABLE
EXIT_UNUSABLE = 74  # sysexits.h EX_IOERR: the store or the feed folder can't be used


class Commands(click.Group):
    """The `hsct-watch` group: a store or feed folder that can't be used — missing, damaged,
    locked, unreachable, read-only, its schema too new, its driver not installed — ends any
    command with one line naming it and the fix, and exit status 74, never a traceback; a
    cluster that can't be reached, with one line and exit status 69."""

    def invoke(self, ctx: click.Context) -> Any:
        from hsctwatch.crawl.coordination import ClusterUnavailable

        try:
            return super().invoke(ctx)
        except ClusterUnavailable as exc:
            click.echo(f"hsct-watch: {exc}", err=True)
            sys.exit(EXIT_CLUSTER)
        except Exception as exc:
            message = _unusable(ctx, exc)
            if message is None:
                raise
            click.echo(f"hsct-watch: {message}", err=True)
            sys.exit(EXIT_UNUSABLE)


def _unusable(ctx: click.Context, exc: Exception) -> str | None:
    """The line for an exception that says the store or the feed folder can't be used, else None.
    (Imported here, when it happens: `hsct-watch --help` need not load SQLAlchemy.)"""
    from sqlalchemy.exc import DatabaseError

    from feeds.folder import FeedFolderError
    from hsctwatch.stories.models import StoreError, describe_store_error

    if isinstance(exc, (StoreError, FeedFolderError)):
        return str(exc)
    state = ctx.find_object(State)
    if isinstance(exc, DatabaseError) and state is not None and state.loaded is not None:
        config = state.loaded
        return describe_store_error(config.store_url, exc, config.store.wait_seconds)
    return None


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
            from hsctwatch.stories.settings import configure_stores

            configure_stores(wait_seconds=self._config.store.wait_seconds)
        return self._config

    @property
    def loaded(self) -> Config | None:
        """The config if a command has loaded it."""
        return self._config


pass_state = click.make_pass_decorator(State)


def build(config: Config) -> Any:
    from hsctwatch.stories.publish import build_feeds

    return build_feeds(config)


def print_problems(report: Any) -> None:
    """What went wrong after the feeds were written (a hub that refused its ping), a line each."""
    for message in report.messages:
        click.echo(f"! {message}")
def retrain(config: Config, *, quiet: bool = False, decisions_only: bool = False) -> None:
    """Retrain the learned model when it is due (hsctwatch.stories.learning.due), saying so in
    one line unless ``quiet``; a failure leaves the rules to decide alone."""
    from hsctwatch.rules import Rules
    from hsctwatch.stories.learning import due, train
    from hsctwatch.stories.models import open_store

    store = open_store(config.store_url)
    try:
        reason = due(config, store, decisions_only=decisions_only)
        if reason:  # the rules are compiled (about a second) only to train with them
            Rules.load(config.rules)
    except ValueError:
        return  # a rules file that can't be read: the crawl says so, in one line
    if not reason:
        return
    try:
        report = train(config, store, reason)
    except ValueError as exc:
        if not quiet:
            click.echo(f"learned model not trained: {exc}; the rules decide alone")
        return
    if not quiet:
        click.echo(report.line())


def check_outputs(config: Config) -> None:
    """Before a command changes anything: the feed folder can be written and the store opened
    (else one line and exit 74, with nothing created or changed). A SQLite store that opens as
    it is is checked without SQLAlchemy, as `feeds` reads it (hsctwatch.stories.reading)."""
    from feeds.folder import check_feed_folder
    from hsctwatch.stories.reading import SqliteReader
    from hsctwatch.stories.settings import WAIT

    check_feed_folder(config.feeds_dir)
    reader = SqliteReader.open(config.store_url, WAIT["seconds"])
    if reader is not None:
        reader.close()
        return
    from hsctwatch.stories.models import open_store

    open_store(config.store_url)


def print_table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    numeric = [bool(rows) and all(_is_number(r[i]) for r in rows) for i in range(len(headers))]
    fmt = "  ".join(f"{{:{'>' if numeric[i] else '<'}{w}}}" for i, w in enumerate(widths))
    click.echo(fmt.format(*headers).rstrip())
    for row in rows:
        click.echo(fmt.format(*row).rstrip())


def _is_number(value: str) -> bool:
    return value.replace(".", "", 1).split(" ")[0].isdigit() or value == ""


def short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def review_call(action: Any, *, rebuilds: bool = False) -> Any:
    """`action(store)` on the config's store; an editor's mistake (ReviewError) is one line, exit 2.

    ``rebuilds``: the action is a decision the feeds follow, so the feed folder must be writable
    before the decision is stored."""
    from hsctwatch.stories.models import open_store
    from hsctwatch.stories.review import ReviewError

    state = click.get_current_context().find_object(State)
    assert state is not None
    if rebuilds:
        check_outputs(state.config)
    try:
        return action(open_store(state.config.store_url))
    except ReviewError as exc:
        click.echo(f"hsct-watch: {exc}", err=True)
        sys.exit(EXIT_USAGE)
