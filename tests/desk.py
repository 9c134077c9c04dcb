"""A review desk on a real store with real items, for the desk's test-client and browser tests.

The items come in through the real dedup and store pipelines: a research report with a reprint
(two copies of one story), a trial story, a story the rules found irrelevant, and a hostile page
whose title and text carry markup and a ``javascript:`` link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
from flask import Flask
from flask.testing import FlaskClient

from hsctwatch.config import Config, load_config
from hsctwatch.stories.models import Store, open_store
from hsctwatch.web import create_app
from hsctwatch.web.users import add_user
from tests.test_pipeline_dedup_store import BLOG, NEWS, REPORT, Pipeline
from tests.test_review_cli import BEAT, OTHER

PASSWORD = "a long editor password"
HOSTILE_URL = "https://hostile.example.com/2026/03/05/hsct-ms/"
HOSTILE_TITLE = '<script>alert("title")</script> HSCT for MS <img src=x onerror=alert(1)>'
HOSTILE_TEXT = (
    'Autologous haematopoietic stem cell transplantation for multiple sclerosis was the subject. '
    '<script>document.title="owned"</script> Read <a href="javascript:alert(2)">the study</a> '
    'and javascript:alert(3) too.\n\nA clinic in Moscow offers the transplant to people with '
    'relapsing-remitting MS for a fixed price, a reader writes; the hospital says the waiting list is '
    'eight months long and that patients must bring their own MRI reports from home.'
)
DIET = "https://news.example.org/2026/03/02/diet-and-ms/"


@dataclass
class Desk:
    config: Config
    store: Store
    root: Path

    @property
    def feed_path(self) -> Path:
        return self.config.feeds_dir / "rss.xml"

    def feed(self) -> feedparser.FeedParserDict:
        parsed = feedparser.parse(self.feed_path.read_bytes())
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        return parsed

    def feed_titles(self) -> list[str]:
        return sorted(e.title for e in self.feed().entries)


def make_desk(root: Path, store_url: str, *, publish: str = "auto", with_user: bool = True) -> Desk:
    (root / "hsct-watch.toml").write_text(
        f'[store]\nurl = "{store_url}"\n[feeds]\nout = "public"\npublish = "{publish}"\n'
        'base_url = "https://feeds.example.org/hsct/"\n'
        '[[sources]]\nname = "news"\nkind = "feed"\nurls = ["https://news.example.org/feed/"]\n'
        '[[sources]]\nname = "blog"\nkind = "feed"\nurls = ["https://blog.example.net/feed/"]\n'
        '[[sources]]\nname = "hostile"\nkind = "feed"\nurls = ["https://hostile.example.com/feed"]\n',
        encoding="utf-8",
    )
    config = load_config(root / "hsct-watch.toml")
    store = open_store(config.store_url)
    pipeline = Pipeline(store)
    pipeline(url=NEWS, text=REPORT, title="HSCT for MS: MIST at ten years",
             summary="Most patients remain free of progression ten years on.",
             tags=[{"facet": "type", "slug": "research", "evidence": [{"phrase": "scientists report",
                                                                       "where": "body"}]},
                   {"facet": "trial", "slug": "mist", "evidence": [{"phrase": "MIST trial",
                                                                    "where": "body"}]}])
    pipeline(url=BLOG, source="blog", title="HSCT for MS: MIST reprinted",
             published=datetime(2026, 3, 12, tzinfo=UTC), text="Reproduced from News Example.\n\n" + REPORT)
    pipeline(url=OTHER, title="BEAT-MS trial of HSCT for MS completes enrolment", text=BEAT,
             published=datetime(2026, 3, 1, tzinfo=UTC),
             tags=[{"facet": "trial", "slug": "beat-ms", "evidence": [{"phrase": "BEAT-MS trial",
                                                                       "where": "body"}]}])
    pipeline(url=DIET, title="Mediterranean diet and MS fatigue", relevant=False, relevance_score=0.1,
             relevance_reasons=["no mention of a stem cell transplant"], tags=[],
             text="A diet study in people with multiple sclerosis found less fatigue. " * 20,
             published=datetime(2026, 3, 2, tzinfo=UTC))
    pipeline(url=HOSTILE_URL, source="hostile", title=HOSTILE_TITLE, text=HOSTILE_TEXT,
             summary='<b onmouseover="alert(4)">bold</b> summary', published=datetime(2026, 3, 5, tzinfo=UTC),
             tags=[{"facet": "type", "slug": "news",
                    "evidence": [{"phrase": '<script>document.title="owned"</script>', "where": "body"}]}])
    if with_user:
        add_user(store, "editor", PASSWORD)
    from hsctwatch.stories.publish import build_feeds

    build_feeds(config)
    return Desk(config, store, root)


def item_id(desk: Desk, url: str) -> int:
    with desk.store.session() as session:
        article = desk.store.get_article(session, url)
        assert article is not None
        return article.id


TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Editor:
    """The test client of one editor, who reads the CSRF token off the pages like a browser."""

    def __init__(self, app: Flask, **client_kwargs: Any):
        self.app = app
        self.client: FlaskClient = app.test_client(**client_kwargs)
        self.token = ""

    def get(self, path: str, **kwargs: Any) -> Any:
        response = self.client.get(path, **kwargs)
        found = TOKEN.search(response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return response

    def post(self, path: str, data: dict[str, Any] | None = None, *, token: bool = True,
             **kwargs: Any) -> Any:
        data = dict(data or {})
        if token:
            if not self.token:
                self.get("/login")
            data.setdefault("csrf_token", self.token)
        return self.client.post(path, data=data, **kwargs)

    def login(self, name: str = "editor", password: str = PASSWORD) -> Any:
        self.get("/login")
        response = self.post("/login", {"name": name, "password": password})
        if response.status_code == 302:  # a new session has a new CSRF token, as a browser sees
            self.get(response.headers["Location"])
        return response

    def wait_for_feeds(self) -> None:
        rebuilder = self.app.extensions["hsctwatch"]["rebuilder"]
        assert rebuilder.wait(timeout=30), "the feeds were not rebuilt within 30 s"
        assert not rebuilder.last_error, rebuilder.last_error


def desk_app(desk: Desk) -> Flask:
    app = create_app(desk.config, store=desk.store)
    app.config["TESTING"] = False  # keep CSRF and rate limits exactly as served
    return app
