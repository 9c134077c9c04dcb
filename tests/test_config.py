"""The config file: defaults, and one clear line with exit status 2 for every kind of mistake."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hsctwatch.cli import cli
from hsctwatch.config import ConfigError, load_config

GOOD = """\
[store]
url = "sqlite:///data/watch.db"

[feeds]
out = "site/feeds"
title = "HSCT news"
publish = "approved"
max_items = 50

[scrapy]
DOWNLOAD_DELAY = 2.5

[[sources]]
name = "ms-news"
title = "MS News"
kind = "feed"
urls = ["https://example.org/feed/"]

[[sources]]
name = "charity"
kind = "html"
urls = ["https://charity.example.org/news/"]
links = "article h2 a"
enabled = false
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hsct-watch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.store_url == f"sqlite:///{tmp_path / 'data/watch.db'}"
    assert config.feeds_dir == tmp_path / "site/feeds"
    assert config.feeds.publish == "approved" and config.feeds.max_items == 50
    assert config.scrapy == {"DOWNLOAD_DELAY": 2.5}
    assert [s.name for s in config.sources] == ["ms-news", "charity"]
    assert [s.name for s in config.enabled_sources] == ["ms-news"]
    charity = config.source("charity")
    assert charity.option("links") == "article h2 a"
    assert charity.option("max_pages") == 5  # the default
    assert config.source("ms-news").option("full_text") is True
    assert config.source("ms-news").focus == ""  # a general source unless it says otherwise


def test_a_source_declares_its_focus(tmp_path: Path) -> None:
    feed = 'urls = ["https://example.org/feed/"]'
    text = GOOD.replace(feed, feed + '\nfocus = "hsct"')
    assert load_config(write(tmp_path, text)).source("ms-news").focus == "hsct"
    builtin = {s.name: s.focus for s in load_config(None, search=False).sources}
    assert builtin["adios-ms"] == "hsct" and builtin["ms-news-today"] == ""


def test_built_in_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HSCT_WATCH_CONFIG", raising=False)
    config = load_config()
    assert config.path is None
    assert config.store_url == f"sqlite:///{tmp_path / 'hsct-watch.db'}"
    names = {s.name for s in config.sources}
    assert {"ms-news-today", "ms-news-today-feed", "50-shades-of-sun", "ms-trust", "ms-society-uk",
            "national-ms-society", "ms-uk", "ms-australia", "sciencedaily-ms",
            "medicalxpress-hsct"} <= names
    kinds = {s.name: s.kind for s in config.sources}
    assert kinds["ms-news-today"] == "wordpress" and kinds["ms-news-today-feed"] == "feed"
    blogs = [s for s in config.sources if s.kind == "feed" and "blog" not in s.name]
    assert len(blogs) >= 4


def test_a_file_without_sources_uses_the_built_in_ones(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[feeds]\ntitle = 'Mine'\n"))
    assert config.feeds.title == "Mine"
    assert len(config.sources) >= 10


def test_env_var_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, GOOD)
    monkeypatch.setenv("HSCT_WATCH_CONFIG", str(path))
    assert load_config().path == str(path)


BAD = [
    ("unknown kind", GOOD.replace('kind = "feed"', 'kind = "rss"'), 16,
     "source 'ms-news': unknown kind 'rss'"),
    ("missing urls", GOOD.replace('urls = ["https://example.org/feed/"]\n', ""), 13,
     "source 'ms-news': missing urls; add urls = "),
    ("duplicate name", GOOD.replace('name = "charity"', 'name = "ms-news"'), 20,
     "the name is already used by the source on line 13"),
    ("typo in a source key", GOOD.replace('links = "article h2 a"', 'link = "article h2 a"'), 23,
     "unknown key 'link' for kind 'html'; did you mean 'links'?"),
    ("typo in a table key", GOOD.replace("max_items = 50", "max_item = 50"), 8,
     "unknown key 'max_item' in [feeds]; did you mean 'max_items'?"),
    ("typo in a table name", GOOD.replace("[feeds]", "[feed]"), 4,
     "unknown key 'feed' in top-level table; did you mean 'feeds'?"),
    ("TOML syntax error", GOOD.replace('title = "MS News"', 'title = "MS News'), 15,
     "TOML syntax error"),
    ("wrong type", GOOD.replace("max_items = 50", 'max_items = "fifty"'), 8,
     "[feeds] max_items must be a whole number, not a string"),
    ("bad publish mode", GOOD.replace('"approved"', '"everything"'), 7,
     'use "auto" or "approved"'),
    ("html without links", GOOD.replace('links = "article h2 a"\n', ""), 19,
     "kind 'html' needs 'links'"),
    ("bad name", GOOD.replace('name = "charity"', 'name = "My Charity"'), 20,
     'name must be lowercase letters, digits and \'-\', e.g. "my-charity"'),
    ("not a URL", GOOD.replace("https://example.org/feed/", "example.org/feed"), 17,
     "'example.org/feed' is not an http(s) URL"),
    ("a CSS selector that does not parse", GOOD.replace('"article h2 a"', '"a[[["'), 23,
     "source 'charity': links 'a[[[' is not a valid CSS selector"),
    ("a list of something else", GOOD.replace('kind = "html"', 'kind = "sitemap"').replace(
        'links = "article h2 a"', "follow = [1]"), 23, "follow must be a list of strings"),
    ("a regex that does not compile", GOOD.replace('kind = "html"', 'kind = "sitemap"').replace(
        'links = "article h2 a"', 'follow = ["news/(["]'), 23,
     "follow pattern 'news/([' is not a valid regex"),
    ("a size below one", GOOD.replace('kind = "html"', 'kind = "wordpress"').replace(
        'links = "article h2 a"', "per_page = -5"), 23, "per_page must be 1 or more, not -5"),
    ("an API that is not a URL", GOOD.replace('kind = "html"', 'kind = "wordpress"').replace(
        'links = "article h2 a"', 'api = "not a url"'), 23, "api 'not a url' is not an http(s) URL"),
    ("a focus that is not one", GOOD.replace('kind = "feed"', 'kind = "feed"\nfocus = "ms"'), 17,
     'source \'ms-news\': focus must be "hsct" (a blog or forum devoted to the treatment), not \'ms\''),
    ("an API on another scheme", GOOD.replace('kind = "html"', 'kind = "wordpress"').replace(
        'links = "article h2 a"', 'api = "file:///etc/"'), 23, "api 'file:///etc/' is not an http(s) URL"),
]


