"""Reading a rules file: the shipped one or an editor's, checked, compiled once per process."""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from hsctwatch.rules import languages
from hsctwatch.rules.languages import MAIN, LanguageFile
from hsctwatch.rules.model import Document, Relevance, RulesError, TagMatch
from hsctwatch.rules.relevance import RelevanceRules
from hsctwatch.rules.tags import TagRules, read_page_forms, read_tag
from hsctwatch.rules.terms import (
    Terms,
    compile_terms,
    cue_after,
    cue_before,
    normalize,
    phrase_regex,
    strings,
)


def required_table(data: Mapping[str, Any], key: str, where: str = "") -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise RulesError(f"missing table [{where + key}]")
    return value



class Rules(RelevanceRules, TagRules):
    """The editorial rules, ready to apply: the main rules file's, and through it each
    language's (hsctwatch.rules.languages), used for the documents in that language."""

    def __init__(self, data: Mapping[str, Any], path: str = "rules",
                 language_files: Mapping[str, LanguageFile] | None = None):
        self.path = path
        self.digest = ""  # of the files' text, when loaded from files: tells two loads apart
        self.data = data
        language = data.get("language") or {}
        self.language = str(language.get("code") or languages.MAIN["code"])
        self.language_files = dict(language_files or {})
        self._languages: dict[str, Rules] = {}
        self._read_relevance(data)
        self._read_vocabulary(data)
        self._read_forms(language)
        self._read_tags(data)
        self._read_genres(data)
        self._read_tag_genres(data)
        # each language file read and joined to these rules now, so that a mistake in one shows
        # when the rules are loaded; its terms are compiled when an article in it first comes
        self._language_data = {code: self._merged(file) for code, file in self.language_files.items()
                               if code != self.language}

    # -- each language's rules ------------------------------------------------------------------

    def for_language(self, code: str) -> Rules:
        """The rules for documents in this language: these, with the language file's terms added;
        these alone for a language without a file. Made when first asked for (compiling takes a
        while) and kept."""
        if not code or code not in self._language_data:
            return self
        if code not in self._languages:
            file = self.language_files[code]
            try:
                rules = type(self)(self._language_data[code], f"{self.path} + {file.shown}")
            except RulesError as exc:
                raise ValueError(f"{file.shown}: {exc}") from None
            rules.digest = self.digest
            self._languages[code] = rules
        return self._languages[code]

    def _merged(self, file: LanguageFile) -> dict[str, Any]:
        try:
            return languages.merged(self.data, languages.parse(file))
        except RulesError as exc:
            raise ValueError(f"{file.shown}: {exc}") from None

    @property
    def languages(self) -> list[str]:
        """The codes of the languages these rules read: the main file's first."""
        return [self.language, *sorted(c for c in self.language_files if c != self.language)]

    def check_languages(self) -> None:
        """Compile every language's rules now, so that a mistake in a language file shows at
        once (a ValueError naming the file) rather than at its first article."""
        for code in self.languages:
            self.for_language(code)

    def relevance(self, doc: Document) -> Relevance:
        return RelevanceRules.relevance(self.for_language(doc.language), doc)

    def tags(self, doc: Document) -> list[TagMatch]:
        return TagRules.tags(self.for_language(doc.language), doc)

    # -- loading -----------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path | None = None) -> Rules:
        """The shipped rules, or an editor's file, with the language files beside it (and the
        shipped ones for other languages). A bad file is a ValueError that names it."""
        return _rules_from(cls, *_rules_text(path), languages.language_files(path))

    def _read_relevance(self, data: Mapping[str, Any]) -> None:
        relevance = required_table(data, "relevance")
        try:
            self.threshold = float(relevance.get("threshold", 0.5))
            self.focus_threshold = float(relevance.get("focus_threshold", self.threshold))
            self.weights = {k: float(v) for k, v in relevance.get("weights", {}).items()}
            self.penalties = {k: float(v) for k, v in relevance.get("penalties", {}).items()}
        except (TypeError, ValueError):
            raise RulesError("[relevance] threshold, weights and penalties must be numbers") from None
        for table, needed in (("weights", {"headline_procedure", "headline_ms", "headline_both",
                                           "lede_procedure", "mention", "paragraph_cap",
                                           "discussion_cap", "same_sentence"}),
                              ("penalties", {"other_disease", "other_cells", "passing"})):
            missing = needed - set(getattr(self, table))
            if missing:
                raise RulesError(f"[relevance.{table}] is missing {', '.join(sorted(missing))}")

    def _read_vocabulary(self, data: Mapping[str, Any]) -> None:
        procedure = required_table(data, "procedure")
        weak = required_table(procedure, "weak", "procedure.")
        ms = required_table(data, "ms")
        negative = required_table(data, "negative")
        self.procedure = Terms.read("[procedure]", procedure)
        self._read_steps(procedure)
        self.weak_procedure = Terms.read("[procedure.weak]", weak)
        self.weak_not_after = cue_before("[procedure.weak] not_after", weak.get("not_after"))
        self.weak_not_before = cue_after("[procedure.weak] not_before", weak.get("not_before"))
        self.weak_with_ms = Terms.of_phrases("[procedure.weak] with_ms", weak.get("with_ms"))
        self.chemo = Terms.of_phrases("[procedure.weak] context", weak.get("context"))
        self.ms = Terms.read("[ms]", ms)
        spelled = [p for p in strings("[ms] phrases", ms.get("phrases")) if "ms" not in p.lower().split()]
        self.ms_spelled = Terms.of_phrases("[ms] phrases", spelled)
        self.ms_implied = Terms.of_phrases("[ms] implied_by", ms.get("implied_by"))
        not_ms = [normalize(p) for p in strings("[ms] not_ms", ms.get("not_ms"))]
        self.not_ms = compile_terms("[ms] not_ms", not_ms, 0)
        self.senses = {abbr: Terms.of_phrases(f"[senses] {abbr}", names)
                       for abbr, names in data.get("senses", {}).items()}
        # what each abbreviation stands for in the policy's sense: MS (its names written out) or the procedure
        self.sense_owners = {abbr: self.ms_spelled if self.ms.search(abbr) else self.procedure
                             if self.procedure.search(abbr) else Terms() for abbr in self.senses}
        self.procedure_senses = frozenset(a for a, own in self.sense_owners.items() if own is self.procedure)
        self.diseases = Terms.read("[negative]", negative, phrases="other_diseases",
                                   exact="other_disease_exact")
        self.cells = Terms.of_phrases("[negative] other_cells", negative.get("other_cells"))
        self.contrast = Terms.of_phrases("[negative] contrast", negative.get("contrast"))
        options = negative.get("options", {})
        self.options = Terms.read("[negative.options]", options)
        self.list_markers = Terms.of_phrases("[negative.options] markers", options.get("markers"))
        secondary = negative.get("secondary_ms", {}).get("patterns")
        self.secondary_ms = compile_terms("[negative.secondary_ms]",
                                     strings("[negative.secondary_ms] patterns", secondary), re.IGNORECASE)
        pages = data.get("non_article", {})
        self.page_min = int(pages.get("min", 2))
        self.page_max_prose = int(pages.get("max_prose", 1))
        self.page_teasers_min = int(pages.get("teasers_min", 4))
        self.page_prose_words = int(pages.get("prose_words", 40))
        self.page_kinds = {kind: Terms.of_phrases(f"[non_article.kinds] {kind!r}", signs)
                           for kind, signs in pages.get("kinds", {}).items()}

    def _read_steps(self, procedure: Mapping[str, Any]) -> None:
        """The procedure told in its steps, and the places it is done at (see rules.toml)."""
        steps = procedure.get("steps", {})
        kinds = {k: v for k, v in steps.items() if isinstance(v, dict)}
        self.step_kinds = {kind: Terms.read(f"[procedure.steps.{kind}]", table)
                           for kind, table in kinds.items()}
        everything = {key: [t for table in kinds.values() for t in strings(key, table.get(key))]
                      for key in ("phrases", "patterns", "exact")}
        self.steps = Terms.read("[procedure.steps]", everything)
        self.steps_min_kinds = int(steps.get("min_kinds", 2))
        self.steps_unless = Terms.of_phrases("[procedure.steps] unless", steps.get("unless"))
        places = procedure.get("places", {})
        self.places = Terms.read("[procedure.places]", places)
        self.place_near = Terms.of_phrases("[procedure.places] near", places.get("near"))
        self.place_near_within = int(places.get("near_within", 6))
        self.centres = Terms.read("[procedure.centres]", procedure.get("centres", {}))
        own = procedure.get("own", {})
        self.own = Terms.read("[procedure.own]", own)
        self.own_first_person = (int(own.get("first_person_min", 8)),
                                 float(own.get("first_person_share", 0.025)))

    def _read_forms(self, language: Mapping[str, Any]) -> None:
        """How the language writes what the article's form is told by (hsctwatch.rules.forms):
        first-person words, verbs of speech, question-and-answer labels, and the words that
        make a sentence a comparison rather than a list of options."""
        def words(key: str) -> list[str]:
            return strings(f"[language] {key}", language.get(key))

        self.first_person = words("first_person")
        self.said = words("said")
        self.qa_labels = words("qa_labels")
        comparison = [phrase_regex(w) for w in words("comparison")]
        self.comparison = compile_terms("[language] comparison", comparison, re.IGNORECASE)

    def _read_tags(self, data: Mapping[str, Any]) -> None:
        raw_tags = data.get("tags", [])
        if not isinstance(raw_tags, list) or not raw_tags:
            raise RulesError("no tags: add [[tags]] tables")
        tagging = data.get("tagging", {})
        self.headline_counts = int(tagging.get("headline_counts", 2))
        self.dense_terms = int(tagging.get("dense_terms", 3))
        facet_defaults = data.get("facets", {})
        self.crowded = {facet: (int(table["crowded"]), Terms.of_phrases(
                            f"[facets.{facet}] crowded_unless", table.get("crowded_unless")))
                        for facet, table in facet_defaults.items()
                        if isinstance(table, dict) and "crowded" in table}
        seen: set[str] = set()
        page_forms = read_page_forms(data.get("page_forms", {}))
        self.tag_rules = [read_tag(i, raw, facet_defaults, seen, page_forms)
                          for i, raw in enumerate(raw_tags)]
        for key in ("not_with", "outweighed_by"):
            unknown = {s for t in self.tag_rules for s in getattr(t, key)} - seen
            if unknown:
                raise RulesError(f"'{key}' names no tag: {', '.join(sorted(unknown))}")



