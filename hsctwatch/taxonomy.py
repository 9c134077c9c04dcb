"""Relevance and tags, from the editorial rules file (hsctwatch/rules.toml).

The vocabulary is data; what is code here is how it is read in context: where the names
occur (headline, lede, body), how often, whether the procedure and MS are discussed in the
same paragraphs, whether the procedure is one item in a list of options, whether the
transplant is for another disease, whether "MS" means something else. Every decision comes
with a score and reasons, and every tag with the phrases that triggered it and where.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

WHERE = ("title", "summary", "body")


@dataclass(frozen=True)
class Evidence:
    phrase: str
    where: str  # title | summary | body


@dataclass(frozen=True)
class TagMatch:
    facet: str
    slug: str
    evidence: tuple[Evidence, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"facet": self.facet, "slug": self.slug,
                "evidence": [{"phrase": e.phrase, "where": e.where} for e in self.evidence]}


@dataclass(frozen=True)
class Relevance:
    relevant: bool
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Document:
    title: str
    summary: str = ""
    text: str = ""
    url: str = ""


# -- reading the rules ------------------------------------------------------------------------


@dataclass
class TagRule:
    slug: str
    facet: str
    label: str
    patterns: list[re.Pattern[str]]
    min: int = 1
    near: list[re.Pattern[str]] = field(default_factory=list)
    not_after: list[str] = field(default_factory=list)


def _compile(path: str, where: str, patterns: Any, flags: int = re.IGNORECASE) -> list[re.Pattern[str]]:
    if patterns is None:
        return []
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise ValueError(f"{path}: {where} must be a list of strings (regular expressions)")
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern, flags))
        except re.error as exc:
            raise ValueError(f"{path}: {where}: pattern {pattern!r} is not a valid regex ({exc})") from None
    return compiled


def _word_start(patterns: Any) -> Any:
    """Tag patterns match from the start of a word ("ital" is Italy, not hospital)."""
    if not isinstance(patterns, list):
        return patterns
    return [rf"\b{p}" if isinstance(p, str) and p[:1].isalnum() else p for p in patterns]


def _terms(path: str, table: dict[str, Any], name: str, key: str = "patterns",
           exact: str = "exact") -> list[re.Pattern[str]]:
    return _compile(path, f"[{name}] {key}", table.get(key)) + _compile(
        path, f"[{name}] {exact}", table.get(exact), flags=0)


class Rules:
    """The editorial rules, ready to apply."""

    def __init__(self, data: dict[str, Any], path: str):
        self.path = path
        try:
            self.threshold = float(data.get("relevance", {}).get("threshold", 0.5))
            procedure = data["procedure"]
            ms = data["ms"]
            negative = data["negative"]
        except KeyError as exc:
            raise ValueError(f"{path}: missing table [{exc.args[0]}]") from None
        self.procedure = _terms(path, procedure, "procedure")
        self.weak_procedure = _compile(path, "[procedure] weak", procedure.get("weak"))
        self.weak_context = _compile(path, "[procedure] weak_context", procedure.get("weak_context"))
        self.ms = _terms(path, ms, "ms")
        self.not_ms = _compile(path, "[ms] not_ms", ms.get("not_ms"), flags=0)
        self.other_diseases = _compile(path, "[negative] other_diseases", negative.get("other_diseases")) \
            + _compile(path, "[negative] other_disease_exact", negative.get("other_disease_exact"), 0)
        self.other_senses = _compile(path, "[negative] other_senses", negative.get("other_senses"))
        self.other_stem_cells = _compile(path, "[negative] other_stem_cells",
                                         negative.get("other_stem_cells"))
        self.contrast = _compile(path, "[negative] contrast", negative.get("contrast"))
        self.list_markers = _compile(path, "[negative] list_markers", negative.get("list_markers"))
        self.dmts = _compile(path, "[negative] dmts", negative.get("dmts"))
        self.tag_rules: list[TagRule] = []
        seen: set[str] = set()
        for index, raw in enumerate(data.get("tags", [])):
            slug = raw.get("slug")
            if not isinstance(slug, str) or not re.match(r"^[a-z0-9][a-z0-9-]*$", slug):
                raise ValueError(f"{path}: tag #{index + 1} needs a slug of lowercase letters, digits and -")
            if slug in seen:
                raise ValueError(f"{path}: tag '{slug}' is defined twice; slugs are unique across facets")
            seen.add(slug)
            if not raw.get("facet"):
                raise ValueError(f"{path}: tag '{slug}' needs a facet")
            where = f"tag '{slug}'"
            self.tag_rules.append(TagRule(
                slug=slug, facet=raw["facet"], label=raw.get("label", slug),
                patterns=_compile(path, where, _word_start(raw.get("patterns", [])))
                + _compile(path, where + " exact", _word_start(raw.get("exact")), 0),
                min=int(raw.get("min", 1)),
                near=_compile(path, where + " near", raw.get("near")),
                not_after=[s.lower() for s in raw.get("not_after", [])],
            ))

    @classmethod
    def load(cls, path: str | Path | None = None) -> Rules:
        if path is None:
            text = resources.files("hsctwatch").joinpath("rules.toml").read_text(encoding="utf-8")
            shown = "hsctwatch/rules.toml"
        else:
            shown = str(path)
            try:
                text = Path(path).read_text(encoding="utf-8")
            except OSError as exc:
                raise ValueError(f"{shown}: cannot read the rules file ({exc.strerror})") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{shown}: not valid TOML ({exc})") from None
        return cls(data, shown)

    @cached_property
    def _by_slug(self) -> dict[str, TagRule]:
        return {t.slug: t for t in self.tag_rules}

    @property
    def facets(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for rule in self.tag_rules:
            out.setdefault(rule.facet, []).append(rule.slug)
        return out

    def label(self, slug: str) -> str:
        return self._by_slug[slug].label

    def facet(self, slug: str) -> str:
        return self._by_slug[slug].facet

    # -- relevance ----------------------------------------------------------------------------

    def relevance(self, doc: Document) -> Relevance:
        parts = _parts(doc)
        full = "\n".join(text for _, text in parts)
        chemo = any(p.search(full) for p in self.weak_context)
        stats = [self._paragraph(where, text, chemo) for where, text in parts]
        proc_total = sum(len(s.procedure) for s in stats)
        ms_total = sum(len(s.ms) for s in stats)
        reasons: list[str] = []
        if proc_total == 0:
            return Relevance(False, 0.0, ("the procedure (HSCT or a synonym) is never named",))
        if ms_total == 0:
            return Relevance(False, 0.0, ("multiple sclerosis is never named",))

        title = stats[0]
        lede = [s for s in stats[1:] if s.where in ("summary", "body")][:2]
        score = 0.0
        if title.procedure:
            score += 0.35
            reasons.append(f"the procedure is named in the headline ({title.procedure[0]!r})")
        if title.ms:
            score += 0.15
            reasons.append("MS is named in the headline")
        if any(s.procedure for s in lede):
            score += 0.15
            reasons.append("the procedure is named in the lede")
            first = _sentences(next(text for where, text in parts[1:] if where in ("summary", "body")))[:1]
            if first and any(p.search(first[0]) for p in self.procedure) and any(
                    p.search(first[0]) for p in self.ms):
                score += 0.15
                reasons.append("the lede's first sentence is about the procedure for MS")
        ms_up_front = bool(title.ms or any(s.ms for s in lede))
        together = [s for s in stats[1:] if s.procedure and (s.ms or ms_up_front)]
        if together:
            score += min(len(together), 3) * 0.12
            reasons.append(f"the procedure and MS are discussed together in {len(together)} paragraph(s)")
        score += min(proc_total, 6) * 0.03 + min(ms_total, 4) * 0.02
        reasons.append(f"{proc_total} mention(s) of the procedure, {ms_total} of MS")

        score = self._penalties(stats, parts, score, proc_total, ms_total, reasons)
        score = round(min(score, 1.0), 3)
        relevant = score >= self.threshold
        reasons.append(f"score {score:.2f} {'≥' if relevant else '<'} threshold {self.threshold:.2f}")
        return Relevance(relevant, score, tuple(reasons))

    def _penalties(self, stats: list[_Para], parts: list[tuple[str, str]], score: float,
                   proc_total: int, ms_total: int, reasons: list[str]) -> float:
        full = "\n".join(text for _, text in parts)
        diseases = [m for s in stats for m in s.diseases]
        disease_paras = [s for s in stats if s.procedure and s.diseases]
        ms_paras = [s for s in stats if s.procedure and s.ms]
        if diseases and (len(diseases) > ms_total or len(disease_paras) > len(ms_paras)) \
                and (len(diseases) >= 2 or ms_total <= 1):
            score *= 0.3
            reasons.append(f"the transplant is discussed for {_common(diseases)}, not MS")
        senses = [m for p in self.other_senses for m in p.findall(full)]
        spelled_ms = len(re.findall(r"multiple sclerosis|relapsing[- ]remitting|progressive ms", full, re.I))
        if senses and spelled_ms == 0:
            score *= 0.2
            reasons.append(f"'MS'/'HSCT' here mean something else ({_common(senses)})")
        other_cells = [m for p in self.other_stem_cells for m in p.findall(full)]
        strong = sum(len(s.strong) for s in stats)
        contrasted = any(p.search(full) for p in self.contrast)
        if other_cells and len(other_cells) >= max(2, strong) and not contrasted:
            score *= 0.2
            reasons.append(f"about {_common(other_cells)} stem cells, not HSCT")
        elif other_cells and contrasted:
            reasons.append("contrasts HSCT with other stem cell therapies")
        if proc_total <= 2 and not stats[0].procedure:
            if any(s.procedure and s.listing for s in stats):
                score *= 0.3
                reasons.append("the procedure is only named in a list of treatment options")
            elif not any(s.procedure for s in stats[:3]):
                score *= 0.6
                reasons.append("the procedure is only mentioned in passing")
        return score

    def _paragraph(self, where: str, text: str, chemo_in_doc: bool = False) -> _Para:
        para = _Para(where)
        not_ms_spans = [m.span() for p in self.not_ms for m in p.finditer(text)]
        other_sense = any(p.search(text) for p in self.other_senses)
        for pattern in self.ms:
            for m in pattern.finditer(text):
                if any(a <= m.start() < b for a, b in not_ms_spans):
                    continue
                if other_sense and pattern.flags & re.IGNORECASE == 0 and m.group(0) == "MS":
                    continue
                para.ms.append(m.group(0))
        para.strong = _unique_matches(self.procedure, text)
        para.procedure = list(para.strong)
        if not para.strong:
            weak = _unique_matches(self.weak_procedure, text)
            context = any(p.search(text) for p in self.weak_context) or (
                where == "title" and chemo_in_doc)  # a headline is short: its context is the article
            if weak and (context or (para.ms and any("stem" in w.lower() for w in weak))):
                para.procedure = weak
        para.diseases = [m.group(0) for p in self.other_diseases for m in p.finditer(text)]
        if para.procedure:
            para.listing = self._is_listing(text)
        return para

    def _is_listing(self, text: str) -> bool:
        """Is the procedure named in a sentence that lists treatment options?"""
        for sentence in _sentences(text):
            if not any(p.search(sentence) for p in self.procedure + self.weak_procedure):
                continue
            if _COMPARISON.search(sentence):
                return False  # "compares HSCT with ocrelizumab, …": the procedure is the subject
            dmts = sum(1 for p in self.dmts if p.search(sentence))
            marker = any(p.search(sentence) for p in self.list_markers)
            if dmts >= 2 or (marker and (dmts >= 1 or sentence.count(",") >= 2)) or sentence.count(",") >= 4:
                return True
        return False

    # -- tags ----------------------------------------------------------------------------------

    def tags(self, doc: Document) -> list[TagMatch]:
        parts = _parts(doc)
        whole = "\n".join(text for _, text in parts)
        sentences = [(where, sentence) for where, text in parts for sentence in _sentences(text)]
        found: list[TagMatch] = []
        for rule in self.tag_rules:
            if not rule.patterns:
                continue
            match = self._tag(rule, whole, sentences)
            if match:
                found.append(match)
        types = {m.slug for m in found if m.facet == "type"}
        for extra in (self._patient_story(parts), self._interview(parts)):
            if extra:
                found.append(extra)
                types.add(extra.slug)
        if not types and "news" in self._by_slug:
            found.append(TagMatch("type", "news", (Evidence("no other type fits", "body"),)))
        return found

    def _tag(self, rule: TagRule, whole: str, sentences: list[tuple[str, str]]) -> TagMatch | None:
        patterns = [p for p in rule.patterns if p.search(whole)]
        if not patterns:  # most tags don't occur at all: one search each, not one per sentence
            return None
        evidence: list[Evidence] = []
        count = 0
        in_title = False
        for where, sentence in sentences:
            near: bool | None = None  # looked up once per sentence, and only when needed
            for pattern in patterns:
                for m in pattern.finditer(sentence):
                    if rule.near:
                        if near is None:
                            near = any(p.search(sentence) for p in rule.near)
                        if not near:
                            continue
                    before = sentence[max(0, m.start() - 25):m.start()].lower().rstrip()
                    if any(before.endswith(word) for word in rule.not_after):
                        continue
                    count += 1
                    in_title = in_title or where == "title"
                    phrase = m.group(0).strip()
                    if len(evidence) < 3 and all(e.phrase.lower() != phrase.lower() for e in evidence):
                        evidence.append(Evidence(phrase, where))
        if count >= rule.min or (in_title and count >= 1):
            return TagMatch(rule.facet, rule.slug, tuple(evidence))
        return None

    def _patient_story(self, parts: list[tuple[str, str]]) -> TagMatch | None:
        if "patient-story" not in self._by_slug:
            return None
        body = " ".join(text for where, text in parts if where == "body")
        words = max(len(body.split()), 1)
        first_person = re.findall(r"\b(?:I|I'm|I've|I'd|I'll)\b|\b(?:[Mm]y|[Mm]e|[Mm]yself)\b", body)
        if len(first_person) >= 8 and len(first_person) / words >= 0.02:
            phrases = _first_sentences_with(parts, re.compile(r"\b(?:I|my|me)\b"))
            return TagMatch("type", "patient-story", phrases)
        third = re.compile(
            r"\b(?:she|he|they) (?:travelled|traveled|flew|underwent|had (?:her|his|their) "
            r"(?:transplant|hsct|treatment)|decided to have|went to|raised)\b"
            r"|\b(?:her|his|their) (?:journey|story|transplant|recovery)\b", re.IGNORECASE)
        hits = third.findall(body)
        if len(hits) >= 2:
            return TagMatch("type", "patient-story", _first_sentences_with(parts, third))
        return None

    def _interview(self, parts: list[tuple[str, str]]) -> TagMatch | None:
        if "interview" not in self._by_slug:
            return None
        text = "\n".join(t for _, t in parts)
        questions = re.findall(r"(?m)^\s*(?:Q[:.]|Question:|\*\*Q)", text)
        interview = re.search(r"\b(?:interview\w*|in conversation with|Q&A|we asked|spoke to)\b", text, re.I)
        quotes = len(re.findall(r"[\"“][^\"”]{20,}[\"”]\s*,?\s*(?:says|said|explains|explained|adds)", text))
        if len(questions) >= 2 or (interview and (quotes >= 3 or len(questions) >= 1)):
            phrase = interview.group(0) if interview else questions[0].strip()
            where = next((w for w, t in parts if phrase in t), "body")
            return TagMatch("type", "interview", (Evidence(phrase, where),))
        return None


@dataclass
class _Para:
    where: str
    procedure: list[str] = field(default_factory=list)
    strong: list[str] = field(default_factory=list)
    ms: list[str] = field(default_factory=list)
    diseases: list[str] = field(default_factory=list)
    listing: bool = False


def _parts(doc: Document) -> list[tuple[str, str]]:
    parts = [("title", doc.title or "")]
    if doc.summary:
        parts.append(("summary", doc.summary))
    parts += [("body", p) for p in re.split(r"\n\s*\n", doc.text or "") if p.strip()]
    return parts


_COMPARISON = re.compile(r"\bcompar\w*|\bversus\b|\bvs\.?\s|\bagainst\b|\bhead-to-head\b", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“‘(])|\n+")


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text) if s.strip()]


def _unique_matches(patterns: list[re.Pattern[str]], text: str) -> list[str]:
    """Matches of several patterns, counting each stretch of text once."""
    spans: list[tuple[int, int, str]] = []
    for pattern in patterns:
        for m in pattern.finditer(text):
            if not any(a < m.end() and m.start() < b for a, b, _ in spans):
                spans.append((m.start(), m.end(), m.group(0)))
    return [s for _, _, s in sorted(spans)]


def _common(values: list[str]) -> str:
    counts: dict[str, int] = {}
    for v in values:
        counts[v.lower()] = counts.get(v.lower(), 0) + 1
    return max(counts, key=lambda k: counts[k])


def _first_sentences_with(parts: list[tuple[str, str]], pattern: re.Pattern[str]) -> tuple[Evidence, ...]:
    found: list[Evidence] = []
    for where, text in parts:
        for sentence in _sentences(text):
            m = pattern.search(sentence)
            if m:
                found.append(Evidence(sentence.strip()[:160], where))
                if len(found) == 2:
                    return tuple(found)
    return tuple(found)
