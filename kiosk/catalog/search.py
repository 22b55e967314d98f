"""Touchscreen search over the catalog: hanzi, full pinyin, pinyin initials or a mix, one typo tolerated.

How it stays fast on every keystroke
------------------------------------
Each name and alias is encoded once, at build, as units of *Syllable + hanzi*: 医疗保险 → ``Yi医Liao疗Bao保Xian险``
(an ASCII character is its own upper-case "syllable" followed by ``\\x03``). A query becomes one regular expression
over that encoding: a hanzi matches itself, a letter either continues the current syllable (lower case) or starts
the next one (upper case, after skipping the rest of the unit). So ``ylbx``, ``yiliaobx``, ``yl保险`` and ``医疗``
all match. The encoded names are joined into one string ("blob") per kind, in *rank order* (doable at this
terminal first, then by use count, then catalog order), so the regex engine scans in C and the first ``limit``
matches of a pass are already the best of that pass: a query stops as soon as the screen is full.

A resident types one character at a time, and a query's matches are a subset of those of any query it extends.
So each blob remembers, per recent query, the keys it matched (``_Memo``: complete up to a blob offset, as a scan
may stop at a full screen), and the next keystroke re-checks only those: by stepping the new characters through
each key's units in Python (``_advance``, the same language as the regex; its states are kept for the keystroke
after), or with the regex confined to each key when there are many. A regex is compiled (≈ 30 µs per character in
Python's ``re``) and the blob scanned only past where the remembered scan stopped. Typo passes narrow the same way.

Ranking (score): exact name or code 100, name prefix 80, inside the name (initials, syllables, hanzi) 60,
alias exact / prefix / inside 45 / 42 / 40, typo 20 (a homophone hanzi 22). Ties: at-terminal first, then use count.
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from kiosk.catalog.loader import Catalog
from kiosk.catalog.model import Bundle, Item
from kiosk.catalog.pinyin import is_hanzi, syllables
from kiosk.catalog.uses import UseCounts

SCORE_EXACT = 100
SCORE_INTENT = 90  # an everyday phrase of the catalog's intents (search.yaml), typed whole
SCORE_PREFIX = 80
SCORE_INSIDE = 60
SCORE_ALIAS_EXACT = 45
SCORE_ALIAS_PREFIX = 42
SCORE_ALIAS_INSIDE = 40
SCORE_HOMOPHONE = 22
SCORE_TYPO = 20

_SEP = "\n"  # between keys; "." in a pattern never crosses it
_ASCII_UNIT = "\x03"  # stands where a hanzi would for an ASCII character
_NO_SYLLABLE = "\x04"  # a hanzi pypinyin cannot read
_MIN_TYPO_LEN = 4  # one typo in a shorter query matches nearly everything
_FUZZY_BELOW = 3  # typo and homophone passes run only when the precise passes found fewer hits than this
_MAX_TYPO_CHECKS = 1500  # bound on candidates verified per keystroke
_SHORT_QUERY = 3  # up to this length a query is matched in two passes (anchored, then anywhere)
_DENSE = 200  # matched keys after which a one-pass scan with a full screen of inside hits looks for prefix hits only


@dataclass(frozen=True)
class Hit:
    item: Item
    score: int


@dataclass(frozen=True)
class BundleHit:
    """A 一件事 bundle found by its name, life event or an intent phrase; ranked with the items."""

    bundle: Bundle
    score: int


def normalize(text: str) -> str:
    """Full-width to half-width, lower case, and only hanzi, ASCII letters and digits kept."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if is_hanzi(ch) or (ch.isascii() and ch.isalnum()))


# A key as units, for stepping a query through it in Python: (syllable of each unit, hanzi of each unit), where an
# ASCII character is its own syllable with _ASCII_UNIT as its "hanzi" and an unreadable hanzi has syllable "".
_Units = tuple[tuple[str, ...], str]


