"""Byte-exact ESC/POS vectors from the domain notes (§3)."""

from __future__ import annotations

import pytest

from drivers.printer import PAPER_58, Receipt, Section, Text
from drivers.printer import escpos_encode as enc


def h(text: str) -> bytes:
    return bytes.fromhex(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("姓名：张*明", "1c 26 d0 d5 c3 fb a3 ba d5 c5 2a c3 f7 1c 2e"),
    ("：", "1c 26 a3 ba 1c 2e"),
    ("¥", "1c 26 a3 a4 1c 2e"),  # sent as the fullwidth yen, which GBK printers have
    ("￥", "1c 26 a3 a4 1c 2e"),
    ("—", "1c 26 a1 aa 1c 2e"),
    ("No.1号", "4e 6f 2e 31 1c 26 ba c5 1c 2e"),
    ("收费 20 元", "1c 26 ca d5 b7 d1 20 32 30 20 d4 aa 1c 2e"),
    ("A-Z 09", "41 2d 5a 20 30 39"),
    ("", ""),
])
def test_text_enters_chinese_mode_for_every_non_ascii_span(text, expected):
    assert enc.text(text) == h(expected)


@pytest.mark.parametrize(("w", "hgt", "n"), [(1, 1, 0x00), (2, 1, 0x10), (1, 2, 0x01), (2, 2, 0x11), (3, 4, 0x23),
                                            (8, 8, 0x77)])
def test_gs_bang_size(w, hgt, n):
    assert enc.size(w, hgt) == bytes([0x1D, 0x21, n])


@pytest.mark.parametrize(("w", "hgt"), [(0, 1), (1, 0), (9, 1), (1, 9)])
def test_size_out_of_range_is_refused(w, hgt):
    with pytest.raises(ValueError):
        enc.size(w, hgt)


def test_alignment_bold_feed_cut():
    assert enc.align("left") == h("1b 61 00")
    assert enc.align("center") == h("1b 61 01")
    assert enc.align("right") == h("1b 61 02")
    assert enc.bold(True) == h("1b 45 01") and enc.bold(False) == h("1b 45 00")
    assert enc.feed(3) == h("1b 64 03")
    assert enc.cut() == h("1b 64 04 1d 56 01")
    assert enc.cut(partial=False) == h("1b 64 04 1d 56 00")


@pytest.mark.parametrize(("ec", "ec_byte"), [("L", 0x30), ("M", 0x31), ("Q", 0x32), ("H", 0x33)])
def test_native_qr_sequence_with_pl_ph(ec, ec_byte):
    data = "https://tb.gov.cn/q/TB1"
    stored = len(data) + 3
    expected = (h("1d 28 6b 04 00 31 41 32 00")  # model 2
                + h("1d 28 6b 03 00 31 43 06")  # module size 6
                + bytes([0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, ec_byte])
                + bytes([0x1D, 0x28, 0x6B, stored & 0xFF, stored >> 8, 0x31, 0x50, 0x30]) + data.encode()
                + h("1d 28 6b 03 00 31 51 30"))
    assert enc.qr(data, module=6, ec=ec) == expected


def test_qr_store_length_crosses_into_ph():
    data = "x" * 300
    store = enc.qr(data, module=3, ec="L").split(h("1d 28 6b"))[4]
    assert store[:5] == bytes([(303) & 0xFF, 303 >> 8, 0x31, 0x50, 0x30])  # pL=0x2f, pH=0x01


def test_receipt_starts_with_reset_and_ends_with_cut():
    data = enc.encode_bytes(Receipt("回执", [Section("", [Text("你好")])]), PAPER_58)
    assert data.startswith(h("1b 40 1c 2e"))
    assert data.endswith(h("1b 64 04 1d 56 01"))
    # the title is centred, bold and double size; plain text afterwards goes back to left, regular, normal size
    assert h("1b 61 01 1b 45 01 1d 21 11") + enc.text("回执") + b"\n" in data
    assert h("1b 61 00 1b 45 00 1d 21 00") in data


def test_state_is_sent_only_when_it_changes():
    rows = [Text(f"行{i}") for i in range(5)]
    data = enc.encode_bytes(Receipt("T", [Section("", rows)], cut=False), PAPER_58)
    assert data.count(h("1b 61 00")) == 1
