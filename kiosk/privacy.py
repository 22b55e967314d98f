"""Masking of personal data for receipts, screens after the fact, logs and CLI output.

Receipts follow the usual government forms: 张*明, 110101********123X, 138****5678.
"""

from __future__ import annotations

import hashlib


def mask_name(name: str) -> str:
    """张三 → 张*, 张小明 → 张*明, 欧阳小明 → 欧**明; Latin names keep the first letter of each word."""
    name = name.strip()
    if not name:
        return ""
    if name.isascii():
        return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(number: str) -> str:
    """110101199003071234 → 110101********1234; shorter numbers keep at most a third visible."""
    number = number.strip()
    if len(number) >= 15:
        return number[:6] + "*" * (len(number) - 10) + number[-4:]
    keep = len(number) // 3
    return number[:keep] + "*" * (len(number) - keep)


def mask_phone(phone: str) -> str:
    """13800138000 → 138****8000."""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def pseudonym(value: str, salt: str = "tongban") -> str:
    """A stable, non-reversible tag for correlating log lines about the same person."""
    return hashlib.sha256(f"{salt}:{value}".encode()).hexdigest()[:12]
