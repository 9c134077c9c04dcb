"""Crawling: Scrapy settings and add-on, the item, middlewares, extensions, the crawl runner,
the worker process and the run lock."""
