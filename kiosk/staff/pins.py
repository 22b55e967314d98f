"""PIN and staff-card hashing.

PINs are stored only as argon2id hashes (argon2-cffi's defaults: 64 MiB, 3 passes); the parameters
travel inside each hash, so verification follows whatever the hash says. A staff card only
identifies its holder (its number is readable by any reader), so a plain domain-separated SHA-256
is enough to keep raw card numbers out of configuration; the PIN is what authenticates.
"""

from __future__ import annotations

import hashlib
import itertools
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PIN, MAX_PIN = 6, 12
_HASHER = PasswordHasher()  # argon2id by default
# Verified when nobody matches, so an unknown card or an empty staff list costs the same time as a wrong PIN.
# A fixed hash of "not-a-pin" with the hasher's parameters (a test checks they match): hashing it at import cost
# a quarter of a second of every start-up.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$FqPIHp9cqhTpTFnfQDWWmA$weojNwLfsoNROWj/DqKo6em3FkLseALTPi1qw0BmLEs"


class WeakPinError(ValueError):
    pass


def check_pin_policy(pin: str) -> None:
    """6–12 digits, not one repeated digit and not a straight run like 123456 or 987654."""
    if not re.fullmatch(rf"\d{{{MIN_PIN},{MAX_PIN}}}", pin):
        raise WeakPinError(f"a PIN is {MIN_PIN} to {MAX_PIN} digits")
    steps = {int(b) - int(a) for a, b in itertools.pairwise(pin)}
    if steps in ({0}, {1}, {-1}):
        raise WeakPinError("a PIN must not be one repeated digit or a straight run")


def hash_pin(pin: str, hasher: PasswordHasher = _HASHER) -> str:
    check_pin_policy(pin)
    return hasher.hash(pin)


def verify_pin(pin_hash: str | None, pin: str) -> bool:
    """True when ``pin`` matches; a malformed hash is a mismatch, never an exception."""
    try:
        return _HASHER.verify(pin_hash or _DUMMY_HASH, pin) and pin_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def hash_card(card_number: str) -> str:
    """The value to put in ``staff.members[].card_hash`` for a staff card number."""
    normalized = card_number.strip().upper()
    if not normalized:
        raise ValueError("empty card number")
    return hashlib.sha256(f"tongban-staff-card:{normalized}".encode()).hexdigest()
