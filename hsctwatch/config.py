"""The configuration file: one TOML file, validated before anything runs.

Every problem is reported as one line that names the file, the line, the source and the fix,
so an operator reading cron mail knows what to change. Nothing is crawled or written while the
file is wrong.
"""

from __future__ import annotations

import ast
import difflib
import functools
import importlib.util
import ipaddress
import math
import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hsctwatch.kinds import HTTP_URL, check_value, source_kinds

if TYPE_CHECKING:
    from hsctwatch.digest_config import DigestConfig

DEFAULT_FILE = "hsct-watch.toml"
ENV_VAR = "HSCT_WATCH_CONFIG"

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")

#: Options every source accepts.
COMMON_KEYS = {"name", "title", "kind", "urls", "enabled", "focus"}
#: What a source can declare itself devoted to (`focus`): "hsct", a blog or forum about the
#: treatment, whose posts the relevance rules read in that light (never promoting an off-topic one).
FOCUSES = ("hsct",)

NUMBER = (int, float)

STORE_KEYS: dict[str, tuple[type | tuple[type, ...], Any]] = {
    "url": (str, "sqlite:///hsct-watch.db"),
    "wait_seconds": (NUMBER, 30),  # how long a command waits for a store another holds locked
}
FEEDS_KEYS: dict[str, tuple[type | tuple[type, ...], Any]] = {
    "out": (str, "public"),
    "title": (str, "HSCT for MS"),
    "description": (
        str,
        "News, patient stories and research on autologous haematopoietic stem cell "
        "transplantation (aHSCT) for multiple sclerosis.",
    ),
    "base_url": (str, "https://example.org/hsct/"),
    "publish": (str, "auto"),
    "max_items": (int, 100),
    "language": (str, "en"),
    "languages": (list, []),
    "hub": (str, ""),
}
CRAWL_KEYS: dict[str, tuple[type | tuple[type, ...], Any]] = {
    "user_agent": (str, ""),
    "contact": (str, "https://github.com/hsct-watch/hsct-watch"),
    "allow_private": (bool, False),  # any source may reach private addresses (an intranet)
}
SERVE_KEYS: dict[str, tuple[type | tuple[type, ...], Any]] = {
    "host": (str, "127.0.0.1"),
    "port": (int, 8480),
    "behind_proxy": (bool, False),
    "trusted_proxy": (str, "127.0.0.1"),
    "session_hours": (int, 12),
}
CLUSTER_KEYS: dict[str, tuple[type | tuple[type, ...], Any]] = {
    "redis": (str, ""),
    "prefix": (str, "hsct-watch"),
}
MODEL_KEYS: dict[str, tuple[type | tuple[type, ...], Any]] = {
    "enabled": (bool, True),  # on: it raises recall on the newest blind batch, held out (README)
    "path": (str, "hsct-watch-model.npz"),
    "weight": ((int, float), 0.6),
    "retrain_after": (int, 20),
    "corpus": (list, []),
}
REVIEW_KEYS: dict[str, tuple[type | tuple[type, ...], Any]] = {"borderline_margin": ((int, float), 0.15)}
#: Per source and per run; 0 means no limit. The defaults let an hourly cron run finish before
#: the next one starts, with room for a first run's backfill.
LIMITS_KEYS: dict[str, tuple[type | tuple[type, ...], Any]] = {
    "source_requests": (int, 2000),
    "source_pages": (int, 1000),
    "source_depth": (int, 8),
    "source_minutes": (NUMBER, 30),
    "run_requests": (int, 20000),
    "run_pages": (int, 10000),
    "run_minutes": (NUMBER, 50),
}
MAX_SESSION_HOURS = 24 * 366
MAX_ITEMS = 10_000
TOP_KEYS = {"store", "feeds", "scrapy", "sources", "crawl", "rules", "serve", "limits", "digest", "model",
            "review", "cluster"}


class ConfigError(Exception):
    """A problem with the configuration; str() is the one line shown to the user."""

    def __init__(self, path: str, line: int | None, message: str):
        self.path = path
        self.line = line
        self.message = one_line(message)
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {self.message}")


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def one_line(message: str) -> str:
    """The message with the control characters a key or value of the file may hold (a quoted TOML
    key can contain a newline) written as escapes, so that the error stays one line."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), message)


@dataclass(frozen=True)
class SourceConfig:
    name: str
    kind: str
    urls: tuple[str, ...]
    title: str = ""
    enabled: bool = True
    options: dict[str, Any] = field(default_factory=dict)
    focus: str = ""  # one of FOCUSES, or "" for a general source

    def option(self, key: str) -> Any:
        """The option's value, or its default as the kind declares it."""
        if key in self.options:
            return self.options[key]
        kind = source_kinds().get(self.kind)
        declared = kind.option(key) if kind else None
        return declared.default if declared else None

    @property
    def display_title(self) -> str:
        return self.title or self.name