def _encode(key: str) -> tuple[str, str, str, _Units]:
    """(unit encoding, full pinyin, initials, units) of a normalized key."""
    units, full, initials, hanzi = [], [], [], []
    syls = syllables(key)
    for ch, syl in zip(key, syls, strict=True):
        if not is_hanzi(ch):
            units.append(ch.upper() + _ASCII_UNIT)
            hanzi.append(_ASCII_UNIT)
        else:
            units.append((syl.capitalize() if syl else _NO_SYLLABLE) + ch)
            hanzi.append(ch)
        full.append(syl)
        initials.append(syl[:1])
    return "".join(units), "".join(full), "".join(initials), (tuple(syls), "".join(hanzi))


@lru_cache(maxsize=2048)
def _pattern(query: str, anchored: bool = False, by_sound: bool = False) -> re.Pattern[str]:
    """The unit regex for a normalized query (see the module docstring).

    After the letters of a syllable, the unit's hanzi (or marker) is the one character "." skips: ``[a-z]*+``
    is possessive, so it has eaten every letter, and "." does not match the key separator. ``by_sound`` (the
    homophone pass) lets a hanzi match any unit read with its syllable: the resident picked the wrong character
    of the right sound from the IME.
    """
    parts = [_SEP] if anchored else []
    prev = None
    for ch, syl in zip(query, syllables(query) if by_sound else query, strict=True):
        if is_hanzi(ch):
            unit = f"{syl.capitalize()}[^a-z{_SEP}]" if by_sound and syl else f"[A-Z{_NO_SYLLABLE}][a-z]*+{ch}"
            if prev is None:
                parts.append(unit if anchored or by_sound else ch)
            elif prev == "h":
                parts.append(unit)
            else:
                parts.append("[a-z]*+." + unit)
            prev = "h"
        else:
            parts.append(ch.upper() if prev in (None, "h") else f"(?:{ch}|[a-z]*+.{ch.upper()})")
            prev = "l"
    return re.compile("".join(parts))


def _held_at(part: str, before: int) -> str:
    """Regex: ``part`` where ``before`` characters (give or take one, for a shift by one edit) precede it in a key.
    It starts with the literal, which the regex engine looks for in C at memchr speed; fixed-width lookbehinds
    check the place."""
    tail = re.escape(part)
    places = "|".join(f"(?<={_SEP}.{{{n}}}{tail})" for n in range(max(before - 1, 0), before + 2))
    return f"{tail}(?:{places})"


def _typo_probes(q: str) -> tuple[tuple[str, str], re.Pattern[str]]:
    """What finds every key with a prefix within one edit of ``q``: keys that start with one of two strings, and
    keys that a regex matches.

    The query is cut in halves, one of which survives a single edit intact: keys that start with the first,
    keys that hold the second at its place, and (a swap across the cut breaks both) keys that start with the
    query's first half with the swapped pair. (Cutting in three finds a third fewer candidates on the bench, but
    compiling the extra patterns costs more than checking those.) A key's start is looked for with ``str.find``,
    several times faster over the blob than the regex engine's search for a literal.
    """
    half = len(q) // 2
    return (q[:half], q[: half - 1] + q[half] + q[half - 1]), _held_probe(q[half:], half)


@lru_cache(maxsize=256)
def _held_probe(part: str, before: int) -> re.Pattern[str]:
    return re.compile(_held_at(part, before))


# A state of a query stepped through a key's units: (unit << 5) | (letters of its syllable matched << 1) | (1 if
# the match began at the key's first unit). _HANZI_MATCHED as the letter count means the unit's hanzi was typed.
_HANZI_MATCHED = 15


