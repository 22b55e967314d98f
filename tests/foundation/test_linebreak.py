"""Line breaking of the kiosk's labels (screens.linebreak): Chinese by the 避头尾 rules, Latin words and numbers
whole, short Chinese terms whole; the layout check's judge (``bad_breaks``) agrees with the breaker."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from screens.linebreak import CLOSING, OPENING, bad_breaks, break_lines, is_han, units


def width_of(text: str) -> float:
    """A stand-in for a font's metrics: full-width characters 2, the rest 1."""
    return float(sum(2 if is_han(ch) or (ord(ch) > 0x2000 and not ch.isspace()) else 1 for ch in text))


def test_closing_punctuation_never_starts_a_line():
    text = "与案件有关的材料（合同、欠条、判决书等）。本中心可受理，由受理地法律援助中心办理。"
    for width in range(8, 40):
        lines = break_lines(text, width, width_of)
        assert all(line[:1] not in CLOSING for line in lines), (width, lines)
        assert all(line[-1:] not in OPENING for line in lines), (width, lines)
        assert "".join(lines) == text


def test_words_numbers_and_short_terms_stay_whole():
    assert break_lines("Delete the letter", 8, width_of) == ["Delete", "the", "letter"]
    assert break_lines("受理时间 2026-12-10 前", 12, width_of) == ["受理时间", "2026-12-10", "前"]
    assert break_lines("结束办理 删除", 9, width_of) == ["结束办理", "删除"]


def test_the_judge_finds_the_breaks_the_issue_showed():
    assert bad_breaks("删除", ["删", "除"])
    assert bad_breaks("Delete", ["Delet", "e"])
    assert bad_breaks("（合同）", ["（合同", "）"])
    assert bad_breaks("第一行\n第二行", ["第一行", "第二行"]) == []  # a newline the text asked for


_TEXT = st.text(alphabet=st.sampled_from(list("办理材料申请人身份证与案件有关的合同欠条判决书") + list("，。、（）“”")
                                          + list("abcXYZ019- ")), max_size=60)


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.integers(min_value=14, max_value=60))
def test_breaking_keeps_every_character_and_obeys_its_own_rules(text, width):
    text = " ".join(text.split())  # single spaces between words, as labels show them
    lines = break_lines(text, width, width_of)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(width_of(line) <= width for line in lines)
    if all(width_of(unit.strip()) <= width for unit in units(text)):  # nothing had to be cut: the judge is content
        assert bad_breaks(text, lines) == [], lines
