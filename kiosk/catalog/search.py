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

Ranking (score): exact name or code 100, name prefix 80, inside the name (initials, syllables, hanzi) 60,
alias exact / prefix / inside 45 / 42 / 40, typo 20 (a homophone hanzi 22). Ties: at-terminal first, then use count.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

from kiosk.catalog.loader import Catalog
from kiosk.catalog.model import Item
from kiosk.catalog.pinyin import is_hanzi, syllables

SCORE_EXACT = 100
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


@dataclass(frozen=True)
class Hit:
    item: Item
    score: int


def normalize(text: str) -> str:
    """Full-width to half-width, lower case, and only hanzi, ASCII letters and digits kept."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if is_hanzi(ch) or (ch.isascii() and ch.isalnum()))


def _encode(key: str) -> tuple[str, str, str]:
    """(unit encoding, full pinyin, initials) of a normalized key."""
    units, full, initials = [], [], []
    for ch, syl in zip(key, syllables(key), strict=True):
        if not is_hanzi(ch):
            units.append(ch.upper() + _ASCII_UNIT)
        else:
            units.append((syl.capitalize() if syl else _NO_SYLLABLE) + ch)
        full.append(syl)
        initials.append(syl[:1])
    return "".join(units), "".join(full), "".join(initials)


@lru_cache(maxsize=2048)
def _pattern(query: str, anchored: bool = False) -> re.Pattern[str]:
    """The unit regex for a normalized query (see the module docstring).

    After the letters of a syllable, the unit's hanzi (or marker) is the one character "." skips: ``[a-z]*+``
    is possessive, so it has eaten every letter, and "." does not match the key separator.
    """
    parts = [_SEP] if anchored else []
    prev = None
    for ch in query:
        if is_hanzi(ch):
            if prev is None:
                parts.append(f"[A-Z{_NO_SYLLABLE}][a-z]*+" + ch if anchored else ch)
            elif prev == "h":
                parts.append(f"[A-Z{_NO_SYLLABLE}][a-z]*+" + ch)
            else:
                parts.append(f"[a-z]*+.[A-Z{_NO_SYLLABLE}][a-z]*+" + ch)
            prev = "h"
        else:
            parts.append(ch.upper() if prev in (None, "h") else f"(?:{ch}|[a-z]*+.{ch.upper()})")
            prev = "l"
    return re.compile("".join(parts))


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
    """Keys joined by newlines in rank order; ``owner(pos)`` says which item a match position belongs to."""

    def __init__(self, keys: Iterable[tuple[str, int]]) -> None:
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

    def owner(self, pos: int) -> int:
        return self.owners[bisect_right(self.starts, pos) - 1]

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
        self._uses = [0] * len(self._items)
        for code, count in (uses or {}).items():
            if code in self._id:
                self._uses[self._id[code]] = count
        self._exact: dict[str, set[int]] = {}
        self._alias_exact: dict[str, set[int]] = {}
        self._name_units: list[str] = []
        self._alias_units: list[list[str]] = []
        self._letters: list[list[str]] = []  # full pinyin and initials of name and aliases, for typo matching
        for i, item in enumerate(self._items):
            name = normalize(item.name)
            units, full, initials = _encode(name)
            self._name_units.append(units)
            letters = [full, initials]
            for key in (name, full, initials, item.code.lower(), item.basic_code.lower()):
                self._exact.setdefault(key, set()).add(i)
            alias_units = []
            for alias in item.aliases:
                alias = normalize(alias)
                a_units, a_full, a_initials = _encode(alias)
                alias_units.append(a_units)
                letters += [a_full, a_initials]
                for key in (alias, a_full, a_initials):
                    self._alias_exact.setdefault(key, set()).add(i)
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
        self._names = _Blob((self._name_units[i], i) for i in order)
        self._aliases = _Blob((units, i) for i in order for units in self._alias_units[i])
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
        """Count that a resident chose this item; frequently used items rank higher among equals."""
        self._uses[self._id[code]] += 1
        self._rerank()

    @property
    def uses(self) -> dict[str, int]:
        """Use counts to persist between runs (pass back as ``SearchIndex(catalog, uses=…)``)."""
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

        def scan(blob: _Blob, pattern: re.Pattern[str], prefix_score: int | None, inside_score: int) -> bool:
            """One pass over a blob: hits at the start of a key (prefix) rank above hits inside one."""
            need = limit - len(hits)
            end = self._ends[id(blob)] if at_terminal_only else len(blob.text)
            text, starts, owners = blob.text, blob.starts, blob.owners
            prefix: dict[int, None] = {}
            inside: dict[int, None] = {}
            for match in pattern.finditer(text, 0, end):
                pos = match.start()
                k = bisect_right(starts, pos) - 1
                item_id = owners[k]
                if item_id in seen:
                    continue
                head = text[starts[k] + 1 : pos]
                at_start = not head or head == _NO_SYLLABLE or (head.isascii() and head.isalpha())
                if prefix_score is not None and at_start:
                    prefix[item_id] = None
                    if len(prefix) >= need:
                        break
                elif len(inside) < need:
                    inside[item_id] = None
            if prefix_score is not None and take(prefix, prefix_score):
                return True
            return take(inside, inside_score)

        def prefix_first(blob: _Blob, prefix_score: int, inside_score: int) -> bool:
            """Short queries match thousands of keys: an anchored pass first lets both passes stop early."""
            if len(q) <= _SHORT_QUERY:
                return scan(blob, _pattern(q, True), None, prefix_score) or scan(blob, _pattern(q), None, inside_score)
            return scan(blob, _pattern(q), prefix_score, inside_score)

        by_rank = self._rank.__getitem__
        if take(sorted(self._exact.get(q, ()), key=by_rank), SCORE_EXACT):
            return hits
        if q.isdigit() and len(q) >= 4 and take(self._code_prefix(q), SCORE_PREFIX):
            return hits
        if prefix_first(self._names, SCORE_PREFIX, SCORE_INSIDE):
            return hits
        if take(sorted(self._alias_exact.get(q, ()), key=by_rank), SCORE_ALIAS_EXACT):
            return hits
        if prefix_first(self._aliases, SCORE_ALIAS_PREFIX, SCORE_ALIAS_INSIDE):
            return hits
        if len(hits) >= _FUZZY_BELOW:
            return hits
        letters = q
        if any(is_hanzi(ch) for ch in q):
            letters = "".join(syllables(q))
            homophones = _pattern(letters)
            if scan(self._names, homophones, None, SCORE_HOMOPHONE):
                return hits
            if scan(self._aliases, homophones, None, SCORE_HOMOPHONE):
                return hits
        if len(letters) >= _MIN_TYPO_LEN and letters.isascii():
            take(self._typos(letters, at_terminal_only), SCORE_TYPO)
        return hits

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

        Candidates come from two probes, one of which survives a single edit intact: the first half of the query
        at the start of a key, or the second half at its (possibly shifted by one) place. Candidates are checked in
        blob (rank) order, so a full screen of hits stops the checking.
        """
        blob = self._typo
        end = self._ends[id(blob)] if at_terminal_only else len(blob.text)
        half = len(q) // 2
        text, starts = blob.text, blob.starts
        left = _SEP + q[:half]
        found = set()
        pos = text.find(left, 0, end)
        while pos != -1:
            found.add(bisect_right(starts, pos) - 1)
            pos = text.find(left, pos + 1, end)
        right = q[half:]
        pos = text.find(right, 0, end)
        while pos != -1:
            k = bisect_right(starts, pos) - 1
            if half - 1 <= pos - starts[k] - 1 <= half + 1:
                found.add(k)
            pos = text.find(right, pos + 1, end)
        for k in sorted(found)[:_MAX_TYPO_CHECKS]:
            if _one_edit_prefix(q, self._typo_lists[k]):
                yield blob.owners[k]

    # --- browsing ----------------------------------------------------------------------------------------

    def by_department(self, department_code: str) -> list[Item]:
        return [self._items[i] for i in self._order if self._items[i].department_code == department_code]

    def by_life_event(self, bundle_code: str) -> list[Item]:
        """The items of one 一件事 bundle, in the bundle's order."""
        return list(self.catalog.bundle(bundle_code).resolved_items)

    def at_terminal(self) -> list[Item]:
        """本机可办: everything doable at this terminal, most used first."""
        return [self._items[i] for i in self._order[: self._terminal_count]]
