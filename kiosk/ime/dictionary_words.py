"""Chinese words for line breaking: the 1–4 character words of Rime's simplified pinyin dictionary (Debian
rime-data-pinyin-simp, the same data family the pinyin input method uses), so a long Chinese line breaks between
words (…二维码 | 查询…) rather than inside one (…二维 | 码查询…). About 65,000 entries with their frequencies, read
once, on first use.
Without the package there are none and lines break between any two characters, as before."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from kiosk.ime.pinyin import SHARED_DATA

log = logging.getLogger(__name__)

DICTIONARY = SHARED_DATA / "pinyin_simp.dict.yaml"
LONGEST = 4


@lru_cache(maxsize=1)
def chinese_words(path: Path = DICTIONARY) -> Mapping[str, float]:
    """Every entry of 1..LONGEST Han characters (``word<TAB>pinyin<TAB>weight`` lines after the YAML header) with
    the log of its share of the dictionary's weights: how likely a piece of text is that word."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        log.warning("no Chinese word list for line breaking (%s): lines break between any two characters", error)
        return {}
    weights: dict[str, int] = {}
    for line in lines:
        word, _, rest = line.partition("\t")
        if 1 <= len(word) <= LONGEST and all(0x4E00 <= ord(ch) <= 0x9FFF for ch in word):
            weight = rest.rpartition("\t")[2]
            weights[word] = max(weights.get(word, 0), int(weight) if weight.isdigit() else 0)
    total = sum(weights.values()) + len(weights)
    return {word: math.log((weight + 1) / total) for word, weight in weights.items()}


def segment(run: str, words: Mapping[str, float] | None = None) -> list[str]:
    """A run of Han characters as its most likely words (the product of the words' frequencies, found by dynamic
    programming: 可 | 查询 | 进度, where taking the longest word first gave 可查 | 询 | 进度); a character the
    dictionary lacks stands alone."""
    known = chinese_words() if words is None else words
    unknown = min(known.values(), default=0.0) - 1.0  # less likely than any word the dictionary has
    best = [0.0] + [-math.inf] * len(run)
    size_at = [0] * (len(run) + 1)
    for end in range(1, len(run) + 1):
        for size in range(1, min(LONGEST, end) + 1):
            score = known.get(run[end - size : end], unknown if size == 1 else None)
            if score is not None and best[end - size] + score > best[end]:
                best[end], size_at[end] = best[end - size] + score, size
    pieces: list[str] = []
    end = len(run)
    while end > 0:
        pieces.append(run[end - size_at[end] : end])
        end -= size_at[end]
    return pieces[::-1]
