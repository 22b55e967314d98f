"""Frame codec: byte-exact vectors from the domain notes (checksums worked out by hand), resync, refusals."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.contract import Code
from drivers.idcard import codec
from drivers.idcard.codec import FrameScanner, build_command, parse_reply
from drivers.idcard.errors import ChecksumError, FrameError, LengthError, ReaderStatusError
from drivers.sim.idcard import frames as simframes

PRE = "AA AA AA 96 69"


def hx(text: str) -> bytes:
    return bytes.fromhex(text)


# CHK = XOR from the first LEN byte: 00 ^ 03 ^ CMD ^ PARA
@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (codec.SAM_STATUS, f"{PRE} 00 03 11 FF ED"),  # 03^11=12, 12^FF=ED
        (codec.SAM_ID, f"{PRE} 00 03 12 FF EE"),  # 03^12=11, 11^FF=EE
        (codec.FIND_CARD, f"{PRE} 00 03 20 01 22"),  # 03^20=23, 23^01=22
        (codec.SELECT_CARD, f"{PRE} 00 03 20 02 21"),  # 23^02=21
        (codec.READ_TEXT_PHOTO, f"{PRE} 00 03 30 01 32"),  # 03^30=33, 33^01=32
        (codec.READ_TEXT_PHOTO_FINGERPRINT, f"{PRE} 00 03 30 10 23"),  # 33^10=23
    ],
)
def test_commands_are_byte_exact(command, expected):
    assert build_command(command) == hx(expected)


REPLIES = {
    "find_ok": f"{PRE} 00 08 00 00 9F 00 00 00 00 97",  # 08^9F=97
    "no_card": f"{PRE} 00 04 00 00 80 84",  # 04^80=84
    "sam_ok": f"{PRE} 00 04 00 00 90 94",  # 04^90=94
    "select_ok": f"{PRE} 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C",  # 0C^90=9C
    "not_authorised": f"{PRE} 00 04 00 00 66 62",  # 04^66=62
    "read_failed": f"{PRE} 00 04 00 00 41 45",  # 04^41=45
}


@pytest.mark.parametrize("name", REPLIES)
def test_replies_parse_and_the_simulator_builds_the_same_bytes(name):
    frame = hx(REPLIES[name])
    reply = parse_reply(frame)
    assert (reply.sw1, reply.sw2) == (0, 0)
    assert simframes.reply(reply.sw3, reply.data) == frame


def test_sw3_codes_map_to_the_closed_set():
    expected = {0x66: Code.NOT_AUTHORISED, 0x41: Code.INVALID_DATA, 0x80: Code.NO_MEDIA, 0x81: Code.NO_MEDIA,
                0x60: Code.HARDWARE_ERROR, 0x21: Code.UNSUPPORTED, 0x10: Code.INVALID_DATA, 0x47: Code.INVALID_DATA}
    for sw3, code in expected.items():
        with pytest.raises(ReaderStatusError) as caught:
            parse_reply(simframes.reply(sw3)).raise_for_status()
        assert caught.value.code is code and caught.value.sw3 == sw3
    parse_reply(hx(REPLIES["find_ok"])).raise_for_status(codec.SW3_FIND_OK)
    with pytest.raises(ReaderStatusError):
        parse_reply(simframes.reply(0xEE)).raise_for_status()


def test_read_reply_offsets_of_the_domain_notes():
    text = "张三".encode("utf-16-le").ljust(256, b" ")
    photo = bytes(range(256)) * 4
    body = hx("00 00 90 01 00 04 00") + text + photo  # SW1 SW2 SW3, text length 0x0100, photo length 0x0400
    length = (len(body) + 1).to_bytes(2, "big")
    assert length == hx("05 08")
    chk = 0
    for byte in length + body:
        chk ^= byte
    frame = hx(PRE) + length + body + bytes([chk])
    assert len(frame) == 1295 and frame[7:10] == hx("00 00 90") and frame[14:270] == text and frame[270:1294] == photo
    reply = parse_reply(frame)
    assert reply.sw3 == 0x90 and reply.data == frame[10:1294]


def test_bad_frames_are_refused_with_the_drivers_own_errors():
    good = hx(REPLIES["find_ok"])
    with pytest.raises(ChecksumError):
        parse_reply(good[:-1] + b"\x00")
    with pytest.raises(LengthError):
        parse_reply(good[:-1])
    with pytest.raises(LengthError):
        parse_reply(hx(f"{PRE} 00 02 00 00"))
    with pytest.raises(LengthError):
        parse_reply(hx(f"{PRE} FF FF") + bytes(10))
    with pytest.raises(FrameError):
        parse_reply(good[1:])
    for error in (ChecksumError, LengthError):
        assert issubclass(error, FrameError) and error("x").code is Code.INVALID_DATA


def test_scanner_resynchronises_after_garbage_and_split_reads():
    good = hx(REPLIES["find_ok"])
    stream = hx("00 AA AA 13 AA AA AA 96") + hx(f"{PRE} 00 01") + hx(f"{PRE} 00 05 00 00 90 00 00") + good
    scanner = FrameScanner()
    errors = []
    frames = []
    for byte in stream:  # one byte at a time, as a slow port delivers it
        scanner.feed(bytes([byte]))
        while True:
            try:
                frame = scanner.next_frame()
            except FrameError as error:
                errors.append(type(error))
                continue
            if frame is None:
                break
            frames.append(frame)
    assert frames == [good]
    assert errors == [LengthError, ChecksumError]


def test_scanner_needed_counts_down_to_the_frame_end():
    good = hx(REPLIES["select_ok"])
    scanner = FrameScanner()
    assert scanner.needed() == 7
    scanner.feed(good[:9])
    assert scanner.needed() == len(good) - 9
    scanner.feed(good[9:])
    assert scanner.next_frame() == good


def _drain(scanner: FrameScanner) -> list[bytes]:
    out = []
    for _ in range(100_000):  # a bound far above any input here: no loop may spin
        try:
            frame = scanner.next_frame()
        except FrameError:
            continue
        if frame is None:
            return out
        out.append(frame)
    raise AssertionError("scanner does not make progress")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000), st.lists(st.integers(1, 400), max_size=20))
def test_random_streams_give_frames_or_frame_errors_only(data, cuts):
    scanner = FrameScanner()
    at = 0
    frames = []
    for size in [*cuts, len(data)]:
        scanner.feed(data[at : at + size])
        at += size
        frames += _drain(scanner)
    for frame in frames:
        parse_reply(frame)  # every frame the scanner returns is a valid one


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200).filter(lambda g: codec.PREAMBLE not in g), st.integers(0, 255),
       st.binary(max_size=1300), st.integers(0, 1400))  # fmt: skip
def test_a_frame_after_garbage_is_found_and_a_truncated_one_waits(garbage, sw3, data, cut):
    frame = simframes.reply(sw3, data)
    scanner = FrameScanner()
    scanner.feed(garbage + frame)
    assert _drain(scanner) == [frame]
    truncated = FrameScanner()
    truncated.feed(garbage + frame[: min(cut, len(frame) - 1)])
    assert _drain(truncated) == []


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=1400))
def test_parse_reply_on_random_bytes(data):
    for candidate in (data, codec.PREAMBLE + data):
        try:
            parse_reply(candidate)
        except FrameError:
            pass