def _advance(states: set[int] | None, chars: str, units: _Units) -> set[int]:
    """The states after typing ``chars`` (from scratch when ``states`` is None); empty when the key cannot match.

    The same language as ``_pattern``: a hanzi is the next unit's hanzi; a letter continues the current syllable
    (not after a hanzi) or starts the next unit's syllable; the first character may start at any unit.
    """
    syls, hanzi = units
    n = len(syls)
    for ch in chars:
        out: set[int] = set()
        if is_hanzi(ch):
            if states is None:
                j = hanzi.find(ch)
                while j != -1:
                    out.add((j << 5) | (_HANZI_MATCHED << 1) | (j == 0))
                    j = hanzi.find(ch, j + 1)
            else:
                for s in states:
                    j = (s >> 5) + 1
                    if j < n and hanzi[j] == ch:
                        out.add((j << 5) | (_HANZI_MATCHED << 1) | (s & 1))
        elif states is None:
            for j, syl in enumerate(syls):
                if syl[:1] == ch:
                    out.add((j << 5) | 2 | (j == 0))
        else:
            for s in states:
                j, typed = s >> 5, (s >> 1) & 15
                if typed != _HANZI_MATCHED:
                    syl = syls[j]
                    if typed < len(syl) and syl[typed] == ch:
                        out.add(s + 2)
                j += 1
                if j < n and syls[j][:1] == ch:
                    out.add((j << 5) | 2 | (s & 1))
        if not out:
            return out
        states = out
    return states if states is not None else set()


@dataclass(slots=True)
class _Memo:
    """The keys of a blob that a query matches, decided for every key that starts below ``end``: what the next
    keystroke (which extends the query) narrows down instead of scanning the blob again."""

    end: int = 0
    keys: list[int] = field(default_factory=list)
    at_start: list[bool] = field(default_factory=list)  # per key: matched from its first unit
    states: list[set[int] | None] = field(default_factory=list)  # per key; None when a regex found it


_MEMO_SIZE = 64  # remembered queries per blob: a resident's typing and backspacing
# Rough costs in µs (CPython 3.11) for choosing how to re-check remembered keys: a step of ``_advance`` on one key
# per typed character, starting a key from scratch, compiling one query character into the regex, one regex
# search confined to one key.
_COST_STEP, _COST_START, _COST_COMPILE, _COST_SEARCH = 2, 8, 30, 0.6


def _at_start(text: str, key_start: int, pos: int) -> bool:
    """Whether a match at ``pos`` begins at the first unit of the key whose separator is at ``key_start``."""
    head = text[key_start + 1 : pos]
    return not head or head == _NO_SYLLABLE or (head.isascii() and head.isalpha())


def _one_edit_prefix(query: str, text: str) -> bool:
    """True when ``query`` is within one edit (substitution, insertion, deletion, swap) of a prefix of ``text``."""
    n = len(query)
    limit = min(n, len(text))
    i = 0
    while i < limit and query[i] == text[i]:
        i += 1
    if i == n:
        return True  # an exact prefix
    if i == len(text):
        return n - i == 1  # the query has one extra letter at the end
    return (
        query[i + 1 :] == text[i + 1 : n]  # substitution
        or query[i:] == text[i + 1 : n + 1]  # the query misses a letter
        or query[i + 1 :] == text[i : n - 1]  # the query has an extra letter
        or (  # two neighbouring letters swapped
            i + 1 < n
            and query[i] == text[i + 1 : i + 2]
            and query[i + 1] == text[i]
            and query[i + 2 :] == text[i + 2 : n]
        )
    )


