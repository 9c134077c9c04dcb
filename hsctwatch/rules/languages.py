"""Rules per language: a language's rules file adds its own words to the main rules file.

Beside ``rules.toml`` (the main rules, in English) each language followed has a file named by
its code, ``es.toml``, ``ru.toml`` …, in the same shape: a ``[language]`` table, then the lists
of the main file it adds to — the names of the procedure and of MS, the negative contexts,
the triggers of each tag (by slug; tags are the same in every language). An article in that
language is read with the main file's settings and terms *and* the language's terms: the
loanwords (HSCT, aHSCT), abbreviations, trial and drug names and place names that every
language shares are written once, in the main file. A list of the ``[language]`` table,
``without``, leaves out the main file's phrases that are false friends in the language
(Italian "cure" is treatment, not a cure).

Inflection: the language's ``endings`` are added to every word of its phrases, so that
"рассеянный склероз" also finds "рассеянным склерозом" and "trasplante autólogo" finds
"trasplantes autólogos" — one way for every word, not endings listed by hand. A word's ending
(the longest of the list it ends in) is taken off, and any ending of the list, or none, may
follow what is left (a stem keeps four letters at least: "cura" is not "curso").
``inflect = "lowercase"`` inflects only words written in lower case
(Spanish "Puebla" is a name, not a form of "pueblo"); ``"all"`` inflects names too (Russian
"Москва" → "в Москве"). Words of three letters or fewer, abbreviations, words with a * and
``patterns`` are taken as written.

Adding a language is adding its file: ``fr.toml`` beside ``rules.toml`` (or beside an editor's
own rules file, where it is looked for first).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from hsctwatch.rules.model import RulesError

#: The main rules file's language, unless its own [language] table says otherwise.
MAIN = {"code": "en", "name": "English"}
LANGUAGE_FILE = re.compile(r"^([a-z]{2,3})\.toml$")
#: Lists whose strings are regular expressions: taken as written, never inflected.
REGEX_LISTS = frozenset({"patterns", "exact", "not_ms", "other_disease_exact"})
#: Strings that are names, not phrases (where a trigger looks, the kind of page a trigger is off
#: in, the tags a tag is not given beside): taken as written, never inflected.
NAMES = frozenset({"where", "form", "not_in", "not_with", "not_beside", "slug", "facet", "label"})
LANGUAGE_KEYS = frozenset({"code", "name", "endings", "inflect", "without", "first_person", "said",
                           "qa_labels", "comparison", "joiners"})


@dataclass(frozen=True)
class LanguageFile:
    code: str
    text: str
    shown: str  # the name to show in messages


def language_files(rules_path: str | Path | None) -> dict[str, LanguageFile]:
    """The language files for a rules file: those beside it, and the shipped ones for the
    languages it has none of. The main file itself (rules.toml) is not one of them."""
    found: dict[str, LanguageFile] = {}
    if rules_path is not None:
        folder = Path(rules_path).parent
        for path in sorted(folder.glob("*.toml")):
            m = LANGUAGE_FILE.match(path.name)
            if m and path.resolve() != Path(rules_path).resolve():
                try:
                    found[m[1]] = LanguageFile(m[1], path.read_text(encoding="utf-8"), str(path))
                except OSError as exc:
                    raise ValueError(f"{path}: cannot read the rules file ({exc.strerror})") from None
    shipped = resources.files("hsctwatch.rules")
    for entry in sorted(shipped.iterdir(), key=lambda e: e.name):
        m = LANGUAGE_FILE.match(entry.name)
        if m and m[1] not in found:
            found[m[1]] = LanguageFile(m[1], entry.read_text(encoding="utf-8"),
                                       f"hsctwatch/rules/{entry.name}")
    return found


def parse(file: LanguageFile) -> dict[str, Any]:
    """A language file's data, checked: a [language] table whose code is the file's name."""
    try:
        data = tomllib.loads(file.text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{file.shown}: not valid TOML ({exc})") from None
    language = data.get("language")
    if not isinstance(language, dict) or language.get("code") != file.code:
        raise ValueError(f'{file.shown}: needs a [language] table with code = "{file.code}"')
    unknown = set(language) - LANGUAGE_KEYS
    if unknown:
        raise ValueError(f"{file.shown}: unknown key(s) in [language]: {', '.join(sorted(unknown))}")
    if language.get("inflect", "lowercase") not in ("lowercase", "all"):
        raise ValueError(f'{file.shown}: [language] inflect must be "lowercase" or "all"')
    return data


def language_name(data: Mapping[str, Any], code: str) -> str:
    language = data.get("language") or {}
    return str(language.get("name") or (MAIN["name"] if code == MAIN["code"] else code))


# -- one language's rules: the main file's data with the language's added ----------------------


def merged(main: Mapping[str, Any], language: Mapping[str, Any]) -> dict[str, Any]:
    """The rules data an article in the language is read with: every list of the main file with
    the language's own terms added (its phrases inflected), each tag's triggers with the
    language's, and the language's settings over the main file's."""
    settings = dict(language["language"])
    inflect = _Inflection(tuple(settings.get("endings", ())), settings.get("inflect", "lowercase"))
    without = {w.lower() for w in settings.get("without", ())}
    own = {k: v for k, v in language.items() if k not in ("language", "tags")}
    data = _merge(_without(main, without), inflect.table(own), "")
    data["language"] = settings
    data["tags"] = _merge_tags(data.get("tags", []), language.get("tags", []), inflect)
    return data


