"""SAM reader frames and ID-card text blocks: mutated simulator output never escapes the driver's own errors."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

from drivers.contract import DeviceError
from drivers.idcard.codec import SW3_OK, FrameScanner, parse_reply
from drivers.idcard.errors import CardDataError, FrameError
from drivers.idcard.textblock import decode_text, split_read_data
from drivers.identity import CardType, id_number_valid
from drivers.sim.idcard import frames as simframes
from drivers.sim.idcard.cards import load_deck
from tests.fuzz.mutation import FUZZ, chunks, mutated

DECK = load_deck()
READ_DATA = [struct.pack(">HH", 256, 1024) + card.text + card.photo for card in DECK]
texts = st.sampled_from([card.text for card in DECK])
read_data = st.sampled_from(READ_DATA)
sw3s = st.sampled_from([SW3_OK, 0x9F, 0x80, 0x81, 0x41, 0x66, 0x21, 0x60]) | st.integers(0, 255)


def decode_reply(frame: bytes):
    """What the reader does with one frame of a read: status, split, decode."""
    reply = parse_reply(frame)
    reply.raise_for_status()
    text, photo, _ = split_read_data(reply.data)
    return decode_text(text, photo)


@FUZZ
@given(st.lists(mutated(st.tuples(sw3s, read_data).map(lambda t: simframes.reply(*t)), max_ops=3), max_size=3),
       st.binary(max_size=40), st.lists(st.integers(1, 700), max_size=8))  # fmt: skip
def test_mutated_frame_streams_give_frames_or_frame_errors(frames, garbage, cuts):
    scanner = FrameScanner()
    found = []
    for piece in chunks(garbage + b"".join(frames), cuts):
        scanner.feed(piece)
        for _ in range(10_000):  # a bound: the scanner must make progress
            try:
                frame = scanner.next_frame()
            except FrameError:
                continue
            if frame is None:
                break
            found.append(frame)
        else:
            raise AssertionError("scanner spins")
    for frame in found:
        try:
            decode_reply(frame)
        except (DeviceError, FrameError):
            pass


@FUZZ
@given(sw3s, mutated(read_data))
def test_mutated_read_data_with_a_good_checksum_decodes_or_is_invalid_data(sw3, data):
    # the checksum is made right again, so the mutation reaches split_read_data and decode_text
    try:
        identity = decode_reply(simframes.reply(sw3, data))
    except DeviceError:
        return
    check_identity(identity)


@FUZZ
@given(mutated(texts, max_ops=6))
def test_mutated_text_blocks_decode_or_raise_card_data_error(text):
    try:
        identity = decode_text(text)
    except CardDataError:
        return
    check_identity(identity)


def check_identity(identity) -> None:
    """Whatever decodes is a coherent identity: names present, an 18-digit number passes its check digit."""
    assert identity.name
    if identity.card_type in (CardType.RESIDENT, CardType.HMT_PERMIT, CardType.FOREIGN_PERMANENT_2023):
        assert id_number_valid(identity.id_number)
    repr(identity)  # the masked repr never fails
