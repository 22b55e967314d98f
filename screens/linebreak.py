"""Line breaking for the kiosk's labels: Chinese by the 避头尾 rules, English and numbers only at spaces.

Kivy wraps a label at spaces only and cuts a "word" longer than the line anywhere. Chinese has no spaces, so a
Chinese sentence was one word cut wherever the width ran out: a line could start with 。 or ）, a short term
broke in two (删/除), and a long English word did too (Delet/e). ``break_lines`` chooses the breaks instead,
and ``install`` makes every wrapping Kivy label (not markup, not shortened) use it: the label then receives
lines that already fit, separated by newlines.

The rules (after the W3C "Requirements for Chinese Text Layout" (clreq) and Unicode UAX #14, kept small):
- a line may break between two Han characters, at a space, or after a hyphen or slash inside Latin text;
- never before closing punctuation (，。、；：？！）】》」』”’ … and their ASCII forms), never after opening
  punctuation (（【《「『“‘);
- a run of Latin letters or digits (a word, a number, an ID or a date like 2026-12-10) stays whole (a prefix ending
  in a hyphen with the Han word after it: K0001-开头), and so does
  one joined by ``:``, ``.``, ``,`` or a dash between two of them: a time (08:30), a range (9:00–17:30), a
  decimal (2.3), Mon–Fri;
- a no-break space (U+00A0, U+202F) or word joiner (U+2060) holds its neighbours together (约 50 米 written
  with one stays on one line), and a list number at a paragraph's start ("1. ") stays with what follows;
- a short Han run (≤ 6 characters between punctuation or spaces: 删除, 结束办理, 身份核验) is one word and
  stays whole — a term on a button or a field name is read as one unit.
Only a unit wider than the whole line is cut, character by character (and the layout check reports it).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from kiosk.ime.dictionary_words import segment

CLOSING = set("，。、；：？！）］｝】》〉」』”’…‥·・%‰℃,.;:?!)]}>」〕〗〙〛﹚﹜﹞～ー々〻ゝゞ")
OPENING = set("（［｛【《〈「『“‘([{<〔〖〘〚﹙﹛﹝")
SHORT_HAN_WORD = 6
JOINERS = set(":.,–—")  # between two letters or digits they are part of one unit: 08:30, 2.3, 9:00–17:30
NO_BREAK = set("\u00a0\u202f\u2060")  # no-break spaces and the word joiner glue their neighbours
_LIST_NUMBER = re.compile(r"^[(（]?[0-9]{1,2}[.、)）]$")

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_LATIN = re.compile(r"[0-9A-Za-z\u00c0-\u024f_@#&*+=$€¥￥'’\-/]")


def is_han(ch: str) -> bool:
    return bool(_HAN.match(ch))


def is_latin(ch: str) -> bool:
    return bool(_LATIN.match(ch))


def units(text: str) -> list[str]:
    """``text`` (one paragraph) as unbreakable units; a break is allowed between any two units (a space is a unit
    of its own, dropped where a line breaks)."""
    raw: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if is_latin(ch):
            j = i
            while j < len(text):
                if is_latin(text[j]):
                    j += 1
                elif text[j] in JOINERS and j + 1 < len(text) and text[j - 1].isalnum() and text[j + 1].isalnum():
                    j += 1  # a time, a decimal or a range: one unit
                else:
                    break
            raw.append(text[i:j])
            i = j
        elif is_han(ch):
            j = i
            while j < len(text) and is_han(text[j]):
                j += 1
            run = text[i:j]
            raw.extend([run] if len(run) <= SHORT_HAN_WORD else segment(run))
            i = j
        else:
            raw.append(ch)
            i += 1
    glued: list[str] = []
    pending_open = ""
    join_next = False
    for unit in raw:
        if unit in NO_BREAK:
            if glued and not pending_open:
                glued[-1] += unit
                join_next = True
            else:
                pending_open += unit
            continue
        if unit in OPENING or (pending_open and unit == " "):
            pending_open += unit  # an opening bracket waits for what it opens, a space after it included
            continue
        if pending_open:
            unit, pending_open = pending_open + unit, ""
        if join_next:
            glued[-1] += unit
            join_next = False
        elif glued and is_han(unit[0]) and glued[-1][-1:].isdigit():
            glued[-1] += unit  # a number keeps its unit: 24小时, 50米, 5个工作日
        elif glued and is_han(unit[0]) and glued[-1][-1:] == "-":
            glued[-1] += unit  # a prefix keeps what it is a prefix of: K0001-RAXZ3-开头 (not "K0001-RAXZ3-" | "开头")
        elif glued and unit[0] in CLOSING and glued[-1] != " ":
            glued[-1] += unit  # closing punctuation never starts a line
        elif len(glued) > 1 and unit[0] in CLOSING:
            glued.pop()
            glued[-1] += " " + unit  # nor after a space: "人 ，" stays on one line, space included
        elif glued and unit[0] == "." and glued[-1] and glued[-1][-1].isalnum():
            glued[-1] += unit
        else:
            glued.append(unit)
    if pending_open:
        glued.append(pending_open)
    if len(glued) > 2 and _LIST_NUMBER.match(glued[0]) and glued[1] == " ":
        glued[:3] = ["".join(glued[:3])]  # "1." never stands alone above its text
    return glued


def break_lines(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """``text`` broken into lines no wider than ``width`` (as ``measure`` says), hard newlines kept."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_break_paragraph(paragraph, width, measure))
    return lines


