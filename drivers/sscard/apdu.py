"""The social-security card APDU sequence (DOMAIN.md §2), over any ``transmit`` function.

Nothing here knows PC/SC: ``transmit(apdu) -> response`` (data followed by SW1 SW2) can be a
pyscard card handle, or the virtual card's APDU handler called in-process. Status-word chaining
(61xx GET RESPONSE, 6Cxx resend with the right Le) lives in :func:`exchange`, so every command of
the sequence gets it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from drivers.contract import Code, DeviceError

Transmit = Callable[[bytes], bytes]

# "sx1.sh.社会保障" in GBK: the social security application's name.
APP_NAME = "sx1.sh.社会保障".encode("gbk")
SELECT_APP = bytes([0x00, 0xA4, 0x04, 0x00, len(APP_NAME)]) + APP_NAME
SELECT_EF05 = bytes.fromhex("00A4020002EF05")
SELECT_EF06 = bytes.fromhex("00A4020002EF06")

SW_OK = 0x9000
SW_NOT_FOUND = 0x6A82
SW_RECORD_NOT_FOUND = 0x6A83
MAX_CHAIN = 16  # a card answering 61xx forever must not keep the reader busy forever


@dataclass(frozen=True)
class Field:
    tag: int
    name: str
    length: int  # nominal value length from the spec; the card may disagree (6Cxx)
    required: bool = True


EF05_FIELDS = (
    Field(0x01, "card_id_code", 16),
    Field(0x02, "card_type", 1, required=False),
    Field(0x03, "card_version", 4),
    Field(0x04, "issuer", 12, required=False),
    Field(0x05, "issue_date", 4),
    Field(0x06, "valid_until", 4),
    Field(0x07, "card_number", 9),
)
EF06_FIELDS = (
    Field(0x08, "id_number", 18),
    Field(0x09, "name", 30),
    Field(0x0A, "sex", 1),
    Field(0x0B, "nation", 1, required=False),
    Field(0x0C, "birthplace", 3, required=False),
    Field(0x0D, "birth_date", 4),
)


def read_record(tag: int, le: int) -> bytes:
    """READ RECORD with P2=00: P1 is the record tag; the reply is ``tag len value``."""
    return bytes([0x00, 0xB2, tag, 0x00, le & 0xFF])


def get_response(le: int) -> bytes:
    return bytes([0x00, 0xC0, 0x00, 0x00, le & 0xFF])


def split_sw(response: bytes) -> tuple[bytes, int]:
    if len(response) < 2:
        raise DeviceError(Code.INVALID_DATA, f"response of {len(response)} bytes has no status word")
    return response[:-2], (response[-2] << 8) | response[-1]


def exchange(transmit: Transmit, apdu: bytes, check: Callable[[], None] = lambda: None) -> tuple[bytes, int]:
    """Send ``apdu``; follow 61xx with GET RESPONSE and resend on 6Cxx. Returns (data, final SW)."""
    data = bytearray()
    resent = False
    for _ in range(MAX_CHAIN):
        check()
        body, sw = split_sw(transmit(apdu))
        data += body
        if sw >> 8 == 0x61:
            apdu = get_response(sw & 0xFF)
            continue
        if sw >> 8 == 0x6C and not resent:
            apdu = apdu[:-1] + bytes([sw & 0xFF])
            resent = True
            continue
        return bytes(data), sw
    raise DeviceError(Code.INVALID_DATA, "card kept chaining responses")


def parse_record(tag: int, data: bytes) -> bytes:
    """``tag len value`` → value, checking the tag and that the length fits."""
    if len(data) < 2:
        raise DeviceError(Code.INVALID_DATA, f"record {tag:02X}: {len(data)} bytes, need tag and length")
    if data[0] != tag:
        raise DeviceError(Code.INVALID_DATA, f"record {tag:02X}: card answered tag {data[0]:02X}")
    length = data[1]
    if length > len(data) - 2:
        raise DeviceError(Code.INVALID_DATA, f"record {tag:02X}: length {length} exceeds {len(data) - 2} bytes")
    return data[2 : 2 + length]


def read_file(
    transmit: Transmit, select: bytes, fields: tuple[Field, ...], check: Callable[[], None]
) -> dict[str, bytes]:
    _, sw = exchange(transmit, select, check)
    if sw != SW_OK:
        raise DeviceError(Code.INVALID_DATA, f"select {select[-2:].hex().upper()} answered {sw:04X}")
    values: dict[str, bytes] = {}
    for f in fields:
        data, sw = exchange(transmit, read_record(f.tag, f.length + 2), check)
        if sw == SW_OK:
            values[f.name] = parse_record(f.tag, data)
        elif sw in (SW_RECORD_NOT_FOUND, SW_NOT_FOUND) and not f.required:
            continue
        else:
            raise DeviceError(Code.INVALID_DATA, f"read record {f.tag:02X} answered {sw:04X}")
    return values


def read_raw(transmit: Transmit, check: Callable[[], None] = lambda: None) -> dict[str, bytes]:
    """The whole §2 sequence: select the application (6A82: the region card has none, read EF05
    directly), then EF05 and EF06 record by record. Returns raw field values by name."""
    _, sw = exchange(transmit, SELECT_APP, check)
    if sw not in (SW_OK, SW_NOT_FOUND):
        raise DeviceError(Code.INVALID_DATA, f"not a social security card: application select answered {sw:04X}")
    values = read_file(transmit, SELECT_EF05, EF05_FIELDS, check)
    values.update(read_file(transmit, SELECT_EF06, EF06_FIELDS, check))
    return values
