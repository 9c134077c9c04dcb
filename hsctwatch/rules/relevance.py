"""Relevance: is HSCT for MS the article's subject, or a substantial part of it? Read part by
part and sentence by sentence: where the names occur, whether HSCT and MS are discussed in the
same paragraph, whether HSCT is one item of a list, whether the transplant is for another
disease, whether "MS" or "HSCT" means something else."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from hsctwatch.rules.forms import first_person
from hsctwatch.rules.model import Document, Relevance
from hsctwatch.rules.terms import Terms
from hsctwatch.rules.views import Part, Sentence, View

# == what a part of the article says ===============================================================


@dataclass(frozen=True)
class _Mention:
    text: str
    sentence: int
    secondary: bool = False  # one item of a list, or MS named only as a comparison


@dataclass
class _Reading:
    """What one part (headline, standfirst, paragraph) says about HSCT, MS and other diseases."""

    part: Part
    procedure: list[_Mention] = field(default_factory=list)
    strong: int = 0
    ms: list[_Mention] = field(default_factory=list)
    diseases: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)

    @property
    def free_procedure(self) -> list[_Mention]:
        return [m for m in self.procedure if not m.secondary]

    @property
    def free_ms(self) -> list[_Mention]:
        return [m for m in self.ms if not m.secondary]

    def discusses(self, ms_is_subject: bool) -> bool:
        """Is the transplant discussed here as a treatment for MS (not for another disease)?"""
        if not self.free_procedure:
            return False
        ms, other = len(self.free_ms), len(self.diseases)
        return ms > other or (ms == other == 0 and ms_is_subject)



class RelevanceRules:
    """The relevance half of `Rules`: the vocabulary it reads is set by `Rules`."""

    threshold: float
    weights: dict[str, float]
    penalties: dict[str, float]
    procedure: Terms  # names that mean the procedure on their own
    weak_procedure: Terms  # names that mean it beside chemotherapy or a strong name
    weak_not_after: re.Pattern[str] | None
    weak_not_before: re.Pattern[str] | None  # "trasplante renal": the other organ after the word
    weak_with_ms: Terms  # weak names that mean the procedure in a sentence with MS ("transplant for MS")
    chemo: Terms
    ms: Terms
    ms_spelled: Terms
    not_ms: re.Pattern[str] | None
    senses: dict[str, Terms]  # other senses of an abbreviation
    sense_owners: dict[str, Terms]  # the names an abbreviation of `senses` stands for in the policy's sense
    procedure_senses: frozenset[str]  # the abbreviations of `senses` that name the procedure
    comparison: re.Pattern[str] | None  # the language's words that make a sentence a comparison
    diseases: Terms
    cells: Terms
    contrast: Terms
    options: Terms
    list_markers: Terms
    secondary_ms: re.Pattern[str] | None
    ms_implied: Terms  # signs of MS where it is not named (a neurologist, relapses, the EDSS)
    first_person: list[str]  # the language's first-person words (hsctwatch.rules.forms)
    page_min: int
    page_max_prose: int
    page_kinds: dict[str, Terms]

    def relevance(self, doc: Document) -> Relevance:
        """Is HSCT for MS the article's subject, or a substantial part of it (a paragraph or more)?"""
        view = View.of(doc)
        page = self._non_article(view)
        if page:
            return Relevance(False, 0.0, (f"not an article: {page}",))
        senses = self._senses(view)
        reasons = [f"'{abbr}' here means {name}" for abbr, name in senses.items()]
        labels = self._read_categories(doc, view, senses)
        # a post filed under the transplant ("My HSCT", "Моя трансплантация") is about it throughout
        readings = self._read(view, senses, strong_elsewhere=bool(labels and labels.free_procedure))
        if not any(r.procedure for r in readings) and not (labels and labels.procedure):
            return Relevance(False, 0.0, (*reasons, "HSCT (or a name for it) is never named"))
        implied = ""
        if not any(r.ms for r in readings) and not (labels and labels.ms):
            implied = self._ms_implied(view, readings)
            if not implied:
                return Relevance(False, 0.0, (*reasons, "multiple sclerosis is never named"))
            reasons.append(f"MS is not named, but {implied!r} and no other disease say it is MS")
        score, discussed = self._score(view, readings, reasons,
                                       ms_given=bool(implied or (labels and labels.free_ms)))
        score += self._categories_score(labels, reasons)
        score = round(min(self._penalise(view, readings, discussed, score, reasons,
                                         up_front=bool(labels and labels.free_procedure)), 1.0), 3)
        relevant = score >= self.threshold
        reasons.append(f"score {score:.2f} {'≥' if relevant else '<'} threshold {self.threshold:.2f}")
        return Relevance(relevant, score, tuple(reasons))

    def _non_article(self, view: View) -> str | None:
        """A login wall, cookie notice, search results, tag index or event listing: signs of such
        a page, and hardly any prose."""
        signs = Counter({kind: len(view.spans(terms)) for kind, terms in self.page_kinds.items()})
        if sum(signs.values()) < self.page_min:
            return None
        prose = [p for p in view.parts[1:] if len(p.text.split()) >= 25
                 and not any(view.has(terms, p.start, p.text) for terms in self.page_kinds.values())]
        return None if len(prose) > self.page_max_prose else signs.most_common(1)[0][0]

    def _senses(self, view: View) -> dict[str, str]:
        """Abbreviations this article uses in another sense: spelled out as something else
        ("mass spectrometry (MS)"), or that sense named while the disease is never written out."""
        own = self.sense_owners
        found: dict[str, str] = {}
        for abbr, names in self.senses.items():
            spans = view.spans(names)
            if not spans:
                continue
            name = view.text[spans[0][0]:spans[0][1]]
            terms = own.get(abbr, Terms())
            own_written = [s for s in view.spans(terms) if not _is_abbreviation(view.text, s, abbr)]
            if any(_defines(view.text, s, abbr) for s in spans) and not any(
                    _defines(view.text, s, abbr) for s in own_written) or not own_written:
                found[abbr] = name
        return found

    def _read_categories(self, doc: Document, view: View, senses: dict[str, str]) -> _Reading | None:
        """What the post's own categories or tags say (a blog's "My HSCT", "Esclerosis
        múltiple"), read like a headline; a weak name counts when the article has chemotherapy
        or a strong name."""
        if not doc.categories:
            return None
        labels = View.of(Document(title="; ".join(doc.categories), language=doc.language))
        weak_ok = view.has(self.chemo) or (self._own_procedure(senses) and view.has(self.procedure))
        reading = _Reading(labels.parts[0])
        for n, sentence in enumerate(labels.parts[0].sentences):
            self._read_sentence(labels, reading, n, sentence, senses, weak_ok)
        return reading

    def _categories_score(self, labels: _Reading | None, reasons: list[str]) -> float:
        """Categories that name the procedure (and MS) say what the post is about, as a headline does."""
        if labels is None or labels.diseases:
            return 0.0
        w, score = self.weights, 0.0
        if labels.free_procedure:
            score += w["headline_procedure"]
            reasons.append(f"HSCT named in the post's categories ({labels.free_procedure[0].text!r})")
        if labels.free_ms:
            score += w["headline_ms"] + (w["headline_both"] if labels.free_procedure else 0.0)
            reasons.append("MS named in the post's categories")
        return score

    def _own_procedure(self, senses: dict[str, str]) -> bool:
        """Do the procedure's abbreviations mean the procedure here (not another sense)?"""
        return not self.procedure_senses & senses.keys()

    def _ms_implied(self, view: View, readings: list[_Reading]) -> str:
        """MS is not named, and no other disease is, but the article is about the transplant
        for MS all the same: a strong name for the procedure with a sign of MS (a neurologist,
        relapses, the EDSS), or a first-hand transplant diary (the blogs that write "Day +9"
        without naming the disease are those of this treatment). What says so, or ""."""
        if not self.ms_implied or any(r.diseases for r in readings):
            return ""
        found = view.spans(self.ms_implied)
        if found and any(r.strong for r in readings):
            return view.text[found[0][0]:found[0][1]]
        if self.first_person and first_person(view, 8, 0.025, self.first_person):
            return "a first-hand transplant story"
        return ""

    def _read(self, view: View, senses: dict[str, str], strong_elsewhere: bool = False) -> list[_Reading]:
        chemo_in_doc = view.has(self.chemo)
        strong_in_doc = strong_elsewhere or (self._own_procedure(senses) and view.has(self.procedure))
        readings = []
        for part in view.parts:
            chemo = chemo_in_doc if part.where == "title" else view.has(self.chemo, part.start, part.text)
            weak_ok = bool(strong_in_doc or chemo)
            reading = _Reading(part)
            items = list_items(part.sentences)
            for n, sentence in enumerate(part.sentences):
                self._read_sentence(view, reading, n, sentence, senses, weak_ok, n in items)
            readings.append(reading)
        return readings

    def _read_sentence(self, view: View, reading: _Reading, n: int, sentence: Sentence,
                       senses: dict[str, str], weak_ok: bool, list_item: bool = False) -> None:
        text = sentence.text
        cells = [text[a:b] for a, b in view.spans(self.cells, sentence)]
        listed = list_item or self._is_list(view, sentence)
        other = self.procedure_senses & senses.keys()  # "HSCT" here is a health trust, say
        strong = [(a, b) for a, b in view.spans(self.procedure, sentence, shouty=True)
                  if not any(_is_abbreviation(text, (a, b), abbr) for abbr in other)]
        reading.cells += cells
        reading.strong += len(strong)
        reading.procedure += [_Mention(text[a:b], n, listed) for a, b in strong]
        diseases = [text[a:b] for a, b in view.spans(self.diseases, sentence, shouty=True)]
        reading.diseases += diseases
        elsewhere = [m.span() for m in self.not_ms.finditer(text)] if self.not_ms else []
        ms = len(reading.ms)
        for a, b in view.spans(self.ms, sentence, shouty=True):
            if any(x <= a < y for x, y in elsewhere) or text[a:b] in senses:
                continue
            secondary = len(diseases) >= 2 or bool(self.secondary_ms and self.secondary_ms.search(text[:a]))
            reading.ms.append(_Mention(text[a:b], n, secondary))
        # a transplant for MS, in so many words ("o transplante para esclerose múltipla"), is HSCT
        for_ms = bool(self.weak_with_ms) and not diseases and any(not m.secondary for m in reading.ms[ms:])
        if (weak_ok or for_ms) and not cells:
            for a, b in view.spans(self.weak_procedure if weak_ok else self.weak_with_ms, sentence):
                if any(x < b and a < y for x, y in strong) or (
                        self.weak_not_after and self.weak_not_after.search(text[max(0, a - 40):a])) or (
                        self.weak_not_before and self.weak_not_before.search(text[b:b + 40])):
                    continue
                reading.procedure.append(_Mention(text[a:b], n, listed))

    def _is_list(self, view: View, sentence: Sentence) -> bool:
        """Is this sentence a list of treatment options, HSCT one item among drugs?"""
        items = len(view.spans(self.options, sentence))
        if items == 0 or _COMPARISON.search(sentence.text) or (
                self.comparison and self.comparison.search(sentence.text)):
            return False
        return items >= 2 or view.has(self.list_markers, sentence.start, sentence.text)

    def _score(self, view: View, readings: list[_Reading], reasons: list[str],
               ms_given: bool = False) -> tuple[float, list[_Reading]]:
        w, title = self.weights, readings[0]
        score = 0.0
        lede = [r for r in readings if r.part.index in view.lede]
        lede_elsewhere = any(r.diseases and not r.free_ms for r in lede)  # the lede names another disease
        # a bare "transplant" in a headline is read in the light of the lede
        if title.free_procedure and not (title.diseases and not title.free_ms) and not (
                title.strong == 0 and lede_elsewhere):
            score += w["headline_procedure"]
            reasons.append(f"HSCT named in the headline ({title.free_procedure[0].text!r})")
        if title.free_ms:
            score += w["headline_ms"] + (w["headline_both"] if title.free_procedure else 0.0)
            reasons.append("MS named in the headline")
        if any(r.free_procedure and not (r.diseases and not r.free_ms) for r in lede):
            score += w["lede_procedure"]
            reasons.append("HSCT named in the lede")
        ms_is_subject = bool(ms_given or title.free_ms or any(r.free_ms for r in lede)) or (
            any(r.free_ms for r in readings) and not any(r.diseases for r in readings))  # MS alone
        discussed = [r for r in readings[1:] if r.discusses(ms_is_subject)]
        if discussed:
            mentions = sum(min(len(r.free_procedure) * w["mention"], w["paragraph_cap"]) for r in discussed)
            together = sum(1 for r in discussed
                           if {m.sentence for m in r.free_procedure} & {m.sentence for m in r.free_ms})
            score += min(mentions, w["discussion_cap"]) + min(together, 3) * w["same_sentence"]
            count = sum(len(r.free_procedure) for r in discussed)
            reasons.append(f"HSCT discussed for MS in {len(discussed)} paragraph(s), {count} mention(s)")
        else:
            reasons.append("no paragraph discusses HSCT as a treatment for MS")
        return score, discussed

    def _penalise(self, view: View, readings: list[_Reading], discussed: list[_Reading], score: float,
                  reasons: list[str], up_front: bool = False) -> float:
        p, title = self.penalties, readings[0]
        named = [m for r in readings for m in r.procedure]
        free = [m for r in readings for m in r.free_procedure]
        if named and not free:
            reasons.append("HSCT only named once, in a list of options" if len(named) == 1
                           else "HSCT only named in lists of treatment options")
        lede = [r for r in readings if r.part.index in view.lede]
        up_front = up_front or bool(title.free_procedure) or any(r.free_procedure for r in lede)
        if len(free) == 1 and not up_front:
            score *= p["passing"]
            reasons.append("HSCT only mentioned once, in passing")
        disease = self._other_disease(readings, discussed)
        if disease:
            score *= p["other_disease"]
            reasons.append(f"transplant discussed for {disease}, not MS")
            if not any(r.free_ms for r in readings):
                reasons.append("MS only named beside other diseases or as a comparison")
        cells = Counter(c.lower() for r in readings for c in r.cells)
        strong = sum(r.strong for r in readings)
        if cells:
            if strong >= 2 and any(view.has(self.contrast, r.part.start, r.part.text) for r in readings):
                reasons.append("contrasts HSCT with other stem cell therapies")
            elif cells.total() >= strong:
                score *= p["other_cells"]
                reasons.append(f"about {cells.most_common(1)[0][0]} stem cells, not HSCT")
        return score

    @staticmethod
    def _other_disease(readings: list[_Reading], discussed: list[_Reading]) -> str | None:
        """The disease the transplant is for, when it is not MS: other diseases outweigh MS
        (a headline counts thrice) and MS has less than a paragraph of its own."""
        title = readings[0]
        diseases = Counter(d.lower() for r in readings for d in r.diseases)
        diseases.update({d.lower(): 2 for d in title.diseases})
        ms = 3 * len(title.free_ms) + sum(len(r.free_ms) for r in readings[1:])
        own_paragraphs = sum(len(r.free_procedure) for r in discussed)
        if diseases and diseases.total() > ms and own_paragraphs < 2:
            return diseases.most_common(1)[0][0]
        return None


