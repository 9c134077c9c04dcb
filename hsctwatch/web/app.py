"""The editor's desk: one Flask app that serves the review queue, the items, the sources page and,
under /feeds/, the published feed folder.

Security, in one place:
- every page but /login, /feeds/ and /static/ needs a signed-in editor (GET: redirect to the login
  page; any other method: 401);
- the session cookie is signed (HttpOnly, SameSite=Lax, Secure when the request came over HTTPS)
  and names a session kept in the store, which signing out, a new password and removing the
  account delete: a copied cookie is worth nothing after that; sessions expire after
  ``[serve] session_hours``;
- after signing in, only a path on this site is a place to go (no open redirects);
- /feeds/ serves the feed files only (never a dot-file, the store or the config);
- behind a reverse proxy (``[serve] behind_proxy``), waitress believes X-Forwarded-For/-Proto
  from the proxy's address only (``[serve] trusted_proxy``; hsctwatch.web.commands.serve), so
  the cookie is Secure, the Referer is checked strictly and sign-in limits are per client;
- every form carries a CSRF token (Flask-WTF); a POST without a valid one is refused with 400;
- login attempts are rate-limited per address and per name (Flask-Limiter);
- scraped text is escaped by the templates (autoescape) and links to anything but http(s) are
  neutralised; a Content-Security-Policy forbids inline scripts, so even a missed escape is inert.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import (
    Flask,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

from hsctwatch.config import Config
from hsctwatch.crawl.health import source_health
from hsctwatch.dates import ago
from hsctwatch.rules import Vocabulary
from hsctwatch.stories.explain import language_line, split_reasons
from hsctwatch.stories.models import MAX_ID, STATUSES, Decision, Store, Story, is_published, open_store
from hsctwatch.stories.review import (
    BORDERLINE,
    ReviewError,
    edit,
    list_items,
    merge,
    queue_ids,
    retag,
    set_status,
    split,
)
from hsctwatch.web.charts import run_chart
from hsctwatch.web.rebuild import FeedRebuilder
from hsctwatch.web.render import Mark, paragraphs, safe_href
from hsctwatch.web.users import authenticate, end_session, session_user, start_session

log = logging.getLogger(__name__)

PAGE_SIZE = 50
QUEUE_STATUSES = (BORDERLINE, *STATUSES, "all")  # the queue's tabs
SECRET_FILE = ".hsct-watch-secret"
PUBLIC_ENDPOINTS = {"login", "feeds", "static"}
ITEM = f"int(max={MAX_ID})"  # an item number in a route: a bigger one is a 404, not a 500
MAX_PAGE = 100_000
#: What /feeds/ serves: the feeds, the tag and language feeds, the OPML list, the index and the
#: site's pages — names the writer makes; never a dot-file (the desk's key, a temp file), the
#: store, the config or the log, whatever else is in the folder.
FEED_FILE = re.compile(r"^(?:[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9_-]+)*\.(?:xml|json|html|opml|css)"
                       r"|(?:tags|lang)/[a-z0-9][a-z0-9_-]*\.(?:xml|html))$")
FEED_TYPES = {
    "atom.xml": "application/atom+xml; charset=utf-8",
    "feed.json": "application/feed+json; charset=utf-8",
}
#: The rest of the folder by suffix: RSS feeds, the readable site and the OPML list of feeds.
SUFFIX_TYPES = {
    ".xml": "application/rss+xml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
}
#: The site's pages need nothing but their stylesheet.
SITE_CSP = ("default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def secret_key(data_dir: Path) -> bytes:
    """The key that signs the desk's cookies: made once per installation, kept beside the store
    and readable by its owner only. Deleting the file signs every editor out."""
    path = Path(data_dir) / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as f:
        f.write(key.hex())
    return key


class _SessionInterface(SecureCookieSessionInterface):
    """Signed cookie sessions whose Secure flag follows the request: set over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def create_app(config: Config, *, store: Store | None = None, rebuild: bool = True,
               proxy_fix: bool = True) -> Flask:
    """The desk for ``config``'s store and feed folder.

    ``rebuild=False`` leaves the feeds alone after decisions (for a read-only look at a store).
    ``proxy_fix=False``: the WSGI server itself applies the proxy's X-Forwarded-* headers (as
    `hsct-watch serve` has waitress do); otherwise, with ``[serve] behind_proxy``, werkzeug's
    ProxyFix does, trusting one proxy in front.
    """
    app = Flask(__name__)
    store = store or open_store(config.store_url)
    vocabulary = Vocabulary.load(config.rules)  # tags and labels; the desk applies no rules
    app.config.update(
        SECRET_KEY=secret_key(config.data_dir),
        SESSION_COOKIE_NAME="hsct_watch_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=False,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=config.serve.session_hours),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        WTF_CSRF_SSL_STRICT=True,
        MAX_CONTENT_LENGTH=256 * 1024,
        COMPRESS_MIMETYPES=[
            "text/html", "text/css", "text/javascript", "application/javascript", "application/json",
            "application/xml", "text/xml", "application/rss+xml", "application/atom+xml",
            "application/feed+json",
        ],
        COMPRESS_ALGORITHM=["gzip"],
        COMPRESS_MIN_SIZE=500,
    )
    app.session_interface = _SessionInterface()
    if config.serve.behind_proxy and proxy_fix:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    CSRFProtect(app)
    Compress(app)
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", default_limits=[],
                      headers_enabled=True)

    def build() -> object:
        """The feeds after a decision; then the learned model, if enough decisions came since."""
        from hsctwatch.stories.learning import retrain_if_due
        from hsctwatch.stories.publish import build_feeds

        report = build_feeds(config)
        for message in report.messages:  # a hub that refused its ping: the feeds are written
            log.warning("after rebuilding the feeds: %s", message)
        try:
            trained = retrain_if_due(config, store, decisions_only=True)
        except ValueError as exc:
            log.warning("the learned model was due for retraining but was not retrained: %s", exc)
        else:
            if trained is not None:
                log.info("%s", trained.line())
        return report

    rebuilder = FeedRebuilder(build) if rebuild else None
    app.extensions["hsctwatch"] = {"store": store, "vocabulary": vocabulary, "rebuilder": rebuilder,
                                   "config": config}
    feeds_dir = config.feeds_dir.resolve()
    publish = config.feeds.publish
    facets = vocabulary.facets

    # -- every request ----------------------------------------------------------------------------

    hours = config.serve.session_hours

    @app.before_request
    def require_login() -> Response | None:
        key = session.get("sid")
        g.user = session_user(store, key, hours) if isinstance(key, str) else None
        if key and g.user is None:
            session.clear()  # signed out, expired, a new password, or the account removed
        if g.user or request.endpoint in PUBLIC_ENDPOINTS:
            return None
        if request.method in ("GET", "HEAD"):
            return redirect(url_for("login", next=request.full_path.rstrip("?")))
        abort(401)

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "feeds":
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.context_processor
    def helpers() -> dict[str, Any]:
        return {"safe_href": safe_href, "user": g.get("user"), "statuses": STATUSES, "tabs": QUEUE_STATUSES,
                "rebuilder": rebuilder, "publish_mode": publish}

    @app.template_filter("when")
    def when(value: datetime | None) -> str:
        return f"{value:%Y-%m-%d %H:%M} UTC" if value else "—"

    app.add_template_filter(ago, "ago")

    # -- errors -----------------------------------------------------------------------------------

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[str, int]:
        return render_template("error.html", code=400, title="Form refused",
                               message="This form has expired or did not come from this desk. "
                                       "Go back, reload the page and try again."), 400

    @app.errorhandler(RateLimitExceeded)
    def too_many(exc: RateLimitExceeded) -> tuple[str, int]:
        return render_template("error.html", code=429, title="Too many attempts",
                               message="Too many sign-in attempts. Wait a minute and try again."), 429

    @app.errorhandler(401)
    def unauthorized(exc: Exception) -> tuple[str, int]:
        return render_template("error.html", code=401, title="Sign in first",
                               message="Sign in to use the review desk."), 401

    @app.errorhandler(404)
    def not_found(exc: Exception) -> tuple[str, int]:
        return render_template("error.html", code=404, title="Not found",
                               message="There is nothing here."), 404

    # -- signing in -------------------------------------------------------------------------------

    def _login_name() -> str:
        return "name:" + request.form.get("name", "").strip().lower()

    @app.route("/login", methods=["GET", "POST"])
    @limiter.limit("10 per minute;60 per hour", methods=["POST"])
    @limiter.limit("5 per minute;30 per hour", methods=["POST"], key_func=_login_name)
    def login() -> Any:
        target = _local(request.values.get("next", ""))
        if request.method == "POST":
            name = request.form.get("name", "").strip()
            if authenticate(store, name, request.form.get("password", "")):
                session.clear()
                session.permanent = True
                session["sid"] = start_session(store, name, hours)
                log.info("editor %s signed in from %s", name, request.remote_addr)
                return redirect(target or url_for("queue"))
            log.warning("failed sign-in for %r from %s", name, request.remote_addr)
            flash("Wrong name or password.", "error")
            return render_template("login.html", next=target, name=name), 401
        return render_template("login.html", next=target, name="")

    @app.post("/logout")
    def logout() -> Response:
        end_session(store, session["sid"])  # the cookie, wherever it is copied, is worth nothing now
        session.clear()
        flash("Signed out.", "info")
        return redirect(url_for("login"))

    # -- the queue --------------------------------------------------------------------------------

    def _filters() -> dict[str, Any]:
        status = request.args.get("status", "new")
        return {
            "status": status if status in QUEUE_STATUSES else "new",
            "tag": request.args.get("tag") or None,
            "source": request.args.get("source") or None,
            "search": (request.args.get("q") or "").strip()[:200] or None,
            "include_irrelevant": request.args.get("irrelevant") == "1",
            "language": (request.args.get("lang") or "").strip().lower()[:12] or None,
        }

    def _query_string(filters: dict[str, Any], **extra: Any) -> str:
        args = {"status": filters["status"], "tag": filters["tag"] or "",
                "source": filters["source"] or "", "q": filters["search"] or "",
                "irrelevant": "1" if filters["include_irrelevant"] else "", "lang": filters["language"] or "",
                **extra}
        return urlencode({k: v for k, v in args.items() if v not in ("", None)})

    @app.get("/")
    def queue() -> str:
        filters = _filters()
        page = max(1, request.args.get("page", 1, type=int) or 1)
        if page > MAX_PAGE:
            abort(404)
        rows, counts = list_items(store, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, **filters)
        selected = max(0, min(request.args.get("sel", 0, type=int) or 0, max(len(rows) - 1, 0)))
        return render_template(
            "queue.html", rows=rows, counts=counts, filters=filters, page=page, page_size=PAGE_SIZE,
            qs=_query_string(filters), qs_for=lambda **kw: _query_string(filters, **kw),
            selected=selected, facets=facets, sources=[s.name for s in config.sources],
            label=vocabulary.display, languages=vocabulary.languages,
        )

    # -- an item ----------------------------------------------------------------------------------

    @app.get(f"/item/<{ITEM}:item_id>")
    def item(item_id: int) -> str:
        filters = _filters()
        with store.session() as s:
            article = s.scalars(
                select(Story).where(Story.id == item_id).options(
                    selectinload(Story.copies), selectinload(Story.tags), selectinload(Story.edit))
            ).first()
            if article is None:
                abort(404)
            decisions = s.scalars(select(Decision).where(Decision.article_id == item_id)
                                  .order_by(Decision.at.desc())).all()
            reasons, model_reasons = split_reasons(list(article.relevance_reasons or []))
            marks = [Mark(e.get("phrase", ""), t.slug, t.facet)
                     for t in article.tags if t.origin != "removed" for e in (t.evidence or [])]
            view = {
                "article": article,
                "title": paragraphs(article.title, marks)[0] if article.title else "",
                "text": paragraphs(article.text, marks),
                "tags": sorted((t for t in article.tags), key=lambda t: (t.facet, t.slug)),
                "copies": list(article.copies),
                "reasons": reasons,
                "model_reasons": model_reasons,
                "decisions": decisions,
                "published": is_published(article, publish),
                "language": language_line(article),
            }
        ids = queue_ids(store, **filters)
        prev_id, next_id = _neighbours(ids, item_id)
        position = ids.index(item_id) + 1 if item_id in ids else None
        return render_template(
            "item.html", **view, filters=filters, qs=_query_string(filters), prev_id=prev_id,
            next_id=next_id, position=position, queue_len=len(ids), facets=facets, label=vocabulary.display,
        )

    def _neighbours(ids: list[int], item_id: int) -> tuple[int | None, int | None]:
        if item_id not in ids:
            return None, ids[0] if ids else None
        i = ids.index(item_id)
        return (ids[i - 1] if i > 0 else None), (ids[i + 1] if i + 1 < len(ids) else None)

    def _decided(message: str) -> None:
        """A decision went in: say so, and have the feeds rebuilt."""
        flash(message, "info")
        if rebuilder is not None:
            rebuilder.request()

    def _to(endpoint: str, qs: str = "", **values: Any) -> Response:
        return redirect(url_for(endpoint, **values) + (f"?{qs}" if qs else ""))

    def _do(action: Any) -> Any:
        try:
            return action()
        except ReviewError as exc:
            flash(str(exc), "error")
            return None

    @app.post(f"/item/<{ITEM}:item_id>/status")
    def item_status(item_id: int) -> Response:
        status = request.form.get("status", "")
        if status not in STATUSES:
            abort(400)
        qs = request.form.get("qs", "")
        origin = request.form.get("from")
        if _do(lambda: set_status(store, [str(item_id)], status, editor=g.user)) is None:
            return redirect(url_for("item", item_id=item_id))
        verb = {"approved": "Approved", "rejected": "Rejected", "new": "Reopened"}[status]
        _decided(f"{verb} item {item_id}.")
        if origin == "queue":  # back to the same place in the queue
            sel = request.form.get("sel", "0")
            return _to("queue", "&".join(p for p in (qs, f"sel={sel}") if p))
        target = request.form.get("next_id", type=int)  # the item left the queue: on to the next
        if target and target != item_id:
            return _to("item", qs, item_id=target)
        return _to("queue", qs)

    @app.post(f"/item/<{ITEM}:item_id>/tags")
    def item_tags(item_id: int) -> Response:
        add = [s for s in request.form.getlist("add") if s]
        remove = [s for s in request.form.getlist("remove") if s]
        if not add and not remove:
            flash("Choose a tag to add or remove.", "error")
            return redirect(url_for("item", item_id=item_id))
        tags = _do(lambda: retag(store, str(item_id), add, remove, vocabulary, editor=g.user))
        if tags is None:
            return redirect(url_for("item", item_id=item_id))
        changes = [f"+{a}" for a in add] + [f"−{r}" for r in remove]
        _decided(f"Tags changed ({' '.join(changes)}).")
        return _to("item", request.form.get("qs", ""), item_id=item_id)

    @app.post(f"/item/<{ITEM}:item_id>/edit")
    def item_edit(item_id: int) -> Response:
        done = _do(lambda: edit(store, str(item_id), request.form.get("title", ""),
                                request.form.get("summary", ""), editor=g.user))
        if done is None:
            return redirect(url_for("item", item_id=item_id))
        _decided("Title and excerpt saved; the feeds show them.")
        return _to("item", request.form.get("qs", ""), item_id=item_id)

    @app.post(f"/item/<{ITEM}:item_id>/merge")
    def item_merge(item_id: int) -> Response:
        into = request.form.get("into", "").strip().lstrip("#")
        if not into:
            flash("Give the number of the item this one duplicates.", "error")
            return redirect(url_for("item", item_id=item_id))
        kept = _do(lambda: merge(store, into, str(item_id), editor=g.user))
        if kept is None:
            return redirect(url_for("item", item_id=item_id))
        _decided(f"Item {item_id} is now a copy of item {kept}.")
        return _to("item", item_id=kept)

    @app.post(f"/item/<{ITEM}:item_id>/split")
    def item_split(item_id: int) -> Response:
        url = request.form.get("url", "")
        new = _do(lambda: split(store, str(item_id), url, editor=g.user))
        if new is None:
            return redirect(url_for("item", item_id=item_id))
        _decided(f"Split the copy off item {item_id} into this new item {new}.")
        return _to("item", item_id=new)

    # -- sources ----------------------------------------------------------------------------------

    @app.get("/sources")
    def sources() -> str:
        rows = source_health(config)
        return render_template("sources.html", rows=rows, charts={r.name: run_chart(r.name, r.history)
                                                                  for r in rows})

    # -- the published feeds ----------------------------------------------------------------------

    @app.get("/feeds/")
    @app.get("/feeds/<path:name>")
    def feeds(name: str = "index.html") -> Response:
        """A feed file with a strong ETag and Last-Modified; 304 when the reader has it already.

        Read whole (feed files are small and written atomically), so gzip applies and the ETag
        of the compressed body differs from the plain one, as it must.
        """
        path = safe_join(str(feeds_dir), name) if FEED_FILE.match(name) else None
        if path is None or not os.path.isfile(path):
            abort(404)
        data = Path(path).read_bytes()
        kind = FEED_TYPES.get(name) or SUFFIX_TYPES.get(Path(name).suffix)
        response = Response(data, content_type=kind or "application/octet-stream")
        if name.endswith(".html"):
            response.headers["Content-Security-Policy"] = SITE_CSP
        response.set_etag(hashlib.sha256(data).hexdigest()[:32])
        response.last_modified = datetime.fromtimestamp(int(os.path.getmtime(path)), UTC)
        response.cache_control.public = True
        response.cache_control.max_age = 60
        return response.make_conditional(request)

    return app


def _local(target: str) -> str:
    """Only a path on this site is a place to go after signing in (no open redirects).

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so "/\t/evil"
    and "/\\evil" both lead off-site: a target with any of them, with any space or control
    character, or that a URL parser reads as having a host or scheme, is refused."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return ""
    if any(not ch.isprintable() or ch.isspace() for ch in target):
        return ""
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else ""
