"""SAM reader framing: ``AA AA AA 96 69 | LEN(2, BE) | body | CHK``.

LEN counts every byte after itself, CHK included; CHK is the XOR of every byte from the first
LEN byte up to the byte before CHK (the preamble is not included). Commands carry
``CMD PARA [DATA]``, replies ``SW1 SW2 SW3 [DATA]``.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.contract import Code
from drivers.idcard.errors import ChecksumError, FrameError, LengthError, ReaderStatusError

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER = len(PREAMBLE) + 2
MIN_REPLY_LEN = 4  # SW1 SW2 SW3 CHK
MAX_LEN = 0x0A00  # the longest reply (text + photo + fingerprint) is 0x090A

# Commands (CMD, PARA)
SAM_STATUS = (0x11, 0xFF)
SAM_ID = (0x12, 0xFF)
FIND_CARD = (0x20, 0x01)
SELECT_CARD = (0x20, 0x02)
READ_TEXT_PHOTO = (0x30, 0x01)
READ_TEXT_PHOTO_FINGERPRINT = (0x30, 0x10)

SW3_OK = 0x90
SW3_FIND_OK = 0x9F

# SW3 → (completion code, meaning). Card-level failures are invalid_data (try again or another card);
# only a broken SAM is a hardware error, since that makes the base class drop and reopen the port.
SW3_CODES: dict[int, tuple[Code, str]] = {
    0x91: (Code.INVALID_DATA, "item empty"),
    0x10: (Code.INVALID_DATA, "reader saw a checksum error in the command"),
    0x11: (Code.INVALID_DATA, "reader saw a length error in the command"),
    0x21: (Code.UNSUPPORTED, "command not supported by this reader"),
    0x23: (Code.NOT_AUTHORISED, "operation not permitted"),
    0x24: (Code.INVALID_DATA, "unknown reader error"),
    0x31: (Code.INVALID_DATA, "card failed to authenticate the SAM"),
    0x32: (Code.INVALID_DATA, "SAM failed to authenticate the card"),
    0x33: (Code.INVALID_DATA, "verification error"),
    0x34: (Code.NO_MEDIA, "no card found yet"),
    0x40: (Code.INVALID_DATA, "unknown card type"),
    0x41: (Code.INVALID_DATA, "read failed"),
    0x47: (Code.INVALID_DATA, "random-number failure"),
    0x60: (Code.HARDWARE_ERROR, "SAM self-test failed"),
    0x66: (Code.NOT_AUTHORISED, "SAM not authorised"),
    0x80: (Code.NO_MEDIA, "no card (find failed)"),
    0x81: (Code.NO_MEDIA, "select failed"),
}


def checksum(data: bytes) -> int:
    value = 0
    for byte in data:
        value ^= byte
    return value


def build_command(command: tuple[int, int], data: bytes = b"") -> bytes:
    cmd, para = command
    body = bytes((cmd, para)) + data
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes((checksum(length + body),))


@dataclass(frozen=True)
class Reply:
    sw1: int
    sw2: int
    sw3: int
    data: bytes

    def raise_for_status(self, ok: int = SW3_OK) -> None:
        if self.sw3 == ok:
            return
        code, meaning = SW3_CODES.get(self.sw3, (Code.INVALID_DATA, "unexpected status"))
        raise ReaderStatusError(code, self.sw3, f"{meaning} (SW3 {self.sw3:02X})")


def parse_reply(frame: bytes) -> Reply:
    """Parse one complete reply frame, preamble to CHK; anything else raises a FrameError."""
    if not frame.startswith(PREAMBLE):
        raise FrameError("reply does not start with the preamble")
    if len(frame) < HEADER:
        raise LengthError(f"reply of {len(frame)} bytes is shorter than its header")
    length = int.from_bytes(frame[5:7], "big")
    if not MIN_REPLY_LEN <= length <= MAX_LEN:
        raise LengthError(f"reply length {length} out of range")
    if len(frame) != HEADER + length:
        raise LengthError(f"reply has {len(frame) - HEADER} bytes after LEN, LEN says {length}")
    if checksum(frame[5:-1]) != frame[-1]:
        raise ChecksumError(f"reply checksum {frame[-1]:02X}, expected {checksum(frame[5:-1]):02X}")
    return Reply(frame[7], frame[8], frame[9], frame[10:-1])


class FrameScanner:
    """Cuts reply frames out of a byte stream, resynchronising on the preamble after garbage.

    ``next_frame`` returns a whole frame, None when more bytes are needed, or raises a FrameError
    for a candidate with an impossible length or a wrong checksum; that candidate's first byte is
    dropped first, so the next call rescans just past it (a garbage preamble cannot hide a real frame).
    """

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def needed(self) -> int:
        """At least this many more bytes are needed before the next frame can be complete."""
        start = self._buffer.find(PREAMBLE)
        if start < 0:
            return HEADER
        available = len(self._buffer) - start
        if available < HEADER:
            return HEADER - available
        length = int.from_bytes(self._buffer[start + 5 : start + 7], "big")
        return max(1, HEADER + length - available)

    def next_frame(self) -> bytes | None:
        start = self._buffer.find(PREAMBLE)
        if start < 0:
            # keep a tail that may be the start of a preamble split across reads
            del self._buffer[: max(0, len(self._buffer) - (len(PREAMBLE) - 1))]
            return None
        del self._buffer[:start]
        if len(self._buffer) < HEADER:
            return None
        length = int.from_bytes(self._buffer[5:7], "big")
        if not MIN_REPLY_LEN <= length <= MAX_LEN:
            del self._buffer[:1]
            raise LengthError(f"frame length {length} out of range")
        if len(self._buffer) < HEADER + length:
            return None
        frame = bytes(self._buffer[: HEADER + length])
        if checksum(frame[5:-1]) != frame[-1]:
            del self._buffer[:1]
            raise ChecksumError(f"frame checksum {frame[-1]:02X}, expected {checksum(frame[5:-1]):02X}")
        del self._buffer[: len(frame)]
        return frame