@dataclass(frozen=True)
class StoreConfig:
    url: str = STORE_KEYS["url"][1]
    wait_seconds: float = 30


@dataclass(frozen=True)
class FeedsConfig:
    out: str = "public"
    title: str = "HSCT for MS"
    description: str = FEEDS_KEYS["description"][1]
    base_url: str = "https://example.org/hsct/"
    publish: str = "auto"
    max_items: int = 100
    language: str = "en"
    languages: tuple[str, ...] = ()  # the languages published ("es", "de" …); empty: every language
    hub: str = ""  # a WebSub hub the feeds declare and notify after a build that changed them


@dataclass(frozen=True)
class CrawlConfig:
    user_agent: str = ""
    contact: str = CRAWL_KEYS["contact"][1]
    allow_private: bool = False


@dataclass(frozen=True)
class LimitsConfig:
    """How far a run goes: per source and per run (hsctwatch.crawl.limits); 0: no limit."""

    source_requests: int = LIMITS_KEYS["source_requests"][1]
    source_pages: int = LIMITS_KEYS["source_pages"][1]
    source_depth: int = LIMITS_KEYS["source_depth"][1]
    source_minutes: float = LIMITS_KEYS["source_minutes"][1]
    run_requests: int = LIMITS_KEYS["run_requests"][1]
    run_pages: int = LIMITS_KEYS["run_pages"][1]
    run_minutes: float = LIMITS_KEYS["run_minutes"][1]


@dataclass(frozen=True)
class ServeConfig:
    """The review desk's web server (`hsct-watch serve`)."""

    host: str = "127.0.0.1"  # loopback unless told otherwise
    port: int = 8480
    behind_proxy: bool = False  # trust X-Forwarded-For/-Proto from one reverse proxy (for HTTPS)
    trusted_proxy: str = "127.0.0.1"  # the proxy's address, whose X-Forwarded-* are believed
    session_hours: int = 12


@dataclass(frozen=True)
class ClusterConfig:
    """Crawler processes sharing one Redis-backed queue (hsctwatch.crawl.cluster); off without redis."""

    redis: str = ""  # redis://host:6379/0
    prefix: str = "hsct-watch"  # of every Redis key, so clusters can share a server


@dataclass(frozen=True)
class ModelConfig:
    """The learned model (hsctwatch.rules.learned): its file, its weight, when it retrains."""

    enabled: bool = MODEL_KEYS["enabled"][1]
    path: str = MODEL_KEYS["path"][1]  # relative to the config's folder, like the store
    weight: float = MODEL_KEYS["weight"][1]  # the most it adds to or takes from the rules' score
    retrain_after: int = MODEL_KEYS["retrain_after"][1]  # new editors' decisions before retraining
    corpus: tuple[str, ...] = ()  # labelled folders to train on; empty: the shipped corpus


@dataclass(frozen=True)
class ReviewConfig:
    """The review queue: how far under the threshold an item is a near miss for an editor."""

    borderline_margin: float = REVIEW_KEYS["borderline_margin"][1]


