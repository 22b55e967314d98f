"""What stays of an application once it is queued: masked, for the receipt and the screen.

A :class:`Submission` holds no unmasked personal data, so it may outlive the resident's session (a reprint,
the "done" screen). The outbox's delivery callback fills in the platform's application number.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.applications.progress_qr import format_progress_qr

_DIVISION_CODE = re.compile(r"\d{6}")


def is_office_name(handling_org: str | None) -> bool:
    """Whether the platform's ``handling_org`` names an office a resident can find. A bare division code
    ("330199 政务服务中心") is not one: the routed office's name stays on the receipt and the screen."""
    return bool(handling_org and handling_org.strip() and not _DIVISION_CODE.search(handling_org))


@dataclass(frozen=True)
class MaterialLine:
    name: str
    status: str  # MaterialStatus value (the receipt words it: kiosk.applications.receipt.MATERIAL_STATES)


@dataclass
class Submission:
    reference: str  # the outbox's local reference (client_reference), printed until the platform answers
    submitted_at: dt.datetime
    title: str  # the item's or the bundle's name
    item_names: tuple[str, ...]
    is_bundle: bool
    applicant_name: str  # masked
    applicant_id: str  # masked
    agent_name: str | None  # masked
    agent_id: str | None
    office: str  # handling office (routed); replaced by the platform's handling_org once delivered
    route_kind: str
    materials: tuple[MaterialLine, ...]
    promised_by: dt.date
    approximate: bool  # counted with plain weekdays or a provisional table: print "约"
    immediate: bool  # 即办件
    next_steps: tuple[str, ...]
    consult_phone: str
    application_no: str | None = None
    progress_url: str = ""  # platform.progress_url: the QR opens this page (tongban:// when empty)
    platform_promised_by: dt.date | None = None
    state: str = "queued"  # queued → delivered | failed (kept for staff)
    kiosk_id: str | None = None  # the terminal whose outbox issued the reference (终端编号 on the receipt)
    _listeners: list[Callable[[Submission], None]] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def number(self) -> str:
        """What the resident quotes: the application number, else the local reference."""
        return self.application_no or self.reference

    @property
    def progress_qr(self) -> str:
        return format_progress_qr(self.application_no, self.reference, self.progress_url)

    def on_change(self, callback: Callable[[Submission], None]) -> None:
        """Called (on the outbox's thread) when the platform's answer arrives or delivery failed for good."""
        with self._lock:
            self._listeners.append(callback)

    def delivered(self, application_no: str, handling_org: str | None, promised_by: str | None) -> None:
        with self._lock:
            self.application_no, self.state = application_no, "delivered"
            if handling_org is not None and is_office_name(handling_org):
                self.office = handling_org
            if promised_by:
                self.platform_promised_by = dt.date.fromisoformat(promised_by)
            listeners = list(self._listeners)
        for callback in listeners:
            callback(self)

    def failed(self) -> None:
        with self._lock:
            self.state = "failed"
            listeners = list(self._listeners)
        for callback in listeners:
            callback(self)
