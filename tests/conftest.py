"""Shared fixtures: saved pages as Scrapy responses, spiders built from a config, a fresh store."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import scrapy
from scrapy.http import HtmlResponse, Request, Response, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from tests.services import database

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[1]

# Commands the tests start (`python -m hsctwatch …`, often in a temporary folder) run this
# checkout's code, not whatever copy of the package the interpreter has installed.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))

_RESPONSE_CLASSES = {
    ".html": (HtmlResponse, "text/html; charset=utf-8"),
    ".xml": (XmlResponse, "application/xml; charset=utf-8"),
    ".rss": (XmlResponse, "application/rss+xml; charset=utf-8"),
    ".atom": (XmlResponse, "application/atom+xml; charset=utf-8"),
    ".json": (TextResponse, "application/json; charset=utf-8"),
    ".txt": (TextResponse, "text/plain; charset=utf-8"),
}


def fixture_response(
    name: str,
    url: str,
    *,
    request: Request | None = None,
    headers: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """A saved file under tests/fixtures/ as the response Scrapy would give, its Request attached."""
    path = FIXTURES / name
    cls, content_type = _RESPONSE_CLASSES.get(path.suffix, (TextResponse, "text/plain"))
    all_headers = {"Content-Type": content_type, **(headers or {})}
    return cls(
        url=url,
        body=path.read_bytes(),
        headers=all_headers,
        status=status,
        request=request or Request(url),
        encoding="utf-8" if cls is not HtmlResponse else None,
    )


def response_for(request: Request, name: str, **kwargs: Any) -> Response:
    return fixture_response(name, request.url, request=request, **kwargs)


def run_callback(request: Request, response: Response) -> list[Any]:
    """Call a request's callback the way Scrapy would, with its cb_kwargs."""
    assert request.callback is not None, f"{request.url} has no callback"
    return list(request.callback(response, **request.cb_kwargs) or [])


def follow(requests: Iterable[Any], fixtures: dict[str, str], *, limit: int = 200) -> list[Any]:
    """Follow yielded requests through a URL → fixture map; return every item found.

    Requests whose URL is not in the map are not followed (they are recorded in
    ``follow.unfollowed`` of the returned list's ``.unfollowed`` attribute).
    """
    items: list[Any] = []
    queue = list(requests)
    seen = 0
    while queue and seen < limit:
        result = queue.pop(0)
        if not isinstance(result, Request):
            items.append(result)
            continue
        seen += 1
        name = fixtures.get(result.url)
        if name is None:
            continue
        queue.extend(run_callback(result, response_for(result, name)))
    return items


@pytest.fixture
def make_spider(tmp_path: Path) -> Callable[..., scrapy.Spider]:
    """Build a spider of a kind for one source given as config options."""
    from spiders.clinicaltrials import ClinicalTrialsSpider
    from spiders.feed import FeedSpider
    from spiders.html import HtmlSpider
    from spiders.pubmed import PubMedSpider
    from spiders.sitemap import SitemapSpider
    from spiders.wordpress import WordPressSpider

    classes = {"feed": FeedSpider, "sitemap": SitemapSpider, "wordpress": WordPressSpider,
               "html": HtmlSpider, "pubmed": PubMedSpider, "clinicaltrials": ClinicalTrialsSpider}

    def build(kind: str, name: str = "test-source", settings: dict[str, Any] | None = None,
              **options: Any) -> scrapy.Spider:
        lines = ["[[sources]]", f'name = "{name}"', f'kind = "{kind}"']
        for key, value in options.items():
            lines.append(f"{key} = {json.dumps(value)}")
        config = tmp_path / "hsct-watch.toml"
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        crawler = get_crawler(classes[kind], {"HSCTWATCH_CONFIG": str(config), **(settings or {})})
        crawler.spider = classes[kind].from_crawler(crawler, source=name)
        crawler.stats.open_spider()
        return crawler.spider

    return build


def start_requests(spider: scrapy.Spider) -> list[Request]:
    """The requests of a spider's ``async def start()``."""

    async def collect() -> list[Request]:
        return [r async for r in spider.start()]

    return asyncio.run(collect())


STORES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained on the shipped corpus (tests/corpus and blind/en-1) beside the shipped
    rules, as `train` makes it: trained once for the tests that read one."""
    from hsctwatch.rules import Rules
    from hsctwatch.rules.learned import Example, Model, learnable_tags, training_corpus

    rules = Rules.load()
    path = tmp_path_factory.mktemp("model") / "model.joblib"
    cases = training_corpus()
    Model.train([Example(c.document, c.relevant, c.tags if c.relevant else None) for c in cases],
                tags=learnable_tags(rules.facets), rules_digest=rules.digest).save(path)
    return path


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty store: every test that touches the store runs twice, on a SQLite
    file and on a database of the PostgreSQL test server (tests/services.py)."""
    with database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="module", params=STORES)
def module_store_url(request: pytest.FixtureRequest,
                     tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """store_url for a module's shared fixture (a whole run whose outcome several tests read)."""
    with database(request.param, tmp_path_factory.mktemp("store")) as url:
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[Any]:
    """A fresh store (SQLite and PostgreSQL, as store_url)."""
    from hsctwatch.stories.models import Store

    s = Store(store_url)
    yield s
    s.close()
