"""Progress lookup, no session needed: the number on the receipt typed on a keypad that takes either number the
receipt carries (the platform's 申请编号 TB…, or this kiosk's 本机受理号 K0001-…; ``kiosk.applications.progress
.typed_key``), an old receipt's QR shown to the camera, or an ID card on the reader for all the holder's
applications. The answer is a timeline with the promised date, and why it moved when it did."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from kiosk import clock
from kiosk.applications import STATUS_LABELS, ProgressQrError, parse_progress_qr
from kiosk.i18n import N_
from screens.widgets import KioskScreen

PLATFORM_PREFIX = "TB"  # platform application numbers: TB + date + sequence
STATUS_WORDS = {**STATUS_LABELS, "queued": N_("Waiting to be sent")}  # the platform's, and this kiosk's outbox
# The platform's own names of its statuses (PLATFORM_API.md): a history note saying only that repeats the status
# the kiosk already shows in the resident's language ("Accepted  已受理").
FINISHED = ("approved", "rejected", "completed")  # 办结: after these the promised date is no longer ahead
PLATFORM_STATUS_NAMES = {"accepted": ("已受理",), "in_review": ("审查中", "审核中"), "need_more": ("需补充材料",),
                         "approved": ("已批准",), "rejected": ("不予批准",), "completed": ("已办结",)}


def history_note(status: str, note: str) -> str:
    """A timeline entry's note from the platform, unless it only names the status."""
    return "" if note.strip() in PLATFORM_STATUS_NAMES.get(status, ()) else note


def number_from_qr(text: str, page_url: str | None = None) -> str | None:
    """What a receipt QR (``kiosk.applications.parse_progress_qr``) points at: the application number, else the
    local reference of an application printed before the platform answered; None when it is not ours (an https
    code must be ``page_url``'s, the configured ``platform.progress_url``)."""
    try:
        key = parse_progress_qr(text, page_url)
    except ProgressQrError:
        return None
    return key.application_no or key.reference


