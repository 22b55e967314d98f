"""The receipt's progress QR: ``<platform.progress_url>?no=<application number>&ref=<local reference>``.

``platform.progress_url`` is the platform's public https page for progress (the simulator serves it at
``/progress``), so a resident's phone opens it; receipts printed before it existed carry
``tongban://progress?no=…&ref=…``, which the kiosk's camera still reads. The parser is strict and total:
anything else raises :class:`ProgressQrError` (a ``ValueError``), never anything else. Only ASCII is used, so
the payload prints in a native ESC/POS QR and survives every scanner. A receipt printed before the platform
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


def format_progress_qr(application_no: str | None = None, reference: str | None = None, base_url: str = "") -> str:
    """The QR payload: ``base_url?no=…&ref=…`` (an https page), or the ``tongban://`` form without one."""
    key = ProgressKey(application_no, reference)
    parts = []
    if key.application_no:
        parts.append(f"no={key.application_no}")
    if key.reference:
        parts.append(f"ref={key.reference}")
    return (base_url + "?" if base_url else PREFIX) + "&".join(parts)


def _is_page_url(base: str) -> bool:
    """An https URL without query, fragment, spaces or user info (a receipt's progress page)."""
    if not base.startswith("https://") or any(c in base for c in "?#@ \\"):
        return False
    host = base[len("https://") :]
    return bool(host) and not host.startswith("/")


def parse_progress_qr(text: str, page_url: str | None = None) -> ProgressKey:
    """The key a receipt QR carries; :class:`ProgressQrError` for anything else. With ``page_url`` (the
    configured ``platform.progress_url``) an https code must be that page's; without it any https page is
    taken (support tools reading receipts of other kiosks)."""
    if not isinstance(text, str):
        raise ProgressQrError("not text")
    text = text.strip()
    if len(text) > MAX_LENGTH or not text.isascii():
        raise ProgressQrError("not a Tongban progress code")
    if text.startswith(PREFIX):
        query = text[len(PREFIX) :]
    else:
        base, mark, query = text.partition("?")
        if not mark or not _is_page_url(base) or (page_url is not None and base != page_url):
            raise ProgressQrError("not a Tongban progress code")
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
