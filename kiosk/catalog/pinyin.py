"""Fast, toneless pinyin of short names, for the search index.

``pypinyin.lazy_pinyin`` segments text into words to pick the reading of heteronyms; that costs about 10 µs per
character, too slow to index thousands of names within the one-second budget. Names of government services are
short and their heteronyms (银行 háng, 长期 cháng, 乘车 chéng …) are settled by the two-character word they sit in,
so this module reads pypinyin's own dictionaries directly: the first (most common) reading of a character, unless a
two-character phrase around it says otherwise.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from pypinyin.phrases_dict import phrases_dict
from pypinyin.pinyin_dict import pinyin_dict


def is_hanzi(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


@cache
def _plain(reading: str) -> str:
    """'lǜ' → 'lv', 'xíng' → 'xing' (ü typed as v, as on every pinyin keyboard)."""
    decomposed = unicodedata.normalize("NFD", reading.replace("ü", "v")).replace("u\u0308", "v")
    return "".join(c for c in decomposed if c.isascii() and c.isalpha()).lower()


@cache
def _readings(ch: str) -> tuple[str, ...]:
    raw = pinyin_dict.get(ord(ch))
    return tuple(dict.fromkeys(_plain(r) for r in raw.split(","))) if raw else ()


def syllables(text: str) -> list[str]:
    """One toneless syllable per character ('' for a character pypinyin does not know, the character for ASCII)."""
    out = []
    for i, ch in enumerate(text):
        if not is_hanzi(ch):
            out.append(ch.lower() if ch.isascii() else "")
            continue
        readings = _readings(ch)
        if len(readings) > 1:
            phrase = phrases_dict.get(text[i - 1 : i + 1]) if i else None
            if phrase:
                out.append(_plain(phrase[1][0]))
                continue
            phrase = phrases_dict.get(text[i : i + 2])
            if phrase:
                out.append(_plain(phrase[0][0]))
                continue
        out.append(readings[0] if readings else "")
    return out
