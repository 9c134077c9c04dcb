"""Scrapy settings of the project: polite defaults for real sites.

The config file's [scrapy] table overrides any of these (see hsctwatch.crawl.addon). `scrapy crawl`
from the repository root reads the config named by $HSCT_WATCH_CONFIG, else ./hsct-watch.toml,
else the built-in sources.
"""

import os

from hsctwatch import __version__

BOT_NAME = "hsct-watch"

SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

ADDONS = {"hsctwatch.crawl.addon.ConfigAddon": 0}

#: The config file; "" means: look for ./hsct-watch.toml, else use the built-in defaults.
HSCTWATCH_CONFIG = os.environ.get("HSCT_WATCH_CONFIG", "")

# -- politeness ----------------------------------------------------------------------------
# An honest User-Agent with a contact URL; [crawl] user_agent / contact in the config change it.
USER_AGENT = f"hsct-watch/{__version__} (+https://github.com/hsct-watch/hsct-watch)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
HSCTWATCH_RETRY_BACKOFF = 2.0  # seconds before the first retry, doubled for each next one
REDIRECT_MAX_TIMES = 10
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy's remote control (on by default since Scrapy 2.19): an HTTP server on 127.0.0.1 for each
# crawler that runs the Python code it is sent, and its job file. An unattended crawler has no use
# for it; off, its module (which imports aiohttp, 10 MB) is not loaded either (crawl.runner).
REMOTE_CONTROL_ENABLED = False

# -- only the web ----------------------------------------------------------------------------
# Scrapy can also read file:, data:, ftp: and s3: URLs; a link in a feed must never make it read
# the machine's files or anything but a web page (hsctwatch.crawl.guard refuses them as well).
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}
HSCTWATCH_ALLOW_PRIVATE = False  # [crawl] allow_private: any source may reach private addresses

# -- items ------------------------------------------------------------------------------------
# Items of one response go through the pipeline this many at a time. Scrapy starts that many tasks
# for every response, also for an article page with one item (the default, 100, cost ~2 ms a page);
# the worker process reads one page at a time, so more items in flight would only wait in its queue.
CONCURRENT_ITEMS = 8

# -- the pipeline: one concern per stage, with gaps for new stages ---------------------------
ITEM_PIPELINES = {
    "pipelines.normalize.NormalizePipeline": 100,
    "pipelines.extract.ExtractPipeline": 200,
    "pipelines.relevance.RelevancePipeline": 300,
    "pipelines.tag.TagPipeline": 400,
    "pipelines.dedup.DedupPipeline": 500,
    "pipelines.store.StorePipeline": 600,
}

DOWNLOADER_MIDDLEWARES = {
    # web addresses only; private ones only for a source that lives on one (before robots.txt,
    # so a refused host's robots.txt is not fetched either)
    "hsctwatch.crawl.guard.AddressGuard": 50,
    # retries wait longer each time (5xx, timeouts, resets): a struggling site gets room
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "hsctwatch.crawl.middlewares.BackoffRetryMiddleware": 550,
    # spaces requests to a host by its robots.txt Crawl-delay (sees robots.txt come back)
    "hsctwatch.crawl.middlewares.CrawlDelayMiddleware": 560,
    # after HttpCompression (590) and Redirect (600) in the response path, so it sees the final answer
    "hsctwatch.crawl.middlewares.ConditionalRequestsMiddleware": 580,
    # next to the downloader: counts every request that goes out against [limits]
    "hsctwatch.crawl.limits.LimitsMiddleware": 950,
}

EXTENSIONS = {
    "hsctwatch.crawl.extensions.RunRecorder": 500,
}

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
