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
    # a reference prefix stays with the word it prefixes (progress hint: "K0001-RAXZ3-" | "开头" read as a cut number)
    text = "本机受理号（K0001-RAXZ3-开头）都可以"
    for width in range(24, 40):
        lines = break_lines(text, width, width_of)
        assert any("K0001-RAXZ3-开头" in line for line in lines) and bad_breaks(text, lines) == [], (width, lines)
    assert bad_breaks(text, ["本机受理号（K0001-RAXZ3-", "开头）都可以"])


def test_the_judge_finds_the_breaks_the_issue_showed():
    assert bad_breaks("删除", ["删", "除"])
    assert bad_breaks("Delete", ["Delet", "e"])
    assert bad_breaks("（合同）", ["（合同", "）"])
    assert bad_breaks("第一行\n第二行", ["第一行", "第二行"]) == []  # a newline the text asked for


def test_a_long_chinese_line_breaks_between_words_and_a_number_keeps_its_unit():
    """The reviewer's pictures: 二维/码, 进/度, 抚养/费 and 24小/时 — a run longer than a short term broke between
    any two characters. It breaks between the words of Rime's dictionary now, and a number keeps what follows."""
    from kiosk.ime.dictionary_words import chinese_words

    assert {"二维码", "进度", "小时", "真实", "存在"} <= chinese_words().keys()
    for text in ("请扫描下方二维码或在本机输入编号查询办理进度", "示例县政务服务24小时自助服务区",
                 "材料真实存在且内容真实如有不实本人愿意承担相应法律责任"):  # fmt: skip
        for width in range(8, 2 * len(text)):  # from the longest word (4 characters) up
            lines = break_lines(text, width, width_of)
            assert "".join(lines) == text and bad_breaks(text, lines) == [], (width, lines)
    assert bad_breaks("请扫描二维码查询办理进度", ["请扫描二维", "码查询办理进度"])
    assert bad_breaks("服务24小时自助服务区", ["服务24", "小时自助服务区"])


def test_the_most_likely_words_not_the_longest_first():
    """可查 is a word, but 可 | 查询 | 进度 is how the sentence reads: greedy longest-first cut 查询 in two."""
    from kiosk.ime.dictionary_words import segment

    assert segment("可查询进度") == ["可", "查询", "进度"]
    assert segment("作出书面承诺") == ["作出", "书面", "承诺"]


def test_without_the_word_list_a_long_run_breaks_anywhere(tmp_path):
    from kiosk.ime.dictionary_words import chinese_words, segment

    missing = chinese_words(tmp_path / "none.dict.yaml")
    assert not missing and segment("请扫描二维码", missing) == list("请扫描二维码")


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


def test_times_ranges_and_decimals_stay_whole():
    """Help broke "08:/30": a time, an opening-hours range and a distance are one unit each."""
    assert "08:30-17:30" in units("周一至周六 08:30-17:30 开放")
    assert "9:00–17:00" in units("周一至周五 9:00–17:00")
    assert "约2.3公里" in "".join(break_lines("约2.3公里", 5, width_of))
    for width in range(6, 30):
        lines = break_lines("服务窗口（现在办公，周一至周六 08:30-17:30），或拨打12345。", width, width_of)
        assert not any(line.endswith(("08:", "08")) for line in lines), lines
        assert all(line[:1] not in CLOSING for line in lines), lines


def test_a_no_break_space_and_a_list_number_hold_their_neighbours():
    hours = "周一至周五\u00a09:00–17:00"
    assert break_lines(f"营业时间 {hours}", 22, width_of) == ["营业时间", hours]
    lines = break_lines("1. 找事项：输入拼音首字母搜索，或按类别选择。", 20, width_of)
    assert lines[0].startswith("1. 找事项"), lines


def test_a_unit_wider_than_the_line_is_cut_after_its_dash():
    assert break_lines("08:30-17:30", 7, width_of) == ["08:30-", "17:30"]


_NUMBERS = st.from_regex(
    r"[0-2][0-9]:[0-5][0-9](-[0-2][0-9]:[0-5][0-9])?|[0-9]{1,3}\.[0-9]|20[0-9]{2}-[01][0-9]-[0-3][0-9]", fullmatch=True
)
_PIECE = st.one_of(
    st.text(alphabet=st.sampled_from(list("办理材料申请人身份证回执窗口开放时间扫码进度")), min_size=1, max_size=9),
    st.sampled_from([*"，。、；：？！）”", "（", "“", " ", "\u00a0"]),
    st.sampled_from(["Available", "here", "Mon–Fri", "ID", "QR", "12345"]),
    _NUMBERS,
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECE, min_size=1, max_size=14), st.integers(min_value=12, max_value=50))
def test_kinsoku_holds_for_every_text(pieces, width):
    """The property behind the help and receipt bugs: whatever the text, no line starts with closing punctuation
    (unless the paragraph itself does), none ends with opening punctuation, and a time, number or date that fits
    on a line is never split across two."""
    text = "".join(pieces).strip(" ")
    if not text:
        return
    lines = break_lines(text, width, width_of)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(width_of(line) <= width for line in lines)
    for line in lines[1:]:
        assert line[:1] not in CLOSING, lines
    for line in lines[:-1]:
        assert line[-1:] not in OPENING or all(ch in OPENING for ch in line), lines
    for number in (p for p in pieces if any(c.isdigit() for c in p) and width_of(p) + 4 <= width):
        if number in text and all(number not in line for line in lines):
            # a number is split only when it is glued to a wider unit (e.g. "2.3）" or "12345。")
            assert any(width_of(u) > width for u in units(text) if number in u), (number, lines)
