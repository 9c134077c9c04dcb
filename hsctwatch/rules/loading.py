"""Reading a rules file: the shipped one or an editor's, checked, compiled once per process."""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from hsctwatch.rules.model import RulesError
from hsctwatch.rules.relevance import RelevanceRules
from hsctwatch.rules.tags import TagRules, read_page_forms, read_tag
from hsctwatch.rules.terms import Terms, compile_terms, cue_before, normalize, strings


def required_table(data: Mapping[str, Any], key: str, where: str = "") -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise RulesError(f"missing table [{where + key}]")
    return value



class Rules(RelevanceRules, TagRules):
    """The editorial rules, ready to apply."""

    def __init__(self, data: Mapping[str, Any], path: str = "rules"):
        self.path = path
        self.digest = ""  # of the file's text, when loaded from one: tells two loads apart
        self._read_relevance(data)
        self._read_vocabulary(data)
        self._read_tags(data)
        self._read_genres(data)
        self._read_tag_genres(data)

    # -- loading -----------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path | None = None) -> Rules:
        """The shipped rules, or an editor's file. A bad file is a ValueError that names it."""
        return _rules_from(cls, *_rules_text(path))

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
        self.chemo = Terms.of_phrases("[procedure.weak] context", weak.get("context"))
        self.ms = Terms.read("[ms]", ms)
        spelled = [p for p in strings("[ms] phrases", ms.get("phrases")) if "ms" not in p.lower().split()]
        self.ms_spelled = Terms.of_phrases("[ms] phrases", spelled)
        not_ms = [normalize(p) for p in strings("[ms] not_ms", ms.get("not_ms"))]
        self.not_ms = compile_terms("[ms] not_ms", not_ms, 0)
        self.senses = {abbr: Terms.of_phrases(f"[senses] {abbr}", names)
                       for abbr, names in data.get("senses", {}).items()}
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
        places = procedure.get("places", {})
        self.places = Terms.read("[procedure.places]", places)
        self.place_near = Terms.of_phrases("[procedure.places] near", places.get("near"))
        self.place_near_within = int(places.get("near_within", 6))
        self.centres = Terms.read("[procedure.centres]", procedure.get("centres", {}))

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



_LOADED: dict[tuple[type[Rules], str, str], Rules] = {}


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
    """The digest `Rules.load(path).digest` has, without compiling the rules."""
    return hashlib.sha256(_rules_text(path)[0].encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Vocabulary:
    """The tags of a rules file (slug → facet and label) without compiling the rules: what the
    feeds and the review desk need, at a fraction of the cost of `Rules.load`."""

    tags: dict[str, tuple[str, str]]

    @classmethod
    def load(cls, path: str | Path | None = None) -> Vocabulary:
        text, shown = _rules_text(path)
        try:
            raw = tomllib.loads(text).get("tags", [])
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{shown}: not valid TOML ({exc})") from None
        return cls({t["slug"]: (t["facet"], str(t.get("label", t["slug"]))) for t in raw
                    if isinstance(t, dict) and isinstance(t.get("slug"), str)
                    and isinstance(t.get("facet"), str)})

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


def _rules_from(cls: type[Rules], text: str, shown: str) -> Rules:
    """The rules a file's text gives. Rules are read-only once made, and compiling them takes
    a while (every crawler of a run has a relevance and a tag stage): one file's text is
    compiled once per process."""
    key = (cls, text, shown)
    if key in _LOADED:
        return _LOADED[key]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{shown}: not valid TOML ({exc})") from None
    try:
        rules = cls(data, shown)
    except RulesError as exc:
        raise ValueError(f"{shown}: {exc}") from None
    rules.digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if len(_LOADED) >= 8:
        _LOADED.clear()
    _LOADED[key] = rules
    return rules

