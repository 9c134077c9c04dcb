"""The editor's commands: `review` (list, show, approve, reject, tag, merge, split), `users` and
`serve` (the review desk). Registered on the `hsct-watch` command by hsctwatch.cli."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from hsctwatch.console import (
    EXIT_USAGE,
    State,
    build,
    pass_state,
    print_problems,
    print_table,
    retrain,
    review_call,
    short,
)

if TYPE_CHECKING:
    from hsctwatch.stories.review import Row

# -- review ---------------------------------------------------------------------------------


@click.group()
def review() -> None:
    """The editor's commands: list the queue, show an item, approve, reject, retag, merge, split.

    ITEM is an item's number (from `review list`), its guid, or any URL it was seen at.
    Decisions are recorded with who (the login name, or $HSCT_WATCH_EDITOR) and when, and the
    feeds are rebuilt at once.
    """


@review.command("list")
@click.option("--status", type=click.Choice(["borderline", "new", "approved", "rejected", "all"]),
              default="new", show_default=True,
              help="Which items to list; borderline: near misses (just under the threshold) awaiting review.")
@click.option("--tag", metavar="SLUG", help="Only items with this tag.")
@click.option("--source", metavar="NAME", help="Only items seen at this source.")
@click.option("--search", metavar="TEXT", help="Only items whose title or text contains TEXT.")
@click.option("--lang", "language", metavar="CODE",
              help="Only items in this language (en, es, pt, ru, it, de …).")
@click.option("--irrelevant", is_flag=True, help="Include items the rules found irrelevant.")
@click.option("--limit", type=int, default=50, show_default=True)
@pass_state
def review_list(state: State, status: str, tag: str | None, source: str | None, search: str | None,
                language: str | None, irrelevant: bool, limit: int) -> None:
    """The review queue — near misses awaiting review first, then newest first — with the count per
    status."""
    from hsctwatch.stories.models import open_store
    from hsctwatch.stories.review import list_items

    rows, counts = list_items(open_store(state.config.store_url), status=status, tag=tag, source=source,
                              search=search, include_irrelevant=irrelevant, limit=limit,
                              language=(language or "").strip().lower() or None)
    click.echo("  ".join(f"{name}: {count}" for name, count in counts.items()))
    table = [(str(r.id), r.status, f"{r.score:.2f}" + _verdict(r), r.published,
              r.source, r.language or "?", short(r.title, 60), ",".join(r.tags)) for r in rows]
    print_table(("item", "status", "score", "date", "source", "lang", "title", "tags"), table)


def _verdict(row: Row) -> str:
    return "" if row.relevant else " (borderline)" if row.borderline else " (out)"


@review.command("show")
@click.argument("item")
@pass_state
def review_show(state: State, item: str) -> None:
    """An item: its copies, relevance reasons, and each tag with its evidence."""
    from hsctwatch.stories.explain import describe

    click.echo(review_call(lambda store: describe(store, item, state.config.feeds.publish)))


@review.command("approve")
@click.argument("items", nargs=-1, required=True)
@pass_state
def review_approve(state: State, items: tuple[str, ...]) -> None:
    """Approve items (published also when [feeds] publish = "approved")."""
    from hsctwatch.stories.review import set_status

    done = review_call(lambda store: set_status(store, items, "approved"), rebuilds=True)
    _rebuild(state, f"approved item(s) {', '.join(map(str, done))}")


@review.command("reject")
@click.argument("items", nargs=-1, required=True)
@pass_state
def review_reject(state: State, items: tuple[str, ...]) -> None:
    """Reject items: they leave the feeds and stay out, whatever later crawls find."""
    from hsctwatch.stories.review import set_status

    done = review_call(lambda store: set_status(store, items, "rejected"), rebuilds=True)
    _rebuild(state, f"rejected item(s) {', '.join(map(str, done))}")


@review.command("tag", context_settings={"ignore_unknown_options": True, "help_option_names": ["--help"]})
@click.argument("item")
@click.argument("changes", nargs=-1, required=True, type=click.UNPROCESSED)
@pass_state
def review_tag(state: State, item: str, changes: tuple[str, ...]) -> None:
    """Add (+slug) or remove (-slug) tags, e.g. `review tag 12 +ppms -rrms`."""
    from hsctwatch.rules import Vocabulary
    from hsctwatch.stories.review import ReviewError, retag

    add = [c[1:] for c in changes if c.startswith("+")]
    remove = [c[1:] for c in changes if c.startswith("-")]
    bad = [c for c in changes if not c.startswith(("+", "-"))]
    if bad:
        raise click.UsageError(f"write each change as +slug or -slug, not {bad[0]!r}")
    vocabulary = Vocabulary.load(state.config.rules)
    try:
        tags = review_call(lambda store: retag(store, item, add, remove, vocabulary), rebuilds=True)
    except ReviewError as exc:
        raise click.UsageError(str(exc)) from None
    _rebuild(state, f"item {item} now has tags: {', '.join(tags) or '(none)'}")


@review.command("merge")
@click.argument("keep")
@click.argument("duplicate")
@pass_state
def review_merge(state: State, keep: str, duplicate: str) -> None:
    """Mark DUPLICATE as a copy of KEEP: one item, KEEP's guid, every copy listed."""
    from hsctwatch.stories.review import merge

    kept = review_call(lambda store: merge(store, keep, duplicate), rebuilds=True)
    _rebuild(state, f"merged {duplicate} into item {kept}")


