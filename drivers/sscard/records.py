"""EF05/EF06 field values → the one :class:`~drivers.identity.Identity` model.

Dates are 4-byte BCD (YYYYMMDD), the name is GBK padded with 00/20/FF, the region code is the first
six hex digits of the card identification code. Anything malformed raises INVALID_DATA naming the
field (never its value: it is personal data).
"""

from __future__ import annotations

import datetime as dt

from drivers.contract import Code, DeviceError
from drivers.identity import NATIONS, CardType, Identity, Sex, Source, id_number_valid

_PAD = b"\x00\x20\xff"


def _bad(field: str, why: str) -> DeviceError:
    return DeviceError(Code.INVALID_DATA, f"{field}: {why}")


def bcd_digits(field: str, value: bytes, pad_ff: bool = False) -> str:
    """Packed BCD → digit string; with ``pad_ff`` trailing F nibbles are padding."""
    digits = value.hex().upper()
    if pad_ff:
        digits = digits.rstrip("F")
    if not digits.isdigit():
        raise _bad(field, "not BCD")
    return digits


def bcd_date(field: str, value: bytes) -> dt.date:
    if len(value) != 4:
        raise _bad(field, f"{len(value)} bytes, need 4")
    digits = bcd_digits(field, value)
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise _bad(field, "not a calendar date") from None


def ascii_text(field: str, value: bytes) -> str:
    text = value.rstrip(_PAD)
    if not text.isascii() or not text.decode().isprintable():
        raise _bad(field, "not printable ASCII")
    return text.decode()


def gbk_text(field: str, value: bytes) -> str:
    try:
        text = value.rstrip(_PAD).decode("gbk").strip()
    except UnicodeDecodeError:
        raise _bad(field, "not GBK") from None
    if not text or not text.isprintable():
        raise _bad(field, "empty or unprintable")
    return text


def to_identity(values: dict[str, bytes], today: dt.date | None = None) -> Identity:
    """Build the Identity from raw EF05/EF06 values (as returned by ``apdu.read_raw``)."""
    today = today or dt.date.today()
    card_id_code = values["card_id_code"].hex().upper()
    region_code = card_id_code[:6]
    if not region_code.isdigit():
        raise _bad("card_id_code", "region code is not a division code")
    version = ascii_text("card_version", values["card_version"])
    card_number = ascii_text("card_number", values["card_number"])
    if not card_number:
        raise _bad("card_number", "empty")
    issue_date = bcd_date("issue_date", values["issue_date"])
    valid_until = bcd_date("valid_until", values["valid_until"])
    id_number = ascii_text("id_number", values["id_number"]).upper()
    if not id_number_valid(id_number):
        raise _bad("id_number", "check digit or format wrong")
    name = gbk_text("name", values["name"])
    sex_code = ascii_text("sex", values["sex"])
    birth_date = bcd_date("birth_date", values["birth_date"])
    nation = None
    if "nation" in values:
        nation = NATIONS.get(f'{int(bcd_digits("nation", values["nation"])):02d}')
    warnings: list[str] = []
    if birth_date.strftime("%Y%m%d") != id_number[6:14]:
        warnings.append("birth_date_differs_from_id_number")
    if valid_until < today:
        warnings.append("card_expired")
    extra: dict[str, object] = {
        "card_number": card_number,
        "card_id_code": card_id_code,
        "card_version": version,
        "issue_date": issue_date.isoformat(),
        "valid_until": valid_until.isoformat(),
    }
    if "card_type" in values:
        extra["card_type_code"] = values["card_type"].hex().upper()
    if "issuer" in values:
        extra["issuer_code"] = values["issuer"].hex().upper()
    if "birthplace" in values:
        extra["birthplace"] = bcd_digits("birthplace", values["birthplace"], pad_ff=True)
    return Identity(
        source=Source.SOCIAL_SECURITY_CARD,
        card_type=CardType.SOCIAL_SECURITY,
        name=name,
        id_number=id_number,
        sex=Sex.from_code(sex_code),
        birth_date=birth_date,
        nation=nation,
        valid_from=issue_date,
        valid_to=valid_until,
        region_code=region_code,
        warnings=tuple(warnings),
        extra=extra,
    )