def test_every_kind_is_a_spider_module_declaring_its_options() -> None:
    import importlib

    from hsctwatch.kinds import source_kinds
    from spiders.base import SourceSpider

    kinds = source_kinds()
    assert set(kinds) == {"feed", "sitemap", "wordpress", "html", "pubmed", "clinicaltrials"}
    for name, kind in kinds.items():
        module = importlib.import_module(f"spiders.{name}")
        spiders = [v for v in vars(module).values()
                   if isinstance(v, type) and issubclass(v, SourceSpider) and v is not SourceSpider]
        assert [s.name for s in spiders] == [name], name
        assert kind.options == module.OPTIONS  # what the loader read is what the module says
        assert all(o.help for o in kind.options), name
        assert all(o.example for o in kind.options if o.required), name


@pytest.mark.parametrize(("case", "text", "line", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_config_is_one_clear_line(tmp_path: Path, case: str, text: str, line: int,
                                      message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.line == line, str(caught.value)
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{path}:{line}: ")


@pytest.mark.parametrize("command", [["run"], ["crawl"], ["feeds"], ["sources"]])
def test_cli_exits_2_and_writes_nothing(tmp_path: Path, command: list[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, GOOD.replace('kind = "feed"', 'kind = "rss"'))
    result = CliRunner().invoke(cli, ["--config", str(path), *command])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"hsct-watch: {path}:16: source 'ms-news': unknown kind 'rss'")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hsct-watch.toml"]


def test_missing_file_named_by_config(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "nope.toml"), "sources"])
    assert result.exit_code == 2
    assert "nope.toml: file not found" in result.output


def test_unknown_source_on_the_command_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    result = CliRunner().invoke(cli, ["--config", str(path), "crawl", "--source", "ms-newz"])
    assert result.exit_code == 2
    assert "no source named 'ms-newz'; did you mean 'ms-news'?" in result.output


# -- the email digest and the hub ---------------------------------------------------------------

DIGEST = GOOD.replace("max_items = 50\n", 'max_items = 50\nhub = "https://hub.example.org/"\n') + """
[digest]
host = "smtp.example.org"
security = "ssl"
user = "hsct"
password_env = "HSCT_WATCH_SMTP_PASSWORD"
from = "HSCT for MS <digest@example.org>"
to = ["reader@example.org", "Another Reader <other@example.net>"]

[digest.tags]
ppms = ["ppms-readers@example.org"]
"""


def test_a_good_digest_and_hub(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, DIGEST))
    assert config.feeds.hub == "https://hub.example.org/"
    digest = config.digest
    assert digest is not None and digest.port == 465  # the port of its security when not given
    assert digest.lists == {"all": ("reader@example.org", "Another Reader <other@example.net>"),
                            "tag:ppms": ("ppms-readers@example.org",)}
    assert digest.subscribe_link == "mailto:digest@example.org"
    assert load_config(write(tmp_path, GOOD)).digest is None


DIGEST_BAD = [
    ("hub not a URL", ('hub = "https://hub.example.org/"', 'hub = "hub.example.org"'),
     'hub = "hub.example.org"', "[feeds] hub 'hub.example.org' is not an http(s) URL"),
    ("password in the file", ('password_env = "HSCT_WATCH_SMTP_PASSWORD"', 'password = "hunter2"'),
     'password = "hunter2"', "do not write the password in the file"),
    ("no sender", ('from = "HSCT for MS <digest@example.org>"\n', ""), "[digest]", "[digest] needs from ="),
    ("not an address", ('"reader@example.org"', '"reader at example.org"'), "to = [",
     "[digest] to: 'reader at example.org' is not an email address"),
    ("no recipients", ('to = ["reader@example.org", "Another Reader <other@example.net>"]\n\n'
                       '[digest.tags]\nppms = ["ppms-readers@example.org"]\n', ""),
     "[digest]", "has no recipients"),
    ("unknown security", ('security = "ssl"', 'security = "tls"'), 'security = "tls"',
     'use "starttls", "ssl" or "none"'),
    ("a user without a password", ('password_env = "HSCT_WATCH_SMTP_PASSWORD"\n', ""), 'user = "hsct"',
     "user and password_env go together"),
    ("a bad tag list", ('ppms = ["ppms-readers@example.org"]', 'ppms = ["nobody"]'), 'ppms = ["nobody"]',
     "[digest.tags] ppms must be a list of email addresses"),
    ("a typo", ('host = "smtp.example.org"', 'hots = "smtp.example.org"'), "hots =",
     "unknown key 'hots' in [digest]; did you mean 'host'?"),
]


@pytest.mark.parametrize(("case", "change", "marker", "message"), DIGEST_BAD, ids=[b[0] for b in DIGEST_BAD])
def test_bad_digest_or_hub_is_one_clear_line(tmp_path: Path, case: str, change: tuple[str, str], marker: str,
                                             message: str) -> None:
    text = DIGEST.replace(*change)
    assert text != DIGEST
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith(marker))
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert caught.value.line == line, str(caught.value)
    assert message in str(caught.value)