@dataclass(frozen=True)
class Config:
    path: str | None  # None: built-in defaults only
    store: StoreConfig
    feeds: FeedsConfig
    crawl: CrawlConfig
    scrapy: dict[str, Any]
    sources: tuple[SourceConfig, ...]
    rules: str | None = None  # path of an editor's rules file, overriding the shipped one
    base_dir: str = "."  # relative paths in the file are relative to the file's folder
    serve: ServeConfig = field(default_factory=ServeConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    digest: DigestConfig | None = None  # the email digest ([digest]), when configured
    model: ModelConfig = field(default_factory=ModelConfig)
    review: ReviewConfig = field(default_factory=ReviewConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)

    def source(self, name: str) -> SourceConfig:
        for src in self.sources:
            if src.name == name:
                return src
        names = ", ".join(s.name for s in self.sources)
        hint = difflib.get_close_matches(name, [s.name for s in self.sources], n=1)
        extra = f"; did you mean '{hint[0]}'?" if hint else f"; configured sources: {names}"
        raise ConfigError(self.path or "built-in sources", None, f"no source named '{name}'{extra}")

    @property
    def enabled_sources(self) -> tuple[SourceConfig, ...]:
        return tuple(s for s in self.sources if s.enabled)

    def resolve(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else Path(self.base_dir) / p

    @property
    def store_url(self) -> str:
        """The store URL with a relative SQLite path made relative to the config's folder."""
        url = self.store.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith("sqlite:////"):
            rel = url[len(prefix) :]
            if rel and rel != ":memory:":
                return prefix + str(self.resolve(rel).absolute())
        return url

    @property
    def feeds_dir(self) -> Path:
        return self.resolve(self.feeds.out)

    @property
    def model_path(self) -> Path | None:
        """The learned model's file; None when the model is off."""
        return self.resolve(self.model.path) if self.model.enabled else None

    @property
    def data_dir(self) -> Path:
        """Folder for the run lock and other state beside the store."""
        return Path(self.base_dir)


# -- locating lines --------------------------------------------------------------------------


class _Lines:
    """Finds the line of a table or key in the raw text, for error messages."""

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.source_starts = [
            i + 1 for i, line in enumerate(self.lines) if re.match(r"^\s*\[\[\s*sources\s*\]\]", line)
        ]

    def table(self, name: str) -> int | None:
        for i, line in enumerate(self.lines):
            if re.match(rf"^\s*\[\s*{re.escape(name)}\s*\]", line):
                return i + 1
        return None

    def key_in_table(self, table: str, key: str) -> int | None:
        start = self.table(table)
        if start is None:
            return None
        return self._key_after(start, key)

    def source(self, index: int) -> int | None:
        return self.source_starts[index] if index < len(self.source_starts) else None

    def key_in_source(self, index: int, key: str) -> int | None:
        start = self.source(index)
        if start is None:
            return None
        return self._key_after(start, key) or start

    def _key_after(self, start: int, key: str) -> int | None:
        for i in range(start, len(self.lines)):
            line = self.lines[i]
            if re.match(r"^\s*\[", line):
                return None
            if re.match(rf"^\s*{re.escape(key)}\s*=", line):
                return i + 1
        return None


# -- loading -----------------------------------------------------------------------------------


def find_config_file(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """--config, then $HSCT_WATCH_CONFIG, then ./hsct-watch.toml; None means built-in defaults."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    local = Path(DEFAULT_FILE)
    return local if local.exists() else None


def builtin_sources_text() -> str:
    return resources.files("hsctwatch").joinpath("sources.toml").read_text(encoding="utf-8")


def load_config(path: str | os.PathLike[str] | None = None, *, search: bool = True) -> Config:
    """Load and validate the configuration. Raises ConfigError with a one-line message."""
    file = find_config_file(path) if search else (Path(path) if path else None)
    builtin = builtin_sources_text()
    if file is None:
        return _build(None, {}, "", builtin, base_dir=Path.cwd())
    shown = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(shown, None, "file not found; create it or point --config elsewhere") from None
    except UnicodeDecodeError:
        raise ConfigError(shown, None, "not UTF-8 text; save the file as UTF-8") from None
    except OSError as exc:
        raise ConfigError(shown, None, f"cannot read the file ({exc.strerror})") from None
    data = _parse_toml(shown, text)
    return _build(shown, data, text, builtin, base_dir=file.parent.absolute())


def _parse_toml(shown: str, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        line = int(m.group(1)) if m else None
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        raise ConfigError(
            shown, line, f"TOML syntax error: {reason}; check quotes, brackets and commas on this line"
        ) from None


def _build(
    shown: str | None, data: dict[str, Any], text: str, builtin: str, *, base_dir: Path
) -> Config:
    where = shown or "built-in defaults"
    lines = _Lines(text)
    _check_keys(where, lines, None, data, TOP_KEYS, "top-level table")
    _check_text(where, lines, data)

    store = _store(where, lines, data)
    feeds = _feeds(where, lines, data)
    crawl = CrawlConfig(**_table(where, lines, data, "crawl", CRAWL_KEYS))
    for key in ("user_agent", "contact"):
        if not getattr(crawl, key).isprintable():
            raise ConfigError(where, lines.key_in_table("crawl", key),
                              f"[crawl] {key} must be one line of text, without control characters")
    serve = _serve(where, lines, data)
    limits = _limits(where, lines, data)
    scrapy_settings = _scrapy(where, lines, data)
    rules = _rules(where, lines, data, base_dir)
    cluster = _cluster(where, lines, data, store)
    from hsctwatch.digest_config import digest_config  # it reads this module's helpers

    digest = digest_config(where, lines, data)
    model = _model(where, lines, data, base_dir)
    review = ReviewConfig(**_fraction(where, lines, "review", "borderline_margin",
                                      _table(where, lines, data, "review", REVIEW_KEYS)))

    if "sources" in data:
        raw_sources = data["sources"]
        if not isinstance(raw_sources, list):
            raise ConfigError(where, None, "'sources' must be written as [[sources]] tables")
        sources = _sources(where, lines, raw_sources)
    else:
        builtin_data = tomllib.loads(builtin)
        sources = _sources("built-in sources", _Lines(builtin), builtin_data["sources"])

    config = Config(
        path=shown,
        store=store,
        feeds=feeds,
        crawl=crawl,
        scrapy=scrapy_settings,
        sources=tuple(sources),
        rules=rules,
        base_dir=str(base_dir),
        serve=serve,
        cluster=cluster,
        digest=digest,
        model=model,
        review=review,
        limits=limits,
    )
    _check_feed_folder(where, lines, config)
    return config


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")


def _check_text(where: str, lines: _Lines, data: dict[str, Any]) -> None:
    """No control characters in any string of the file: they would end up in file names, HTTP
    headers, XML (where most are illegal) or a terminal. Tabs and newlines are fine."""
    for name, line, value in _strings(lines, data):
        found = CONTROL.search(value)
        if found:
            raise ConfigError(where, line, f"{name} has a control character ({ascii(found[0])}); remove it")


def _strings(lines: _Lines, data: dict[str, Any]) -> Iterator[tuple[str, int | None, str]]:
    """Every string in the file, with the name and the line of the key it is under."""
    for key, value in data.items():
        if key == "sources" and isinstance(value, list):
            for index, source in enumerate(value):
                for option, inner in (source.items() if isinstance(source, dict) else ()):
                    yield from _leaves(f"source #{index + 1}: {option}", lines.key_in_source(index, option),
                                       inner)
        elif isinstance(value, dict):
            for option, inner in value.items():
                yield from _leaves(f"[{key}] {option}", lines.key_in_table(key, option), inner)
        else:
            yield from _leaves(key, _top_key(lines, key), value)


def _leaves(name: str, line: int | None, value: Any) -> Iterator[tuple[str, int | None, str]]:
    if isinstance(value, str):
        yield name, line, value
    elif isinstance(value, (list, dict)):
        for inner in value.values() if isinstance(value, dict) else value:
            yield from _leaves(name, line, inner)


def _store(where: str, lines: _Lines, data: dict[str, Any]) -> StoreConfig:
    values = _table(where, lines, data, "store", STORE_KEYS)
    url = values.get("url", StoreConfig.url)
    problem = _database_url_problem(url)
    if problem:
        raise ConfigError(where, lines.key_in_table("store", "url"), problem)
    wait = values.get("wait_seconds", 30)
    if not (math.isfinite(wait) and 0 <= wait <= 3600):
        raise ConfigError(where, lines.key_in_table("store", "wait_seconds"),
                          "[store] wait_seconds must be a number of seconds from 0 to 3600")
    return StoreConfig(**values)


def _database_url_problem(url: str) -> str:
    """What is wrong with a database URL, read as SQLAlchemy reads it ("" if nothing).

    Only the URL and its database's name are checked here; whether its driver is installed and
    the database answers is the store's business (hsctwatch.stories.models.Store). A SQLite
    file's URL with no options is one SQLAlchemy reads, known without importing it."""
    if url.startswith("sqlite:///") and not any(c in url for c in "?%"):
        return ""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    fix = 'write e.g. url = "sqlite:///hsct-watch.db" or "postgresql+psycopg://user@host/db"'
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return f"[store] url '{url}' is not a database URL; {fix}"
    try:
        parsed.get_dialect()
    except NoSuchModuleError:
        return f"[store] url names an unknown database '{parsed.drivername}'; {fix}"
    return ""


def _feeds(where: str, lines: _Lines, data: dict[str, Any]) -> FeedsConfig:
    values = _table(where, lines, data, "feeds", FEEDS_KEYS)
    if values.get("publish", "auto") not in ("auto", "approved"):
        raise ConfigError(
            where, lines.key_in_table("feeds", "publish"),
            f"[feeds] publish = '{values['publish']}' is not known; use \"auto\" or \"approved\"",
        )
    if not 1 <= values.get("max_items", 100) <= MAX_ITEMS:
        raise ConfigError(
            where, lines.key_in_table("feeds", "max_items"), f"[feeds] max_items must be 1 to {MAX_ITEMS}"
        )
    if not values.get("title", FeedsConfig.title).strip():
        raise ConfigError(where, lines.key_in_table("feeds", "title"), "[feeds] title must not be empty")
    if not LANGUAGE.match(values.get("language", "en")):
        raise ConfigError(where, lines.key_in_table("feeds", "language"),
                          f"[feeds] language '{values['language']}' is not a language code; write e.g. "
                          'language = "en" or "en-GB"')
    languages = values.get("languages", [])
    if not all(isinstance(code, str) and re.fullmatch(r"[a-z]{2,3}", code) for code in languages):
        raise ConfigError(
            where, lines.key_in_table("feeds", "languages"),
            '[feeds] languages must be a list of language codes, e.g. languages = ["en", "es", "de"]',
        )
    values["languages"] = tuple(dict.fromkeys(languages))
    hub = values.get("hub", "")
    if hub and not HTTP_URL.match(hub):
        raise ConfigError(where, lines.key_in_table("feeds", "hub"),
                          f"[feeds] hub '{hub}' is not an http(s) URL; write the hub's address in full")
    base_url = values.get("base_url", FeedsConfig.base_url)
    if not HTTP_URL.match(base_url) or not base_url.isprintable() or " " in base_url:
        raise ConfigError(
            where, lines.key_in_table("feeds", "base_url"),
            f"[feeds] base_url '{base_url}' is not an http(s) URL; write where the feed folder is "
            "published, e.g. base_url = \"https://example.org/hsct/\"",
        )
    return FeedsConfig(**values)


def _check_feed_folder(where: str, lines: _Lines, config: Config) -> None:
    """The feed folder is published as it is: it must not be, or hold, the config's folder
    (the config, the store and the desk's key are there), nor hold the store, nor be a file."""
    line = lines.key_in_table("feeds", "out")
    try:
        out = config.feeds_dir.resolve()
        home = Path(config.base_dir).resolve()
        is_file = out.exists() and not out.is_dir()
        store_file = _sqlite_file(config.store_url)
        store_folder = store_file.resolve().parents if store_file is not None else ()
    except (OSError, ValueError, RuntimeError) as exc:
        raise ConfigError(where, line, f"[feeds] out or [store] url is not a usable path ({exc})") from None
    if out == home or out in home.parents:
        raise ConfigError(
            where, line,
            f"[feeds] out = '{config.feeds.out}' is {'the' if out == home else 'a folder holding the'} "
            "config's folder, whose files (the config, the store, the desk's key) would be published; "
            'use a folder of its own, e.g. out = "public"',
        )
    if is_file:
        raise ConfigError(where, line, f"[feeds] out = '{config.feeds.out}' names a file ({out}), "
                                       "not a folder; name a folder for the feeds")
    if out in store_folder:
        raise ConfigError(where, line, f"[feeds] out = '{config.feeds.out}' holds the store "
                                       f"({store_file}), which would be published; keep them apart")


def _sqlite_file(url: str) -> Path | None:
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return None
    path = url[len(prefix):].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def _serve(where: str, lines: _Lines, data: dict[str, Any]) -> ServeConfig:
    values = _table(where, lines, data, "serve", SERVE_KEYS)
    if not 0 < values.get("port", 8480) < 65536:
        raise ConfigError(where, lines.key_in_table("serve", "port"), "[serve] port must be 1-65535")
    if not 1 <= values.get("session_hours", 12) <= MAX_SESSION_HOURS:
        raise ConfigError(
            where, lines.key_in_table("serve", "session_hours"),
            f"[serve] session_hours must be 1 to {MAX_SESSION_HOURS} (a year)",
        )
    proxy = values.get("trusted_proxy", "127.0.0.1")
    if proxy != "*":
        try:
            ipaddress.ip_address(proxy)
        except ValueError:
            raise ConfigError(
                where, lines.key_in_table("serve", "trusted_proxy"),
                f"[serve] trusted_proxy '{proxy}' is not an IP address; write the reverse proxy's "
                'address, e.g. trusted_proxy = "127.0.0.1"',
            ) from None
    return ServeConfig(**values)


def _limits(where: str, lines: _Lines, data: dict[str, Any]) -> LimitsConfig:
    values = _table(where, lines, data, "limits", LIMITS_KEYS)
    for key, value in values.items():
        if not (math.isfinite(value) and 0 <= value <= 10**9):
            raise ConfigError(where, lines.key_in_table("limits", key),
                              f"[limits] {key} must be 0 (no limit) or more, not {value}")
    return LimitsConfig(**values)


def _scrapy(where: str, lines: _Lines, data: dict[str, Any]) -> dict[str, Any]:
    settings = data.get("scrapy", {})
    if not isinstance(settings, dict):
        raise ConfigError(where, lines.table("scrapy"), "[scrapy] must be a table of Scrapy settings")
    for key, value in settings.items():
        if not re.match(r"^[A-Z][A-Z0-9_]*$", key):
            raise ConfigError(
                where, lines.key_in_table("scrapy", key),
                f"[scrapy] '{key}' is not a Scrapy setting name; "
                "settings are UPPER_CASE, e.g. DOWNLOAD_DELAY",
            )
        problem = _setting_problem(key, value)
        if problem:
            raise ConfigError(where, lines.key_in_table("scrapy", key), f"[scrapy] {key} {problem}")
    return dict(settings)


def _setting_problem(key: str, value: Any) -> str:
    """What is wrong with a Scrapy setting's value, judged by the type of its default ("" if
    nothing, or if the setting is not one Scrapy or the project knows)."""
    defaults = scrapy_defaults()
    if key not in defaults:
        return ""
    default = defaults[key]
    example = f"e.g. {key} = {_toml(default)}"
    if isinstance(default, bool):
        ok = isinstance(value, bool)
        return "" if ok else f"must be true or false, not {_type_name(type(value))}; {example}"
    if isinstance(default, (int, float)):
        number = _number(value)
        if number is None:
            return f"must be a number, not {_type_name(type(value))} {value!r}; {example}"
        return "" if math.isfinite(number) else f"must be a finite number; {example}"
    for typ in (str, dict, list):
        if isinstance(default, typ) and not isinstance(value, typ):
            return f"must be {_type_name(typ)}, not {_type_name(type(value))}"
    return ""


def _number(value: Any) -> float | None:
    """A number as Scrapy's getfloat reads it (a number, or text that is one); None if not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


@functools.cache
def scrapy_defaults() -> dict[str, Any]:
    """Scrapy's default settings and the project's, read from their source like the kinds are
    (hsctwatch.kinds): checking the config does not import Scrapy."""
    found: dict[str, Any] = {}
    spec = importlib.util.find_spec("scrapy")
    folders = list(spec.submodule_search_locations or []) if spec else []
    files = [Path(folder) / "settings" / "default_settings.py" for folder in folders]
    files.append(Path(__file__).parent / "crawl" / "settings.py")
    for path in files:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        except (OSError, SyntaxError):
            continue
        for node in tree.body:
            if not isinstance(node, ast.Assign) or not isinstance(node.targets[0], ast.Name):
                continue
            try:
                found[node.targets[0].id] = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue  # not a plain value: not checked
    return found


def _rules(where: str, lines: _Lines, data: dict[str, Any], base_dir: Path) -> str | None:
    rules = data.get("rules")
    if rules is None:
        return None
    line = _top_key(lines, "rules")
    if not isinstance(rules, str) or not rules:
        raise ConfigError(where, line, "'rules' must be the path of a rules file, as a string")
    path = base_dir / rules
    try:
        tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(where, line, f"the rules file {path} does not exist; copy "
                                       "hsctwatch/rules/rules.toml there, or remove 'rules'") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(where, line, f"the rules file {path} is not valid TOML ({exc})") from None
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not a path at all
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(where, line, f"cannot read the rules file {path} ({reason})") from None
    return str(path)


def _fraction(where: str, lines: _Lines, table: str, key: str, values: dict[str, Any]) -> dict[str, Any]:
    """A weight or margin on the relevance score: a number from 0 to 1."""
    if key in values:
        if isinstance(values[key], bool) or not 0 <= values[key] <= 1:
            raise ConfigError(where, lines.key_in_table(table, key), f"[{table}] {key} must be from 0 to 1")
        values[key] = float(values[key])
    return values


def _model(where: str, lines: _Lines, data: dict[str, Any], base_dir: Path) -> ModelConfig:
    values = _fraction(where, lines, "model", "weight", _table(where, lines, data, "model", MODEL_KEYS))
    if values.get("retrain_after", 1) < 1:
        raise ConfigError(where, lines.key_in_table("model", "retrain_after"),
                          "[model] retrain_after must be 1 or more (new decisions before retraining)")
    corpus = values.get("corpus", [])
    if not all(isinstance(c, str) for c in corpus):
        raise ConfigError(where, lines.key_in_table("model", "corpus"),
                          "[model] corpus must be a list of folders")
    for folder in corpus:
        from hsctwatch.rules.learned import held_out

        if held_out(base_dir / folder):
            raise ConfigError(where, lines.key_in_table("model", "corpus"),
                              f"[model] corpus: {folder} is a held-out batch, never trained on; remove it")
    values["corpus"] = tuple(str(base_dir / c) for c in corpus)
    return ModelConfig(**values)


def _cluster(where: str, lines: _Lines, data: dict[str, Any], store: StoreConfig) -> ClusterConfig:
    values = _table(where, lines, data, "cluster", CLUSTER_KEYS)
    redis = values.get("redis", "")
    if redis and not re.match(r"^(rediss?|unix)://", redis):
        raise ConfigError(where, lines.key_in_table("cluster", "redis"),
                          f"[cluster] redis = '{redis}' is not a Redis URL; write redis://host:6379/0")
    if redis and store.url.startswith("sqlite"):
        raise ConfigError(where, lines.key_in_table("cluster", "redis"),
                          "[cluster] needs a store every worker reaches: set [store] url to a "
                          "PostgreSQL server (postgresql+psycopg://…)")
    if not re.match(r"^[A-Za-z0-9_.-]+$", values.get("prefix", "hsct-watch")):
        raise ConfigError(where, lines.key_in_table("cluster", "prefix"),
                          "[cluster] prefix may use letters, digits, '.', '_' and '-' only")
    return ClusterConfig(**values)


def _table(
    where: str, lines: _Lines, data: dict[str, Any], name: str,
    spec: dict[str, tuple[type | tuple[type, ...], Any]],
) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(where, lines.table(name), f"[{name}] must be a table")
    _check_keys(where, lines, name, table, set(spec), f"[{name}]")
    values = {}
    for key, (typ, _default) in spec.items():
        if key in table:
            value = table[key]
            if not _is_type(value, typ):
                raise ConfigError(
                    where, lines.key_in_table(name, key),
                    f"[{name}] {key} must be {_type_name(typ)}, not {_type_name(type(value))}",
                )
            values[key] = value
    return values


def _check_keys(
    where: str, lines: _Lines, table: str | None, data: dict[str, Any], allowed: set[str], what: str
) -> None:
    for key in data:
        if key not in allowed:
            line = lines.key_in_table(table, key) if table else (lines.table(key) or _top_key(lines, key))
            raise ConfigError(where, line, f"unknown key '{key}' in {what}{_did_you_mean(key, allowed)}")


def _top_key(lines: _Lines, key: str) -> int | None:
    for i, line in enumerate(lines.lines):
        if re.match(rf"^\s*{re.escape(key)}\s*=", line):
            return i + 1
    return None


def _did_you_mean(key: str, allowed: set[str]) -> str:
    hint = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
    if hint:
        return f"; did you mean '{hint[0]}'?"
    return f"; allowed: {', '.join(sorted(allowed))}"


def _sources(where: str, lines: _Lines, raw_sources: list[Any]) -> list[SourceConfig]:
    seen: dict[str, int] = {}
    sources = []
    for index, raw in enumerate(raw_sources):
        line = lines.source(index)
        if not isinstance(raw, dict):
            raise ConfigError(where, line, "each source must be a [[sources]] table")
        name = raw.get("name")
        label = f"source '{name}'" if isinstance(name, str) else f"source #{index + 1}"
        if not isinstance(name, str) or not name:
            raise ConfigError(where, line, f"{label} has no name; add name = \"my-source\"")
        if not NAME_RE.match(name):
            raise ConfigError(
                where, lines.key_in_source(index, "name"),
                f"{label}: name must be lowercase letters, digits and '-', e.g. \"{_slug(name)}\"",
            )
        if name in seen:
            raise ConfigError(
                where, lines.key_in_source(index, "name"),
                f"{label}: the name is already used by the source on line {seen[name]}; "
                "give each source its own name",
            )
        seen[name] = line or 0
        kinds = source_kinds()
        kind = raw.get("kind")
        if kind is None:
            raise ConfigError(where, line, f"{label} has no kind; add kind = one of {', '.join(kinds)}")
        if not isinstance(kind, str) or kind not in kinds:
            hint = difflib.get_close_matches(str(kind), list(kinds), n=1)
            fix = f"did you mean '{hint[0]}'?" if hint else f"use one of {', '.join(kinds)}"
            raise ConfigError(
                where, lines.key_in_source(index, "kind"), f"{label}: unknown kind '{kind}'; {fix}"
            )
        spec = kinds[kind]
        allowed = COMMON_KEYS | {o.name for o in spec.options}
        for key in raw:
            if key not in allowed:
                raise ConfigError(
                    where, lines.key_in_source(index, key),
                    f"{label}: unknown key '{key}' for kind '{kind}'{_did_you_mean(key, allowed)}",
                )
        urls = raw.get("urls")
        if spec.urls:
            if urls is None:
                raise ConfigError(
                    where, line, f"{label}: missing urls; add urls = [\"https://…\"] with the {kind} URL(s)"
                )
            if isinstance(urls, str):
                urls = [urls]
            if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
                raise ConfigError(
                    where, lines.key_in_source(index, "urls"),
                    f"{label}: urls must be a non-empty list of URLs, e.g. urls = [\"https://…\"]",
                )
            for url in urls:
                if not HTTP_URL.match(url):
                    raise ConfigError(
                        where, lines.key_in_source(index, "urls"),
                        f"{label}: '{url}' is not an http(s) URL; write it in full, with https://",
                    )
        for key in ("title",):
            if key in raw and not isinstance(raw[key], str):
                raise ConfigError(where, lines.key_in_source(index, key), f"{label}: {key} must be a string")
        if "enabled" in raw and not isinstance(raw["enabled"], bool):
            raise ConfigError(
                where, lines.key_in_source(index, "enabled"), f"{label}: enabled must be true or false"
            )
        focus = raw.get("focus", "")
        if focus not in ("", *FOCUSES):
            raise ConfigError(
                where, lines.key_in_source(index, "focus"),
                f"{label}: focus must be \"hsct\" (a blog or forum devoted to the treatment), "
                f"not {focus!r}",
            )
        options = {}
        for declared in spec.options:
            key = declared.name
            if key not in raw:
                if declared.required:
                    raise ConfigError(
                        where, line, f"{label}: kind '{kind}' needs '{key}'; add {declared.example}"
                    )
                continue
            value = raw[key]
            if declared.type is list and isinstance(value, str):
                value = [value]
            if not _is_type(value, declared.type) or (
                    declared.type is list and not all(isinstance(v, str) for v in value)):
                expected = "a list of strings" if declared.type is list else _type_name(declared.type)
                raise ConfigError(
                    where, lines.key_in_source(index, key),
                    f"{label}: {key} must be {expected}, not {_type_name(type(value))}",
                )
            problem = check_value(declared.check, value)
            if problem:
                raise ConfigError(where, lines.key_in_source(index, key), f"{label}: {key} {problem}")
            options[key] = value
        sources.append(
            SourceConfig(
                name=name,
                kind=kind,
                urls=tuple(urls or ()),
                title=raw.get("title", ""),
                enabled=raw.get("enabled", True),
                options=options,
                focus=focus,
            )
        )
    return sources


def _is_type(value: Any, typ: type | tuple[type, ...]) -> bool:
    types = typ if isinstance(typ, tuple) else (typ,)
    if isinstance(value, bool) and bool not in types:
        return False  # TOML's true is not a number
    return isinstance(value, types)


def _type_name(typ: Any) -> str:
    if typ == (int, float):
        return "a number"
    names = {str: "a string", int: "a whole number", bool: "true or false", list: "a list",
             dict: "a table", float: "a number", NUMBER: "a number"}
    return names.get(typ, getattr(typ, "__name__", str(typ)))


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "my-source"
