"""Chinese words for line breaking: the 2–4 character words of Rime's simplified pinyin dictionary (Debian
rime-data-pinyin-simp, the same data family the pinyin input method uses), so a long Chinese line breaks between
words (…二维码 | 查询…) rather than inside one (…二维 | 码查询…). About 48,000 words, read once, on first use.
Without the package the set is empty and lines break between any two characters, as before."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from kiosk.ime.pinyin import SHARED_DATA

log = logging.getLogger(__name__)

DICTIONARY = SHARED_DATA / "pinyin_simp.dict.yaml"
LONGEST = 4


@lru_cache(maxsize=1)
def chinese_words(path: Path = DICTIONARY) -> frozenset[str]:
    """Every entry of 2..LONGEST Han characters in a Rime dictionary (``word<TAB>pinyin<TAB>weight`` lines after
    the YAML header)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        log.warning("no Chinese word list for line breaking (%s): lines break between any two characters", error)
        return frozenset()
    words = set()
    for line in lines:
        word = line.split("\t", 1)[0]
        if 2 <= len(word) <= LONGEST and all(0x4E00 <= ord(ch) <= 0x9FFF for ch in word):
            words.add(word)
    return frozenset(words)


def segment(run: str, words: frozenset[str] | None = None) -> list[str]:
    """A run of Han characters as words, longest match first from the left; a character no word starts with
    stands alone."""
    known = chinese_words() if words is None else words
    pieces: list[str] = []
    i = 0
    while i < len(run):
        for size in range(min(LONGEST, len(run) - i), 0, -1):
            if size == 1 or run[i : i + size] in known:
                pieces.append(run[i : i + size])
                i += size
                break
    return pieces
