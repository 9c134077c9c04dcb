"""What the command line's modules share: the config as commands load it, exit statuses, tables."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from hsctwatch.config import Config, ConfigError, load_config

EXIT_SOURCE_FAILED = 1
EXIT_USAGE = 2  # bad usage or bad config: nothing was written
EXIT_CLUSTER = 69  # the cluster's Redis cannot be reached, or no worker runs; sysexits' EX_UNAVAILABLE
EXIT_STORE = 73  # the store cannot be used (its server is down, its schema too new); sysexits' EX_CANTCREAT


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


def build(config: Config) -> Any:
    from hsctwatch.stories.publish import build_feeds

    return build_feeds(config)


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


def review_call(action: Any) -> Any:
    """`action(store)` on the config's store; an editor's mistake (ReviewError) is one line, exit 2."""
    from hsctwatch.stories.models import open_store
    from hsctwatch.stories.review import ReviewError

    state = click.get_current_context().find_object(State)
    assert state is not None
    try:
        return action(open_store(state.config.store_url))
    except ReviewError as exc:
        click.echo(f"hsct-watch: {exc}", err=True)
        sys.exit(EXIT_USAGE)