@review.command("split")
@click.argument("item")
@click.argument("url")
@pass_state
def review_split(state: State, item: str, url: str) -> None:
    """Split the copy at URL off ITEM into an item of its own (not the same story after all)."""
    from hsctwatch.stories.review import split

    new = review_call(lambda store: split(store, item, url), rebuilds=True)
    _rebuild(state, f"split {url} off into new item {new}")


def _rebuild(state: State, message: str) -> None:
    """After a decision: the feeds, and the learned model when enough decisions came since."""
    report = build(state.config)
    click.echo(f"{message}; feeds rebuilt ({report.items} items)")
    print_problems(report)
    retrain(state.config, decisions_only=True)




# -- the review desk ----------------------------------------------------------------------------


@click.command()
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

    from waitress import serve as waitress_serve  # type: ignore[import-untyped,unused-ignore]

    from hsctwatch.stories.models import open_store
    from hsctwatch.web import create_app
    from hsctwatch.web.users import has_users

    config = state.config
    host = host or config.serve.host
    port = port or config.serve.port
    store = open_store(config.store_url)
    app = create_app(config, store=store, proxy_fix=False)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    click.echo(f"Review desk on http://{host}:{port}/  (feeds: http://{host}:{port}/feeds/)")
    if not has_users(store):
        click.echo("No editor accounts yet: create one with `hsct-watch users add NAME`.", err=True)
    if host not in ("127.0.0.1", "localhost", "::1") and not config.serve.behind_proxy:
        click.echo(f"Warning: listening on {host} without HTTPS; put a reverse proxy with HTTPS in "
                   "front and set [serve] behind_proxy = true.", err=True)
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="hsct-watch",
                       **_proxy_settings(config.serve))
    except OSError as exc:
        click.echo(f"hsct-watch: cannot listen on {host}:{port} ({exc.strerror or exc})", err=True)
        sys.exit(EXIT_USAGE)


def _proxy_settings(serve: Any) -> dict[str, Any]:
    """Waitress's own handling of a reverse proxy's headers. By default waitress removes every
    X-Forwarded-* header before the app sees it; behind a proxy, it applies those of the proxy at
    ``[serve] trusted_proxy`` (one hop) and still removes them from anyone else, so the desk
    sees the client's address and scheme: a Secure cookie, a strict Referer check over HTTPS,
    sign-in limits per client rather than one bucket for all."""
    if not serve.behind_proxy:
        return {}
    return {
        "trusted_proxy": serve.trusted_proxy,
        "trusted_proxy_count": 1,
        "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
                                  "x-forwarded-port"},
        "clear_untrusted_proxy_headers": True,
    }


@click.group()
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
    from hsctwatch.stories.models import open_store
    from hsctwatch.web.users import UserError, add_user, exists

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
    from hsctwatch.dates import ago
    from hsctwatch.stories.models import open_store
    from hsctwatch.web.users import list_users

    accounts = list_users(open_store(state.config.store_url))
    if not accounts:
        click.echo("No accounts. Add one with `hsct-watch users add NAME`.")
        return
    print_table(("name", "added", "last sign-in"),
                 [(a.name, f"{a.created_at:%Y-%m-%d}", ago(a.last_login)) for a in accounts])


@users.command("remove")
@click.argument("name")
@pass_state
def users_remove(state: State, name: str) -> None:
    """Remove an editor's account; their sessions end at once. Their past decisions stay recorded."""
    from hsctwatch.stories.models import open_store
    from hsctwatch.web.users import UserError, remove_user

    try:
        remove_user(open_store(state.config.store_url), name)
    except UserError as exc:
        click.echo(f"hsct-watch: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(f"Removed {name}.")