class _Blob:
    """Keys joined by newlines in rank order; key ``k`` starts (with its newline) at ``starts[k]`` and belongs to
    item ``owners[k]``.

    ``units`` (when given) are the keys as units for ``_advance``; ``memo`` remembers the matches of recent queries,
    so the next keystroke (which extends the query) only re-checks those keys.
    """

    def __init__(self, keys: Iterable[tuple[str, int]], units: list[_Units] | None = None) -> None:
        starts, owners, parts = [], [], []
        offset = 0
        for text, item_id in keys:
            starts.append(offset)
            owners.append(item_id)
            parts.append(_SEP + text)
            offset += len(text) + 1
        self.text = "".join(parts)
        self.starts = starts
        self.owners = owners
        self.units = units
        self.memo: dict[str, _Memo] = {}

    def remember(self, query: str, memo: _Memo) -> None:
        self.memo.pop(query, None)
        self.memo[query] = memo
        if len(self.memo) > _MEMO_SIZE:
            del self.memo[next(iter(self.memo))]

    def matches(
        self, query: str, anchored: bool, end: int, by_sound: bool = False
    ) -> Iterator[tuple[int, bool]]:
        """Every key below ``end`` that the pattern of ``query`` matches (at the key's start if ``anchored``), in
        blob order, with whether it matched at its start: first those narrowed down from a remembered query that
        ``query`` extends, then a regex scan of the rest. What has been decided is remembered as it goes, because
        the caller stops at a full screen."""
        name = ("^" if anchored else "") + ("~" if by_sound else "") + query
        head = len(name) - len(query)
        earlier, cut = None, 0
        for cut in range(len(query), 0, -1):
            earlier = self.memo.get(name[: head + cut])
            if earlier is not None:
                break
        memo = _Memo()
        self.remember(name, memo)
        if earlier is not None and self.units is not None:
            self._narrow(query, anchored, by_sound, query[cut:], earlier, min(earlier.end, end), memo)
            yield from zip(memo.keys[:], memo.at_start[:], strict=True)
        if memo.end >= end:
            return
        text, starts, keys, flags, states = self.text, self.starts, memo.keys, memo.at_start, memo.states
        last_key = len(starts) - 1
        previous = -1
        for match in _pattern(query, anchored, by_sound).finditer(text, memo.end, end):
            pos = match.start()
            k = bisect_right(starts, pos) - 1
            if k == previous:
                continue  # one more match in the same key; the first is the leftmost
            previous = k
            at_start = anchored or _at_start(text, starts[k], pos)
            keys.append(k)
            flags.append(at_start)
            states.append(None)
            memo.end = starts[k + 1] if k < last_key else len(text)
            yield k, at_start
        memo.end = end

    def prefix_matches(self, query: str, start: int, end: int) -> Iterator[tuple[int, bool]]:
        """Keys from blob offset ``start`` to ``end`` that ``query`` matches at their start, by a regex scan."""
        starts = self.starts
        for match in _pattern(query, True).finditer(self.text, start, end):
            yield bisect_right(starts, match.start()) - 1, True

    def _narrow(
        self, query: str, anchored: bool, by_sound: bool, rest: str, earlier: _Memo, end: int, memo: _Memo
    ) -> None:
        """Re-check the keys of ``earlier`` (below ``end``) for ``query``, which is ``earlier``'s query + ``rest``:
        by stepping ``rest`` through each key's units, or with the regex confined to each key when that is cheaper
        (always by sound: stepping knows hanzi, not their sounds).
        """
        starts, units, text = self.starts, self.units, self.text
        assert units is not None
        candidates = [(k, s) for k, s in zip(earlier.keys, earlier.states, strict=True) if starts[k] < end]
        stepping = sum(
            len(rest) * _COST_STEP if s is not None else _COST_START + len(query) * _COST_STEP for _, s in candidates
        )
        if by_sound or stepping > len(query) * _COST_COMPILE + len(candidates) * _COST_SEARCH:
            pattern, last_key = _pattern(query, anchored, by_sound), len(starts) - 1
            for k, _ in candidates:
                found = pattern.search(
                    text, starts[k] if anchored else starts[k] + 1, starts[k + 1] if k < last_key else len(text)
                )
                if found:
                    memo.keys.append(k)
                    memo.at_start.append(anchored or _at_start(text, starts[k], found.start()))
                    memo.states.append(None)
        else:
            for k, s in candidates:
                after = _advance(s, rest, units[k]) if s is not None else _advance(None, query, units[k])
                if anchored:
                    after = {state for state in after if state & 1}
                if after:
                    memo.keys.append(k)
                    memo.at_start.append(any(state & 1 for state in after))
                    memo.states.append(after)
        memo.end = end

    def end_of(self, rank_limit: int, rank: list[int]) -> int:
        """Blob offset where keys of items ranked at or after ``rank_limit`` begin."""
        for i, item_id in enumerate(self.owners):
            if rank[item_id] >= rank_limit:
                return self.starts[i]
        return len(self.text)