def _without(value: Any, words: set[str]) -> Any:
    """The main file's data without the phrases a language leaves out."""
    if not words:
        return value
    if isinstance(value, dict):
        return {k: _without(v, words) for k, v in value.items()}
    if isinstance(value, list):
        return [_without(v, words) for v in value if not (isinstance(v, str) and v.lower() in words)]
    return value


def _merge(main: Any, extra: Any, where: str) -> Any:
    if isinstance(main, dict) and isinstance(extra, dict):
        out = dict(main)
        for key, value in extra.items():
            out[key] = _merge(main[key], value, f"{where}{key}.") if key in main else value
        return out
    if isinstance(main, list) and isinstance(extra, list):
        return main + [v for v in extra if v not in main]
    return extra  # a setting of the language's own


def _merge_tags(main: list[Any], extra: list[Any], inflect: _Inflection) -> list[Any]:
    """The main file's tags, each with the language's terms for it (same slug) added: its own
    lists joined to the tag's, its [[tags.triggers]] after the tag's."""
    by_slug = {t.get("slug"): n for n, t in enumerate(main) if isinstance(t, dict)}
    tags = [dict(t) if isinstance(t, dict) else t for t in main]
    for raw in extra:
        if not isinstance(raw, dict) or raw.get("slug") not in by_slug:
            slug = raw.get("slug") if isinstance(raw, dict) else raw
            raise RulesError(f"tag {slug!r} is not a tag of the main rules file; tags are the same "
                             "in every language")
        tag = tags[by_slug[raw["slug"]]]
        own = inflect.table({k: v for k, v in raw.items() if k not in ("slug", "triggers")})
        for key, value in own.items():
            tag[key] = _merge(tag[key], value, "") if key in tag else value
        triggers = [inflect.table(t) if isinstance(t, dict) else t for t in raw.get("triggers", [])]
        if triggers:
            tag["triggers"] = [*tag.get("triggers", []), *triggers]
    return tags


@dataclass(frozen=True)
class _Inflection:
    endings: tuple[str, ...]
    mode: str  # "lowercase" | "all"

    def table(self, value: Any, key: str = "") -> Any:
        """The language's data with the words of its phrases inflected."""
        if isinstance(value, dict):
            return {k: self.table(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.table(v, key) for v in value]
        if isinstance(value, str) and key not in REGEX_LISTS | NAMES:
            return self.phrase(value)
        return value

    def phrase(self, phrase: str) -> str:
        if not self.endings:
            return phrase
        return re.sub(r"[^\s\-/*{}]+\*?", lambda m: self.word(m[0]), phrase)

    def word(self, word: str) -> str:
        """The word with its ending marked as replaceable: "склероз" → "склероз{а|у|ом|…}"."""
        if (word.endswith("*") or len(word) < 4 or not word.isalpha() or word.isupper()
                or (self.mode == "lowercase" and not word.islower())):
            return word
        lower = word.lower()
        cut = max((e for e in self.endings if lower.endswith(e) and len(word) - len(e) >= 4),
                  key=len, default="")
        stem = word[:len(word) - len(cut)]
        return stem + "{" + "|".join(self.endings) + "}"
