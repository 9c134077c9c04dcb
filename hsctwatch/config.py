"""The configuration file: one TOML file, validated before anything runs.

Every problem is reported as one line that names the file, the line, the source and the fix,
so an operator reading cron mail knows what to change. Nothing is crawled or written while the
file is wrong.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from hsctwatch.kinds import HTTP_URL, check_value, source_kinds

DEFAULT_FILE = "hsct-watch.toml"
ENV_VAR = "HSCT_WATCH_CONFIG"

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")

#: Options every source accepts.
COMMON_KEYS = {"name", "title", "kind", "urls", "enabled"}

STORE_KEYS: dict[str, tuple[type | tuple[type, ...], Any]] = {"url": (str, "sqlite:///hsct-watch.db")}
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
}
CRAWL_KEYS: dict[str, tuple[type | tuple[type, ...], Any]] = {
    "user_agent": (str, ""),
    "contact": (str, "https://github.com/hsct-watch/hsct-watch"),
}
SERVE_KEYS: dict[str, tuple[type | tuple[type, ...], Any]] = {
    "host": (str, "127.0.0.1"),
    "port": (int, 8480),
    "behind_proxy": (bool, False),
    "session_hours": (int, 12),
}
CLUSTER_KEYS: dict[str, tuple[type | tuple[type, ...], Any]] = {
    "redis": (str, ""),
    "prefix": (str, "hsct-watch"),
}
TOP_KEYS = {"store", "feeds", "scrapy", "sources", "crawl", "rules", "serve", "cluster"}


class ConfigError(Exception):
    """A problem with the configuration; str() is the one line shown to the user."""

    def __init__(self, path: str, line: int | None, message: str):
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class SourceConfig:
    name: str
    kind: str
    urls: tuple[str, ...]
    title: str = ""
    enabled: bool = True
    options: dict[str, Any] = field(default_factory=dict)

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


@dataclass(frozen=True)
class FeedsConfig:
    out: str = "public"
    title: str = "HSCT for MS"
    description: str = FEEDS_KEYS["description"][1]
    base_url: str = "https://example.org/hsct/"
    publish: str = "auto"
    max_items: int = 100
    language: str = "en"


@dataclass(frozen=True)
class CrawlConfig:
    user_agent: str = ""
    contact: str = CRAWL_KEYS["contact"][1]


@dataclass(frozen=True)
class ServeConfig:
    """The review desk's web server (`hsct-watch serve`)."""

    host: str = "127.0.0.1"  # loopback unless told otherwise
    port: int = 8480
    behind_proxy: bool = False  # trust X-Forwarded-For/-Proto from one reverse proxy (for HTTPS)
    session_hours: int = 12


@dataclass(frozen=True)
class ClusterConfig:
    """Crawler processes sharing one Redis-backed queue (hsctwatch.crawl.cluster); off without redis."""

    redis: str = ""  # redis://host:6379/0
    prefix: str = "hsct-watch"  # of every Redis key, so clusters can share a server


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

    store = StoreConfig(**_table(where, lines, data, "store", STORE_KEYS))
    feeds_values = _table(where, lines, data, "feeds", FEEDS_KEYS)
    if feeds_values.get("publish", "auto") not in ("auto", "approved"):
        raise ConfigError(
            where, lines.key_in_table("feeds", "publish"),
            f"[feeds] publish = '{feeds_values['publish']}' is not known; use \"auto\" or \"approved\"",
        )
    if feeds_values.get("max_items", 100) < 1:
        raise ConfigError(
            where, lines.key_in_table("feeds", "max_items"), "[feeds] max_items must be 1 or more"
        )
    feeds = FeedsConfig(**feeds_values)
    crawl = CrawlConfig(**_table(where, lines, data, "crawl", CRAWL_KEYS))
    serve_values = _table(where, lines, data, "serve", SERVE_KEYS)
    if not 0 < serve_values.get("port", 8480) < 65536:
        raise ConfigError(where, lines.key_in_table("serve", "port"), "[serve] port must be 1-65535")
    if serve_values.get("session_hours", 12) < 1:
        raise ConfigError(
            where, lines.key_in_table("serve", "session_hours"), "[serve] session_hours must be 1 or more"
        )
    serve = ServeConfig(**serve_values)
    cluster = _cluster(where, lines, data, store)

    scrapy_settings = data.get("scrapy", {})
    if not isinstance(scrapy_settings, dict):
        raise ConfigError(where, lines.table("scrapy"), "[scrapy] must be a table of Scrapy settings")
    for key in scrapy_settings:
        if not re.match(r"^[A-Z][A-Z0-9_]*$", key):
            raise ConfigError(
                where, lines.key_in_table("scrapy", key),
                f"[scrapy] '{key}' is not a Scrapy setting name; "
                "settings are UPPER_CASE, e.g. DOWNLOAD_DELAY",
            )

    rules = data.get("rules")
    if rules is not None and not isinstance(rules, str):
        raise ConfigError(where, None, "'rules' must be the path of a rules file, as a string")

    if "sources" in data:
        raw_sources = data["sources"]
        if not isinstance(raw_sources, list):
            raise ConfigError(where, None, "'sources' must be written as [[sources]] tables")
        sources = _sources(where, lines, raw_sources)
    else:
        builtin_data = tomllib.loads(builtin)
        sources = _sources("built-in sources", _Lines(builtin), builtin_data["sources"])

    return Config(
        path=shown,
        store=store,
        feeds=feeds,
        crawl=crawl,
        scrapy=dict(scrapy_settings),
        sources=tuple(sources),
        rules=str(base_dir / rules) if rules else None,
        base_dir=str(base_dir),
        serve=serve,
        cluster=cluster,
    )


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
        if kind not in kinds:
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
            )
        )
    return sources


def _is_type(value: Any, typ: type | tuple[type, ...]) -> bool:
    if typ is int or typ == (int,):
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, typ)


def _type_name(typ: Any) -> str:
    names = {str: "a string", int: "a whole number", bool: "true or false", list: "a list",
             dict: "a table", float: "a number"}
    return names.get(typ, getattr(typ, "__name__", str(typ)))


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "my-source"
