"""The simulator's card deck and its own text-block encoder (written apart from the driver's decoder).

Layouts are written as runs of (field, width in characters) that must add up to 128 UCS-2
characters, the opposite way round from the driver's byte offsets, so a slip in either shows up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DECK_PATH = Path(__file__).with_name("deck.json")
PHOTO_BYTES = 1024

# "=X" is a constant character (the card-type marker); "" is reserved space.
LAYOUTS: dict[str, list[tuple[str, int]]] = {
    "resident": [
        ("name", 15), ("sex", 1), ("nation", 2), ("birth", 8), ("address", 35), ("id_number", 18),
        ("authority", 15), ("valid_from", 8), ("valid_to", 8), ("", 18),
    ],
    "hmt_permit": [
        ("name", 15), ("sex", 1), ("", 2), ("birth", 8), ("address", 35), ("id_number", 18),
        ("authority", 15), ("valid_from", 8), ("valid_to", 8), ("permit_number", 9), ("issue_count", 2),
        ("", 3), ("=J", 1), ("", 3),
    ],
    "foreign_permanent_2017": [
        ("name_en", 60), ("sex", 1), ("id_number", 15), ("nationality", 3), ("name", 15), ("valid_from", 8),
        ("valid_to", 8), ("birth", 8), ("version", 2), ("authority", 4), ("=I", 1), ("", 3),
    ],
    "foreign_permanent_2023": [
        ("name", 15), ("sex", 1), ("renewal_count", 2), ("birth", 8), ("name_en", 35), ("id_number", 18),
        ("authority", 15), ("valid_from", 8), ("valid_to", 8), ("name_en_more", 11), ("nationality", 3),
        ("=Y", 1), ("old_card_number", 3),
    ],
}  # fmt: skip


def encode_text(card_type: str, fields: dict[str, str]) -> bytes:
    """The 256-byte UCS-2LE text block of a card; values longer than their field are a deck error."""
    if card_type not in LAYOUTS:
        raise ValueError(f"unknown card type {card_type!r}")
    values = dict(fields)
    if card_type == "foreign_permanent_2023":  # the English name continues in a second field
        name_en = values.get("name_en", "")
        values["name_en"], values["name_en_more"] = name_en[:35], name_en[35:]
    chars = []
    for key, width in LAYOUTS[card_type]:
        value = key[1:] if key.startswith("=") else str(values.get(key, "")) if key else ""
        if len(value) > width:
            raise ValueError(f"{key} {value!r} is longer than {width} characters")
        chars.append(value + " " * (width - len(value)))
    text = "".join(chars)
    if len(text) != 128:
        raise AssertionError(f"{card_type} layout has {len(text)} characters")
    return text.encode("utf-16-le")


@dataclass
class SimCard:
    id: str
    type: str
    fields: dict[str, str]
    photo: bytes = field(repr=False, default=bytes(PHOTO_BYTES))

    @property
    def text(self) -> bytes:
        return encode_text(self.type, self.fields)

    @classmethod
    def from_dict(cls, entry: dict[str, Any], base: Path) -> SimCard:
        entry = dict(entry)
        card_id, card_type = entry.pop("id"), entry.pop("type")
        photo_file = entry.pop("photo", None)
        photo = bytes(PHOTO_BYTES)
        if photo_file:
            jpeg = (base / photo_file).read_bytes()
            if len(jpeg) > PHOTO_BYTES:
                raise ValueError(f"{photo_file} is {len(jpeg)} bytes; the card holds {PHOTO_BYTES}")
            photo = jpeg + bytes(PHOTO_BYTES - len(jpeg))
        card = cls(card_id, card_type, {k: str(v) for k, v in entry.items()}, photo)
        card.text  # noqa: B018 - encode once now so a bad deck fails at load, not at the first read
        return card


def load_deck(path: str | Path | None = None) -> list[SimCard]:
    """Cards from a deck JSON file (``{"cards": [...]}``); photos are JPEG paths relative to it."""
    deck_path = Path(path) if path else DECK_PATH
    data = json.loads(deck_path.read_text(encoding="utf-8"))
    return [SimCard.from_dict(entry, deck_path.parent) for entry in data["cards"]]
