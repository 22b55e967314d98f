"""Progress lookup: type the application number on a digit keypad, or show an old receipt's QR to the camera;
the answer is a timeline. No session and no identity are needed."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from kiosk.applications import ProgressQrError, parse_progress_qr
from kiosk.i18n import N_
from screens.widgets import KioskScreen

PREFIX = "TB"  # platform application numbers: TB + date + sequence
STATUS_WORDS = {
    "accepted": N_("Accepted"),
    "in_review": N_("In review"),
    "need_more": N_("More materials needed"),
    "approved": N_("Approved"),
    "rejected": N_("Not approved"),
    "completed": N_("Completed"),
    "queued": N_("Waiting to be sent"),
}


def number_from_qr(text: str) -> str | None:
    """What a receipt QR (``kiosk.applications.parse_progress_qr``) points at: the application number, else the
    local reference of an application printed before the platform answered; None when it is not ours."""
    try:
        key = parse_progress_qr(text)
    except ProgressQrError:
        return None
    return key.application_no or key.reference


class ProgressScreen(KioskScreen):
    digits: str = StringProperty("")
    message: str = StringProperty("")
    scanning: bool = BooleanProperty(False)
    can_scan: bool = BooleanProperty(False)

    def __init__(self, **kwargs) -> None:
        super().__init__(prompt="Type the number on your receipt, or show its QR code to the camera", **kwargs)

    def on_pre_enter(self, *_args: object) -> None:
        self.can_scan = self.journey.ready("camera", "qr")

    def on_leave(self, *_args: object) -> None:
        self.stop_scan()

    def on_key(self, key: str) -> None:
        if key == "backspace":
            self.digits = self.digits[:-1]
        elif key == "clear":
            self.digits = ""
        elif len(self.digits) < 20:
            self.digits += key

    def look_up(self, number: str | None = None) -> None:
        number = number or (PREFIX + self.digits)
        if len(number) < 6:
            self.message = self.app.core.t("Please type the whole number")
            return
        self.message = self.app.core.t("Looking it up…")
        self.ids.timeline.clear_widgets()
        self.journey.lookup(number, lambda lookup: self.app.on_ui_thread(lambda: self.show(number, lookup)))

    def show(self, number: str, lookup) -> None:
        """A ``kiosk.applications.Lookup``: a timeline from the platform, or why there is none (its message)."""
        t = self.app.core.t
        box = self.ids.timeline
        box.clear_widgets()
        if lookup.state == "unavailable":
            self.message = t("The service platform cannot be reached right now. Please try again later.")
            return
        if lookup.state == "not_found":
            self.message = t("No application with the number {number}").format(number=number)
            return
        if lookup.state == "queued":
            self.message = t("{number}: {status}").format(number=number, status=t(STATUS_WORDS["queued"]))
            return
        view = lookup.progress
        if view is None:  # failed delivery (kept for staff) or a malformed number: the lookup says it in words
            self.message = lookup.message
            return
        self.message = t("{number}: {status}").format(number=view.application_no,
                                                       status=t(STATUS_WORDS.get(view.status, view.status)))
        for entry in view.history:
            box.add_widget(Factory.TimelineRow(when=entry.at.strftime("%Y-%m-%d %H:%M"),
                                               what=t(STATUS_WORDS.get(entry.status, entry.status)), note=entry.note))
        if view.promised_by:
            box.add_widget(Factory.TimelineRow(when=view.promised_by.isoformat(), what=t("Promised by"), note=""))

    def start_scan(self) -> None:
        if not self.can_scan:
            self.message = self.app.core.t("The camera is not available. Please type the number.")
            return
        self.scanning = True
        self.message = self.app.core.t("Hold the receipt's QR code in front of the camera")
        self.journey.scan_receipt_qr()

    def on_journey(self, payload: dict[str, Any]) -> None:
        if payload.get("what") == "receipt_qr" and self.scanning:
            self._scanned(list(payload.get("texts") or []))
        elif payload.get("what") == "devices":
            self.can_scan = self.journey.ready("camera", "qr")

    def _scanned(self, texts: list[str]) -> None:
        self.scanning = False
        if not texts:
            self.message = self.app.core.t("No code was seen. Please try again or type the number.")
            return
        for text in texts:
            number = number_from_qr(text)
            if number:
                self.look_up(number)
                return
        self.message = self.app.core.t("This is not a Tongban receipt code.")

    def stop_scan(self) -> None:
        if self.scanning:
            self.journey.cancel_capture("receipt_qr")
        self.scanning = False

    def wipe(self) -> None:
        self.digits = ""
        self.message = ""
        self.ids.timeline.clear_widgets()
