"""A small offline pinyin input method for the kiosk's form keyboard: letters in, hanzi candidates out.

Built from pypinyin's own dictionaries (no extra data): phrases whose toneless pinyin equals what was typed,
then single characters. Without frequency data, common characters are ranked by GB 2312: its level-1 block
holds the 3,755 most used hanzi, so a character's GB 2312 code is a fair proxy for how common it is.
"""

from __future__ import annotations

import unicodedata
from functools import cache


def _toneless(syllable: str) -> str:
    text = unicodedata.normalize("NFKD", syllable)
    return "".join(ch for ch in text if ch.isascii() and ch.isalpha()).replace("v", "u").lower()


def _rank(text: str) -> tuple[int, int]:
    """(is rare, GB 2312 code): level-1 characters first, in code order."""
    try:
        code = text[0].encode("gb2312")
    except UnicodeEncodeError:
        return (2, 0)
    value = int.from_bytes(code, "big")
    return (0 if value < 0xD800 else 1, value)


@cache
def _tables() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    from pypinyin.phrases_dict import phrases_dict
    from pypinyin.pinyin_dict import pinyin_dict

    chars: dict[str, list[str]] = {}
    secondary: set[tuple[str, str]] = set()
    for codepoint, readings in pinyin_dict.items():
        ch = chr(codepoint)
        for position, reading in enumerate(readings.split(",")):
            key = _toneless(reading)
            chars.setdefault(key, []).append(ch)
            if position:
                secondary.add((key, ch))  # the first reading is the common one: 儿 is "er" before "ren"
    for key, found in chars.items():
        chars[key] = sorted(set(found), key=lambda c, k=key: ((k, c) in secondary, *_rank(c)))
    phrases: dict[str, list[str]] = {}
    for phrase, readings in phrases_dict.items():
        key = "".join(_toneless(r[0]) for r in readings)
        phrases.setdefault(key, []).append(phrase)
    for key, found in phrases.items():
        phrases[key] = sorted(found, key=lambda p: (len(p), [_rank(c) for c in p]))
    return chars, phrases


def candidates(letters: str, limit: int = 12) -> list[tuple[str, int]]:
    """(hanzi, letters it consumes) for what was typed: the longest phrase the letters start with first, then
    the characters of the first syllable. Picking one removes that many letters from the front."""
    letters = letters.lower().replace("v", "u")
    if not letters:
        return []
    chars, phrases = _tables()
    out: list[tuple[str, int]] = []
    for end in range(len(letters), 1, -1):
        if letters[:end] in phrases:
            out += [(p, end) for p in phrases[letters[:end]][:4]]
            break
    for end in range(min(6, len(letters)), 0, -1):  # the first syllable (longest first)
        if letters[:end] in chars:
            out += [(c, end) for c in chars[letters[:end]]]
            break
    seen: set[str] = set()
    return [c for c in out if not (c[0] in seen or seen.add(c[0]))][:limit]
