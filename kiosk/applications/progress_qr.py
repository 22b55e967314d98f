"""The receipt's progress QR: ``tongban://progress?no=<application number>`` and/or ``&ref=<local reference>``.

The camera scans old receipts with it, so the parser is strict and total: anything that is not exactly this
format raises :class:`ProgressQrError` (a ``ValueError``), never anything else. Only ASCII is used, so the
payload prints in a native ESC/POS QR and survives every scanner. A receipt printed before the platform
answered carries only ``ref``; one printed after carries ``no`` (and ``ref`` when known), and a lookup
prefers the number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

PREFIX = "tongban://progress?"
MAX_LENGTH = 200
_NO = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{3,39}")  # platform application numbers, e.g. TB202603020000001
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{1,31}-[0-9]{6,12}")  # outbox references: <kiosk id>-<sequence>


class ProgressQrError(ValueError):
    pass


@dataclass(frozen=True)
class ProgressKey:
    application_no: str | None = None
    reference: str | None = None

    def __post_init__(self) -> None:
        if self.application_no is None and self.reference is None:
            raise ProgressQrError("a progress key needs an application number or a local reference")
        if self.application_no is not None and not _NO.fullmatch(self.application_no):
            raise ProgressQrError("not an application number")
        if self.reference is not None and not _REF.fullmatch(self.reference):
            raise ProgressQrError("not a local reference")


def format_progress_qr(application_no: str | None = None, reference: str | None = None) -> str:
    key = ProgressKey(application_no, reference)
    parts = []
    if key.application_no:
        parts.append(f"no={key.application_no}")
    if key.reference:
        parts.append(f"ref={key.reference}")
    return PREFIX + "&".join(parts)


def parse_progress_qr(text: str) -> ProgressKey:
    """The key a receipt QR carries; :class:`ProgressQrError` for anything else."""
    if not isinstance(text, str):
        raise ProgressQrError("not text")
    text = text.strip()
    if len(text) > MAX_LENGTH or not text.isascii():
        raise ProgressQrError("not a Tongban progress code")
    if not text.startswith(PREFIX):
        raise ProgressQrError("not a Tongban progress code")
    query = text[len(PREFIX) :]
    if not query or "#" in query:
        raise ProgressQrError("no number in the code")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True, max_num_fields=3)
    except ValueError:
        raise ProgressQrError("unreadable code") from None
    values: dict[str, str] = {}
    for name, value in pairs:
        if name not in ("no", "ref") or name in values:
            raise ProgressQrError(f"unexpected field {name[:10]!r}")
        values[name] = value
    return ProgressKey(values.get("no"), values.get("ref"))
