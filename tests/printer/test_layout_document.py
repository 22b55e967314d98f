"""CJK-aware widths and wrapping, the receipt layout and its plain-text rendering."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.printer import PAPER_58, PAPER_80, QR, KeyValue, Receipt, Rule, Section, Text, paper_named, render_text
from drivers.printer.document import QrRow, TextRow, layout
from drivers.printer.layout import WORD_JOINER, char_width, text_width, wrap
from drivers.printer.sample import standard_receipt


def test_paper_geometry():
    assert (PAPER_58.dots, PAPER_58.columns, PAPER_58.mm) == (384, 32, 58)
    assert (PAPER_80.dots, PAPER_80.columns, PAPER_80.mm) == (576, 48, 80)
    assert paper_named("80mm") is PAPER_80
    with pytest.raises(ValueError):
        paper_named("110")


@pytest.mark.parametrize(("ch", "width"),
                         [("A", 1), ("张", 2), ("：", 2), ("￥", 2), ("—", 2), ("1", 1), ("\u0301", 0)])
def test_char_width(ch, width):
    assert char_width(ch) == width


def test_wrap_counts_cjk_as_two_columns_and_keeps_punctuation_off_line_starts():
    lines = wrap("事项：居民身份证换领（到期换领），请按时到窗口领取新证件", 32, indent=6)
    assert all(text_width(line) <= 32 for line in lines)
    assert not any(line.strip()[0] in "，）" for line in lines)
    assert all(line.startswith("      ") for line in lines[1:])


def test_wrap_splits_long_words_and_keeps_newlines():
    assert wrap("a" * 40, 32) == ["a" * 32, "a" * 8]
    assert wrap("甲\n乙", 32) == ["甲", "乙"]


def test_a_word_joiner_keeps_a_word_on_one_line_and_is_never_printed():
    joined = "请到窗口领取，或书面" + WORD_JOINER.join("承诺") + "后" + WORD_JOINER.join("可查询") + "进度。"
    assert wrap(joined, 22) == ["请到窗口领取，或书面", "承诺后可查询进度。"]
    assert wrap(joined.replace(WORD_JOINER, ""), 22) == ["请到窗口领取，或书面承", "诺后可查询进度。"]  # unmarked
    assert char_width(WORD_JOINER) == 0
    # closing punctuation that must not start a line takes the whole joined word down with it, not its last half
    assert wrap("作出书面" + WORD_JOINER.join("承诺") + "；", 12) == ["作出书面", "承诺；"]


alphabet = st.sampled_from([*"ab1 -，。：张明办理事项（）¥—", "\n", WORD_JOINER])


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet, max_size=120), st.integers(4, 48), st.integers(0, 12))
def test_wrap_never_overflows_and_loses_no_characters(text, width, indent):
    lines = wrap(text, width, indent)
    assert all(text_width(line) <= width for line in lines)
    assert not any(WORD_JOINER in line for line in lines)
    assert "".join(text.replace(WORD_JOINER, "").split()) == "".join("".join(lines).split())


def test_layout_of_a_receipt():
    rows = layout(standard_receipt(), PAPER_58)
    texts = [row.text for row in rows if isinstance(row, TextRow)]
    assert rows[0] == TextRow("通办 受理回执", "center", True, 2, 2)
    assert "申请人：张*明" in texts and "-" * 32 in texts
    assert [row for row in rows if isinstance(row, QrRow)] == [QrRow("https://tb.gov.cn/q/TB20240601-000123", 6, "M")]


def test_qr_module_shrinks_to_fit_the_paper():
    rows = layout(Receipt("T", [Section("", [QR("x" * 200, module=16)])]), PAPER_58)
    qr = next(row for row in rows if isinstance(row, QrRow))
    assert qr.module < 16


@pytest.mark.parametrize("block", [QR("x", module=0), QR("x", module=17), Text("x", width=9)])
def test_bad_blocks_are_refused(block):
    with pytest.raises(ValueError):
        layout(Receipt("T", [Section("", [block])]), PAPER_58)


def test_plain_text_rendering_for_logs():
    text = render_text(Receipt("回执", [Section("信息", [KeyValue("姓名", "张*明"), Rule("="), QR("https://q/1")])],
                               footer=["谢谢"]), PAPER_58)
    lines = text.splitlines()
    assert lines[0] == " " * 14 + "回执"
    assert "姓名：张*明" in lines and "=" * 32 in lines and "谢谢" in text
    assert any(line.strip() == "[QR https://q/1]" for line in lines)