def _break_paragraph(paragraph: str, width: float, measure: Callable[[str], float]) -> list[str]:
    if not paragraph or measure(paragraph) <= width:
        return [paragraph]
    lines: list[str] = []
    line = ""
    for unit in units(paragraph):
        candidate = line + unit
        if not line or measure(candidate.rstrip(" ")) <= width:
            line = candidate
            if measure(line.rstrip(" ")) > width and line != " ":
                # a single unit wider than the line: cut it (the only break that splits a unit)
                lines.extend(_cut(line, width, measure)[:-1])
                line = _cut(line, width, measure)[-1]
            continue
        lines.append(line.rstrip(" "))
        line = "" if unit == " " else unit
        if measure(line) > width:
            pieces = _cut(line, width, measure)
            lines.extend(pieces[:-1])
            line = pieces[-1]
    if line.strip(" "):
        lines.append(line.rstrip(" "))
    return lines


def _cut(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """A unit wider than the line, cut where it hurts least: never before closing punctuation, after a dash or
    slash if there is one (08:30- | 17:30), else between a letter or digit and something else, else anywhere."""
    pieces: list[str] = []
    current = ""
    for ch in text:
        if current and measure(current + ch) > width:
            keep = _cut_point(current + ch)
            pieces.append(current[:keep])
            current = current[keep:] + ch
        else:
            current += ch
    pieces.append(current)
    return pieces


def _cut_point(text: str) -> int:
    """Where to cut ``text`` (its last character no longer fits): an index in 1..len(text) - 1."""
    allowed = [k for k in range(1, len(text)) if text[k] not in CLOSING and text[k - 1] not in OPENING]
    if not allowed:
        return len(text) - 1
    for prefer in (lambda k: text[k - 1] in "-–—/", lambda k: not (is_latin(text[k - 1]) and is_latin(text[k]))):
        good = [k for k in allowed if prefer(k) and 2 * k >= len(text)]  # not at the cost of a stub line
        if good:
            return good[-1]
    return allowed[-1]


def bad_breaks(text: str, lines: list[str]) -> list[str]:
    """Where ``lines`` (a label's laid-out lines, in order) break ``text`` against the rules above: a line that
    starts with closing punctuation, ends with opening punctuation, or a word split between two lines."""
    problems: list[str] = []
    flat = text
    pos = 0
    for index, line in enumerate(lines[:-1]):
        shown = line.rstrip()
        if not shown:
            continue
        found = flat.find(shown, pos)
        if found < 0:
            return problems  # the label changed the text (shortened, stripped): nothing to judge
        end = found + len(shown)
        pos = end
        following = lines[index + 1].lstrip()
        if not following:
            continue
        rest = flat[end:]
        if rest[:1] == "\n" or rest.lstrip(" ")[:1] == "\n":
            continue  # a hard break the text asked for
        spaced = rest[:1] == " "
        before, after = shown[-1], following[0]
        if after in CLOSING:
            problems.append(f"line starts with {after!r}: …{shown[-6:]}|{following[:6]}…")
        elif before in OPENING:
            problems.append(f"line ends with {before!r}: …{shown[-6:]}|{following[:6]}…")
        elif not spaced and is_latin(before) and is_latin(after):
            problems.append(f"word broken: …{shown[-8:]}|{following[:8]}…")
        elif not spaced and is_han(before) and is_han(after) and _inside_han_word(flat, end):
            problems.append(f"word broken: …{shown[-6:]}|{following[:6]}…")
        elif not spaced and before.isdigit() and is_han(after):
            problems.append(f"number parted from its unit: …{shown[-6:]}|{following[:6]}…")
        elif not spaced and before == "-" and is_han(after):
            problems.append(f"prefix parted from its word: …{shown[-8:]}|{following[:6]}…")
    return problems


def _inside_han_word(text: str, at: int) -> bool:
    """Whether position ``at`` lies inside a Han run of at most SHORT_HAN_WORD characters, or inside a word of a
    longer run."""
    start = at
    while start > 0 and is_han(text[start - 1]):
        start -= 1
    end = at
    while end < len(text) and is_han(text[end]):
        end += 1
    if end - start <= SHORT_HAN_WORD:
        return True
    edge = start
    for word in segment(text[start:end]):
        edge += len(word)
        if edge >= at:
            return edge != at
    return False


def install() -> None:
    """Make Kivy's labels wrap by these rules (once per process): a wrapping, unshortened, non-markup label gets
    its text as lines that fit ``text_size[0]``."""
    from kivy.core.text import LabelBase

    original = LabelBase.render
    if getattr(original, "kiosk_line_breaking", False):
        return

    def render(self, real=False):
        if real or self.options.get("shorten") or not self.text:
            return original(self, real)
        width = self._text_size[0]
        if not width:
            return original(self, real)
        padding = self.options.get("padding", (0, 0, 0, 0))
        pad_x = (padding[0] + padding[2]) if isinstance(padding, list | tuple) and len(padding) == 4 else 0
        usable = width - pad_x - 1
        if usable <= 0:
            return original(self, real)
        extents = self.get_cached_extents()
        text = self.text
        broken = "\n".join(break_lines(text, usable, lambda s: extents(s)[0]))
        if broken == text:
            return original(self, real)
        self._text = broken
        try:
            return original(self, real)
        finally:
            self._text = text

    render.kiosk_line_breaking = True  # type: ignore[attr-defined]
    LabelBase.render = render
