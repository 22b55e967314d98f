"""How each application-form field is filled with the least typing (docs/input.md): values the card already
holds, one-touch suggestions, pick lists for enumerable values, a digit pad for numbers, and Chinese text
input only when nothing else can do.

UI-free: the form screen asks ``input_kind`` which keyboard to show and ``suggestions`` what to offer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Protocol

# Field types typed on the digit pad, with the one extra key each needs (X ends some ID numbers).
DIGIT_EXTRA = {"phone": "", "number": ".", "bank_account": "", "id_number": "X"}

# Keys whose value is the applicant's own name or the registered (户籍) address printed on the ID card:
# filled in from the card. Other names (a child's, a spouse's) and the current address are not the card's.
NAME_KEYS = frozenset({"name", "applicant_name"})
REGISTERED_ADDRESS_KEYS = frozenset({"registered_address", "household_address", "from_address"})


class CardHolder(Protocol):  # read-only: drivers.identity.Identity is frozen
    @property
    def name(self) -> str: ...
    @property
    def id_number(self) -> str: ...
    @property
    def address(self) -> str | None: ...


class FieldSpec(Protocol):
    key: str
    type: Any
    options: tuple[str, ...]


YES_NO = ("是", "否")  # the two answers a boolean field stores (and the platform reads)

def input_kind(field_type: str) -> str:
    """"digits", "options" (choice, yes/no), "date" (a date picker) or "chinese" (handwriting, pinyin)."""
    if field_type in DIGIT_EXTRA:
        return "digits"
    if field_type in ("choice", "boolean"):
        return "options"
    if field_type == "date":
        return "date"
    return "chinese"


def options(spec: FieldSpec) -> tuple[str, ...]:
    return tuple(spec.options) if str(spec.type) == "choice" else YES_NO if str(spec.type) == "boolean" else ()


def is_address(spec: FieldSpec) -> bool:
    return str(spec.type) in ("text", "textarea") and "address" in spec.key


def prefill(fields: Iterable[FieldSpec], holder: CardHolder | None, form: dict[str, Any]) -> None:
    """Fill empty fields the card answers: the ID number, the applicant's name, the registered address."""
    if holder is None:
        return
    for spec in fields:
        if form.get(spec.key):
            continue
        if str(spec.type) == "id_number" and spec.key in ("id_number", "applicant_id"):
            form[spec.key] = holder.id_number
        elif spec.key in NAME_KEYS:
            form[spec.key] = holder.name
        elif spec.key in REGISTERED_ADDRESS_KEYS and holder.address:
            form[spec.key] = holder.address


def suggestions(spec: FieldSpec, holder: CardHolder | None) -> list[str]:
    """One-touch values for a text field: the ID card's address for any address field."""
    if holder is not None and holder.address and is_address(spec):
        return [holder.address]
    return []


def decades(today: dt.date, oldest: int = 1900) -> list[int]:
    """First years of the decades a date picker offers, newest first (a birth date is a few touches away)."""
    return list(range(today.year // 10 * 10, oldest - 1, -10))


def days_in_month(year: int, month: int) -> int:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day
