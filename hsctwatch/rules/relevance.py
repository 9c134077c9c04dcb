"""Relevance: is HSCT for MS the article's subject, or a substantial part of it? Read part by
part and sentence by sentence: where the names occur, whether HSCT and MS are discussed in the
same paragraph, whether HSCT is one item of a list, whether the transplant is for another
disease, whether "MS" or "HSCT" means something else."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hsctwatch.rules.forms import first_person, teasers
from hsctwatch.rules.model import Document, Relevance, RulesError
from hsctwatch.rules.terms import Terms, compile_terms, strings
from hsctwatch.rules.views import Part, Sentence, View

# == what a part of the article says ===============================================================


@dataclass(frozen=True)
class _Mention:
    text: str
    sentence: int
    secondary: bool = False  # one item of a list, or MS named only as a comparison
    kind: str = ""  # "step" or "place": a step of the procedure or a place it is done at, not a name

    @property
    def described(self) -> bool:
        return bool(self.kind)


@dataclass(frozen=True)
class _Page:
    """What a page says of itself besides its prose: the categories it files the post under,
    and its source's declared focus. They set the light the prose is read in: what names count,
    which disease is meant when the post names none. They never add to the score of a post whose
    text neither names nor describes the procedure."""

    procedure: str = ""  # a category that names the procedure ("HSCT", "aHSCT")
    weak: str = ""  # one that names it only beside chemotherapy ("Transplant"), or where it is done
    ms: str = ""  # one that names MS ("My MS", "RRMS")
    diseases: tuple[str, ...] = ()  # categories that name other diseases ("Lymphoma")
    focus: bool = False  # the source is devoted to the treatment


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
    steps: Terms  # the procedure told in its steps ...
    step_kinds: dict[str, Terms]  # ... of these kinds
    steps_min_kinds: int  # this many kinds of steps describe it
    steps_unless: Terms  # a sentence of these tells another treatment's step ("lymphodepleting")
    places: Terms  # where it is done, as patients name it ...
    place_near: Terms  # ... with one of these words near (treated, accepted, flew) ...
    place_near_within: int  # ... within this many words, in a sentence naming no drug
    centres: Terms  # centres whose name means it, for MS
    own: Terms  # the writer's own transplant, in the sentence that names it ("me lo hicieron") ...
    own_first_person: tuple[int, float] = (8, 0.025)  # ... in a post this first-hand (words, share)
    focus_threshold: float  # the threshold for a source devoted to the treatment
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
    page_teasers_min: int  # a list of articles: this many teaser lines ...
    page_prose_words: int  # ... and no more than page_max_prose paragraphs of this many words
    page_kinds: dict[str, Terms]
    lede_words: int = 20  # the lede runs to the first body paragraph of this many words
    told_sentences: int = 2  # a told procedure in this many sentences of its paragraph is no passing mention
    ms_signs: Terms = Terms()  # what a diarist writes of her MS without naming it ...
    ms_signs_min: int = 2  # ... this many different ones make MS the disease of a post naming no other
    secondary_disease: re.Pattern[str] | None = None  # another disease named as a comparison

    def _read_genres(self, data: Mapping[str, Any]) -> None:
        """How the genres write (rules.toml): where the lede ends, when a told procedure is more
        than a passing mention, the signs of MS a diarist writes, another disease as a comparison."""
        relevance, ms = data.get("relevance", {}), data.get("ms", {})
        signs = ms.get("signs", {})
        try:
            self.lede_words = int(relevance.get("lede_words", 20))
            self.told_sentences = int(relevance.get("told_sentences", 2))
            self.ms_signs_min = int(signs.get("min", 2))
        except (TypeError, ValueError):
            raise RulesError("[relevance] lede_words, told_sentences and [ms.signs] min must be "
                             "whole numbers") from None
        self.ms_signs = Terms.read("[ms.signs]", signs)
        secondary = data.get("negative", {}).get("secondary_disease", {}).get("patterns")
        self.secondary_disease = compile_terms(
            "[negative.secondary_disease]", strings("[negative.secondary_disease] patterns", secondary),
            re.IGNORECASE)

    def relevance(self, doc: Document) -> Relevance:
        """Is HSCT for MS the article's subject, or a substantial part of it (a paragraph or more)?"""
        view = View.of(doc)
        kind = self._non_article(view)
        if kind:
            return Relevance(False, 0.0, (f"not an article: {kind}",))
        senses = self._senses(view)
        reasons = [f"'{abbr}' here means {name}" for abbr, name in senses.items()]
        page = self._page(doc)
        in_view = self._in_view(view, senses, page, reasons)
        readings = self._read(view, senses, in_view) if self._may_name(view) else []
        if not any(r.procedure for r in readings):
            return Relevance(False, 0.0, (*reasons, "HSCT (or a name for it) is never named or described"))
        ms_implied = self._ms_implied(view, page, readings, reasons)
        if not any(r.ms for r in readings) and not ms_implied:
            signs = self._ms_signs(view, readings)
            if not signs:
                return Relevance(False, 0.0, (*reasons, "multiple sclerosis is never named"))
            reasons.append(f"MS is not named, but {signs!r} and no other disease say it is MS")
            ms_implied = True
        score, discussed = self._score(view, readings, reasons, page, ms_implied)
        own = self._own_story(view, readings, in_view == "told")
        if own:
            score += self.weights.get("own_story", 0.0)
            reasons.append(f"a first-hand account of the writer's own transplant ({own!r})")
        score = round(min(self._penalise(view, readings, discussed, score, reasons, page,
                                         in_view == "told", bool(own)), 1.0), 3)
        threshold = self.focus_threshold if page.focus else self.threshold
        relevant = score >= threshold
        devoted = " (the source is devoted to HSCT)" if page.focus and threshold != self.threshold else ""
        reasons.append(f"score {score:.2f} {'≥' if relevant else '<'} threshold {threshold:.2f}{devoted}")
        return Relevance(relevant, score, tuple(reasons))

    def _may_name(self, view: View) -> bool:
        """Does any sentence have a term that names or tells the procedure (a name, a short
        name, a step, a place, a centre)? Most pages have none, and then reading them sentence
        by sentence finds nothing: it is skipped."""
        return any(view.named(terms) for terms in (self.procedure, self.weak_procedure, self.weak_with_ms,
                                                   self.steps, self.places, self.centres))

    def _page(self, doc: Document) -> _Page:
        """The categories' and the source's word on what the post is about."""
        categories = tuple(_hashtag_words(c) for c in doc.categories)

        def first(terms: Terms) -> str:
            return next((c for c in categories if terms.search(c)), "")

        return _Page(procedure=first(self.procedure),
                     weak=first(self.weak_procedure) or first(self.steps) or first(self.places),
                     ms=first(self.ms),
                     diseases=tuple(c for c in categories if self.diseases.search(c)),
                     focus=doc.focus == "hsct")

    def _in_view(self, view: View, senses: dict[str, str], page: _Page, reasons: list[str]) -> str:
        """How the article has the procedure in view, which decides whether its steps, the places
        it is done at and its short names ("transplant") mean it. "told": it is told in steps of
        enough kinds, or in one with a short name of it, or named by where it is done, or by the
        post's categories or source — then they mean it everywhere. "named": only named — then
        they add to the paragraphs that name it, and make none of their own (lymphodepleting
        cyclophosphamide in a story about CAR-T cells is not the transplant). "": neither. A post
        filed under a short name of it ("Stem cell transplant") that uses one in its text ("I was
        transplanted in October") tells it as a diarist does: the two say the same thing."""
        kinds = self._step_kinds(view)
        told = ", ".join(f"{k} ({t!r})" for k, t in kinds)
        strong = view.spans(self.procedure) if self._own_procedure(senses) else []
        named = strong + view.spans(self.steps)  # a short name that is not one of the steps
        weak = [view.text[a:b] for a, b in view.spans(self.weak_procedure)
                if not any(x < b and a < y for x, y in named) and not (
                    self.weak_not_after and self.weak_not_after.search(view.text[max(0, a - 40):a])) and not (
                    self.weak_not_before and self.weak_not_before.search(view.text[b:b + 40]))]
        # only the sentences naming a place or centre can name one as where it is done
        naming_places = view.sentences_naming(self.places)
        naming_centres = view.sentences_naming(self.centres)
        places = [s.text[a:b] for s in view.sentences if s.start in naming_places
                  for a, b in self._places(view, s)]
        centres = [s.text[a:b] for s in view.sentences if s.start in naming_centres
                   for a, b in self._places(view, s, self.centres)]
        if len(kinds) >= self.steps_min_kinds or (kinds and weak):
            reasons.append(f"the transplant told in its steps: {told}"
                           + (f", and called {weak[0]!r}" if len(kinds) < self.steps_min_kinds else ""))
        elif centres or (weak and places):
            reasons.append(f"the transplant named by where it is done ({(centres or places)[0]!r})")
        elif page.procedure or (page.weak and (view.has(self.chemo) or weak or strong)):
            reasons.append(f"read in the light of the categories ({page.procedure or page.weak!r})")
        elif page.focus:
            reasons.append("the source is devoted to HSCT")
        else:
            return "named" if strong else ""
        return "told"

    def _step_kinds(self, view: View) -> list[tuple[str, str]]:
        """The kinds of steps the article tells, each with the first step of its kind: the steps
        are found once, then each is given its kind."""
        first: dict[str, str] = {}
        for a, b in view.spans(self.steps):
            if self.steps_unless and self._another_treatment(view, a):
                continue
            step = view.text[a:b]
            kind = next((k for k, terms in self.step_kinds.items() if terms.search(step)), None)
            if kind and kind not in first:
                first[kind] = step
        return [(kind, first[kind]) for kind in self.step_kinds if kind in first]

    def _another_treatment(self, view: View, at: int) -> bool:
        """Is the step at ``at`` told in a sentence about another treatment's step (`[procedure.steps]
        unless`: "lymphodepleting chemotherapy with fludarabine and cyclophosphamide" before CAR-T
        cells)?"""
        sentence = next((s for s in view.sentences if s.start <= at < s.start + len(s.text)), None)
        return sentence is not None and view.has(self.steps_unless, sentence.start, sentence.text)

    def _places(self, view: View, sentence: Sentence, terms: Terms | None = None) -> list[tuple[int, int]]:
        """Where a sentence names a place the transplant is done at (or a centre, with `terms`) as
        the place of a treatment ("Moscow accepted me", "flew to Puebla", "a quote from the
        Pirogov centre"): with a word of treatment, travel or payment near, and no drug named in
        the sentence ("ofatumumab will be available in Monterrey")."""
        spans = view.spans(self.places if terms is None else terms, sentence)
        if not spans or view.has(self.options, sentence.start, sentence.text):
            return []
        return [(a, b) for a, b in spans if self.place_near.search(
            _around(sentence.text, a, b, self.place_near_within))]

    def _ms_implied(self, view: View, page: _Page, readings: list[_Reading], reasons: list[str]) -> bool:
        """MS as the disease of a post that never names it: named by its categories, or a post
        filed under HSCT (or from a source devoted to it) that names no other disease, or one
        that names no other and speaks of MS the way someone who has it does (an EDSS, lesions,
        relapses, a neurologist: `[ms.signs]`)."""
        if page.ms:
            if not any(r.ms for r in readings):
                reasons.append(f"MS named in the categories ({page.ms!r})")
            return True
        no_other = not page.diseases and not any(r.diseases for r in readings)
        if (page.procedure or page.focus) and no_other:
            if not any(r.ms for r in readings):
                reasons.append("MS taken as the disease: the post is filed under HSCT and names no other")
            return True
        signs = sorted({view.text[a:b].lower() for a, b in view.spans(self.ms_signs)}) if no_other else []
        if len(signs) >= self.ms_signs_min:
            if not any(r.ms for r in readings):
                reasons.append(f"MS taken as the disease: the post speaks of it ({', '.join(signs[:3])}) "
                               "and names no other")
            return True
        return False

    def _own_story(self, view: View, readings: list[_Reading], told: bool) -> str:
        """A first-hand post about the writer's own transplant, which it may name only once ("for
        those new here: the team accepted to do my transplant in June") and then tell what came
        after: a name of the procedure, not in a list, in a sentence that makes it the writer's
        own (`[procedure.own]`), in a post written in the first person that tells the treatment
        (its chemotherapy, or its steps) or gives it a full name ("a year ago I had my aHSCT"):
        a diary a year on need not tell the chemotherapy again. The sentence, or ""."""
        strong = any(r.strong for r in readings)  # "me hicieron el TAPH": the name says the treatment
        if not (self.own and self.weights.get("own_story")) or not (told or strong or view.has(self.chemo)):
            return ""
        for reading in readings[1:]:
            for mention in reading.free_procedure:
                sentence = reading.part.sentences[mention.sentence]
                if not mention.described and view.has(self.own, sentence.start, sentence.text) and \
                        first_person(view, *self.own_first_person, words=self.first_person):
                    return mention.text
        return ""

    def _lede(self, readings: list[_Reading]) -> list[_Reading]:
        """The standfirst, and the body's paragraphs up to the first of substance — one of
        `lede_words` words, or one naming the disease or the treatment: a diary's "Dear all," or
        "Quick update before I head in", a thread's "Posted by …", a reblog's "Spotted this and
        had to share" stand before the paragraph that says what the piece is about."""
        lede = [r for r in readings if r.part.where == "summary"]
        for n, reading in enumerate(r for r in readings if r.part.where == "body"):
            lede.append(reading)
            if n >= 2 or reading.part.words >= self.lede_words or (
                    reading.procedure or reading.ms or reading.diseases):
                break
        return lede

    def _non_article(self, view: View) -> str | None:
        """A login wall, cookie notice, search results, tag index or event listing: signs of such
        a page, and hardly any prose. Or, whatever its words, the form of a list of articles:
        many teasers (a date and a section, a numbered result, a cut snippet) and hardly any prose
        — a topic page titled "HSCT – latest news", an author's page, search results."""
        signs = Counter({kind: len(view.spans(terms)) for kind, terms in self.page_kinds.items()})
        entries, prose_parts = teasers(view, self.page_prose_words)
        if entries >= self.page_teasers_min and prose_parts <= self.page_max_prose:
            return signs.most_common(1)[0][0] if signs.total() else "a list of articles"
        if sum(signs.values()) < self.page_min:
            return None
        prose = [p for p in view.parts[1:] if p.words >= 25
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

    def _own_procedure(self, senses: dict[str, str]) -> bool:
        """Do the procedure's abbreviations mean the procedure here (not another sense)?"""
        return not self.procedure_senses & senses.keys()

    def _ms_signs(self, view: View, readings: list[_Reading]) -> str:
        """MS is not named, and no other disease is, but the article is about the transplant
        for MS all the same: a strong name for the procedure with a sign of MS (a neurologist,
        relapses, the EDSS: the language's `[ms] implied_by`), or a first-hand transplant diary
        in a language whose first-person words the rules know (the blogs that write "Day +9"
        without naming the disease are those of this treatment). What says so, or ""."""
        if not self.ms_implied or any(r.diseases for r in readings):
            return ""
        found = view.spans(self.ms_implied)
        if found and any(r.strong for r in readings):
            return view.text[found[0][0]:found[0][1]]
        # as first-hand as a post about the writer's own transplant (a language that leaves the
        # pronoun out, as Spanish does, sets fewer first-person words: `[procedure.own]`)
        if self.first_person and first_person(view, *self.own_first_person, words=self.first_person):
            return "a first-hand transplant story"
        return ""

    def _read(self, view: View, senses: dict[str, str], in_view: str) -> list[_Reading]:
        chemo_in_doc = view.has(self.chemo)
        # a sentence without any of the terms read below adds nothing to its part's reading
        read = view.sentences_naming(self.cells, self.procedure, self.diseases, self.ms, self.weak_procedure,
                                     self.weak_with_ms, self.steps, self.places, self.centres, self.options)
        readings = []
        for part in view.parts:
            chemo = chemo_in_doc if part.where == "title" else view.has(self.chemo, part.start, part.text)
            weak_ok = bool(in_view or chemo)
            reading = _Reading(part)
            items = list_items(part.sentences)
            for n, sentence in enumerate(part.sentences):
                if sentence.start in read:
                    self._read_sentence(view, reading, n, sentence, senses, weak_ok, n in items,
                                        bool(in_view))
            if in_view == "named" and all(m.kind == "step" for m in reading.procedure):
                reading.procedure = []  # steps where the procedure is not named
            readings.append(reading)
        return readings

    def _read_sentence(self, view: View, reading: _Reading, n: int, sentence: Sentence,
                       senses: dict[str, str], weak_ok: bool, list_item: bool = False,
                       in_view: bool = False) -> None:
        text = sentence.text
        cells = [text[a:b] for a, b in view.spans(self.cells, sentence)]
        listed = list_item or self._is_list(view, sentence)
        other = self.procedure_senses & senses.keys()  # "HSCT" here is a health trust, say
        strong = _undefined(text, [(a, b) for a, b in view.spans(self.procedure, sentence, shouty=True)
                                   if not any(_is_abbreviation(text, (a, b), abbr) for abbr in other)])
        reading.cells += cells
        reading.strong += len(strong)
        reading.procedure += [_Mention(text[a:b], n, listed) for a, b in strong]
        elsewhere = [m.span() for m in self.not_ms.finditer(text)] if self.not_ms else []
        diseases = [text[a:b] for a, b in view.spans(self.diseases, sentence, shouty=True)
                    if not self._compared(view, sentence, a, elsewhere)]
        reading.diseases += diseases
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
        if in_view and not cells:  # its steps and places, where they are not part of a name
            named = view.spans(self.weak_procedure, sentence) + strong
            for kind, spans in (("step", view.spans(self.steps, sentence)),
                                ("place", self._places(view, sentence, self.centres)),
                                ("place", self._places(view, sentence))):
                for a, b in spans:
                    if not any(x < b and a < y for x, y in named):
                        reading.procedure.append(_Mention(text[a:b], n, listed, kind))
                        named.append((a, b))

    def _compared(self, view: View, sentence: Sentence, at: int, elsewhere: list[tuple[int, int]]) -> bool:
        """Is the disease named at `at` a comparison in a sentence about MS ("not covered the way
        it is for blood cancers", "long used in lymphoma"), not the disease the transplant is for?"""
        if not (self.secondary_disease and self.secondary_disease.search(sentence.text[:at])):
            return False
        return any(not any(x <= a < y for x, y in elsewhere)
                   for a, _ in view.spans(self.ms, sentence, shouty=True))

    def _is_list(self, view: View, sentence: Sentence) -> bool:
        """Is this sentence a list of treatment options, HSCT one item among drugs?"""
        items = len(view.spans(self.options, sentence))
        if items == 0 or _COMPARISON.search(sentence.text) or (
                self.comparison and self.comparison.search(sentence.text)):
            return False
        return items >= 2 or view.has(self.list_markers, sentence.start, sentence.text)

    def _score(self, view: View, readings: list[_Reading], reasons: list[str], page: _Page = _Page(),
               ms_implied: bool = False) -> tuple[float, list[_Reading]]:
        w, title = self.weights, readings[0]
        score = 0.0
        lede = self._lede(readings)
        lede_elsewhere = any(r.diseases and not r.free_ms for r in lede)  # the lede names another disease
        # a bare "transplant" in a headline is read in the light of the lede
        if title.free_procedure and not (title.diseases and not title.free_ms) and not (
                title.strong == 0 and lede_elsewhere):
            score += w["headline_procedure"]
            verb, first = _named(title.free_procedure)
            reasons.append(f"HSCT {verb} in the headline ({first!r})")
        if title.free_ms:
            score += w["headline_ms"] + (w["headline_both"] if title.free_procedure else 0.0)
            reasons.append("MS named in the headline")
        lede_named = [m for r in lede if not (r.diseases and not r.free_ms) for m in r.free_procedure]
        if lede_named:
            score += w["lede_procedure"]
            verb, first = _named(lede_named)
            reasons.append("HSCT named in the lede" if verb == "named"
                           else f"HSCT described in the lede ({first!r})")
        in_text = any(r.free_procedure for r in readings)
        if (page.procedure or page.weak) and in_text and not page.diseases:
            score += w.get("categories", 0.0)
            reasons.append(f"HSCT named in the categories ({page.procedure or page.weak!r})")
        no_other = not page.diseases and not any(r.diseases for r in readings)
        # a headline naming another disease and not MS says whose the transplant is ("NMO: remission
        # after a transplant"), whatever the lede says of MS (the disease it was taken for)
        elsewhere = bool(title.diseases) and not title.free_ms
        ms_is_subject = not elsewhere and (bool(title.free_ms or any(r.free_ms for r in lede)) or (
            (any(r.free_ms for r in readings) or page.ms or ms_implied) and no_other))  # MS alone
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
                  reasons: list[str], page: _Page = _Page(), told: bool = False,
                  own: bool = False) -> float:
        p, title = self.penalties, readings[0]
        named = [m for r in readings for m in r.procedure]
        free = [m for r in readings for m in r.free_procedure]
        if named and not free:
            reasons.append("HSCT only named once, in a list of options" if len(named) == 1
                           else "HSCT only named in lists of treatment options")
        lede = self._lede(readings)
        up_front = title.free_procedure or any(r.free_procedure for r in lede)
        # named once, and what tells of it (its steps, where it is done) is in that paragraph only
        having = [r for r in readings if r.free_procedure]
        once = len([m for m in free if not m.described]) <= 1 and len(having) <= 1
        told_here = {m.sentence for m in having[0].free_procedure} if having and told else set()
        if once and len(told_here) >= self.told_sentences:
            once = False  # a paragraph that tells the transplant sentence after sentence is no aside
        if free and once and not up_front and not own:  # the writer's own transplant is no aside
            score *= p["passing"]
            reasons.append("HSCT only mentioned once, in passing")
        disease = self._other_disease(readings, discussed, page.diseases)
        if disease:
            score *= p["other_disease"]
            reasons.append(f"transplant discussed for {disease}, not MS")
            if not any(r.free_ms for r in readings):
                reasons.append("MS only named beside other diseases or as a comparison")
        cells = Counter(c.lower() for r in readings for c in r.cells)
        strong = sum(r.strong for r in readings)
        if cells:
            # an explainer whose subject is the transplant gives it more paragraphs than the cells
            # it warns of, with or without a contrast phrase; a clinic's piece does the reverse
            with_cells = sum(1 for r in readings if r.cells)
            if strong >= 2 and any(view.has(self.contrast, r.part.start, r.part.text) for r in readings):
                reasons.append("contrasts HSCT with other stem cell therapies")
            elif strong >= 2 and len(discussed) > with_cells:
                reasons.append(f"HSCT, not the other stem cells, is its subject ({len(discussed)} "
                               f"paragraph(s) against {with_cells})")
            elif cells.total() >= strong:
                score *= p["other_cells"]
                reasons.append(f"about {cells.most_common(1)[0][0]} stem cells, not HSCT")
        return score

    @staticmethod
    def _other_disease(readings: list[_Reading], discussed: list[_Reading],
                       categories: Sequence[str] = ()) -> str | None:
        """The disease the transplant is for, when it is not MS: other diseases outweigh MS
        (a headline counts thrice, and so does a category) and MS has less than two sentences of
        its own that name the transplant."""
        title = readings[0]
        diseases = Counter(d.lower() for r in readings for d in r.diseases)
        diseases.update({d.lower(): 2 for d in title.diseases})
        diseases.update({d.lower(): 3 for d in categories})
        ms = 3 * len(title.free_ms) + sum(len(r.free_ms) for r in readings[1:])
        # sentences that name it for MS: one sentence naming it twice ("a transplant with her own
        # cells", of a roommate in a lymphoma diary) is one aside
        own = sum(len({m.sentence for m in r.free_procedure if not m.described}) for r in discussed)
        if diseases and diseases.total() > ms and own < 2:
            return diseases.most_common(1)[0][0]
        return None


