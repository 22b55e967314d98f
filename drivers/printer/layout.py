"""Paper geometry and CJK-aware line layout shared by the ESC/POS encoder, the text log and the PNG preview.

A thermal printer prints on a fixed grid: font A is 12×24 dots, and every character sent in Chinese mode is a
24×24 glyph, i.e. two columns. Layout therefore counts columns, not characters: a 58 mm head (384 dots) holds
32 columns, an 80 mm head (576 dots) 48.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

Align = Literal["left", "center", "right"]

DOTS_PER_MM = 8  # 203 dpi heads
CELL_DOTS = 12  # font A cell width
GLYPH_DOTS = 24  # font A cell height; a CJK glyph is 24×24
LINE_SPACING_DOTS = 30  # ESC 2 default on these printers (3.75 mm)


@dataclass(frozen=True)
class Paper:
    name: str
    dots: int

    @property
    def columns(self) -> int:
        return self.dots // CELL_DOTS

    @property
    def mm(self) -> int:
        return {384: 58, 576: 80}.get(self.dots, round(self.dots / DOTS_PER_MM))


PAPER_58 = Paper("58mm", 384)
PAPER_80 = Paper("80mm", 576)
PAPERS = {"58": PAPER_58, "58mm": PAPER_58, "80": PAPER_80, "80mm": PAPER_80}


def paper_named(name: str | int) -> Paper:
    try:
        return PAPERS[str(name).lower()]
    except KeyError:
        raise ValueError(f"unknown paper {name!r}: use 58 or 80") from None


# U+2060 WORD JOINER between two characters: no line break there (the caller marks Chinese words with it, which
# the printer cannot know); it takes no column and is never sent to the printer
WORD_JOINER = "\u2060"


def char_width(ch: str) -> int:
    """Columns one character takes: CJK wide/fullwidth and East Asian ambiguous characters (which a Chinese printer
    prints with its 24-dot GB font, e.g. "—", "·") take two, combining marks and the word joiner none."""
    if unicodedata.combining(ch) or ch == WORD_JOINER:
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 1


def text_width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


# Punctuation that must not start a line (simplified 避头 rule): it pulls the previous character down with it.
_NO_LINE_START = set("，。、；：？！）》」』】〕…—,.;:?!)]}%")


def _tokens(text: str) -> list[str]:
    """Break opportunities: each wide character alone, ASCII words with their trailing spaces kept together; a
    character after a word joiner stays with the one before it."""
    tokens: list[str] = []
    word = ""
    glue = False
    for ch in text:
        if ch == WORD_JOINER:
            glue = True
            continue
        if glue and (word or tokens):
            glue = False
            if word:
                word += ch
            else:
                tokens[-1] += ch
            continue
        glue = False
        if char_width(ch) == 2 or ch == " ":
            if word:
                tokens.append(word)
                word = ""
            if ch == " " and tokens and tokens[-1].endswith(" ") and char_width(tokens[-1][0]) == 1:
                tokens[-1] += ch
            else:
                tokens.append(ch)
        else:
            word += ch
    if word:
        tokens.append(word)
    return tokens


def wrap(text: str, width: int, indent: int = 0) -> list[str]:
    """Wrap ``text`` into lines of at most ``width`` columns; continuation lines start with ``indent`` spaces.

    Explicit newlines are kept. Words longer than a line are split. Trailing spaces are dropped. Word joiners
    keep their neighbours on one line and are removed from the lines returned.
    """
    if width < 2:
        raise ValueError("width must be at least 2 columns")
    indent = indent if indent <= width // 2 else 0
    out: list[str] = []
    for paragraph in text.split("\n"):
        tokens: list[str] = []
        for token in _tokens(paragraph):
            # a word wider than a line is broken anywhere
            tokens.extend(token if text_width(token.rstrip(" ")) > width - indent else [token])
        lines: list[str] = []
        parts: list[str] = []  # the current line's tokens: a word joined by word joiners is one
        for token in tokens:
            limit = width - (indent if lines else 0)
            if text_width(("".join(parts) + token).rstrip(" ")) <= limit:
                parts.append(token)
                continue
            if not token.strip(" "):
                continue  # a space at a break point vanishes
            carry: list[str] = []
            if token[0] in _NO_LINE_START and parts and not parts[-1].endswith(" "):
                pull = 1  # take the last token (a character or a joined word), and any closing punctuation
                while pull < len(parts) and parts[-pull][0] in _NO_LINE_START:  # before it, down with the token
                    pull += 1
                if pull < len(parts) and text_width("".join(parts[-pull:]) + token) <= width - indent:
                    parts, carry = parts[:-pull], parts[-pull:]
            lines.append("".join(parts).rstrip(" "))
            parts = [*carry, token]
        lines.append("".join(parts).rstrip(" "))
        lines = [line.replace(WORD_JOINER, "") for line in lines]
        out.extend(line if i == 0 or not indent else " " * indent + line for i, line in enumerate(lines))
    return out


def pad(text: str, width: int, align: Align) -> str:
    """Place ``text`` (already at most ``width`` columns) on a line of ``width`` columns."""
    gap = max(0, width - text_width(text))
    if align == "center":
        return " " * (gap // 2) + text
    if align == "right":
        return " " * gap + text
    return text
