"""Tags: every tag of the vocabulary whose subject the article really discusses, each with the
phrases that triggered it and where they are."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from hsctwatch.rules.forms import first_person, question_answer
from hsctwatch.rules.model import WHERE, Document, Evidence, RulesError, TagMatch
from hsctwatch.rules.terms import Terms, cue_after, cue_before, normalize, strings
from hsctwatch.rules.views import Sentence, View


@dataclass(frozen=True)
class Trigger:
    """One way a tag is given: terms, where they count, how many sentences, in what context."""

    terms: Terms
    min: int = 1
    where: frozenset[str] = frozenset(WHERE)
    near: Terms = field(default_factory=Terms)
    near_within: int = 0  # words either side; 0: anywhere in the sentence
    unless: Terms = field(default_factory=Terms)
    not_after: re.Pattern[str] | None = None
    not_before: re.Pattern[str] | None = None
    dated: re.Pattern[str] | None = None  # a mention followed by this (a date) counts without `near`
    enough_with: Terms = field(default_factory=Terms)
    not_in: Terms = field(default_factory=Terms)  # the trigger is off in an article with ...
    not_in_min: int = 3  # ... this many sentences that have one of these
    in_categories: bool = False  # a post's category that names it counts like its headline
    dense_terms: int = 0  # a sentence with this many different terms counts twice (0: [tagging]'s) ...
    dense_with: Terms = field(default_factory=Terms)  # ... when it has one of these, if any are given
    not_beside: frozenset[str] = frozenset()  # the trigger is off beside these tags (the readers'
    # own health service named in a piece whose treatment is abroad)

    @classmethod
    def read(cls, where: str, raw: Mapping[str, Any], defaults: Mapping[str, Any],
             page_forms: Mapping[str, tuple[Terms, int]] | None = None) -> Trigger:
        merged = {**defaults, **raw}
        places = strings(f"{where} where", merged.get("where", list(WHERE)))
        if not places or set(places) - set(WHERE):
            raise RulesError(f"{where}: 'where' must list some of {', '.join(WHERE)}")
        minimum = merged.get("min", 1)
        if not isinstance(minimum, int) or minimum < 1:
            raise RulesError(f"{where}: 'min' must be a whole number, 1 or more")
        within = merged.get("near_within", 0)
        if not isinstance(within, int) or within < 0:
            raise RulesError(f"{where}: 'near_within' must be a whole number of words")
        dense = merged.get("dense_terms", 0)
        if not isinstance(dense, int) or dense < 0:
            raise RulesError(f"{where}: 'dense_terms' must be a whole number")
        not_in, not_in_min = merged.get("not_in"), merged.get("not_in_min", 3)
        if isinstance(not_in, str):  # the name of a kind of page, [page_forms.<name>]: its signs
            if not_in not in (page_forms or {}):
                raise RulesError(f"{where}: 'not_in' names no [page_forms.{not_in}]")
            not_in, not_in_min = (page_forms or {})[not_in]
        if not isinstance(not_in_min, int) or not_in_min < 1:
            raise RulesError(f"{where}: 'not_in_min' must be a whole number, 1 or more")
        if not isinstance(not_in, Terms):
            not_in = Terms.of_phrases(f"{where} not_in", not_in)
        return cls(
            terms=Terms.read(where, raw), min=minimum, where=frozenset(places),
            near=Terms.of_phrases(f"{where} near", merged.get("near")), near_within=within,
            unless=Terms.read(f"{where} unless", {"phrases": merged.get("unless"),
                                                  "patterns": merged.get("unless_patterns")}),
            not_after=cue_before(f"{where} not_after", merged.get("not_after"),
                                 merged.get("not_after_patterns")),
            not_before=cue_after(f"{where} not_before", merged.get("not_before"),
                                 merged.get("not_before_patterns")),
            dated=cue_after(f"{where} dated_patterns", None, merged.get("dated_patterns")),
            enough_with=Terms.of_phrases(f"{where} enough_with", merged.get("enough_with")),
            not_in=not_in, not_in_min=not_in_min,
            in_categories=bool(merged.get("in_categories", False)), dense_terms=dense,
            dense_with=Terms.of_phrases(f"{where} dense_with", merged.get("dense_with")),
            not_beside=frozenset(strings(f"{where} not_beside", raw.get("not_beside"))),
        )

    def allows(self, sentence: str, start: int, end: int) -> bool:
        if self.not_after and self.not_after.search(sentence[max(0, start - 80):start]):
            return False
        if self.not_before and self.not_before.search(sentence[end:end + 40]):
            return False
        if self.dated and self.dated.search(sentence[end:end + 40]):
            return True
        return not self.near or self.near.search(self._around(sentence, start, end))

    def _around(self, sentence: str, start: int, end: int) -> str:
        """The words near a mention: `near_within` words either side, or the whole sentence."""
        if not self.near_within:
            return sentence
        before = sentence[:start].split()[-self.near_within:]
        after = sentence[end:].split()[:self.near_within]
        return " ".join([*before, sentence[start:end], *after])


@dataclass(frozen=True)
class TagRule:
    slug: str
    facet: str
    label: str
    triggers: tuple[Trigger, ...]
    form: Mapping[str, Any]
    not_with: tuple[str, ...] = ()  # not given beside these tags (a type that a form outranks)
    outweighed_by: tuple[str, ...] = ()  # not given when named in one sentence and one of these ...
    outweighed_ratio: int = 0  # ... in at least this many: a contrast, not the piece's subject


TRIGGER_KEYS = frozenset({"phrases", "patterns", "exact", "min", "where", "near", "near_within", "unless",
                          "unless_patterns", "not_after", "not_before", "not_after_patterns",
                          "not_before_patterns", "dated_patterns",
                          "enough_with", "not_in", "not_in_min", "in_categories", "dense_terms",
                          "dense_with", "not_beside"})
FORM_KEYS = frozenset({"form", "first_person_min", "first_person_share", "first_person_short",
                       "first_person_short_min", "first_person_plural", "qa_lines_min", "quotes_min"})
_OR = re.compile(r"\bor\b", re.IGNORECASE)
#: A post's categories, normalized once for all the triggers that read them.
_normalized = lru_cache(maxsize=256)(normalize)
_ITEM = re.compile(r"^\s*(?:[-•*–]|\(?\d{1,2}[.)])\s")


def _heading(view: View, sentence: Sentence) -> Sentence | None:
    """The heading of the list a sentence is an item of ("- Primary progressive MS" under
    "Exclusion criteria:"), in the same paragraph; None for a sentence that is no list item."""
    if not _ITEM.match(sentence.text):
        return None
    before = [s for s in view.parts[sentence.part].sentences if s.start < sentence.start]
    return next((s for s in reversed(before) if not _ITEM.match(s.text)), None)

def _headed(view: View, i: int) -> list[Sentence]:
    """Sentence i, and the heading line just above it in its paragraph ("Study locations"), which
    says what the line is a list of."""
    sentence = view.sentences[i]
    above = view.sentences[i - 1] if i > 0 else None
    if above and above.part == sentence.part and len(above.text.split()) <= 5 \
            and not above.text.rstrip().endswith("."):
        return [sentence, above]
    return [sentence]


_QUESTION_LINE = re.compile(r"^(?:Q|Question|HOST|INTERVIEWER)\s?:\s")


def _is_question(view: View, sentence: Sentence) -> bool:
    """A question that stands as a paragraph of its own ("What are the risks?", "Q: Who do you turn
    away?"): in a Q&A or an FAQ, it heads its answer as a headline heads its article."""
    part = view.parts[sentence.part]
    if part.where != "body" or part.words > 25:
        return False
    return part.text.rstrip().endswith("?") or bool(_QUESTION_LINE.match(part.text))


TAG_KEYS = TRIGGER_KEYS | FORM_KEYS | {"slug", "facet", "label", "triggers", "centres", "not_with",
                                      "outweighed_by", "outweighed_ratio"}
FORMS = ("first-person", "question-answer")


def read_page_forms(raw: Any) -> dict[str, tuple[Terms, int]]:
    """[page_forms.<name>]: the signs of a kind of page and how many sentences make one, compiled
    once for every trigger that names it."""
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise RulesError("[page_forms] must hold tables: [page_forms.<name>] with phrases and min")
    forms = {}
    for name, table in raw.items():
        least = table.get("min", 3)
        if not isinstance(least, int) or least < 1:
            raise RulesError(f"[page_forms.{name}] 'min' must be a whole number, 1 or more")
        forms[name] = (Terms.read(f"[page_forms.{name}]", table), least)
    return forms


def read_tag(index: int, raw: Any, facet_defaults: Mapping[str, Any], seen: set[str],
             page_forms: Mapping[str, tuple[Terms, int]] | None = None) -> TagRule:
    if not isinstance(raw, dict):
        raise RulesError(f"tag #{index + 1} must be a table ([[tags]])")
    slug = raw.get("slug")
    if not isinstance(slug, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug):
        raise RulesError(f"tag #{index + 1} needs a slug of lowercase letters, digits and -")
    if slug in seen:
        raise RulesError(f"tag '{slug}' is defined twice; slugs are unique across facets")
    seen.add(slug)
    where = f"tag '{slug}'"
    if not isinstance(raw.get("facet"), str) or not raw["facet"]:
        raise RulesError(f"{where} needs a facet")
    if not isinstance(raw.get("label", slug), str):
        raise RulesError(f"{where}: label must be a string")
    unknown = set(raw) - TAG_KEYS
    if unknown:
        raise RulesError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    if raw.get("form") is not None and raw["form"] not in FORMS:
        raise RulesError(f"{where}: form must be one of {', '.join(FORMS)}")
    defaults = facet_defaults.get(raw["facet"], {})
    triggers = []
    if any(k in raw for k in ("phrases", "patterns", "exact")):
        triggers.append(Trigger.read(where, {k: v for k, v in raw.items() if k in TRIGGER_KEYS}, defaults,
                                     page_forms))
    if raw.get("centres"):
        # a centre as the post's own category ("San Raffaele") says where it is, as a place does
        categories = {k: defaults[k] for k in ("in_categories",) if k in defaults}
        triggers.append(Trigger.read(f"{where} centres", {"phrases": raw["centres"]}, categories))
    for n, extra in enumerate(raw.get("triggers", [])):
        if not isinstance(extra, dict) or set(extra) - TRIGGER_KEYS:
            raise RulesError(f"{where} trigger #{n + 1}: use only {', '.join(sorted(TRIGGER_KEYS))}")
        triggers.append(Trigger.read(f"{where} trigger #{n + 1}", extra, defaults, page_forms))
    form = {k: raw[k] for k in FORM_KEYS if k in raw}
    not_with = tuple(strings(f"{where} not_with", raw.get("not_with")))
    outweighed = tuple(strings(f"{where} outweighed_by", raw.get("outweighed_by")))
    ratio = raw.get("outweighed_ratio", 4 if outweighed else 0)
    if not isinstance(ratio, int) or ratio < 0:
        raise RulesError(f"{where}: 'outweighed_ratio' must be a whole number")
    return TagRule(slug, raw["facet"], raw.get("label", slug), tuple(triggers), form, not_with,
                   outweighed, ratio)



class TagRules:
    """The tag half of `Rules`: the tag rules it applies are read by `Rules`."""

    tag_rules: list[TagRule]
    crowded: dict[str, tuple[int, Terms]]  # facet: a sentence naming this many of its tags names
    # none of them, unless it has one of these terms
    headline_counts: int  # a headline's mention counts as this many sentences
    dense_terms: int  # a sentence with this many different terms counts twice
    crowded_also: dict[str, Terms] = {}  # facet: names outside its tags that crowd a sentence too
    anaphora: dict[str, Terms] = {}  # facet: "the trial", which names the tag named last before it
    crowded_or: dict[str, Terms] = {}  # facet: the language's "or", which makes two names a list
    questions_count: int = 1  # a question standing as a paragraph counts as this many sentences

    def _read_tag_genres(self, data: Mapping[str, Any]) -> None:
        """How the genres name a facet's subject (rules.toml): the places outside the vocabulary
        that make a sentence a list of places, the words that name a trial named before ("the
        trial"), and a Q&A's questions, which head their answers."""
        facets = data.get("facets", {})
        self.crowded_also = {facet: Terms.of_phrases(f"[facets.{facet}] crowded_also", table["crowded_also"])
                             for facet, table in facets.items()
                             if isinstance(table, dict) and table.get("crowded_also")}
        self.anaphora = {facet: Terms.of_phrases(f"[facets.{facet}] anaphora", table["anaphora"])
                         for facet, table in facets.items()
                         if isinstance(table, dict) and table.get("anaphora")}
        self.crowded_or = {facet: Terms.of_phrases(f"[facets.{facet}] crowded_or", table["crowded_or"])
                           for facet, table in facets.items()
                           if isinstance(table, dict) and table.get("crowded_or")}
        questions = data.get("tagging", {}).get("questions_count", 1)
        if not isinstance(questions, int) or questions < 1:
            raise RulesError("[tagging] questions_count must be a whole number, 1 or more")
        self.questions_count = questions
    first_person: list[str]  # the language's first-person words ([]: English's)
    said: list[str]  # the language's verbs of speech, besides English's
    qa_labels: list[str]  # the labels of its questions and answers ("P", "R" …)

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

    def tags(self, doc: Document) -> list[TagMatch]:
        """Every tag whose subject the article really discusses, with its evidence."""
        view = View.of(doc)
        crowded = {facet: self._crowded(view, facet, least, unless)
                   for facet, (least, unless) in self.crowded.items()}
        anaphors = {slug: found for facet in self.anaphora
                    for slug, found in self._anaphors(view, facet).items()}
        found = [m for rule in self.tag_rules
                 if (m := self._tag(rule, view, doc.categories, crowded.get(rule.facet, frozenset()),
                                    anaphors.get(rule.slug, ())))]
        given = {m.slug for m in found}
        # a tag found by a trigger that is off beside another tag found is looked for again without it
        found = [again for m in found
                 if (again := m if not any(given & t.not_beside for t in self._by_slug[m.slug].triggers)
                     else self._tag(self._by_slug[m.slug], view, doc.categories,
                                    crowded.get(m.facet, frozenset()), anaphors.get(m.slug, ()), given))]
        found = [m for m in found if not given.intersection(self._by_slug[m.slug].not_with)
                 and not self._outweighed(self._by_slug[m.slug], view, given)]
        if "news" in self._by_slug and not any(m.facet == "type" for m in found):
            title = (doc.title or "").strip()
            found.append(TagMatch(self.facet("news"), "news", (Evidence(title, "title"),) if title else ()))
        return found

    def _sentences(self, slug: str, view: View) -> int:
        """How many sentences name a tag (by any of its triggers' terms)."""
        return len({i for trigger in self._by_slug[slug].triggers for i in view.mentions(trigger.terms)})

    def _outweighed(self, rule: TagRule, view: View, given: set[str]) -> bool:
        """Named in one sentence of a piece that names another tag of `outweighed_by` in
        `outweighed_ratio` or more: relapsing MS named once in a piece about primary progressive
        MS is the comparison ("the NHS treats relapsing MS"), not who the piece is about."""
        others = [slug for slug in rule.outweighed_by if slug in given]
        if not others or self._sentences(rule.slug, view) > 1:
            return False
        return any(self._sentences(slug, view) >= rule.outweighed_ratio for slug in others)

    def _named(self, view: View, facet: str) -> dict[int, set[str]]:
        """The tags of the facet each sentence names, by sentence."""
        named: dict[int, set[str]] = {}
        for rule in self.tag_rules:
            if rule.facet == facet:
                for trigger in rule.triggers:
                    for i in view.mentions(trigger.terms):
                        named.setdefault(i, set()).add(rule.slug)
        return named

    def _crowded(self, view: View, facet: str, least: int, unless: Terms) -> frozenset[int]:
        """The sentences that name `least` tags of the facet, or two with an "or" — a list of
        places, where people go for the treatment in general ("to Russia or Mexico"), not where
        this piece's treatment or study happens — unless the sentence has one of `unless`
        ("sites in the UK, Sweden and Brazil"). The "or" is the language's (`crowded_or`:
        "nach Moskau oder Mexiko", "en México o Rusia"), English's when the rules name none."""
        named = self._named(view, facet)
        also = self.crowded_also.get(facet)
        for i, spans in (view.mentions(also).items() if also else ()):
            if i in named:  # "Norway, Sweden, Denmark and the Netherlands": four places, two tags
                named[i].update(view.sentences[i].text[a:b].lower() for a, b in spans)
        sentences = view.sentences
        either = self.crowded_or.get(facet)

        def has_or(sentence: Sentence) -> bool:
            return (view.has(either, sentence.start, sentence.text) if either
                    else bool(_OR.search(sentence.text)))

        return frozenset(i for i, slugs in named.items() if (len(slugs) >= least or (
            len(slugs) >= 2 and has_or(sentences[i]))) and not (
                unless and any(view.has(unless, s.start, s.text) for s in _headed(view, i))))

    def _anaphors(self, view: View, facet: str) -> dict[str, list[int]]:
        """The sentences whose subject is a tag of the facet, not named but spoken of — they begin
        "The trial …" after "The RAM-MS study, led from Bergen, …" — by the tag they speak of: the
        one named last before them, when one sentence named it alone."""
        named = self._named(view, facet)
        words = view.mentions(self.anaphora[facet])
        found: dict[str, list[int]] = {}
        last = None
        for i in range(len(view.sentences)):
            if i in named:
                last = next(iter(named[i])) if len(named[i]) == 1 else None
            elif last and any(a <= 1 for a, _ in words.get(i, ())):  # at the start, after a quote
                found.setdefault(last, []).append(i)
        return found

    def _tag(self, rule: TagRule, view: View, categories: tuple[str, ...] = (),
             skip: frozenset[int] = frozenset(), anaphors: Sequence[int] = (),
             given: frozenset[str] | set[str] = frozenset()) -> TagMatch | None:
        """The tag's match, by its form or its first trigger that fires; with the tags `given`,
        the triggers that are off beside one of them are left out."""
        form = rule.form.get("form")
        if form == "question-answer":
            cues = rule.triggers[0].terms if rule.triggers else Terms()
            evidence = question_answer(view, cues, int(rule.form.get("qa_lines_min", 2)),
                                       int(rule.form.get("quotes_min", 3)), self.said, self.qa_labels,
                                       self.first_person)
            return TagMatch(rule.facet, rule.slug, evidence) if evidence else None
        if form == "first-person":
            evidence = first_person(view, int(rule.form.get("first_person_min", 8)),
                                     float(rule.form.get("first_person_share", 0.025)),
                                     int(rule.form.get("first_person_short", 0)),
                                     int(rule.form.get("first_person_short_min", 0)),
                                     words=self.first_person,
                                     plural=float(rule.form.get("first_person_plural", 0.0)))
            if evidence:
                return TagMatch(rule.facet, rule.slug, evidence)
        for n, trigger in enumerate(rule.triggers):
            if given & trigger.not_beside:
                continue
            evidence = self._triggered(trigger, view, categories, skip, anaphors if n == 0 else ())
            if evidence:
                return TagMatch(rule.facet, rule.slug, evidence)
        return None

    def _triggered(self, trigger: Trigger, view: View, categories: tuple[str, ...] = (),
                   skip: frozenset[int] = frozenset(),
                   anaphors: Sequence[int] = ()) -> tuple[Evidence, ...] | None:
        """The evidence, when the trigger's terms are in enough sentences; `anaphors` are more
        sentences that speak of its subject without naming it ("the trial")."""
        if trigger.not_in and len(view.mentions(trigger.not_in)) >= trigger.not_in_min:
            return None
        count = 0
        evidence: list[Evidence] = []
        if trigger.in_categories:  # "Moscow" or "India" as the post's own category: where it is
            for category in categories:
                spans = trigger.terms.spans(_normalized(category))
                if spans:
                    count += self.headline_counts
                    evidence.append(Evidence(category[spans[0][0]:spans[0][1]], "categories"))
        for i, found in view.mentions(trigger.terms).items():
            if i in skip:
                continue
            sentence = view.sentences[i]
            if sentence.where not in trigger.where or view.has(trigger.unless, sentence.start, sentence.text):
                continue
            heading = _heading(view, sentence)
            if heading and trigger.unless and view.has(trigger.unless, heading.start, heading.text):
                continue  # an item of a list whose heading rules it out ("Exclusion criteria:")
            spans = [s for s in found if trigger.allows(sentence.text, *s)]
            if not spans:
                continue
            count += self._weight(view, trigger, sentence, spans)
            for a, b in spans:
                phrase = sentence.raw[a:b]
                if len(evidence) < 3 and all(e.phrase.lower() != phrase.lower() for e in evidence):
                    evidence.append(Evidence(phrase, sentence.where))
        for i in anaphors:
            if i not in skip and count:
                count += 1
                if len(evidence) < 3:
                    sentence = view.sentences[i]
                    evidence.append(Evidence(sentence.raw.strip()[:80], sentence.where))
        return tuple(evidence) if count >= trigger.min else None

    def _weight(self, view: View, trigger: Trigger, sentence: Sentence,
                spans: list[tuple[int, int]]) -> int:
        """How many sentences' worth this one is: a headline, a dense sentence, or a sentence
        that is enough on its own count for more than a stray mention."""
        if trigger.enough_with and view.has(trigger.enough_with, sentence.start, sentence.text):
            return trigger.min
        if sentence.where == "title":
            return self.headline_counts
        if self.questions_count > 1 and _is_question(view, sentence):
            return self.questions_count
        dense = self.dense_terms
        if trigger.dense_terms and (not trigger.dense_with
                                    or view.has(trigger.dense_with, sentence.start, sentence.text)):
            dense = trigger.dense_terms
        return 2 if len({sentence.text[a:b].lower() for a, b in spans}) >= dense else 1
