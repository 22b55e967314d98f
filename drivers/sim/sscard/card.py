"""The virtual social-security card's file system and APDU handler.

Builds its records from a deck entry on its own (BCD, GBK, ASCII), independently of the driver's
parser, and answers ISO 7816-4 commands the way the domain notes describe. Card-level faults:

- ``select-6a82``: a region card without the social security application (6A82 to the select;
  EF05/EF06 are selectable directly).
- ``chaining``: every answer with data comes back as 61xx, at most 16 bytes per GET RESPONSE.
- ``le-mismatch``: the issuer wrote a 32-byte name record, so READ RECORD with Le 32 gets 6C22.

``CardApplet.process(apdu) -> response`` can be called in-process (transport-level tests) or behind
the vpcd socket (``vpcd.VirtualCard``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DECK = Path(__file__).with_name("deck.json")
CARD_FAULTS = ("select-6a82", "chaining", "le-mismatch")
# Faults handled by the socket side / the environment rather than the applet.
TRANSPORT_FAULTS = ("pulled", "mute", "pcscd-restart")
FAULTS = CARD_FAULTS + TRANSPORT_FAULTS

AID = bytes.fromhex("7378312E73682EC9E7BBE1B1A3D5CF")  # "sx1.sh.社会保障", GBK, as in DOMAIN.md §2
CHUNK = 16  # bytes per GET RESPONSE when chaining


def _bcd(digits: str) -> bytes:
    if len(digits) % 2:
        digits += "F"
    return bytes(int(digits[i], 16) << 4 | int(digits[i + 1], 16) for i in range(0, len(digits), 2))


def _date(iso: str) -> bytes:
    return _bcd(iso.replace("-", ""))


def _padded(data: bytes, size: int, pad: int = 0x00) -> bytes:
    return data[:size] + bytes([pad]) * max(0, size - len(data))


@dataclass
class CardData:
    """One deck entry, as the card's two files of tagged records."""

    card_id: str
    ef05: dict[int, bytes]
    ef06: dict[int, bytes]
    faults: tuple[str, ...] = ()
    entry: dict = field(default_factory=dict)

    @classmethod
    def from_entry(cls, entry: dict, extra_faults: tuple[str, ...] = ()) -> CardData:
        faults = tuple(dict.fromkeys((*entry.get("faults", ()), *extra_faults)))
        unknown = [f for f in faults if f not in FAULTS]
        if unknown:
            raise ValueError(f"unknown fault(s) {unknown}; known: {', '.join(FAULTS)}")
        name_size = 32 if "le-mismatch" in faults else 30
        ef05 = {
            0x01: bytes.fromhex(entry["card_id_code"]),
            0x02: bytes.fromhex(entry["card_type"]),
            0x03: entry["version"].encode("ascii"),
            0x04: bytes.fromhex(entry["issuer"]),
            0x05: _date(entry["issue_date"]),
            0x06: _date(entry["valid_until"]),
            0x07: entry["card_number"].encode("ascii"),
        }
        ef06 = {
            0x08: entry["id_number"].encode("ascii"),
            0x09: _padded(entry["name"].encode("gbk"), name_size),
            0x0A: entry["sex"].encode("ascii"),
            0x0B: _bcd(entry["nation"]),
            0x0C: _padded(_bcd(entry["birthplace"]), 3, 0xFF),
            0x0D: _date(entry["birth_date"]),
        }
        return cls(entry["id"], ef05, ef06, faults, entry)


def load_deck(path: str | Path | None = None) -> dict[str, dict]:
    """Deck entries by card id."""
    data = json.loads(Path(path or DEFAULT_DECK).read_text(encoding="utf-8"))
    return {entry["id"]: entry for entry in data["cards"]}


def _sw(sw: int, data: bytes = b"") -> bytes:
    return data + bytes([sw >> 8, sw & 0xFF])


class CardApplet:
    """ISO 7816-4 subset: SELECT by name / by file id, READ RECORD by tag or number, GET RESPONSE."""

    def __init__(self, card: CardData) -> None:
        self.card = card
        self.log: list[bytes] = []  # every command APDU received, for tests
        self.reset()

    def reset(self) -> None:
        """Power cycle: nothing selected, nothing pending."""
        self._app_selected = False
        self._file: dict[int, bytes] | None = None
        self._pending = b""

    def process(self, apdu: bytes) -> bytes:
        self.log.append(bytes(apdu))
        if len(apdu) < 4:
            return _sw(0x6700)
        cla, ins, p1, p2 = apdu[:4]
        if cla != 0x00:
            return _sw(0x6E00)
        if ins != 0xC0:
            self._pending = b""  # any other command ends a pending chain
        body = apdu[5 : 5 + apdu[4]] if len(apdu) > 5 else b""
        le = apdu[4] if len(apdu) == 5 else None
        if ins == 0xA4:
            return self._select(p1, body)
        if ins == 0xB2:
            return self._read_record(p1, p2, le)
        if ins == 0xC0:
            return self._get_response(le or 0)
        return _sw(0x6D00)

    def _answer(self, data: bytes) -> bytes:
        if "chaining" in self.card.faults and data:
            self._pending = data
            return _sw(0x6100 | min(len(data), CHUNK))
        return _sw(0x9000, data)

    def _select(self, p1: int, body: bytes) -> bytes:
        if p1 == 0x04:
            if body != AID or "select-6a82" in self.card.faults:
                return _sw(0x6A82)
            self._app_selected = True
            self._file = None
            fci = bytes([0x6F, 2 + len(AID), 0x84, len(AID)]) + AID
            return self._answer(fci)
        if p1 == 0x02:
            # Inside the application only, except on region cards that have no application.
            if not self._app_selected and "select-6a82" not in self.card.faults:
                return _sw(0x6A82)
            files = {b"\xef\x05": self.card.ef05, b"\xef\x06": self.card.ef06}
            if body not in files:
                return _sw(0x6A82)
            self._file = files[body]
            return _sw(0x9000)
        return _sw(0x6A86)

    def _read_record(self, p1: int, p2: int, le: int | None) -> bytes:
        if self._file is None:
            return _sw(0x6986)
        if p2 == 0x00:
            tag = p1
        elif p2 == 0x04 and 1 <= p1 <= len(self._file):
            tag = sorted(self._file)[p1 - 1]
        else:
            return _sw(0x6A83)
        if tag not in self._file:
            return _sw(0x6A83)
        value = self._file[tag]
        record = bytes([tag, len(value)]) + value
        if le not in (None, 0, len(record)):
            return _sw(0x6C00 | len(record))
        return self._answer(record)

    def _get_response(self, le: int) -> bytes:
        if not self._pending:
            return _sw(0x6985)
        size = le or 256
        chunk, self._pending = self._pending[:size], self._pending[size:]
        if self._pending:
            return _sw(0x6100 | min(len(self._pending), CHUNK), chunk)
        return _sw(0x9000, chunk)