_LIST_MARK = re.compile(r"^\s*(?:\(?\d{1,2}[.)]|[-•*–])(?:\s|$)")
_LIST_MARK_ONLY = re.compile(r"^\s*(?:\(?\d{1,2}[.)]|[-•*–])\s*$")


def list_items(sentences: Sequence[Sentence], least: int = 3) -> set[int]:
    """The sentences of a paragraph that are items of a numbered or bulleted list of at least
    ``least`` items (a line that starts with "1." or "-", or follows a line that is only that)."""
    marks = [n for n, s in enumerate(sentences) if _LIST_MARK.match(s.text)]
    if len(marks) < least:
        return set()
    items = set(marks)
    items |= {n + 1 for n in marks if n + 1 < len(sentences) and _LIST_MARK_ONLY.match(sentences[n].text)}
    return items


_COMPARISON = re.compile(r"\b(?:versus|vs\.?|compar\w+|than|randomi[sz]ed|against|head-to-head)\b",
                         re.IGNORECASE)


def _is_abbreviation(text: str, span: tuple[int, int], abbr: str) -> bool:
    return bool(re.fullmatch(rf"a?{re.escape(abbr)}s?", text[span[0]:span[1]], re.IGNORECASE))


def _defines(text: str, span: tuple[int, int], abbr: str) -> bool:
    """Is this phrase spelled out as the abbreviation: "phrase (ABBR)" or "ABBR (phrase"?"""
    a, b = span
    after = re.match(rf"\s*\(\s*a?{re.escape(abbr)}\s*\)", text[b:b + 12])
    before = re.search(rf"\b{re.escape(abbr)}\s*\(\s*$", text[max(0, a - 12):a])
    return bool(after or before)