#: A hashtag's words run together, each after the first with a capital: "#мойРС", "#MyMS".
_HASHTAG_JOIN = re.compile(r"(?<=[a-zß-öø-ÿа-яё])(?=[A-ZÀ-ÖØ-ÞА-ЯЁ])")


def _hashtag_words(category: str) -> str:
    """A category written as a hashtag ("#мойРС", "#MiTAPH"), read as its words ("мой РС"), so
    that an abbreviation run into it is still a word of its own; other categories as they are."""
    if not category.startswith("#"):
        return category
    return _HASHTAG_JOIN.sub(" ", category[1:])


def _around(text: str, start: int, end: int, within: int) -> str:
    """The words within `within` words either side of text[start:end], and it."""
    return " ".join([*text[:start].split()[-within:], text[start:end], *text[end:].split()[:within]])


def _named(mentions: Sequence[_Mention]) -> tuple[str, str]:
    """("named", the first name), or ("described", the first step) when only the procedure's
    steps or places are there."""
    named = [m for m in mentions if not m.described]
    return ("named", named[0].text) if named else ("described", mentions[0].text)


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


def _undefined(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans without the abbreviations that only define the name before them: "autologous
    haematopoietic stem cell transplantation (aHSCT)" is one mention, not two."""
    kept: list[tuple[int, int]] = []
    for a, b in spans:
        if kept and _DEFINING.fullmatch(text, kept[-1][1], a):
            continue
        kept.append((a, b))
    return kept


_DEFINING = re.compile(r"\s*\(\s*")


def _is_abbreviation(text: str, span: tuple[int, int], abbr: str) -> bool:
    return bool(re.fullmatch(rf"a?{re.escape(abbr)}s?", text[span[0]:span[1]], re.IGNORECASE))


def _defines(text: str, span: tuple[int, int], abbr: str) -> bool:
    """Is this phrase spelled out as the abbreviation: "phrase (ABBR)" or "ABBR (phrase"?"""
    a, b = span
    after = re.match(rf"\s*\(\s*a?{re.escape(abbr)}\s*\)", text[b:b + 12])
    before = re.search(rf"\b{re.escape(abbr)}\s*\(\s*$", text[max(0, a - 12):a])
    return bool(after or before)


