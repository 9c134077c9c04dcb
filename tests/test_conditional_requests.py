"""Conditional requests: a page's validators saved when its source's crawl ends, sent with the
next crawl's request for it, on a real store."""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from sqlalchemy import event

from hsctwatch.crawl.middlewares import ConditionalRequestsMiddleware


def test_conditional_requests_use_the_saved_validators_and_look_up_none_on_a_first_crawl(
        store: Any) -> None:
    """A URL's saved ETag and Last-Modified go with its next request (a 304 then costs nothing);
    a store with no validators saved (a first crawl) is not asked for each request."""
    url = "https://news.example.org/2026/03/10/ahsct/"
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", seen)
    crawler = get_crawler(settings_dict={"HSCTWATCH_STORE_URL": store.url})
    first = ConditionalRequestsMiddleware(crawler, store)
    for n in range(5):
        request = Request(f"{url}?page={n}")
        first.process_request(request)
        assert b"If-None-Match" not in request.headers
    assert len(statements) == 1  # whether any are saved, once
    response = HtmlResponse(url, body=b"<html></html>", headers={"ETag": '"v1"'}, request=Request(url))
    first.process_response(Request(url), response)
    first.spider_closed(None, "finished")  # type: ignore[arg-type]  # the spider is not read
    statements.clear()
    again = ConditionalRequestsMiddleware(crawler, store)
    request = Request(url)
    again.process_request(request)
    assert request.headers[b"If-None-Match"] == b'"v1"'
    other = Request(f"{url}?page=1")
    again.process_request(other)
    assert b"If-None-Match" not in other.headers
    assert len(statements) == 3  # any saved, then each request's own
    event.remove(store.engine, "before_cursor_execute", seen)
