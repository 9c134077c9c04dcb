"""Term matching: how an editor's phrases and patterns become regular expressions, and how
they are found fast, through an index of where each word starts, with exactly the matches a
plain regex search would give (tests/test_term_matching.py proves it over the corpus)."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from hsctwatch.rules.model import RulesError

try:  # the regex engine's own parser, to tell what a match starts with (`first_characters`)
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]
except ImportError:  # another Python's: every position is tried, as the engine does
    _parser = None

_NORMAL = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " ", "–": "-", "—": "-",
                         # the quotation marks of other languages: «guillemets», „German“ ‚quotes‘
                         "«": '"', "»": '"', "„": '"', "‚": "'", "‹": "'", "›": "'",
                         "\u2010": "-", "\u2011": "-", "\u202f": " ",
                         # Russian writes "ё" or "е" as it likes: "Горбачёвой" is "Горбачевой"
                         "ё": "е", "Ё": "Е"})


def normalize(text: str) -> str:
    """Straight quotes and plain dashes, in every language's typography, and Russian "ё" as "е".
    One character for one, so that offsets found in the normalized text also point into the
    original, which evidence is quoted from."""
    return text.translate(_NORMAL)


_SEPARATOR = r"['\"]?[\s-]+['\"]?"  # between the words of a phrase


def phrase_regex(phrase: str) -> str:
    """A plain phrase as a regex: whole words, any case, a space or hyphen between words (and a
    quotation mark: chemo 'reboot' of immune system), a final * for any ending, a first * for
    any beginning (the tail of a compound: "*transplantation"), and `word{a|b}` for the word
    with one of these endings or none (how a language's inflections are written: see
    hsctwatch.rules.languages) — so that editors can add synonyms without knowing regular
    expressions."""
    words = [w for w in re.split(r"[\s-]+", normalize(phrase).strip()) if w]
    regex = _SEPARATOR.join(_word_regex(w) for w in words)
    if words and (words[0][:1].isalnum() or words[0].startswith("*") and words[0] != "*"):
        regex = r"\b" + regex
    if words and (words[-1][-1:].isalnum() or _ENDINGS.fullmatch(words[-1])):
        regex += r"\b"
    return regex


_ENDINGS = re.compile(r"(.+)\{([^{}]*)\}")  # word{ending|ending}


def _word_regex(word: str) -> str:
    if word == "*":
        return r"\S+"
    head = r"\w*" if word.startswith("*") else ""
    word = word.removeprefix("*")
    if word.endswith("*"):
        return head + re.escape(word[:-1]) + r"\w*"
    endings = _ENDINGS.fullmatch(word)
    if endings:
        stem, alternatives = endings[1], [e for e in endings[2].split("|") if e]
        ordered = sorted(set(alternatives), key=lambda e: (-len(e), e))  # the longest first
        return head + re.escape(stem) + ("(?:" + "|".join(map(re.escape, ordered)) + ")?" if ordered else "")
    return head + re.escape(word)


def strings(where: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RulesError(f"{where} must be a list of strings")
    return value


@cache
def groups(regex: str, flags: int) -> int:
    """How many groups the regex has (re.error if it is not one). Kept: every language's rules
    check the main file's terms again, more of them than the regex module's own cache holds."""
    return re.compile(regex, flags).groups


def compile_terms(where: str, regexes: list[str], flags: int) -> re.Pattern[str] | None:
    for regex in regexes:  # one by one first, so that the message names the broken one
        try:
            groups(regex, flags)
        except re.error as exc:
            raise RulesError(f"{where}: {regex!r} is not a valid regular expression ({exc})") from None
    if not regexes:
        return None
    try:
        return _compiled(tuple(regexes), flags)
    except re.error as exc:  # each is valid alone: a flag like (?i) that only works at the start
        raise RulesError(f"{where}: these regular expressions do not go together ({exc}); "
                         "write a flag as a group, (?i:...)") from None


@cache
def _compiled(regexes: tuple[str, ...], flags: int) -> re.Pattern[str]:
    """One regex of them all, compiled once per process: the same lists recur (each country
    tag's `near`, the main file's lists in every language's rules)."""
    return re.compile(_alternation(list(regexes), flags), flags)


def _alternation(regexes: list[str], flags: int) -> str:
    """``(?:r1)|(?:r2)|…``, written so that Python's regex engine scans it fast, matching exactly
    the same. The engine tries every alternative at every position of the text; here the
    alternatives that start with a word boundary and a plain letter or digit (most phrases) are
    grouped under one boundary, by that first character: ``\\b(?:a(?:…|…)|h(?:…))``. At a
    position, at most one group can match (the first characters differ, in any case), and within
    a group the alternatives keep their order, so the first alternative that matches is still the
    one that wins. Other alternatives stay where they are, between such runs. A pattern with a
    group of its own (which a back-reference could name) is left as it is."""
    plain = "|".join(f"(?:{r})" for r in regexes)
    if any(groups(r, flags) for r in regexes):
        return plain
    out: list[str] = []
    run: dict[str, list[str]] = {}
    for regex in regexes:
        first = regex[2:3]
        if (regex.startswith(r"\b") and first.isalnum() and plain_case(first)
                and regex[3:4] not in ("*", "+", "?", "{") and not _alternates(regex)):
            run.setdefault(first.lower() if flags & re.IGNORECASE else first, []).append(regex[3:])
            continue
        if run:
            out.append(_grouped(run))
            run = {}
        out.append(f"(?:{regex})")
    if run:
        out.append(_grouped(run))
    return "|".join(out)


def _grouped(run: dict[str, list[str]]) -> str:
    return r"\b(?:" + "|".join(first + "(?:" + "|".join(rests) + ")" for first, rests in run.items()) + ")"


def _alternates(regex: str) -> bool:
    """Does the regex have a | outside any group (so that it can't be cut after its first letter)?"""
    return any(char == "|" and depth == 0 for _, char, depth in _structure(regex))


def _structure(regex: str) -> list[tuple[int, str, int]]:
    """(index, character, depth) of the regex's |, ( and ), outside escapes and classes."""
    found: list[tuple[int, str, int]] = []
    depth, i = 0, 0
    while i < len(regex):
        char = regex[i]
        if char == "\\":
            i += 1
        elif char == "[":  # a character class: to its closing ], which may come first or after ^
            i += 2 if regex[i + 1:i + 2] == "^" else 1
            i += 1 if regex[i:i + 1] == "]" else 0
            while i < len(regex) and regex[i] != "]":
                i += 2 if regex[i] == "\\" else 1
        elif char == "(":
            found.append((i, char, depth))
            depth += 1
        elif char == ")":
            depth -= 1
            found.append((i, char, depth))
        elif char == "|":
            found.append((i, char, depth))
        i += 1
    return found


class Plan:
    """How to find a regex's matches without trying it at every position of a text: the
    alternatives that start with a word boundary and a plain word (most phrases) can only match
    where a word starts with those letters, which the text's word index tells (WordIndex); the
    others are looked for with one regex of them all (only where a character they can start
    with stands, when those are known: `first_characters`). The regex itself is then tried only
    at those places, in order, the way `finditer` would: the same matches."""

    __slots__ = ("context_free", "exact", "heads", "keys", "others", "prefixes", "starts")

    def __init__(self, keys: set[tuple[str, bool]], others: list[str], flags: int):
        self.exact = not flags & re.IGNORECASE
        self.keys = tuple(sorted(keys))
        # the keys that are a word's whole head in the index (KEY letters, or a whole shorter
        # word), looked up together against a text's heads; the shorter ones that start words
        self.heads = frozenset(k for k, whole in self.keys if len(k) == KEY or whole)
        self.prefixes = tuple(k for k, whole in self.keys if not (len(k) == KEY or whole))
        # no lookaround or anchor: whether they match at a place depends only on the words there
        self.context_free = not any(_CONTEXT.search(r) for r in others)
        joined = "|".join(f"(?:{r})" for r in others)
        self.others = re.compile(joined, flags) if others else None
        self.starts = _starts(joined, flags) if others else None

    def other_places(self, text: str) -> set[int]:
        """Every place where one of the other alternatives matches (overlapping matches too):
        tried only where a character a match can start with is, when those are known."""
        if self.others is None:
            return set()
        if self.starts is not None:
            return {m.start() for m in self.starts.finditer(text)}
        places: set[int] = set()
        at = 0
        while at <= len(text) and (m := self.others.search(text, at)):
            places.add(m.start())
            at = m.start() + 1
        return places

    def other_search(self, text: str) -> bool:
        """Does one of the other alternatives match somewhere in the text?"""
        if self.others is None:
            return False
        if self.starts is not None:
            return self.starts.search(text) is not None
        return self.others.search(text) is not None

    @classmethod
    def of(cls, regexes: list[str], flags: int) -> Plan | None:
        """The plan for these regexes: made once per process for the same list."""
        return _plan(tuple(regexes), flags)

    @classmethod
    def make(cls, regexes: tuple[str, ...], flags: int) -> Plan | None:
        if not regexes or any(groups(r, flags) for r in regexes):
            return None  # a group of its own could be named by a back-reference: tried everywhere
        keys: set[tuple[str, bool]] = set()
        others: list[str] = []
        for regex in regexes:
            heads = _heads(regex)
            if heads is None:
                others.append(regex)
                continue
            for head, whole in heads:
                key = head[:KEY] if not flags & re.IGNORECASE else head[:KEY].lower()
                keys.add((key, whole and len(head) < KEY))
        return cls(keys, others, flags)


def first_characters(regex: str, flags: int) -> str | None:
    """A character class, as written (case counts), of every character a match of the regex can
    start with — and maybe more: when the regex ignores case, every character below `_FOLDED`
    that the engine takes for one of them, and every character from there on. None when that
    can't be told (a match may be empty, or the regex changes its flags), or when the class would
    hold every letter or space (\\w, \\s and their opposites), which saves nothing."""
    if _parser is None:
        return None
    try:
        parts: list[str] = []
        if _first(_parser.parse(regex, flags), parts) or not parts or any(
                part.startswith("\\") and len(part) == 2 and part[1] in "wsWSD" for part in parts):
            return None
        written = "[" + "".join(parts) + "]"
        if not flags & re.IGNORECASE:
            return written
        ignoring = re.compile(written, flags)
        chars = "".join(re.escape(chr(c)) for c in range(_FOLDED) if ignoring.match(chr(c)))
        return f"[{chars}{re.escape(chr(_FOLDED))}-\\U0010ffff]"
    except (_Unknown, re.error):
        return None


#: Below this, the characters that a class ignoring case matches are listed one by one (Latin,
#: Greek, Cyrillic: the scripts of the rules' languages); above, all are taken.
_FOLDED = 0x530


def _starts(regex: str, flags: int) -> re.Pattern[str] | None:
    """A regex whose matches are the one character at each place where the regex matches
    (overlapping matches too): the class of its first characters, then the regex looked for
    from there (a lookahead inside a one-character lookbehind). Python's regex engine tries a
    regex that starts with a word boundary, a lookbehind or a letter ignoring case at every
    position of a text, but scans fast for a class as written, so this finds the same places
    several times faster. None when the first characters can't be told."""
    return _starting(regex, flags, "?:")


def _starting(regex: str, flags: int, group: str) -> re.Pattern[str] | None:
    """`_starts`, the regex in a group of the kind `group` says ("?:" none, "" the first)."""
    first = first_characters(regex, flags)
    if first is None:
        return None
    try:
        return re.compile(f"(?-i:{first})(?<=(?=({group}{regex})).)", flags)
    except re.error:
        return None


def spans_of(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """The spans of `pattern.finditer(text)`, found through `_starts` when the characters its
    matches start with are known (and it has no group of its own): each match is the longest the
    pattern makes at the first place it matches from where the last one ended, as finditer's."""
    known = _finders.get(id(pattern))
    finder = known[1] if known is not None and known[0] is pattern else _finder(pattern)
    if finder is None:
        return [m.span() for m in pattern.finditer(text)]
    spans: list[tuple[int, int]] = []
    at = 0
    while m := finder.search(text, at):
        spans.append(m.span(1))
        at = m.end(1)
    return spans


def _finder(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """`_starts` of the pattern, with its match as the first group; kept by the pattern's
    identity (hashing a long pattern costs more than finding a sentence's matches)."""
    finder = None if pattern.groups else _starting(pattern.pattern, pattern.flags, "")
    _finders[id(pattern)] = (pattern, finder)
    return finder


_finders: dict[int, tuple[re.Pattern[str], re.Pattern[str] | None]] = {}


class _Unknown(Exception):
    """What a regex's match starts with can't be told (`first_characters`)."""


def _first(items: Any, parts: list[str]) -> bool:
    """Add to `parts` (pieces of a character class) what a match of the parsed items can start
    with; whether they can match the empty string (then what follows them may start it)."""
    for op, av in items:
        if op is _c.LITERAL:
            parts.append(re.escape(chr(av)))
            return False
        if op is _c.IN:
            parts.extend(_class(av))
            return False
        if op is _c.BRANCH:
            empty = [_first(branch, parts) for branch in av[1]]
            if not any(empty):
                return False
        elif op is _c.SUBPATTERN:
            if av[1] or av[2]:  # (?i:...) or (?-i:...): other flags than the class's
                raise _Unknown
            if not _first(av[3], parts):
                return False
        elif op is _c.ATOMIC_GROUP:
            if not _first(av, parts):
                return False
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            if not _first(av[2], parts) and av[0] > 0:
                return False
        elif op not in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):  # those match no character
            raise _Unknown
    return True


def _class(items: Any) -> list[str]:
    """A parsed character class (not negated) as pieces of a class."""
    pieces = []
    for op, av in items:
        if op is _c.LITERAL:
            pieces.append(re.escape(chr(av)))
        elif op is _c.RANGE:
            pieces.append(f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}")
        elif op is _c.CATEGORY and av in _CATEGORIES:
            pieces.append(_CATEGORIES[av])
        else:
            raise _Unknown
    return pieces


_CATEGORIES = {_c.CATEGORY_DIGIT: r"\d", _c.CATEGORY_NOT_DIGIT: r"\D", _c.CATEGORY_SPACE: r"\s",
               _c.CATEGORY_NOT_SPACE: r"\S", _c.CATEGORY_WORD: r"\w", _c.CATEGORY_NOT_WORD: r"\W"}


@cache
def _plan(regexes: tuple[str, ...], flags: int) -> Plan | None:
    return Plan.make(regexes, flags)


KEY = 3  # words are indexed by their first letters, up to this many
_CONTEXT = re.compile(r"\(\?[=!<(]|[\^$]|\\[AZ]")


def _heads(regex: str) -> list[tuple[str, bool]] | None:
    """The plain letters and digits a match of the regex starts with, after its opening word
    boundary — one for each alternative of a group it starts with (\\b(?:she|he) ...) — and
    whether they are the whole word. None when that can't be told: no boundary first, a | outside
    any group, an optional or repeated first letter or group."""
    if not regex.startswith(r"\b") or _alternates(regex):
        return None
    body, after = regex[2:], ""
    alternatives = [body]
    if body.startswith("(?:"):
        inner = _structure(body)
        close = next((i for i, char, depth in inner if char == ")" and depth == 0), -1)
        after = body[close + 1:]
        if close < 0 or after[:1] in _REPEAT:
            return None
        cuts = [i for i, char, depth in inner if char == "|" and depth == 1 and i < close]
        alternatives = [body[a + 1:b] for a, b in zip([2, *cuts], [*cuts, close], strict=True)]
    heads = []
    for alternative in [a for written in alternatives for a in _optional_first(written)]:
        end = 0
        while end < len(alternative) and alternative[end].isalnum() and plain_case(alternative[end]):
            end += 1
        if alternative[end:end + 1] in _REPEAT:
            end -= 1  # the last letter is optional or repeated
        if end <= 0:
            return None
        heads.append((alternative[:end], _ends_word(alternative[end:] or after)))
    return heads


_REPEAT = ("*", "+", "?", "{")


def _optional_first(alternative: str) -> list[str]:
    """An alternative whose first letter is optional ("a?HSCT"), as the two it stands for
    ("aHSCT", "HSCT"); any other as it is."""
    if alternative[1:2] == "?" and alternative[:1].isalnum() and plain_case(alternative[0]) \
            and alternative[2:3] not in _REPEAT:
        return [alternative[0] + alternative[2:], alternative[2:]]
    return [alternative]


def _ends_word(regex: str) -> bool:
    """Does what a regex matches first (as written) end a word: a boundary, a space, a hyphen?"""
    if regex.startswith((r"\b", _SEPARATOR)):
        return True
    return regex[:1] in (" ", "/", ",", ":", ";", "'", '"', "%", "-") and regex[1:2] not in _REPEAT


@dataclass(frozen=True)
class Terms:
    """A list of terms compiled into two regexes: the case-insensitive terms and the exact ones."""

    loose: re.Pattern[str] | None = None
    exact: re.Pattern[str] | None = None
    loose_plan: Plan | None = field(default=None, compare=False, repr=False)
    exact_plan: Plan | None = field(default=None, compare=False, repr=False)

    @classmethod
    def read(cls, where: str, table: Mapping[str, Any], phrases: str = "phrases",
             patterns: str = "patterns", exact: str = "exact") -> Terms:
        loose = [phrase_regex(p) for p in strings(f"{where} {phrases}", table.get(phrases))]
        loose += [normalize(p) for p in strings(f"{where} {patterns}", table.get(patterns))]
        strict = [normalize(p) for p in strings(f"{where} {exact}", table.get(exact))]
        return cls(compile_terms(where, loose, re.IGNORECASE), compile_terms(where, strict, 0),
                   Plan.of(loose, re.IGNORECASE), Plan.of(strict, 0))

    @classmethod
    def of_phrases(cls, where: str, phrases: Any) -> Terms:
        return cls.read(where, {"phrases": phrases})

    def __bool__(self) -> bool:
        return bool(self.loose or self.exact)

    def matches(self, text: str) -> Found:
        """(start, end, exact) of matches that do not overlap, in order; a loose match wins."""
        return combine([([m.span() for m in pattern.finditer(text)], exact)
                         for pattern, exact in ((self.loose, False), (self.exact, True))
                         if pattern is not None])

    def spans(self, text: str, shouty: bool = False) -> list[tuple[int, int]]:
        """Matches that do not overlap, in order. Exact terms are skipped in ALL-CAPS text, where
        "MOST" or "MS" is only a shouted word."""
        return [(a, b) for a, b, exact in self.matches(text) if not (exact and shouty)]

    def search(self, text: str) -> bool:
        return bool((self.loose and self.loose.search(text)) or (self.exact and self.exact.search(text)))

    def count(self, text: str) -> int:
        return len(self.spans(text))


Found = list[tuple[int, int, bool]]  # (start, end, exact) of the matches of some terms


def combine(runs: list[tuple[list[tuple[int, int]], bool]]) -> Found:
    """The loose regex's matches, then the exact regex's that overlap none of them."""
    runs = [run for run in runs if run[0]]
    if len(runs) < 2:  # one regex's matches (or none): nothing else to overlap
        return sorted((a, b, exact) for spans, exact in runs for a, b in spans if b > a)
    found: Found = []
    for spans, exact in runs:
        taken = sorted(found)
        for a, b in spans:
            i = bisect_right(taken, (a, b, True))
            if b > a and not any(x < b and a < y for x, y, _ in taken[max(0, i - 1):i + 1]):
                found.append((a, b, exact))
    return sorted(found)


_JOINERS = "|".join(("and", "or", "the", "y", "e", "o", "de", "del", "el", "la", "los", "las", "da", "do",
                     "das", "dos", "di", "della", "und", "oder", "der", "die", "den", "и", "или"))


def cue_before(where: str, cues: Any, patterns: Any = None) -> re.Pattern[str] | None:
    """Words that disqualify a mention right after them. Names, "and", "the" and commas may
    stand between, so that "from Germany and the UK" is still "from" for the UK. `patterns`
    are regular expressions of such words ("from", but not "back from")."""
    regexes = [phrase_regex(c) for c in strings(where, cues)]
    regexes += [normalize(p) for p in strings(where, patterns)]
    if not regexes:
        return None
    # a name (capitalised), and the words that join names in the languages followed
    between = rf"(?:[\s,]+(?:(?-i:[A-ZÀ-ÖØ-ÞА-ЯЁ][\w'.-]*)|{_JOINERS}))*[\s,]*$"
    return compile_terms(where, [f"(?:{'|'.join(regexes)}){between}"], re.IGNORECASE)


def cue_after(where: str, cues: Any, patterns: Any = None) -> re.Pattern[str] | None:
    regexes = [phrase_regex(c) for c in strings(where, cues)]
    regexes += [normalize(p) for p in strings(where, patterns)]
    return compile_terms(where, [rf"^[\s,]*(?:{'|'.join(regexes)})"], re.IGNORECASE) if regexes else None


def finditer_at(pattern: re.Pattern[str], text: str, places: list[int]) -> list[tuple[int, int]]:
    """The spans of `pattern.finditer(text)`, given every place (in order) where a match can
    start: the pattern is tried there only, the way finditer goes on after each match."""
    spans: list[tuple[int, int]] = []
    end = 0
    for at in places:
        if at < end:
            continue
        m = pattern.match(text, at)
        if m is None:
            continue
        if m.end() == at:  # an empty match: finditer's own rules for what comes next
            return [m.span() for m in pattern.finditer(text)]
        spans.append(m.span())
        end = m.end()
    return spans


def is_word(char: str) -> bool:
    """What the regex engine's \\w matches."""
    return char.isalnum() or char == "_"


_WORD = re.compile(rf"(\w{{1,{KEY}}})\w*")


@cache
def plain_case(char: str) -> bool:
    """Does the regex engine, ignoring case, take this character for exactly the characters of
    the same lower case (and no others)? True of ASCII and of most letters of other scripts
    (é, ж, ß's capital…); not of the few with more than one lower or upper case, or with a case
    shared by another letter (İ and ı, ſ, the Kelvin sign, final sigma, Cyrillic's rounded
    letters): tests/test_term_matching.py checks it against the regex engine."""
    lower, upper = char.lower(), char.upper()
    return len(lower) == 1 and len(upper) == 1 and upper.lower() == lower and lower.upper() == upper


class WordIndex:
    """Where each word of a text starts, by its first letters (up to KEY of them): as written
    (for exact terms) and in lower case (for the others). A word with a first letter that the
    regex engine, ignoring case, might read as another letter is a place for every loose term."""

    __slots__ = ("anywhere", "exact", "heads", "loose", "shorter")

    def __init__(self, text: str):
        self.exact: dict[str, list[int]] = {}
        self.loose: dict[str, list[int]] = {}
        self.anywhere: list[int] = []
        self.shorter: dict[bool, dict[str, list[int]]] = {}
        self.heads: dict[bool, list[str]] = {}
        exact = self.exact
        for m in _WORD.finditer(text):
            head = m[1]
            if head in exact:
                exact[head].append(m.start())
            else:
                exact[head] = [m.start()]
        for head, places in exact.items():
            if head.isascii():
                key = head.lower()
            elif not all(plain_case(c) for c in head):
                self.anywhere.extend(places)
                continue
            else:
                key = head.lower()
            self.loose[key] = self.loose[key] + places if key in self.loose else places

    def plan_places(self, plan: Plan) -> set[int]:
        """Where a word starts that one of the plan's keys finds (`places` of each key, and
        every place a loose key may be, `anywhere`): the plan's heads that the text has are
        found at once, not looked up one by one."""
        index = self.exact if plan.exact else self.loose
        found = set() if plan.exact or not self.anywhere else set(self.anywhere)
        for head in index.keys() & plan.heads:
            found.update(index[head])
        for key in plan.prefixes:
            found.update(self.places(key, plan.exact))
        return found

    def places(self, key: str, exact: bool, whole: bool = False) -> list[int]:
        """Where a word starts with the key (in lower case, unless exact), or is the key (whole);
        not in order."""
        index = self.exact if exact else self.loose
        if len(key) == KEY or whole:
            return index.get(key, [])
        known = self.shorter.setdefault(exact, {})
        if key not in known:  # by the first one or two letters: the few such keys, when first asked
            heads = self._sorted(exact)
            found: list[int] = []
            for head in heads[bisect_left(heads, key):]:
                if not head.startswith(key):
                    break
                found.extend(index[head])
            known[key] = found
        return known[key]

    def _sorted(self, exact: bool) -> list[str]:
        """The index's heads in order, so that those that start with a key are found together."""
        heads = self.heads.get(exact)
        if heads is None:
            heads = self.heads[exact] = sorted(self.exact if exact else self.loose)
        return heads