_LOADED: dict[tuple[type[Rules], str, str, tuple[LanguageFile, ...]], Rules] = {}


def _rules_text(path: str | Path | None) -> tuple[str, str]:
    """The text of the shipped rules or of an editor's file, and the name to show for it."""
    if path is None:
        return resources.files("hsctwatch.rules").joinpath("rules.toml").read_text(encoding="utf-8"), \
            "hsctwatch/rules/rules.toml"
    try:
        return Path(path).read_text(encoding="utf-8"), str(path)
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the rules file ({exc.strerror})") from None


def rules_digest(path: str | Path | None = None) -> str:
    """The digest `Rules.load(path).digest` has (the main file's and its language files'),
    without compiling the rules."""
    return _digest(_rules_text(path)[0], languages.language_files(path))


def _digest(text: str, files: Mapping[str, LanguageFile]) -> str:
    """Of the main rules file's text and of each language file's: tells two loads apart."""
    digest = hashlib.sha256(text.encode("utf-8"))
    for code in sorted(files):
        digest.update(f"\0{code}\0{files[code].text}".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Vocabulary:
    """The tags of a rules file (slug → facet and label) and the names of the languages it
    reads, without compiling the rules: what the feeds and the review desk need, at a fraction
    of the cost of `Rules.load`."""

    tags: dict[str, tuple[str, str]]
    languages: dict[str, str] = field(default_factory=lambda: {MAIN["code"]: MAIN["name"]})

    @classmethod
    def load(cls, path: str | Path | None = None) -> Vocabulary:
        text, shown = _rules_text(path)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{shown}: not valid TOML ({exc})") from None
        raw = data.get("tags", [])
        main = str((data.get("language") or {}).get("code") or languages.MAIN["code"])
        names = {main: languages.language_name(data, main)}
        for code, file in languages.language_files(path).items():
            if code != main:
                names[code] = languages.language_name(languages.parse(file), code)
        return cls({t["slug"]: (t["facet"], str(t.get("label", t["slug"]))) for t in raw
                    if isinstance(t, dict) and isinstance(t.get("slug"), str)
                    and isinstance(t.get("facet"), str)}, names)

    def language_name(self, code: str) -> str:
        """"Spanish" for "es"; the code itself for a language without a rules file."""
        return self.languages.get(code, code)

    def label(self, slug: str) -> str:
        return self.tags[slug][1]

    def display(self, slug: str) -> str:
        """The tag's label, or its slug for a tag the rules no longer have."""
        return self.tags[slug][1] if slug in self.tags else slug

    def facet(self, slug: str) -> str:
        return self.tags[slug][0]

    @property
    def facets(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for slug, (facet, _) in self.tags.items():
            out.setdefault(facet, []).append(slug)
        return out


def _rules_from(cls: type[Rules], text: str, shown: str,
                files: Mapping[str, LanguageFile] | None = None) -> Rules:
    """The rules a file's text gives (with its language files). Rules are read-only once made,
    and compiling them takes a while (every crawler of a run has a relevance and a tag stage):
    one file's text is compiled once per process."""
    files = dict(files or {})
    key = (cls, text, shown, tuple(files[c] for c in sorted(files)))
    if key in _LOADED:
        return _LOADED[key]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{shown}: not valid TOML ({exc})") from None
    try:
        rules = cls(data, shown, files)
    except RulesError as exc:
        raise ValueError(f"{shown}: {exc}") from None
    rules.digest = _digest(text, files)
    if len(_LOADED) >= 8:
        _LOADED.clear()
    _LOADED[key] = rules
    return rules
