"""The emulator's own parser: hand-written byte vectors (never the driver's encoder), chunking, and fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.sim.printer import EscPosParseError, EscPosParser, printouts_from_bytes
from drivers.sim.printer.printout import PrintHead

H = bytes.fromhex


def parse(data: bytes, strict: bool = True):
    parser = EscPosParser(strict=strict)
    ops = parser.feed(data)
    parser.finish()
    return ops


def test_chinese_mode_text_is_gb18030_and_ascii_outside():
    ops = parse(H("1c 26 d0 d5 c3 fb a3 ba d5 c5 2a c3 f7 1c 2e") + b"OK\n")
    texts = [(op.text, op.args) for op in ops if op.name == "text"]
    assert texts == [("姓名：张*明", (1,)), ("OK", (0,))]
    assert [op.name for op in ops] == ["chinese_on", "text", "chinese_off", "text", "lf"]


def test_outside_chinese_mode_high_bytes_use_the_code_page():
    assert parse(H("9c"))[0].text == "£"  # cp437


def test_four_byte_gb18030():
    assert parse(H("1c 26 81 30 84 36 1c 2e"))[1].text == "¥"


def test_sizes_alignment_bold_and_cut():
    ops = parse(H("1d 21 11 1b 21 30 1c 21 0c 1b 61 01 1b 45 01 1b 64 03 1d 56 42 05 1d 56 01"))
    assert [(op.name, op.args) for op in ops] == [
        ("size", (0x11,)), ("esc_mode", (0x30,)), ("chinese_mode", (0x0C,)), ("align", (1,)), ("bold", (1,)),
        ("feed_lines", (3,)), ("cut", (0x42, 5)), ("cut", (1,))]


def test_qr_functions():
    data = b"https://tb.gov.cn/q/1"
    n = len(data) + 3
    stream = (H("1d 28 6b 04 00 31 41 32 00 1d 28 6b 03 00 31 43 05 1d 28 6b 03 00 31 45 33")
              + bytes([0x1D, 0x28, 0x6B, n & 0xFF, n >> 8, 0x31, 0x50, 0x30]) + data + H("1d 28 6b 03 00 31 51 30"))
    ops = parse(stream)
    assert [(op.name, op.args) for op in ops] == [("qr_model", (2,)), ("qr_module", (5,)), ("qr_ec", (3,)),
                                                  ("qr_store", ()), ("qr_print", ())]
    assert ops[3].data == data


def test_raster_image_and_status_requests():
    ops = parse(H("1d 76 30 00 02 00 02 00 ff 00 00 ff 10 04 01 10 04 04"))
    assert ops[0].name == "raster" and ops[0].args == (0, 2, 2) and ops[0].data == H("ff 00 00 ff")
    assert [(op.name, op.args) for op in ops[1:]] == [("status_request", (1,)), ("status_request", (4,))]


def test_split_anywhere_gives_the_same_operations():
    stream = H("1b 40 1c 26 d0 d5 c3 fb 1c 2e 1d 21 11 41 0a 1d 76 30 00 01 00 02 00 80 01 10 04 02 1d 56 01")
    whole = parse(stream)
    parser = EscPosParser()
    pieces = []
    for byte in stream:
        pieces += parser.feed(bytes([byte]))
    parser.finish()

    def merged(ops):  # text may arrive in several pieces; join neighbours for comparison
        out = []
        for op in ops:
            if out and op.name == "text" and out[-1][0] == "text":
                out[-1] = ("text", out[-1][1] + op.text)
            else:
                out.append((op.name, op.text if op.name == "text" else (op.args, op.data)))
        return out

    assert merged(pieces) == merged(whole)


@pytest.mark.parametrize("bad", [H("1b ff"), H("1d 21 88"), H("1d 56 07"), H("1d 28 6b 03 00 32 43 05"),
                                 H("1c 26 ff 41"), H("10 04 09"), H("1b 61 07")])
def test_strict_mode_refuses_bad_commands(bad):
    with pytest.raises(EscPosParseError):
        parse(bad)


def test_truncated_stream_is_an_error_at_the_end():
    parser = EscPosParser()
    assert parser.feed(H("1d 76 30 00 10 00")) == []
    with pytest.raises(EscPosParseError):
        parser.finish()


def test_lenient_mode_records_and_goes_on():
    parser = EscPosParser(strict=False)
    ops = parser.feed(H("1b ff") + b"AB\n")
    assert [op.name for op in ops] == ["unknown", "text", "lf"] and parser.errors


def test_print_head_sizes_from_each_command():
    head = PrintHead(384)
    for op in parse(H("1d 21 11") + b"A" + H("1d 21 00 1b 21 30") + b"B" + H("1c 26 1c 21 04 b0 a1 1c 2e 0a")):
        head.apply(op)
    glyphs = head.take().elements[0].glyphs
    assert [(g.char, g.w, g.h, g.wide) for g in glyphs] == [("A", 2, 2, False), ("B", 2, 2, False),
                                                            ("啊", 2, 1, True)]


def test_printer_wraps_a_line_that_is_too_long_and_counts_it():
    printouts, errors = printouts_from_bytes(b"x" * 40 + b"\n" + H("1d 56 01"))
    assert not errors
    assert printouts[0].lines == ["x" * 32, "x" * 8] and printouts[0].auto_wraps == 1


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_the_parse_error(data):
    parser = EscPosParser()
    try:
        parser.feed(data)
        parser.finish()
    except EscPosParseError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.integers(1, 7))
def test_lenient_parser_and_head_never_fail_on_random_bytes(data, step):
    parser = EscPosParser(strict=False)
    head = PrintHead(384)
    for i in range(0, len(data), step):
        for op in parser.feed(data[i:i + step]):
            head.apply(op)
    head.take()


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=200))
def test_render_never_fails_on_what_the_head_accepted(data):
    from drivers.sim.printer import render

    printouts, _ = printouts_from_bytes(data)
    for printout in printouts:
        render(printout, 384)


def test_oversized_qr_prints_nothing_instead_of_crashing():
    from drivers.sim.printer import render

    big = b"x" * 3000
    n = len(big) + 3
    printouts, _ = printouts_from_bytes(bytes([0x1D, 0x28, 0x6B, n & 255, n >> 8, 0x31, 0x50, 0x30]) + big
                                        + H("1d 28 6b 03 00 31 51 30"))
    assert render(printouts[0], 384).height > 0