class ProgressScreen(KioskScreen):
    digits: str = StringProperty("")  # what was typed: "TB2026…", "K0001-000123" or digits alone
    message: str = StringProperty("")
    scanning: bool = BooleanProperty(False)
    can_scan: bool = BooleanProperty(False)
    reading_card: bool = BooleanProperty(False)
    found: bool = BooleanProperty(False)  # an answer was shown: 好差评 of the lookup is offered
    folded: bool = BooleanProperty(False)  # the keys put away for the answer's room (elder portrait, set by .kv)
    kiosk_prefix: str = StringProperty("K0001-")

    def __init__(self, **kwargs) -> None:
        super().__init__(prompt="Type the number on your receipt, show its QR code, or put your ID card on the reader",
                         **kwargs)  # fmt: skip
        self._looked_up: str | None = None  # the application number of the last answer (rated with the lookup)
        self._asked = 0  # counts the questions (typed, scanned, by card): only the last one's answer is shown

    def on_pre_enter(self, *_args: object) -> None:
        self.can_scan = self.journey.ready("camera", "qr")
        self.journey.card_roles = frozenset(("idcard", "sscard"))  # a card lists its holder's applications
        self.journey.read_lying_cards()  # one put down before (on the home screen) counts too
        apps = self.journey.apps  # None until the hardware (and the outbox) started
        self.kiosk_prefix = (apps.reference_prefix if apps is not None else self.app.core.settings.kiosk.id) + "-"

    def on_leave(self, *_args: object) -> None:
        self.stop_scan()
        self.journey.card_roles = frozenset()

    def on_digits(self, *_args: object) -> None:
        if self.found and self.app.theme.elder:
            self.found = False  # a new number: its display comes back (hidden under an elder answer)

    def on_key(self, key: str) -> None:
        if key == "backspace":
            self.digits = self.digits[:-1]
        elif key == "clear":
            self.digits = ""
        elif len(self.digits) < 24:
            self.digits += key

    def use_prefix(self, prefix: str) -> None:
        """The 申请编号 (TB) or 本机受理号 (K0001-) key: replaces the other prefix, keeps the digits typed."""
        digits = self.digits
        for known in (PLATFORM_PREFIX, self.kiosk_prefix):
            if digits.upper().startswith(known.upper()):
                digits = digits[len(known):]
        self.digits = prefix + digits

    def another(self) -> None:
        """Back to the keys for another number (the answer shown stays until the next one comes)."""
        self.found = False
        self.digits = ""

    def look_up(self, number: str | None = None) -> None:
        number = number or self.digits
        if sum(ch.isdigit() for ch in number) < 1:
            self.message = self.app.core.t("Please type the whole number")
            return
        self.message = self.app.core.t("Looking it up…")
        self.found = self.reading_card = False
        self.ids.timeline.clear_widgets()
        asked = self._ask()
        self.journey.lookup(number, lambda lookup: self._answered(asked, lambda: self.show(number, lookup)))

    def _ask(self) -> int:
        self._asked += 1
        return self._asked

    def _answered(self, asked: int, show: Callable[[], None]) -> None:
        """From a worker thread: shown on the UI thread unless another question was asked since (a number typed
        while a card's applications were being fetched, or the other way round) or the screen was wiped."""
        self.app.on_ui_thread(lambda: show() if asked == self._asked else None)

    def show(self, number: str, lookup) -> None:
        """A ``kiosk.applications.Lookup``: a timeline from the platform, or why there is none (its message)."""
        t = self.app.core.t
        box = self.ids.timeline
        box.clear_widgets()
        self.found = lookup.found
        if lookup.state == "unavailable":
            self.message = t("The service platform cannot be reached right now. Please try again later.")
            return
        if lookup.state == "not_found":
            self.message = t("No application with the number {number}").format(number=number)
            return
        if lookup.state == "invalid":
            self.message = t("This is not a receipt number. Please check it and type it again.")
            return
        if lookup.state == "queued":
            self.message = t("{number}: {status}").format(number=number, status=t(STATUS_WORDS["queued"]))
            return
        if lookup.progress is None:  # failed delivery (kept for staff): the lookup says it in words
            self.message = t(lookup.message)
            return
        self._looked_up = lookup.progress.application_no
        self.message = t("{number}: {status}").format(number=lookup.progress.application_no,
                                                       status=t(STATUS_WORDS.get(lookup.progress.status, "")))
        self.add_timeline(lookup, heading=False)

    def day(self, day: dt.date) -> str:
        """A date written as the receipt writes it (2026年12月10日 in Chinese), so the resident finds the same one."""
        return self.app.core.t("{year}-{month:02d}-{day:02d}").format(year=day.year, month=day.month, day=day.day)

    def add_timeline(self, lookup, heading: bool) -> None:
        """One application's history, its promised date and every change of it with the reason."""
        t = self.app.core.t
        box, view = self.ids.timeline, lookup.progress
        if heading:
            box.add_widget(Factory.GuideHeading(text=t("{number}: {status}").format(
                number=view.application_no, status=t(STATUS_WORDS.get(view.status, "")))))
        for entry in view.history:
            box.add_widget(Factory.TimelineRow(when=clock.stamp(entry.at),
                                               what=t(STATUS_WORDS.get(entry.status, entry.status)),
                                               note=history_note(entry.status, entry.note or "")))
        if view.promised_by and view.status in FINISHED:
            box.add_widget(Factory.TimelineRow(when=self.day(view.promised_by), what=t("Promised by"), note=""))
        elif view.promised_by:  # still ahead: drawn and worded as not done yet
            box.add_widget(Factory.TimelineRow(when=t("Expected {date}").format(date=self.day(view.promised_by)),
                                               what=t("Promised by (not done yet)"), note="", future=True))
        for change in view.promise_changes:
            box.add_widget(Factory.GuideLine(text=t(
                "The receipt promised {old}; it is now {new}, because: {reason}").format(
                old=self.day(change.old) if change.old else "—", new=self.day(change.new), reason=change.reason)))
        if lookup.reference and view.promised_by:  # the receipt carried the kiosk's reference: printed offline
            box.add_widget(Factory.GuideLine(text=t(
                "A date marked 约 on a receipt printed before the platform answered was this kiosk's estimate; "
                "the date above is the platform's.")))

    # -- by identity: the card on the reader lists all the holder's applications ------------------------
    def _card_read(self) -> None:
        """The journey read a card on this screen (``identity``): list its holder's applications."""
        if self.reading_card:
            return
        self.stop_scan()
        self.reading_card, self.found, self.digits, self._looked_up = True, False, "", None
        self.ids.timeline.clear_widgets()
        self.message = self.app.core.t("Card read. Looking up your applications…")
        asked = self._ask()
        self.journey.my_applications(lambda result: self._answered(asked, lambda: self.show_mine(result)))

    def show_mine(self, result) -> None:
        t = self.app.core.t
        self.reading_card = False
        self.ids.timeline.clear_widgets()
        if not isinstance(result, list):
            self.found = False
            if result.state == "refused":
                self.message = t(result.message)
            elif result.state == "unavailable":
                self.message = t("The service platform cannot be reached right now. Please try again later.")
            else:
                self.message = t(result.message)
            return
        if not result:
            self.found = True
            self.message = t("You have no applications on the service platform.")
            return
        self.found = True
        self.message = t("Your applications ({count}), newest first").format(count=len(result))
        for lookup in result:
            self.add_timeline(lookup, heading=True)

    def rate(self) -> None:
        """好差评 of this lookup (a service of its own)."""
        self.app.screen("evaluate").rate_service("progress", self._looked_up)
        self.app.navigate("evaluate")

    def start_scan(self) -> None:
        if not self.can_scan:
            self.message = self.app.core.t("The camera is not available. Please type the number.")
            return
        self.scanning = True
        self.message = self.app.core.t("Hold the receipt's QR code in front of the camera")
        self.app.say("Hold the receipt's QR code in front of the camera")
        self.journey.scan_receipt_qr()

    def on_journey(self, payload: dict[str, Any]) -> None:
        what = payload.get("what")
        if what == "receipt_qr" and self.scanning:
            self._scanned(list(payload.get("texts") or []))
        elif what == "devices":
            self.can_scan = self.journey.ready("camera", "qr")
        elif what == "identity":
            self._card_read()

    def _scanned(self, texts: list[str]) -> None:
        self.scanning = False
        if not texts:
            self.message = self.app.core.t("No code was seen. Please try again or type the number.")
            return
        for text in texts:
            number = number_from_qr(text, self.app.core.settings.platform.progress_url)
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
        self.found = self.reading_card = False
        self._ask()  # an answer still on its way is for nobody now
        self.ids.timeline.clear_widgets()
