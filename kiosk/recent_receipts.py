"""Recent receipts for reprint (补打): the printed document as it went to paper, already masked, for a limited time.

Only the receipt's own masked content is kept — the title, sections of text/key–value/QR blocks and the footer —
never the session, the identity or a photo. A receipt whose text holds an unmasked ID or mobile number is refused
(``kiosk.audit.PersonalDataError``), so a caller that forgot to mask cannot leave personal data on disk. Files live
in ``<data-dir>/receipts/`` (mode 0600) and are deleted once older than ``keep_s`` (default 24 h).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drivers.printer.document import QR, Feed, KeyValue, Receipt, Rule, Section, Text
from kiosk import clock
from kiosk.atomic import write_atomic
from kiosk.audit import check_no_personal_data

FOLDER = "receipts"
REPRINT_MARK = "补打"
_REFERENCE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class KeptReceipt:
    reference: str  # application number or the kiosk's own client reference
    printed_at: float  # wall-clock seconds
    title: str


def to_json(receipt: Receipt) -> dict[str, Any]:
    """The receipt as plain data (no logo: it is the kiosk's own artwork, added again when printing)."""

    def block(b: Any) -> dict[str, Any]:
        if isinstance(b, Text):
            return {"t": "text", "text": b.text, "align": b.align, "bold": b.bold, "w": b.width, "h": b.height}
        if isinstance(b, KeyValue):
            return {"t": "kv", "key": b.key, "value": b.value, "bold": b.bold}
        if isinstance(b, Rule):
            return {"t": "rule", "char": b.char}
        if isinstance(b, QR):
            return {"t": "qr", "data": b.data, "module": b.module, "ec": b.ec, "caption": b.caption}
        if isinstance(b, Feed):
            return {"t": "feed", "lines": b.lines}
        raise TypeError(f"unknown receipt block {type(b).__name__}")

    return {
        "title": receipt.title,
        "sections": [{"heading": s.heading, "blocks": [block(b) for b in s.blocks]} for s in receipt.sections],
        "footer": list(receipt.footer),
    }


def from_json(data: dict[str, Any]) -> Receipt:
    def block(b: dict[str, Any]) -> Any:
        kind = b["t"]
        if kind == "text":
            return Text(b["text"], b["align"], b["bold"], b["w"], b["h"])
        if kind == "kv":
            return KeyValue(b["key"], b["value"], b["bold"])
        if kind == "rule":
            return Rule(b["char"])
        if kind == "qr":
            return QR(b["data"], b["module"], b["ec"], b["caption"])
        if kind == "feed":
            return Feed(b["lines"])
        raise ValueError(f"unknown receipt block {kind!r}")

    sections = [Section(s["heading"], [block(b) for b in s["blocks"]]) for s in data["sections"]]
    return Receipt(data["title"], sections, list(data["footer"]))


def reprint_copy(receipt: Receipt, printed_at: float) -> Receipt:
    """The same receipt marked 补打 in its title and in a first line that gives the original print time."""
    when = clock.stamp(printed_at)
    mark = Section("", [Text(f"【{REPRINT_MARK}】 原打印时间 {when}", align="center", bold=True)])
    return Receipt(f"{receipt.title}（{REPRINT_MARK}）", [mark, *receipt.sections], list(receipt.footer),
                   receipt.logo, receipt.cut)  # fmt: skip


class RecentReceipts:
    def __init__(self, data_dir: Path, keep_s: float = 24 * 3600, clock: Callable[[], float] = time.time) -> None:
        self.dir = Path(data_dir) / FOLDER
        self.keep_s = keep_s
        self._clock = clock

    def keep(self, reference: str, receipt: Receipt) -> None:
        """Remember a printed receipt (call after it printed). Refuses unmasked ID or mobile numbers."""
        if not _REFERENCE.match(reference):
            raise ValueError(f"receipt reference {reference!r} must be letters, digits, - or _")
        body = to_json(receipt)
        check_no_personal_data(body)
        record = {"reference": reference, "printed_at": self._clock(), "receipt": body}
        # whole or not at all: a full disk raises and leaves no half-written receipt behind
        write_atomic(self.dir / f"{reference}.json", json.dumps(record, ensure_ascii=False).encode(), mode=0o600)
        self.purge()

    def recent(self) -> list[KeptReceipt]:
        """Receipts still kept, newest first (expired ones are deleted on the way)."""
        self.purge()
        kept = []
        for path in self.dir.glob("*.json") if self.dir.exists() else ():
            record = self._read(path)
            if record is not None:
                kept.append(KeptReceipt(record["reference"], record["printed_at"], record["receipt"]["title"]))
        return sorted(kept, key=lambda k: k.printed_at, reverse=True)

    def reprint(self, reference: str) -> Receipt:
        """The kept receipt marked 补打; KeyError when it is unknown or expired."""
        if not _REFERENCE.match(reference):
            raise KeyError(reference)
        record = self._read(self.dir / f"{reference}.json")
        if record is None or self._clock() - record["printed_at"] > self.keep_s:
            raise KeyError(reference)
        return reprint_copy(from_json(record["receipt"]), record["printed_at"])

    def purge(self) -> int:
        """Delete receipts older than ``keep_s`` (and unreadable files); returns how many went."""
        if not self.dir.exists():
            return 0
        gone = 0
        for path in self.dir.glob("*.json"):
            record = self._read(path)
            if record is None or self._clock() - record["printed_at"] > self.keep_s:
                path.unlink(missing_ok=True)
                gone += 1
        return gone

    @staticmethod
    def _read(path: Path) -> dict[str, Any] | None:
        try:
            record = json.loads(path.read_text("utf-8"))
            float(record["printed_at"])
            record["receipt"]["title"]
            return record
        except (OSError, ValueError, KeyError, TypeError):
            return None
