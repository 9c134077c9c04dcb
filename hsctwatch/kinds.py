"""Source kinds: each is one module in spiders/ that declares what its `urls` are
(``KIND_URLS``) and its options (``OPTIONS``), which the config loader checks sources against."""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Option:
    """One option of a source kind, declared beside its spider (``OPTIONS`` in spiders/<kind>.py).

    ``check`` adds a check of the value beyond its type: "regex" (each item compiles), "css" (a
    valid CSS selector), "url" (an http(s) URL), "positive" (1 or more), "not-negative" (both
    at most MAX_NUMBER)."""

    name: str
    type: type
    default: Any
    help: str
    required: bool = False
    example: str = ""  # for a required option: the line to add, shown when it is missing
    check: str = ""


@dataclass(frozen=True)
class Kind:
    """A source kind: what its `urls` are (empty: it takes none) and its options."""

    name: str
    urls: str
    options: tuple[Option, ...]

    def option(self, name: str) -> Option | None:
        return next((o for o in self.options if o.name == name), None)


_DECLARATIONS = {"KIND_URLS", "OPTIONS"}
_NAMES = {"Option": Option, "bool": bool, "int": int, "str": str, "list": list, "float": float}


@functools.cache
def source_kinds() -> dict[str, Kind]:
    """Every kind with a spider in spiders/, by the module's name, as its module declares it.

    The declarations are read from the modules' source, not imported: a command that never
    crawls (feeds, review, serve) checks the config without loading Scrapy and every spider."""
    kinds: dict[str, Kind] = {}
    if importlib.util.find_spec("spiders") is None:
        return kinds
    # read as resources, not as files: in a Scrapyd egg the modules are inside a zip file
    modules = (entry for entry in resources.files("spiders").iterdir() if entry.name.endswith(".py"))
    for module in sorted(modules, key=lambda entry: entry.name):
        declared = _declarations(module.read_text(encoding="utf-8"), f"spiders/{module.name}")
        if "OPTIONS" in declared:
            name = module.name.removesuffix(".py")
            kinds[name] = Kind(name, declared.get("KIND_URLS", ""), declared["OPTIONS"])
    return kinds


def _declarations(source: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for node in ast.parse(source, path).body:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target = node.targets[0]
        if isinstance(target, ast.Name) and target.id in _DECLARATIONS:
            code = compile(ast.Expression(node.value), str(path), "eval")
            found[target.id] = eval(code, {"__builtins__": {}, **_NAMES})  # noqa: S307 — our own file
    return found


HTTP_URL = re.compile(r"^https?://[^/\s?#]+", re.IGNORECASE)
MAX_NUMBER = 100_000  # sizes, pages, days: more is a typo (and some would overflow a date)


def check_value(check: str, value: Any) -> str:
    """What is wrong with an option's value beyond its type, as the end of a sentence; "" if fine."""
    if check == "positive" and value < 1:
        return f"must be 1 or more, not {value}"
    if check == "not-negative" and value < 0:
        return f"must be 0 or more, not {value}"
    if check in ("positive", "not-negative") and value > MAX_NUMBER:
        return f"must be at most {MAX_NUMBER:,}, not {value}"
    if check == "url" and value and not HTTP_URL.match(value):
        return f"'{value}' is not an http(s) URL; write it in full, with https://"
    if check == "regex":
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                return f"pattern '{pattern}' is not a valid regex ({exc})"
    if check == "css" and value:
        from cssselect import SelectorError
        from parsel.csstranslator import GenericTranslator  # as the html spider reads it

        try:
            GenericTranslator().css_to_xpath(value)
        except SelectorError as exc:
            return f"'{value}' is not a valid CSS selector ({exc}); check its brackets and quotes"
    return ""