class SearchIndex:
    """Built once per catalog; ``search`` is called on every keystroke."""

    def __init__(self, catalog: Catalog, uses: Mapping[str, int] | None = None) -> None:
        self.catalog = catalog
        self._items = catalog.items
        self._id = {item.code: i for i, item in enumerate(self._items)}
        self._store = uses if isinstance(uses, UseCounts) else None  # record_use saves there
        self._uses = [0] * len(self._items)
        for code, count in (uses or {}).items():
            if code in self._id:
                self._uses[self._id[code]] = count
        self._exact: dict[str, set[int]] = {}
        self._alias_exact: dict[str, set[int]] = {}
        # intents: a phrase (its hanzi, full pinyin, initials) → targets best first; phrases also match as aliases
        self._intent_exact: dict[str, list[int]] = {}
        self._bundle_intents: dict[str, list[Bundle]] = {}
        intent_phrases: dict[str, list[str]] = {}
        for intent in catalog.intents:
            for phrase in intent.phrases:
                _units, full, initials, _ = _encode(normalize(phrase))
                for key in dict.fromkeys((normalize(phrase), full, initials)):
                    if len(key) < 2:
                        continue
                    targets = self._intent_exact.setdefault(key, [])
                    targets += [self._id[c] for c in intent.items if self._id[c] not in targets]
                    self._bundle_intents.setdefault(key, []).extend(
                        catalog.bundle(c) for c in intent.bundles if catalog.bundle(c) not in self._bundle_intents[key]
                    )
                for code in intent.items:
                    intent_phrases.setdefault(code, []).append(phrase)
        # bundles (a handful): names and life events, then their intent phrases as aliases; pinyin for typos
        bundle_phrases: dict[str, list[str]] = {}
        for intent in catalog.intents:
            for code in intent.bundles:
                bundle_phrases.setdefault(code, []).extend(intent.phrases)
        self._bundle_keys: list[tuple[Bundle, list[str], list[str], list[str]]] = []
        for bundle in catalog.bundles:
            own = [_encode(normalize(k)) for k in (bundle.name, bundle.life_event)]
            phrases = [_encode(normalize(k)) for k in bundle_phrases.get(bundle.code, ())]
            letters = [key for e in own + phrases for key in (e[1], e[2]) if len(key) >= 2]
            self._bundle_keys.append(
                (bundle, [_SEP + e[0] for e in own], [_SEP + e[0] for e in phrases], letters)
            )
        self._name_units: list[tuple[str, _Units]] = []
        self._alias_units: list[list[tuple[str, _Units]]] = []
        self._letters: list[list[str]] = []  # full pinyin and initials of name and aliases, for typo matching
        for i, item in enumerate(self._items):
            name = normalize(item.name)
            units, full, initials, unit_list = _encode(name)
            self._name_units.append((units, unit_list))
            letters = [full, initials]
            for key in (name, full, initials, item.code.lower(), item.basic_code.lower()):
                self._exact.setdefault(key, set()).add(i)
            alias_units = []
            for alias in item.aliases:
                alias = normalize(alias)
                a_units, a_full, a_initials, a_unit_list = _encode(alias)
                alias_units.append((a_units, a_unit_list))
                letters += [a_full, a_initials]
                for key in (alias, a_full, a_initials):
                    self._alias_exact.setdefault(key, set()).add(i)
            for phrase in intent_phrases.get(item.code, ()):
                phrase = normalize(phrase)
                p_units, p_full, p_initials, p_unit_list = _encode(phrase)
                alias_units.append((p_units, p_unit_list))
                letters += [p_full, p_initials]
            self._alias_units.append(alias_units)
            self._letters.append([s for s in letters if len(s) >= 2])
        self._codes = sorted((item.code.lower(), i) for i, item in enumerate(self._items))
        self._rerank()

    # --- ranking -------------------------------------------------------------------------------------------

    def _rerank(self) -> None:
        order = sorted(range(len(self._items)), key=lambda i: (not self._items[i].at_terminal, -self._uses[i], i))
        self._rank = [0] * len(order)
        for position, item_id in enumerate(order):
            self._rank[item_id] = position
        self._order = order
        self._terminal_count = sum(1 for item in self._items if item.at_terminal)
        names = [self._name_units[i] for i in order]
        self._names = _Blob(((text, i) for (text, _), i in zip(names, order, strict=True)), [u for _, u in names])
        aliases = [(key, i) for i in order for key in self._alias_units[i]]
        self._aliases = _Blob(((text, i) for (text, _), i in aliases), [u for (_, u), _ in aliases])
        self._typo = _Blob((letters, i) for i in order for letters in self._letters[i])
        self._typo_lists = [self._typo.text[s + 1 : e] for s, e in self._spans(self._typo)]
        self._ends = {
            id(blob): blob.end_of(self._terminal_count, self._rank) for blob in (self._names, self._aliases, self._typo)
        }

    @staticmethod
    def _spans(blob: _Blob) -> Iterator[tuple[int, int]]:
        starts = blob.starts
        for k, start in enumerate(starts):
            yield start, starts[k + 1] if k + 1 < len(starts) else len(blob.text)

    def record_use(self, code: str) -> None:
        """Count that a resident chose this item; frequently used items rank higher among equals.

        When the index was built with a ``UseCounts`` store as ``uses``, the count is saved there at once."""
        self._uses[self._id[code]] += 1
        if self._store is not None:
            self._store.add(code)
        self._rerank()

    @property
    def uses(self) -> dict[str, int]:
        """Use counts of this catalog's items (``UseCounts`` persists them; see ``record_use``)."""
        return {self._items[i].code: n for i, n in enumerate(self._uses) if n}

    # --- search ------------------------------------------------------------------------------------------

    def search(self, query: str, limit: int = 10, at_terminal_only: bool = False) -> list[Hit]:
        """Best ``limit`` items for what the resident has typed so far."""
        q = normalize(query)
        if not q or limit <= 0:
            return []
        hits: list[Hit] = []
        seen: set[int] = set()
        items = self._items
        allowed: Callable[[int], bool] = (lambda i: items[i].at_terminal) if at_terminal_only else (lambda i: True)

        def take(ids: Iterable[int], score: int) -> bool:
            for i in ids:
                if i not in seen and allowed(i):
                    seen.add(i)
                    hits.append(Hit(self._items[i], score))
                    if len(hits) >= limit:
                        return True
            return False

        def collect(
            blob: _Blob,
            found: Iterable[tuple[int, bool]],
            prefix_score: int | None,
            inside_score: int,
            rest: Callable[[int], Iterable[tuple[int, bool]]] | None = None,
        ) -> bool:
            """Items of the matched keys (in blob, so rank, order) not yet shown; those matched at the start of a key
            rank above those matched inside one when there is a ``prefix_score``. When the keys turn out dense and
            the screen is full of inside hits, ``rest(offset)`` gives the prefix hits from ``offset`` on faster."""
            need = limit - len(hits)
            owners = blob.owners
            prefix: dict[int, None] = {}
            inside: dict[int, None] = {}
            for n, (k, at_start) in enumerate(found):
                if rest is not None and n >= _DENSE and len(inside) > need:
                    # Only prefix hits from key k on can still make a difference. (An item's keys are neighbours,
                    # so at most one inside hit, k's item, can move up to prefix: hence "> need".)
                    for k_rest, _ in rest(blob.starts[k]):
                        item_id = owners[k_rest]
                        if item_id not in seen:
                            inside.pop(item_id, None)
                            prefix[item_id] = None
                            if len(prefix) >= need:
                                break
                    break
                item_id = owners[k]
                if item_id in seen:
                    continue
                if prefix_score is not None and at_start:
                    inside.pop(item_id, None)  # another key of the item matched inside: it ranks as a prefix hit
                    prefix[item_id] = None
                    if len(prefix) >= need:
                        break
                elif item_id not in prefix:
                    inside[item_id] = None
                    if prefix_score is None and len(inside) >= need:
                        break  # no prefix hit can come to outrank these
            if prefix_score is not None and take(prefix, prefix_score):
                return True
            return take(inside, inside_score)

        def scan(blob: _Blob, pq: str, prefix_score: int | None, inside_score: int, by_sound: bool = False) -> bool:
            """The pattern of ``pq`` over a blob: keys it matches at their start (if ``prefix_score``) rank above keys
            it matches inside. A short query matches thousands of keys, so an anchored pass goes first and the
            inside pass stops at a full screen; a longer one matches few, so one pass decides every key and the
            next keystroke only re-checks those (``_Blob.matches``)."""
            end = self._ends[id(blob)] if at_terminal_only else len(blob.text)
            if prefix_score is not None and len(pq) <= _SHORT_QUERY:
                if collect(blob, blob.matches(pq, True, end), None, prefix_score):
                    return True
                prefix_score = None
            rest = None if prefix_score is None else lambda offset: blob.prefix_matches(pq, offset, end)
            return collect(blob, blob.matches(pq, False, end, by_sound), prefix_score, inside_score, rest)

        by_rank = self._rank.__getitem__
        if take(sorted(self._exact.get(q, ()), key=by_rank), SCORE_EXACT):
            return hits
        if take(self._intent_exact.get(q, ()), SCORE_INTENT):
            return hits
        if q.isdigit() and len(q) >= 4 and take(self._code_prefix(q), SCORE_PREFIX):
            return hits
        if scan(self._names, q, SCORE_PREFIX, SCORE_INSIDE):
            return hits
        if take(sorted(self._alias_exact.get(q, ()), key=by_rank), SCORE_ALIAS_EXACT):
            return hits
        if scan(self._aliases, q, SCORE_ALIAS_PREFIX, SCORE_ALIAS_INSIDE):
            return hits
        if len(hits) >= _FUZZY_BELOW or (hits and all(is_hanzi(ch) for ch in q)):
            # hanzi typed that match as they are: a homophone or typo reading (低保 → 医保) is a different thing
            return hits
        letters = q
        if any(is_hanzi(ch) for ch in q):
            letters = "".join(syllables(q))
            if scan(self._names, q, None, SCORE_HOMOPHONE, True):
                return hits
            if scan(self._aliases, q, None, SCORE_HOMOPHONE, True):
                return hits
        if len(letters) >= _MIN_TYPO_LEN and letters.isascii():
            take(self._typos(letters, at_terminal_only), SCORE_TYPO)
        return hits

    def search_all(self, query: str, limit: int = 10, at_terminal_only: bool = False) -> list[Hit | BundleHit]:
        """Items and 一件事 bundles together, best first (a bundle goes before items of the same score)."""
        q = normalize(query)
        bundles = self._bundles(q, at_terminal_only) if q else []
        items: list[Hit | BundleHit] = list(self.search(query, limit, at_terminal_only))
        for found in reversed(bundles):
            at = next((n for n, hit in enumerate(items) if hit.score <= found.score), len(items))
            items.insert(at, found)
        return items[:limit]

    def _bundles(self, q: str, at_terminal_only: bool) -> list[BundleHit]:
        best: dict[str, BundleHit] = {}
        if not self._bundle_keys:
            return []
        for rank, bundle in enumerate(self._bundle_intents.get(q, ())):
            best[bundle.code] = BundleHit(bundle, SCORE_INTENT + 5 - min(rank, 5))
        anchored, inside = _pattern(q, True), _pattern(q)
        typo = len(q) >= _MIN_TYPO_LEN and q.isascii()
        for bundle, own, phrases, letters in self._bundle_keys:
            if bundle.code in best:
                continue
            if normalize(bundle.name) == q:
                score = SCORE_EXACT
            elif any(anchored.search(k) for k in own):
                score = SCORE_PREFIX
            elif any(inside.search(k) for k in own):
                score = SCORE_INSIDE
            elif any(anchored.search(k) for k in phrases):
                score = SCORE_ALIAS_PREFIX
            elif any(inside.search(k) for k in phrases):
                score = SCORE_ALIAS_INSIDE
            elif typo and any(_one_edit_prefix(q, key) for key in letters):
                score = SCORE_TYPO
            else:
                continue
            best[bundle.code] = BundleHit(bundle, score)
        found = [b for b in best.values() if b.bundle.at_terminal or not at_terminal_only]
        return sorted(found, key=lambda b: -b.score)

    def _code_prefix(self, q: str) -> list[int]:
        start = bisect_right(self._codes, (q, -1))
        out = []
        for code, i in self._codes[start:]:
            if not code.startswith(q):
                break
            out.append(i)
        return sorted(out, key=self._rank.__getitem__)

    def _typos(self, q: str, at_terminal_only: bool) -> Iterator[int]:
        """Items with a name or alias whose pinyin or initials start within one edit of ``q``, best ranked first.

        Candidates come from the probes of ``_typo_probes``, merged in blob (rank) order and checked in that order,
        so a full screen of hits stops the checking.

        Typing on narrows down: a query within one edit of a prefix is one whose every prefix is too, so the keys
        found for the previous keystroke are re-checked and the probe only scans the blob past them. What has been
        decided is remembered as it goes (``_Memo.end`` = how far), as the caller stops at a full screen.
        """
        blob = self._typo
        end = self._ends[id(blob)] if at_terminal_only else len(blob.text)
        starts, owners, lists = blob.starts, blob.owners, self._typo_lists
        memo = _Memo()
        for cut in range(len(q), _MIN_TYPO_LEN - 1, -1):
            earlier = blob.memo.get(q[:cut])
            if earlier is not None:
                break
        blob.remember(q, memo)
        if earlier is not None:
            for k in earlier.keys:
                if starts[k] >= end:
                    break
                if _one_edit_prefix(q, lists[k]):
                    memo.keys.append(k)
                    memo.end = starts[k] + 1
                    yield owners[k]
            memo.end = min(earlier.end, end)
        text = blob.text

        def starting(head: str) -> Iterator[int]:
            needle = _SEP + head
            pos = text.find(needle, memo.end, end)
            while pos != -1:
                yield bisect_right(starts, pos) - 1
                pos = text.find(needle, pos + 1, end)

        heads, held = _typo_probes(q)
        candidates = heapq.merge(
            *(starting(head) for head in heads),
            (bisect_right(starts, match.start()) - 1 for match in held.finditer(text, memo.end, end)),
        )
        previous = -1
        for checks, k in enumerate(candidates):
            if k == previous:
                continue  # both halves found it
            previous = k
            if checks >= _MAX_TYPO_CHECKS:
                return
            memo.end = starts[k] + 1
            if _one_edit_prefix(q, lists[k]):
                memo.keys.append(k)
                yield owners[k]
        memo.end = end

    # --- browsing ----------------------------------------------------------------------------------------

    def by_department(self, department_code: str) -> list[Item]:
        return [self._items[i] for i in self._order if self._items[i].department_code == department_code]

    def by_life_event(self, bundle_code: str) -> list[Item]:
        """The items of one 一件事 bundle, in the bundle's order."""
        return list(self.catalog.bundle(bundle_code).resolved_items)

    def at_terminal(self) -> list[Item]:
        """本机可办: everything doable at this terminal, most used first."""
        return [self._items[i] for i in self._order[: self._terminal_count]]
