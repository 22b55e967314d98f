"""Decoding of the read reply: the 256-byte UCS-2LE text block of all four card types, photo and fingerprint.

Offsets are byte offsets inside the text block, as in the domain notes (§1). Every field is decoded
on its own so that a stray surrogate cannot shift the fields after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from drivers.idcard.errors import CardDataError
from drivers.idcard.tables import PROVINCES
from drivers.identity import NATIONS, CardType, Identity, Sex, Source, check_digit

TEXT_LEN = 256
PHOTO_LEN = 1024
FINGERPRINT_LEN = 1024
NO_EXPIRY = "长期"
_SEX_CODES = {"0": Sex.UNKNOWN, "1": Sex.MALE, "2": Sex.FEMALE, "9": Sex.UNSPECIFIED}
_MARKERS = {"J": CardType.HMT_PERMIT, "I": CardType.FOREIGN_PERMANENT_2017, "Y": CardType.FOREIGN_PERMANENT_2023}

RegionCheck = Callable[[str], bool]


def split_read_data(data: bytes, fingerprint: bool = False) -> tuple[bytes, bytes, bytes | None]:
    """Split the data of a 30 01 / 30 10 reply into (text, photo, fingerprint)."""
    heads = 6 if fingerprint else 4
    if len(data) < heads:
        raise CardDataError(f"read reply data of {len(data)} bytes is too short")
    text_len = int.from_bytes(data[0:2], "big")
    photo_len = int.from_bytes(data[2:4], "big")
    finger_len = int.from_bytes(data[4:6], "big") if fingerprint else 0
    if text_len != TEXT_LEN or photo_len > PHOTO_LEN or finger_len > FINGERPRINT_LEN:
        raise CardDataError(f"block lengths {text_len}/{photo_len}/{finger_len} not as specified")
    if len(data) != heads + text_len + photo_len + finger_len:
        raise CardDataError(f"read reply data is {len(data)} bytes, the block lengths add up differently")
    text = data[heads : heads + text_len]
    photo = data[heads + text_len : heads + text_len + photo_len]
    finger = data[heads + text_len + photo_len :] if fingerprint else None
    return text, photo, finger


class _Fields:
    """Field access by byte range with per-field decoding; collects warnings."""

    def __init__(self, text: bytes) -> None:
        if len(text) != TEXT_LEN:
            raise CardDataError(f"text block is {len(text)} bytes, not {TEXT_LEN}")
        self.text = text
        self.warnings: list[str] = []

    def get(self, first: int, last: int) -> str:
        try:
            value = self.text[first : last + 1].decode("utf-16-le")
        except UnicodeDecodeError:
            raise CardDataError(f"text bytes {first}-{last} are not UCS-2") from None
        return value.strip(" \x00\u3000")

    def required(self, first: int, last: int, label: str) -> str:
        value = self.get(first, last)
        if not value:
            raise CardDataError(f"{label} is empty")
        return value

    def date(self, first: int, last: int, label: str) -> dt.date:
        value = self.get(first, last)
        if len(value) != 8 or not value.isdigit() or not value.isascii():
            raise CardDataError(f"{label} is not a YYYYMMDD date")
        try:
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            raise CardDataError(f"{label} is not a calendar date") from None

    def expiry(self, first: int, last: int) -> dt.date | None:
        return None if self.get(first, last) == NO_EXPIRY else self.date(first, last, "valid-to date")

    def sex(self, first: int, last: int) -> Sex:
        code = self.get(first, last)
        if code not in _SEX_CODES:
            self.warnings.append("unknown sex code")
            return Sex.UNKNOWN
        return _SEX_CODES[code]

    def count(self, first: int, last: int, label: str) -> int | None:
        value = self.get(first, last)
        if not value:
            return None
        if not (value.isdigit() and value.isascii()):
            self.warnings.append(f"{label} is not a number")
            return None
        return int(value)

    def optional(self, first: int, last: int) -> str | None:
        return self.get(first, last) or None


def card_type_of(text: bytes) -> CardType:
    """The card type from the marker at offset 248 (space or NUL on resident cards)."""
    marker = _Fields(text).get(248, 249)
    if not marker:
        return CardType.RESIDENT
    if marker not in _MARKERS:
        raise CardDataError("unknown card-type marker")
    return _MARKERS[marker]


def decode_text(text: bytes, photo: bytes | None = None, known_region: RegionCheck | None = None) -> Identity:
    """Decode a text block into an Identity; a malformed block or a wrong check digit raises CardDataError.

    ``known_region(code6)`` may say whether a six-digit division code exists; without it only the
    province is checked. An unknown region is a warning on the Identity, never a rejection.
    """
    card_type = card_type_of(text)
    fields = _Fields(text)
    decoder = {
        CardType.RESIDENT: _resident,
        CardType.HMT_PERMIT: _hmt_permit,
        CardType.FOREIGN_PERMANENT_2017: _foreign_2017,
        CardType.FOREIGN_PERMANENT_2023: _foreign_2023,
    }[card_type]
    values = decoder(fields, known_region)
    return Identity(
        source=Source.ID_CARD, card_type=card_type, photo=photo, warnings=tuple(fields.warnings), **values
    )


def _checked_number(fields: _Fields, first: int, last: int, prefixes: tuple[str, ...]) -> str:
    number = fields.get(first, last).upper()
    if len(number) != 18 or not number[:17].isdigit() or not number[:17].isascii():
        raise CardDataError("ID number is not 17 digits and a check character")
    if check_digit(number[:17]) != number[17]:
        raise CardDataError("ID number check digit is wrong")
    if prefixes and not number.startswith(prefixes):
        fields.warnings.append("ID number prefix does not match the card type")
    return number


def _check_region(fields: _Fields, code: str, known_region: RegionCheck | None) -> None:
    if code[:2] not in PROVINCES or (known_region is not None and not known_region(code)):
        fields.warnings.append(f"unknown region code {code}")


def _check_birth(fields: _Fields, number: str, birth: dt.date) -> None:
    if number[6:14] != birth.strftime("%Y%m%d"):
        fields.warnings.append("birth date differs from the one in the ID number")


def _resident(fields: _Fields, known_region: RegionCheck | None) -> dict[str, Any]:
    number = _checked_number(fields, 122, 157, ())
    if number.startswith("9"):
        fields.warnings.append("9-prefixed number on a resident card")
    _check_region(fields, number[:6], known_region)
    birth = fields.date(36, 51, "birth date")
    _check_birth(fields, number, birth)
    nation_code = fields.get(32, 35)
    if nation_code not in NATIONS:
        fields.warnings.append("unknown nation code")
    return {
        "name": fields.required(0, 29, "name"),
        "sex": fields.sex(30, 31),
        "nation": NATIONS.get(nation_code),
        "nationality": "CHN",
        "birth_date": birth,
        "address": fields.optional(52, 121),
        "id_number": number,
        "authority": fields.optional(158, 187),
        "valid_from": fields.date(188, 203, "valid-from date"),
        "valid_to": fields.expiry(204, 219),
        "region_code": number[:6],
    }


def _hmt_permit(fields: _Fields, known_region: RegionCheck | None) -> dict[str, Any]:
    number = _checked_number(fields, 122, 157, ("810000", "820000", "830000"))
    birth = fields.date(36, 51, "birth date")
    _check_birth(fields, number, birth)
    return {
        "name": fields.required(0, 29, "name"),
        "sex": fields.sex(30, 31),
        "nationality": "CHN",
        "birth_date": birth,
        "address": fields.optional(52, 121),
        "id_number": number,
        "authority": fields.optional(158, 187),
        "valid_from": fields.date(188, 203, "valid-from date"),
        "valid_to": fields.expiry(204, 219),
        "permit_number": fields.optional(220, 237),
        "issue_count": fields.count(238, 241, "issue count"),
    }


def _foreign_2017(fields: _Fields, known_region: RegionCheck | None) -> dict[str, Any]:
    number = fields.get(122, 151).upper()
    if len(number) != 15 or not (number.isascii() and number.isalnum()):
        raise CardDataError("card number is not 15 letters and digits")
    name_en = fields.optional(0, 119)
    name_zh = fields.optional(158, 187)
    if not (name_en or name_zh):
        raise CardDataError("name is empty")
    version = fields.optional(236, 239)
    return {
        "name": name_zh or name_en,
        "name_en": name_en,
        "sex": fields.sex(120, 121),
        "id_number": number,
        "nationality": fields.optional(152, 157),
        "valid_from": fields.date(188, 203, "valid-from date"),
        "valid_to": fields.expiry(204, 219),
        "birth_date": fields.date(220, 235, "birth date"),
        "authority": fields.optional(240, 247),
        "extra": {"card_version": version} if version else {},
    }


def _foreign_2023(fields: _Fields, known_region: RegionCheck | None) -> dict[str, Any]:
    number = _checked_number(fields, 122, 157, ("9",))
    if number[1:3] not in PROVINCES:
        fields.warnings.append(f"unknown province code {number[1:3]}")
    birth = fields.date(36, 51, "birth date")
    _check_birth(fields, number, birth)
    # The English name runs over two fields; join before trimming so a space at the seam survives.
    try:
        name_en = (fields.text[52:122] + fields.text[220:242]).decode("utf-16-le").strip(" \x00\u3000")
    except UnicodeDecodeError:
        raise CardDataError("English name is not UCS-2") from None
    name_zh = fields.optional(0, 29)
    if not (name_zh or name_en):
        raise CardDataError("name is empty")
    return {
        "name": name_zh or name_en,
        "name_en": name_en or None,
        "sex": fields.sex(30, 31),
        "renewal_count": fields.count(32, 35, "renewal count"),
        "birth_date": birth,
        "id_number": number,
        "authority": fields.optional(158, 187),
        "valid_from": fields.date(188, 203, "valid-from date"),
        "valid_to": fields.expiry(204, 219),
        "nationality": fields.optional(242, 247),
        "old_card_number": fields.optional(250, 255),
    }
